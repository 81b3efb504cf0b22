/**
 * Messages between the extension and the pipeline graph webview (`webviews/graph`). No `vscode`
 * import: the webview bundle shares this file. The webview announces `ready` before the extension
 * sends anything, and acknowledges every drawing with `rendered` (what it really drew), which the
 * host tests read back.
 */
import type { RunView } from './runEvents';

// The run's state as the editor shows it lives beside the run events it folds.
export type { RunView, StageView } from './runEvents';

export type GraphNodeKind = 'stage' | 'artifact' | 'missing';

export interface GraphNode {
  /** Stage nodes: the stage name. Artifact nodes: `<stage>.<output>`. Missing: `missing:<stage>`. */
  readonly id: string;
  readonly kind: GraphNodeKind;
  readonly label: string;
  /** Stage: its component (`ExampleGen`, `./components/x.ts`). Artifact: its type (`Examples`). */
  readonly detail: string;
  /** Name of the icon the webview draws (a key of its icon table). */
  readonly icon: string;
  /** Problems found in this node's part of the file; a node with errors is drawn as broken. */
  readonly problems: readonly string[];
  /** 1-based line of the stage's name in the file (stage nodes), for "reveal". */
  readonly line?: number;
  /** Artifact nodes: the stage that writes it and its output name. Missing nodes: the stage's name as read. */
  readonly stage?: string;
  readonly output?: string;
}

export interface GraphEdge {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  /** The input name on the consuming stage, when the edge goes into a stage. */
  readonly label?: string;
  readonly broken?: boolean;
}

export interface GraphModel {
  readonly file: string;
  readonly pipeline: string;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  /** Set when the file cannot be read as a pipeline right now (a syntax error): the graph shown is the last one that could. */
  readonly stale?: { readonly message: string; readonly line: number; readonly col: number };
  /** Count of error diagnostics in the file. */
  readonly errorCount: number;
}


/** `pipewise.graph.layout`: auto is top to bottom when the panel is taller than wide. */
export type GraphLayoutSetting = 'auto' | 'leftToRight' | 'topToBottom';

export type ToGraphMessage =
  | { readonly type: 'pipeline'; readonly model: GraphModel; readonly trusted: boolean; readonly layout?: GraphLayoutSetting }
  | { readonly type: 'run'; readonly run: RunView }
  | { readonly type: 'fit' };

export type GraphAction = 'runStage' | 'runFrom' | 'showLogs' | 'openOutputs' | 'reveal';

/** What a graph action is about: a stage, one output of a stage (an artifact node), or a stage that is read but not declared. */
export type GraphTarget =
  | { readonly kind: 'stage'; readonly stage: string }
  | { readonly kind: 'artifact'; readonly stage: string; readonly output: string }
  | { readonly kind: 'missing'; readonly stage: string };

/** The target of a node as the model describes it. */
export function targetOf(node: GraphNode): GraphTarget {
  if (node.kind === 'artifact' && node.stage !== undefined && node.output !== undefined) return { kind: 'artifact', stage: node.stage, output: node.output };
  if (node.kind === 'missing') return { kind: 'missing', stage: node.stage ?? node.label };
  return { kind: 'stage', stage: node.id };
}

export type FromGraphMessage =
  | { readonly type: 'ready' }
  /** Sent after every drawing: the node ids in the SVG and the status each one shows. */
  | { readonly type: 'rendered'; readonly nodes: readonly { readonly id: string; readonly status: string }[]; readonly runId?: string }
  | { readonly type: 'action'; readonly action: GraphAction; readonly target: GraphTarget }
  | { readonly type: 'runPipeline' }
  | { readonly type: 'cancelRun' }
  /** The toolbar's Export: "Export to Kubeflow Pipelines…" on this pipeline. */
  | { readonly type: 'exportKfp' }
  | { readonly type: 'error'; readonly message: string };

/** What the webview keeps across hide/show and window reloads (`vscode.setState`). */
export interface GraphWebviewState {
  readonly file: string;
  readonly zoom?: { readonly x: number; readonly y: number; readonly k: number };
  readonly selected?: string;
}

/** What the webview last acknowledged having drawn (read by the host tests). */
export interface GraphAck {
  readonly ready: boolean;
  readonly file: string;
  readonly nodes: readonly { readonly id: string; readonly status: string }[];
  readonly runId?: string;
  readonly renders: number;
  readonly errors: readonly string[];
}
