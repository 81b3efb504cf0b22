/**
 * YAML cells: one or more stages written exactly as under `stages:` in a pipeline file. The cell
 * runs through the engine, inside the pipeline the notebook points to (its stages, overridden by
 * stage cells above this one and then by this cell), with only this cell's stages selected: their
 * upstream comes from the cache, so caching and lineage work as for `pipewise run --only`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isMap, LineCounter, parseDocument, stringify, type Pair } from 'yaml';
import { isCancelled, PipewiseError } from '../../core/errors';
import { parsePipeline } from '../../core/parse';
import type { SpecDiagnostic } from '../../core/spec';
import { Lineage } from '../../engine/lineage';
import { runPipeline, SpecError } from '../../engine/orchestrator';
import { watchRun } from './runWatch';
import { ArtifactStore } from '../../engine/store';
import { NotebookMime, type CellDiagnostic, type EarlierStageCell, type ExecuteCellResult, type NotebookOutputData, type NotebookStreamEvent } from '../../protocol/notebook';
import { metricsChartSpec } from '../../protocol/notebookCharts';
import type { MetricsPoint, StageResult } from '../../protocol/runEvents';
import { artifactOutputs } from './notebookArtifacts';
import type { NotebookArtifact, NotebookSession } from './notebookSession';
import { errorMessage } from '../../protocol/errors';

/** A stream event before the execution id is attached (Omit distributed over the union). */
type StreamEvent = NotebookStreamEvent extends infer E ? (E extends unknown ? Omit<E, 'executionId'> : never) : never;
type Stream = (e: StreamEvent) => void;

export interface StageCellRun {
  readonly session: NotebookSession;
  readonly source: string;
  readonly label: string;
  readonly earlier: readonly EarlierStageCell[];
  readonly signal: AbortSignal;
  readonly stream: Stream;
}

/** The stages a cell declares, in cell order, with their bodies as plain data. */
interface CellStages {
  readonly stages: { readonly name: string; readonly body: unknown }[];
  readonly diagnostics: CellDiagnostic[];
}

/** Parses a stage cell: a map of stage name → stage body. Positions are the cell's own. */
export function parseStageCell(source: string): CellStages {
  const lc = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const at = (from: number, to: number, message: string, code: string): CellDiagnostic => {
    const s = lc.linePos(from);
    const e = lc.linePos(Math.max(from, to));
    return { line: s.line, col: s.col, endLine: e.line, endCol: e.col, severity: 'error', message, code };
  };
  const diagnostics = doc.errors.map((e) => at(e.pos[0], e.pos[1], e.message, 'yaml-syntax'));
  if (diagnostics.length) return { stages: [], diagnostics };
  const root = doc.contents;
  if (!isMap(root) || root.items.length === 0) {
    const r = root?.range ?? [0, source.length];
    diagnostics.push(at(r[0], r[1], 'a stage cell holds stages written as under `stages:` in a pipeline file:\n  my_stage:\n    component: StatisticsGen\n    inputs: { examples: examples.examples }', 'not-a-stage'));
    return { stages: [], diagnostics };
  }
  const stages = (root.items as Pair[]).map((p) => ({ name: String((p.key as { value?: unknown } | null)?.value ?? p.key), body: (p.value as { toJSON?: () => unknown } | null)?.toJSON?.() ?? null }));
  return { stages, diagnostics };
}

