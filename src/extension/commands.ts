import * as vscode from 'vscode';
import type { DataSource, FromWebview, PanelKind, RenderedDigest } from '../protocol/data';
import type { RunEvent } from '../protocol/runEvents';
import { errorDetail, errorMessage } from '../protocol/errors';
import type { PipewiseContext } from './context';
import { own, type Owner } from './disposable';
import type { GraphAck } from '../protocol/graph';
import type { RunOutcome } from '../protocol/runEvents';
import type { ExportKfpOptions } from '../protocol/export';
import type { ExportKfpResult } from '../protocol/export';
import type { CollectOptions } from '../protocol/store';
import type { GcReport } from '../protocol/store';
import type { MonitoringAck } from '../protocol/monitoring';
import type { ServerInfo } from '../protocol/models';
import type { FromTryMessage, TryRender } from '../protocol/tryModel';
import type { RunSelection } from '../core/dag';
import type { EvaluationAck } from '../protocol/evaluation';
import type { ExperimentsAck } from '../protocol/experiments';
import type { ToExperimentsMessage } from '../protocol/experiments';
import type { WebDemoOpened } from './webDemo';
import type { ExportReportResult } from '../protocol/report';
import type { RunAnnotations } from '../core/runAnnotations';

/**
 * Every command of the extension, its arguments and its result, declared once. Manifest commands
 * (package.json `contributes.commands`) are in `CommandTable`; commands only tests call are in
 * `TestCommandTable` and exist only when VS Code runs the extension's tests. Webviews, CodeLens,
 * tasks and tests reach features through these ids; see docs/ARCHITECTURE.md, "Commands".
 */

/** A pipeline a command acts on: a Uri, a path, a Runs-view item (`{ uri }`), or none (the active or only one). */
export type PipelineTarget = vscode.Uri | string | { readonly uri?: vscode.Uri; readonly stage?: { readonly name?: string } } | undefined;

/** Options of a run started by command (tasks, keybindings, tests). */
export interface RunCommandOptions extends RunSelection {
  /** Open the graph beside the file as `pipewise.runs.revealGraph` says (default true; tasks: false). */
  readonly revealGraph?: boolean;
  /** Cancels the run (a task's terminal closing). */
  readonly token?: vscode.CancellationToken;
  /** Every event of this run, as it comes (a task prints them). */
  readonly onEvent?: (e: RunEvent) => void;
}

/** A data source as commands take it: a Uri, a path, a `DataSource`, or none (pick one; `null` too, as menus pass it). */
export type DataArg = vscode.Uri | string | DataSource | null | undefined;

/** A schema or anomalies file, its artifact folder, or the artifacts the graph passes together. */
export type SchemaArg =
  | vscode.Uri
  | string
  | { readonly schema?: vscode.Uri | string; readonly statistics?: DataArg; readonly anomalies?: vscode.Uri | string; readonly baseline?: DataArg }
  | undefined;

/** An evaluation: its metrics.json, its folder, or a Runs view artifact (`{ folder }`). */
export type EvaluationTarget = vscode.Uri | string | { readonly folder: string } | undefined;

/** What *Export Report…* reports on: a pipeline file, a Runs-view run (`{ uri, run }`), or a pipeline and run named. */
export type ReportTarget =
  | vscode.Uri
  | { readonly uri?: vscode.Uri; readonly run?: { readonly id: string } }
  | { readonly pipelineFile: string; readonly runId?: string; readonly against?: string }
  | undefined;

/** For tests and keybindings: the file to write (no dialog), and the baseline (`blessed`, `previous` or a run id). */
export interface ExportReportOptions {
  readonly out?: string;
  readonly against?: string;
}

