/**
 * Parsed pipeline → what the graph webview draws: a node per stage and per artifact between stages,
 * edges from `inputs:`, and every problem the validator found attached to the node it belongs to.
 * Pure (no `vscode`), so it is unit-tested directly. A file that does not parse keeps the last graph
 * that did, marked stale, rather than flashing to nothing while the user types.
 */
import { stageDeclaration } from '../../core/catalogue';
import type { ComponentDeclaration } from '../../core/component';
import type { ArtifactType } from '../../core/artifacts';
import type { ParsedPipeline } from '../../core/parse';
import { isUserComponentRef } from '../../core/paths';
import type { SpecDiagnostic, StageSpec } from '../../core/spec';
import type { GraphEdge, GraphModel, GraphNode } from '../../protocol/graph';

export const COMPONENT_ICONS: Readonly<Record<string, string>> = {
  ExampleGen: 'database',
  StatisticsGen: 'chart',
  SchemaGen: 'schema',
  ExampleValidator: 'shield',
  Sql: 'sql',
  Transform: 'transform',
  Trainer: 'brain',
  Tuner: 'tune',
  Evaluator: 'gauge',
  InfraValidator: 'server',
  Pusher: 'upload',
  BulkInferrer: 'list',
  Monitor: 'shield',
  Importer: 'import',
};

export const ARTIFACT_ICONS: Readonly<Record<ArtifactType, string>> = {
  Examples: 'table',
  ExampleStatistics: 'chart',
  Schema: 'schema',
  ExampleAnomalies: 'warning',
  TransformGraph: 'transform',
  Model: 'brain',
  HyperParameters: 'tune',
  ModelEvaluation: 'gauge',
  ModelBlessing: 'check',
  InfraBlessing: 'check',
  PushedModel: 'upload',
  InferenceResult: 'table',
};

export interface GraphModelOptions {
  /** Draw artifacts as their own nodes between stages (default true); else stage → stage edges. */
  readonly showArtifacts?: boolean;
  /** The graph drawn before, kept (marked stale) when the file no longer parses. */
  readonly previous?: GraphModel;
}

export function componentIcon(component: string): string {
  if (isUserComponentRef(component)) return 'code';
  return COMPONENT_ICONS[component] ?? 'question';
}

/** The stage a diagnostic belongs to: the one whose key or body holds its start. */
export function stageOfDiagnostic(stages: readonly StageSpec[], d: SpecDiagnostic): string | undefined {
  const at = d.range.start.offset;
  for (const s of stages) {
    if (at >= s.range.start.offset && at <= Math.max(s.bodyRange.end.offset, s.range.end.offset)) return s.name;
  }
  const named = /^stage '([^']+)'/.exec(d.message);
  return named?.[1];
}

export function buildGraphModel(parsed: ParsedPipeline, diagnostics: readonly SpecDiagnostic[], options: GraphModelOptions = {}): GraphModel {
  const showArtifacts = options.showArtifacts ?? true;
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const spec = parsed.spec;
  if (!spec) {
    const first = errors[0];
    const stale = {
      message: first?.message ?? 'the file is not a pipeline',
      line: first?.range.start.line ?? 1,
      col: first?.range.start.col ?? 1,
    };
    const prev = options.previous;
    if (prev && prev.file === parsed.file) return { ...prev, stale, errorCount: errors.length };
    return { file: parsed.file, pipeline: '', nodes: [], edges: [], stale, errorCount: errors.length };
  }

  const problems = new Map<string, string[]>();
  for (const d of errors) {
    const stage = stageOfDiagnostic(spec.stages, d);
    if (stage === undefined) continue;
    const list = problems.get(stage) ?? [];
    list.push(`${d.range.start.line}:${d.range.start.col} ${d.message}`);
    problems.set(stage, list);
  }

  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const nodeIds = new Set<string>();
  const addNode = (n: GraphNode): void => {
    if (nodeIds.has(n.id)) return;
    nodeIds.add(n.id);
    nodes.push(n);
  };
  const stageNames = new Set(spec.stages.map((s) => s.name));
  const declarations = new Map<string, ComponentDeclaration | undefined>(spec.stages.map((s) => [s.name, stageDeclaration(s.component, s.params)]));

  for (const s of spec.stages) {
    addNode({
      id: s.name,
      kind: 'stage',
      label: s.name,
      detail: s.component,
      icon: componentIcon(s.component),
      problems: problems.get(s.name) ?? [],
      line: s.range.start.line,
    });
  }
  // Stages the parser had to drop (no `component:`, not a map) are still drawn, as broken.
  for (const [name, list] of problems) {
    if (!stageNames.has(name)) {
      addNode({ id: name, kind: 'stage', label: name, detail: '?', icon: 'question', problems: list });
      stageNames.add(name);
    }
  }

  // Outputs each stage has: declared ones, plus (for user or unknown components) those read downstream.
  const outputs = new Map<string, Map<string, string>>();
  for (const s of spec.stages) {
    const decl = declarations.get(s.name);
    const m = new Map<string, string>();
    for (const [out, port] of Object.entries(decl?.outputs ?? {})) m.set(out, port.type);
    outputs.set(s.name, m);
  }
  for (const s of spec.stages) {
    for (const ref of Object.values(s.inputs)) {
      const m = outputs.get(ref.stage);
      if (m && !declarations.get(ref.stage) && !m.has(ref.output)) m.set(ref.output, 'artifact');
    }
  }

  if (showArtifacts) {
    for (const s of spec.stages) {
      for (const [out, type] of outputs.get(s.name) ?? []) {
        const id = `${s.name}.${out}`;
        addNode({
          id,
          kind: 'artifact',
          label: out,
          detail: type,
          icon: ARTIFACT_ICONS[type as ArtifactType] ?? 'file',
          problems: [],
          stage: s.name,
          output: out,
        });
        edges.push({ id: `${s.name}->${id}`, source: s.name, target: id });
      }
    }
  }

  for (const s of spec.stages) {
    for (const [inputName, ref] of Object.entries(s.inputs)) {
      let source: string;
      let broken = false;
      if (!stageNames.has(ref.stage)) {
        source = `missing:${ref.stage}`;
        addNode({
          id: source,
          kind: 'missing',
          label: ref.stage,
          detail: 'no such stage',
          icon: 'question',
          problems: [`stage '${ref.stage}' does not exist`],
          stage: ref.stage,
        });
        broken = true;
      } else if (showArtifacts && nodeIds.has(ref.text)) {
        source = ref.text;
      } else {
        // The producer exists but has no such output (or artifacts are hidden): link the stages.
        source = ref.stage;
        broken = showArtifacts || !(outputs.get(ref.stage)?.has(ref.output) ?? false);
      }
      edges.push({ id: `${source}->${s.name}:${inputName}`, source, target: s.name, label: inputName, ...(broken ? { broken } : {}) });
    }
  }

  return { file: parsed.file, pipeline: spec.name, nodes, edges, errorCount: errors.length };
}