export async function runStageCell(run: StageCellRun): Promise<ExecuteCellResult> {
  const cell = parseStageCell(run.source);
  if (cell.diagnostics.length) return failed(`${run.label}: ${cell.diagnostics[0]?.message ?? 'invalid stage cell'}`, cell.diagnostics);

  // The pipeline the cell runs in: the notebook's pipeline file, or a notebook-only one beside it.
  const pipelineFile = run.session.pipeline;
  let header = { name: 'notebook', store: '.pipewise' };
  const baseStages = new Map<string, unknown>();
  if (pipelineFile) {
    let text: string;
    try {
      text = await fs.readFile(pipelineFile, 'utf8');
    } catch {
      return failed(`The notebook's pipeline file ${pipelineFile} is gone: restore it, or change \`pipewise.pipeline\` in the notebook's metadata.`);
    }
    const parsed = parsePipeline(text, pipelineFile);
    if (!parsed.spec) return failed(`The pipeline file ${pipelineFile} has errors:\n${parsed.diagnostics.map((d) => `${d.range.start.line}:${d.range.start.col}: ${d.message}`).join('\n')}`);
    header = { name: parsed.spec.name || 'notebook', store: parsed.spec.store };
    const doc = parseDocument(text);
    const stagesNode = doc.get('stages', true);
    if (isMap(stagesNode)) for (const p of stagesNode.items as Pair[]) baseStages.set(String((p.key as { value?: unknown }).value), (p.value as { toJSON(): unknown }).toJSON());
  }
  for (const e of run.earlier) for (const s of parseStageCell(e.source).stages) baseStages.set(s.name, s.body);
  for (const s of cell.stages) baseStages.delete(s.name);

  // Only what this cell's stages read from (transitively) joins the run: a broken stage elsewhere
  // in the pipeline or in another cell must not stop this one.
  const needed = upstreamOf(cell.stages.map((s) => s.body), baseStages);

  // This cell's text goes in verbatim (indented), so the engine's positions map back to the cell.
  const lines = [`pipeline: ${JSON.stringify(header.name)}`, `store: ${JSON.stringify(header.store)}`, 'stages:'];
  for (const [name, body] of baseStages) if (needed.has(name)) lines.push(...indent(stringify({ [name]: body }, { lineWidth: 0 })));
  const cellFirstLine = lines.length + 1;
  lines.push(...run.source.split('\n').map((l) => (l.trim() ? `  ${l}` : l)));
  const text = lines.join('\n') + '\n';
  const file = pipelineFile ?? path.join(run.session.folder, 'notebook.pipeline.yaml');
  const toCell = (d: SpecDiagnostic): CellDiagnostic | undefined => {
    const line = d.range.start.line - cellFirstLine + 1;
    if (line < 1) return undefined;
    return {
      line,
      col: Math.max(1, d.range.start.col - 2),
      endLine: Math.max(line, d.range.end.line - cellFirstLine + 1),
      endCol: Math.max(1, d.range.end.col - 2),
      severity: d.severity,
      message: d.message,
      code: d.code,
    };
  };

  const names = cell.stages.map((s) => s.name);
  const points = new Map<string, MetricsPoint[]>();
  let result;
  // What the worker's client records if this process dies of a signal mid-stage (./runWatch.ts).
  const watch = watchRun();
  try {
    result = await runPipeline({
      file,
      text,
      only: names,
      signal: run.signal,
      onStoreLocked: watch.onStoreLocked,
      onEvent: (e) => {
        watch.onEvent(e);
        switch (e.kind) {
          case 'stageMetrics':
            if (!points.has(e.stage)) points.set(e.stage, []);
            points.get(e.stage)?.push(e.point);
            run.stream({ kind: 'metrics', stage: e.stage, point: e.point });
            break;
          case 'stageLog':
            run.stream({ kind: e.level === 'info' ? 'stdout' : 'stderr', text: `[${e.stage}] ${e.message}\n` });
            break;
          case 'stageProgress':
            run.stream({ kind: 'progress', stage: e.stage, fraction: e.fraction, message: e.message });
            break;
          case 'stageStarted':
            if (!names.includes(e.stage)) run.stream({ kind: 'stdout', text: `[${e.stage}] running (upstream of this cell, not cached)\n` });
            break;
          default:
        }
      },
    });
  } catch (e) {
    if (e instanceof SpecError) {
      const inCell = e.diagnostics.map(toCell).filter((d): d is CellDiagnostic => !!d);
      const elsewhere = e.diagnostics.filter((d) => !toCell(d));
      const message = [
        ...inCell.map((d) => `${run.label}:${d.line}:${d.col}: ${d.message}`),
        ...elsewhere.map((d) => `in the stages this cell builds on: ${d.message}`),
      ].join('\n');
      return failed(message || e.message, inCell);
    }
    if (isCancelled(e)) return { status: 'cancelled', outputs: [] };
    return failed(e instanceof PipewiseError ? e.describe() : errorMessage(e));
  } finally {
    watch.end();
  }

  // Record what the cell's stages produced, with artifact types from lineage.
  const stageResults = result.stages.filter((s) => names.includes(s.name));
  const store = new ArtifactStore(path.resolve(path.dirname(file), header.store));
  const executions = await new Lineage(store.metadataDir).executions().catch(() => []);
  const outputs: NotebookOutputData[] = [];
  for (const s of stageResults) {
    const exec = executions.find((x) => x.id === s.executionId);
    const arts: Record<string, NotebookArtifact> = {};
    for (const [output, uri] of Object.entries(s.artifacts)) {
      arts[output] = { stage: s.name, output, uri, type: exec?.outputs.find((o) => o.output === output)?.type ?? 'unknown' };
    }
    if (Object.keys(arts).length) run.session.stageArtifacts.set(s.name, arts);
    outputs.push(statusOutput(s));
    const p = points.get(s.name);
    if (p?.length) outputs.push({ key: `metrics:${s.name}`, items: [{ mime: NotebookMime.vegaLite, json: metricsChartSpec(p, { title: `${s.name}: training` }) }] });
    for (const a of Object.values(arts)) outputs.push(...(await artifactOutputs(a, run.session)));
  }
  // Upstream stages that failed explain why this cell's stages were skipped.
  const upstreamFailures = result.stages.filter((s) => !names.includes(s.name) && s.status === 'failed');
  for (const s of upstreamFailures) outputs.unshift(statusOutput(s));

  const status = stageResults.some((s) => s.status === 'cancelled') ? 'cancelled' : stageResults.every((s) => s.status === 'succeeded' || s.status === 'cached') ? 'succeeded' : 'failed';
  const firstFailure = [...upstreamFailures, ...stageResults].find((s) => s.status === 'failed' || s.status === 'skipped');
  return {
    status,
    outputs,
    stage: stageResults[0],
    error: status === 'failed' && firstFailure ? { name: 'StageFailed', message: `stage ${firstFailure.name} ${firstFailure.status}: ${firstFailure.error ?? ''}`.trim() } : undefined,
  };
}