export interface CommandTable {
  'pipewise.showGraph': (target?: PipelineTarget) => vscode.Uri | undefined;
  'pipewise.runPipeline': (target?: PipelineTarget, options?: RunCommandOptions) => RunOutcome | undefined;
  'pipewise.runStage': (target?: PipelineTarget, stage?: string) => RunOutcome | undefined;
  'pipewise.runFromStage': (target?: PipelineTarget, stage?: string) => RunOutcome | undefined;
  'pipewise.cancelRun': (target?: vscode.Uri) => boolean;
  'pipewise.showLog': () => void;
  'pipewise.refreshRuns': () => void;
  /** Removes what lineage no longer needs from a pipeline's store (`pipewise gc`); returns the report. */
  'pipewise.collectGarbage': (target?: PipelineTarget, options?: CollectOptions) => GcReport | undefined;
  'pipewise.newPipeline': () => vscode.Uri | undefined;
  'pipewise.openExample': () => vscode.Uri | undefined;
  'pipewise.openLatestStatistics': (target?: PipelineTarget) => boolean | undefined;
  /** The data panels return the panel's id. */
  'pipewise.previewStatistics': (source?: DataArg) => string | undefined;
  'pipewise.openStatistics': (source?: DataArg) => string | undefined;
  'pipewise.previewData': (source?: DataArg) => string | undefined;
  /** From the explorer with two files selected, VS Code passes (clicked, [both selected]). */
  'pipewise.compareDatasets': (left?: DataArg, right?: DataArg | readonly vscode.Uri[]) => string | undefined;
  /** `schema` may be `{ schema, statistics, anomalies, baseline }` (the graph passes artifacts so). */
  'pipewise.openSchema': (schema?: SchemaArg, statistics?: DataArg) => string | undefined;
  'pipewise.openAnomalies': (anomalies?: SchemaArg, statistics?: DataArg) => string | undefined;
  'pipewise.openPipelineAsNotebook': (uri?: vscode.Uri, options?: { readonly replace?: boolean }) => vscode.NotebookEditor | undefined;
  'pipewise.notebook.restartKernel': () => void;
  /** Writes the pipeline as Kubeflow Pipelines v2 YAML (with its Dockerfile) and opens it. */
  'pipewise.exportKfp': (target?: PipelineTarget, options?: ExportKfpOptions) => ExportKfpResult | undefined;
  /** Serves a web push (Pusher `target: web`) on 127.0.0.1 and opens it in the Simple Browser (through asExternalUri); returns both addresses. */
  'pipewise.openWebDemo': (folder?: vscode.Uri | string) => WebDemoOpened | undefined;
  /** Opens (or reveals) the monitoring panel of a pipeline and a request log (`pipewise serve --log-dir`); asks for what is missing. Returns the panel's title. */
  'pipewise.openMonitoring': (pipelineUri?: vscode.Uri, logDir?: string) => string | undefined;
  /** Models view: a pushed model is a view item, its base path (string or Uri), or none (pick one). */
  'pipewise.refreshModels': () => void;
  /** Starts `pipewise serve` on the model's base path as a `pipewise-serve` task (127.0.0.1, the first free port from 8501 unless given; requests logged per the `pipewise.serving` settings); resolves once a version is AVAILABLE. */
  'pipewise.startModelServer': (model?: ModelTarget, options?: { readonly port?: number }) => ServerInfo | undefined;
  /** Stops the model's server (SIGTERM, then SIGKILL after 10 s); true once it exited. */
  'pipewise.stopModelServer': (model?: ModelTarget) => boolean;
  'pipewise.showModelServerLog': (model?: ModelTarget) => boolean;
  /** Opens the "Try the model" panel (starting the server if none runs); returns the model's base path. */
  'pipewise.tryModel': (model?: ModelTarget) => string | undefined;
  'pipewise.copyModelUrl': (model?: ModelTarget) => string | undefined;
  /** Opens the monitoring panel on the requests the model's servers logged (its pipeline's training data as the baseline); returns the log folder. */
  'pipewise.monitorModel': (model?: ModelTarget) => string | undefined;
  /** Opens the evaluation view of an Evaluator artifact (its metrics.json, its folder, or a Runs view artifact); asks when none is given. */
  'pipewise.openEvaluation': (target?: EvaluationTarget) => void;
  /** Opens the experiments table of a pipeline (its file, a Runs view item, or the active pipeline file). */
  'pipewise.showExperiments': (target?: PipelineTarget) => void;
  /** Writes a run against its baseline (`pipewise report`) where a save dialog (or `options.out`) says; .html: one page, else Markdown. */
  'pipewise.exportReport': (target?: ReportTarget, options?: ExportReportOptions) => ExportReportResult | undefined;
  /** Experiments (issue 28): the open experiments table of a pipeline as shown (filter, brushes, sort) to a CSV file; `target` skips the save dialog. Returns the file written. */
  'pipewise.exportExperimentsCsv': (pipeline?: vscode.Uri, target?: vscode.Uri) => string | undefined;

  // The model registry (issue 29): aliases and canary traffic, from the Models view.
  /** Moves the model's `champion` alias to a version (set when it has none); returns that version. */
  'pipewise.promoteToChampion': (target?: ModelVersionTarget) => number | undefined;
  /** Moves `champion` back to the version it named before its last move (from the alias history); returns that version. */
  'pipewise.rollBackChampion': (target?: ModelTarget | ModelVersionTarget) => number | undefined;
  /** Starts the model's server with a canary split (`--split`; asked for when not given) as a `pipewise-serve` task. */
  'pipewise.startCanaryServer': (model?: ModelTarget, options?: { readonly split?: string; readonly port?: number }) => ServerInfo | undefined;

  // Run annotations (issue 28): written by the worker beside the run record; each returns them as stored.
  /** Names a run (asked for when not given; '' removes the name). */
  'pipewise.renameRun': (target?: RunTarget, name?: string) => RunAnnotations | undefined;
  /** Sets a run's note (asked for when not given; '' removes it). */
  'pipewise.editRunNote': (target?: RunTarget, note?: string) => RunAnnotations | undefined;
  /** Stars or unstars a run (`starred` given, or the opposite of now); gc keeps a starred run's artifacts. */
  'pipewise.toggleRunStar': (target?: RunTarget, starred?: boolean) => RunAnnotations | undefined;
  /** The Runs view's "Star" on an unstarred run and "Unstar" on a starred one (the menu reads as fits: contextValue `pipewise.run[.starred]`). */
  'pipewise.starRun': (target?: RunTarget) => RunAnnotations | undefined;
  'pipewise.unstarRun': (target?: RunTarget) => RunAnnotations | undefined;
}

/** A run: a Runs-view run item (`{ uri, run, annotations }`), or a pipeline file and run id. */
export type RunTarget =
  | { readonly uri?: vscode.Uri; readonly run?: { readonly id: string }; readonly annotations?: RunAnnotations }
  | { readonly pipelineFile: string; readonly runId: string; readonly annotations?: RunAnnotations }
  | undefined;

/** A version of a pushed model: a Models-view version item, or its base path and number. */
export type ModelVersionTarget = { readonly model: { readonly base: string }; readonly version: { readonly version: number } } | { readonly base: string; readonly version: number } | undefined;

/** A pushed model as commands take it: a Models-view item, its base path, or none. */
export type ModelTarget = vscode.Uri | string | { readonly model?: { readonly base: string } } | undefined;

/** What a test asks a data panel to have drawn. */
export interface DigestWanted {
  readonly kind?: PanelKind;
  readonly exact?: boolean;
  readonly anomalyFree?: string;
  readonly timeoutMs?: number;
  /** Only a render still to come counts. */
  readonly fresh?: boolean;
}

export interface TestCommandTable {
  /** Run annotations (issue 28): the Runs view's run items of a pipeline as drawn (label, description, tooltip, and the contextValue its menus match). */
  'pipewise.test.runsView': (pipeline: vscode.Uri) => readonly { readonly runId: string; readonly label: string; readonly description: string; readonly tooltip: string; readonly contextValue: string }[];
  /** What the graph webview of `uri` last acknowledged having drawn. */
  'pipewise.test.graphAck': (uri: vscode.Uri) => GraphAck | undefined;
  /** The run status bar item: its text, tooltip and the pipeline file its click opens. */
  'pipewise.test.runStatus': () => { readonly text: string; readonly tooltip: string; readonly file?: string };
  /** Overrides the workspace trust Pipewise sees (undefined: VS Code's again). */
  'pipewise.test.setTrusted': (value?: boolean) => void;
  /** The last command whose handler threw, and its message (a command returns undefined then: tests name why). */
  'pipewise.test.lastCommandFailure': () => { readonly command: string; readonly message: string } | undefined;
  /**
   * The features loaded when first used (src/extension/featureLoader.ts), after unloading `unload` and
   * loading `load`: each one's name, whether it is loaded, its declared commands and those bound; and
   * the manifest commands no feature handles now.
   */
  'pipewise.test.features': (action?: { readonly load?: readonly string[]; readonly unload?: string }) => {
    readonly late: readonly { readonly name: string; readonly loaded: boolean; readonly commands: readonly string[]; readonly bound: readonly string[] }[];
    readonly unbound: readonly string[];
  };
  /** Waits for a data panel to report a render the test wants. */
  'pipewise.internal.panelDigest': (id: string, want?: DigestWanted) => RenderedDigest;
  /** Handles a message as if the data panel's webview had sent it. */
  'pipewise.internal.panelMessage': (id: string, m: FromWebview) => void;
  /** Where the data panel's last statistics computation stands, and since when (epoch ms). */
  'pipewise.internal.panelStatus': (id: string) => { readonly state: 'idle' | 'running' | 'done' | 'cancelled' | 'failed'; readonly since: number };
  /** The Models view's items as text. */
  'pipewise.test.modelsView': () => { label: string; description: string; contextValue: string; children: { label: string; description: string; icon: string; contextValue: string }[] }[];
  /** The Models view's items as the view last drew them (no read of the disk). */
  'pipewise.test.modelsViewShown': () => { label: string; description: string; contextValue: string; children: { label: string; description: string; icon: string; contextValue: string }[] }[];
  /** The versions VS Code asked the Models view for since it last asked for its models, by model label (a model drawn collapsed is not asked). */
  'pipewise.test.modelsViewDrawn': () => Record<string, string[]>;
  /** Waits for the Try panel of a model (by base path) to report a render of a kind. */
  'pipewise.test.tryRender': (base: string, want: { readonly kind: TryRender['kind']; readonly fresh?: boolean; readonly timeoutMs?: number }) => TryRender;
  /** Hands the Try panel a message as its webview would, or `'submit'`: makes the webview submit its form. */
  'pipewise.test.tryMessage': (base: string, m: FromTryMessage | 'submit') => void;
  /** Waits for the monitoring panel on `logDir` to report a render the test wants (default: a report). */
  'pipewise.test.monitoringAck': (logDir: string, want?: MonitoringAckWanted) => MonitoringAck;
  /** What the evaluation panel of a metrics.json last acknowledged having drawn. */
  'pipewise.test.evaluationAck': (target: EvaluationTarget) => EvaluationAck | undefined;
  /** What the experiments table of a pipeline last acknowledged having drawn. */
  'pipewise.test.experimentsAck': (uri: vscode.Uri) => ExperimentsAck | undefined;
  /** Hands the experiments webview a message as a click would (select runs, choose a metric). */
  'pipewise.test.experimentsPost': (uri: vscode.Uri, message: ToExperimentsMessage) => boolean;
}