/** Names of the stages (in `available`) that `bodies` read from, directly or through others. */
function upstreamOf(bodies: readonly unknown[], available: ReadonlyMap<string, unknown>): Set<string> {
  const found = new Set<string>();
  const visit = (body: unknown): void => {
    const inputs = (body as { inputs?: unknown } | null)?.inputs;
    if (!inputs || typeof inputs !== 'object') return;
    for (const ref of Object.values(inputs as Record<string, unknown>)) {
      const stage = typeof ref === 'string' ? ref.split('.')[0] : undefined;
      if (!stage || found.has(stage) || !available.has(stage)) continue;
      found.add(stage);
      visit(available.get(stage));
    }
  };
  bodies.forEach(visit);
  return found;
}

function indent(yamlText: string): string[] {
  return yamlText.trimEnd().split('\n').map((l) => `  ${l}`);
}

function failed(message: string, diagnostics: CellDiagnostic[] = []): ExecuteCellResult {
  return { status: 'failed', outputs: [], diagnostics, error: { name: 'Error', message, stack: message } };
}

function statusOutput(s: StageResult): NotebookOutputData {
  const seconds = (s.durationMs / 1000).toFixed(s.durationMs < 10_000 ? 2 : 1);
  const what = s.status === 'cached' ? 'cached (inputs and parameters unchanged: reused its last outputs)' : `${s.status} in ${seconds} s`;
  const err = s.error && s.status !== 'succeeded' ? `\n\n${s.error}` : '';
  return { key: `status:${s.name}`, items: [{ mime: NotebookMime.markdown, text: `**${s.name}** (${s.component}): ${what}${err}` }] };
}