/** What a test asks the monitoring panel to have drawn. */
export interface MonitoringAckWanted {
  readonly kind?: MonitoringAck['kind'];
  readonly requests?: number;
  readonly overlay?: string;
  readonly timeoutMs?: number;
  readonly fresh?: boolean;
}

type AnyTable = CommandTable & TestCommandTable;
export type Handler<K extends keyof AnyTable> = (...args: Parameters<AnyTable[K]>) => ReturnType<AnyTable[K]> | Promise<ReturnType<AnyTable[K]>>;

/** The last command whose handler threw (what the user saw as an error message), for the tests. */
let lastFailure: { readonly command: string; readonly message: string } | undefined;

export function lastCommandFailure(): typeof lastFailure {
  return lastFailure;
}

/**
 * Registers a command's handler, tied to `owner` (a feature's `_register`; the extension's lifetime
 * when none is given). A handler that throws logs the stack, shows the message, and returns
 * undefined: a command never rejects into VS Code's UI.
 */
export function registerCommand<K extends keyof CommandTable>(ctx: PipewiseContext, id: K, handler: Handler<K>, owner: Owner = ctx.extension.subscriptions): void {
  const run = async (...args: unknown[]): Promise<unknown> => {
    try {
      return await (handler as (...a: unknown[]) => unknown)(...args);
    } catch (e) {
      lastFailure = { command: id, message: errorMessage(e) };
      ctx.log.error(`${id}: ${errorDetail(e)}`);
      void vscode.window.showErrorMessage(`Pipewise: ${errorMessage(e)}`);
      return undefined;
    }
  };
  // A manifest command is already registered, as a stub the entry made at activation: bind to it.
  own(owner, ctx.commandStubs?.bind(id, run) ?? vscode.commands.registerCommand(id, run));
}

/** Registers a test-only command, only when VS Code runs the extension's tests; errors reach the test. */
export function registerTestCommand<K extends keyof TestCommandTable>(ctx: PipewiseContext, id: K, handler: Handler<K>, owner: Owner = ctx.extension.subscriptions): void {
  if (ctx.extension.extensionMode !== vscode.ExtensionMode.Test) return;
  const run = handler as (...a: unknown[]) => unknown;
  // A feature loaded when first used has stubs for its test commands too (src/extension/featureLoader.ts).
  own(owner, ctx.commandStubs?.bind(id, run) ?? vscode.commands.registerCommand(id, run));
}

/** Runs a command by its id, with its declared argument types. */
export function executeCommand<K extends keyof CommandTable>(id: K, ...args: Parameters<CommandTable[K]>): Thenable<Awaited<ReturnType<CommandTable[K]>> | undefined> {
  return vscode.commands.executeCommand(id, ...args);
}

/** A `vscode.Command` (CodeLens, status bar, tree items) with its declared argument types. */
export function commandOf<K extends keyof CommandTable>(id: K, title: string, args: Parameters<CommandTable[K]>, tooltip?: string): vscode.Command {
  return { command: id, title, arguments: args, ...(tooltip !== undefined ? { tooltip } : {}) };
}
