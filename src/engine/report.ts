/**
 * `pipewise report` and the editor's *Export Report…*: one run of a pipeline against a baseline
 * run, read from the store's lineage (run and execution records) and the artifacts they name
 * (metrics.json, predictions.json, feature_importance.json, statistics, schema, anomalies and the
 * ExampleValidator's drift/skew measurements), then compared and printed by the pure
 * `src/core/runReport.ts`, `reportMarkdown.ts` and `reportHtml.ts`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PipewiseError } from '../core/errors';
import { errorMessage } from '../protocol/errors';
import { parsePipeline } from '../core/parse';
import { confinePath } from '../core/paths';
import { flattenParams } from '../core/experiments';
import { buildEvaluationView, buildImportanceView } from '../core/evaluationView';
import type { EvaluationView, FeatureImportanceFile, PredictionsFile } from '../core/evaluationTypes';
import { normalizeStatisticsList, type AnomaliesFile, type Schema } from '../core/tfdv';
import { buildRunReport, type BaselineChoice, type DriftComparison, type ReportMetricsFile, type RunArtifacts, type RunReport } from '../core/runReport';
import { renderMarkdown } from '../core/reportMarkdown';
import { renderHtml } from '../core/reportHtml';
import { Lineage, runStatusNow, type ExecutionRecord, type RunRecord } from './lineage';
import { ArtifactStore, writeFileAtomic } from './store';
import { FEATURE_IMPORTANCE_FILE } from './evaluation/importance';

/** The Evaluator's per-example predictions beside metrics.json (src/engine/components/evaluator.ts). */
const PREDICTIONS_FILE = 'predictions.json';

export type ReportFormat = 'md' | 'html';

export interface ReportOptions {
  /** The pipeline file. */
  readonly file: string;
  /** The run to report; the newest when absent. */
  readonly runId?: string;
  /** `blessed`, `previous` or a run id; absent: the blessed baseline the Evaluator used, else the previous run. */
  readonly against?: string;
  readonly sliceTolerance?: number;
}

/** The format a file name asks for: `.html`/`.htm` → html, anything else Markdown. */
export function formatOfFile(file: string): ReportFormat {
  return /\.html?$/i.test(file) ? 'html' : 'md';
}

async function readJson<T>(file: string, optional: boolean): Promise<T | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if (optional && (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PipewiseError(`cannot read ${file}: ${errorMessage(e)} (an artifact removed by \`pipewise gc\`? run the pipeline again)`, { file });
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new PipewiseError(`not JSON: ${errorMessage(e)}`, { file });
  }
}

/** The artifact folder a run's first stage of `component` wrote under `output`. */
function artifactOf(run: RunRecord, component: string, output: string): { stage: string; uri: string; executionId?: string } | undefined {
  for (const s of run.stages) {
    const uri = s.component === component ? s.artifacts[output] : undefined;
    if (uri) return { stage: s.name, uri, ...(s.executionId ? { executionId: s.executionId } : {}) };
  }
  return undefined;
}

/** `withView`: also the evaluation's curves and importance (only the reported run's are drawn). */
async function readRunArtifacts(run: RunRecord, executions: readonly ExecutionRecord[], withView: boolean): Promise<RunArtifacts & { readonly view?: EvaluationView }> {
  const params: Record<string, string> = {};
  for (const e of executions) if (e.runId === run.id) flattenParams(e.stage, e.params, params);
  const out: { -readonly [K in keyof RunArtifacts]: RunArtifacts[K] } & { view?: EvaluationView } = {
    run: { id: run.id, startedAt: run.startedAt, status: runStatusNow(run) },
    params,
  };
  const evaluation = artifactOf(run, 'Evaluator', 'evaluation');
  if (evaluation) {
    const metricsFile = path.join(evaluation.uri, 'metrics.json');
    const metrics = await readJson<ReportMetricsFile>(metricsFile, false);
    if (!metrics || !Array.isArray(metrics.slices)) throw new PipewiseError('not an Evaluator metrics.json (no slices)', { file: metricsFile });
    out.metricsFile = metricsFile;
    out.metrics = metrics;
    if (withView) {
      const predictions = await readJson<PredictionsFile>(path.join(evaluation.uri, PREDICTIONS_FILE), true);
      const importanceFile = path.join(evaluation.uri, FEATURE_IMPORTANCE_FILE);
      const importance = await readJson<FeatureImportanceFile>(importanceFile, true);
      out.view = buildEvaluationView(metricsFile, metrics, predictions, importance ? buildImportanceView(importanceFile, importance) : undefined);
    }
  }
  const statistics = artifactOf(run, 'StatisticsGen', 'statistics');
  if (statistics) {
    const raw = await readJson<unknown>(path.join(statistics.uri, 'statistics.json'), false);
    out.statistics = normalizeStatisticsList(raw);
  }
  const schema = artifactOf(run, 'SchemaGen', 'schema');
  if (schema) out.schema = await readJson<Schema>(path.join(schema.uri, 'schema.json'), false);
  const anomalies = artifactOf(run, 'ExampleValidator', 'anomalies');
  if (anomalies) {
    out.anomalies = await readJson<AnomaliesFile>(path.join(anomalies.uri, 'anomalies.json'), false);
    // The measurements themselves are a property of the artifact, in its execution's record.
    const record = executions.find((e) => e.id === anomalies.executionId)?.outputs.find((a) => a.output === 'anomalies');
    const comparisons = record?.properties.comparisons;
    if (Array.isArray(comparisons)) out.comparisons = comparisons as DriftComparison[];
  }
  return out;
}

/** The run that trained a model folder: the complete execution that made it. */
function runThatMade(modelUri: string, executions: readonly ExecutionRecord[], runs: readonly RunRecord[]): RunRecord | undefined {
  const maker = executions.find((e) => e.state === 'complete' && e.outputs.some((a) => a.uri === path.resolve(modelUri)));
  return maker ? runs.find((r) => r.id === maker.runId) : undefined;
}

/** Whether a run's Evaluator blessed its model (from the blessing artifact's recorded property). */
function blessedRun(run: RunRecord, executions: readonly ExecutionRecord[]): boolean {
  const ev = artifactOf(run, 'Evaluator', 'blessing');
  const record = executions.find((e) => e.id === ev?.executionId)?.outputs.find((a) => a.output === 'blessing');
  return record?.properties.blessed === true;
}

function chooseBaseline(
  candidate: RunRecord,
  metrics: ReportMetricsFile | undefined,
  against: string | undefined,
  runs: readonly RunRecord[],
  executions: readonly ExecutionRecord[],
): { run?: RunRecord; how?: BaselineChoice; note?: string } {
  const earlier = runs.filter((r) => r.id < candidate.id);
  const previous = earlier.find((r) => r.status === 'succeeded') ?? earlier[0];
  if (against !== undefined && against !== 'blessed' && against !== 'previous') {
    const run = runs.find((r) => r.id === against);
    if (!run) throw new PipewiseError(`--against: no run ${JSON.stringify(against)} in this pipeline's store (recent runs: ${runs.slice(0, 5).map((r) => r.id).join(', ') || 'none'}; or give blessed or previous)`, { code: 'usage' });
    if (run.id === candidate.id) throw new PipewiseError(`--against: ${against} is the run being reported; give another run`, { code: 'usage' });
    return { run, how: 'run' };
  }
  if (against === 'previous') return previous ? { run: previous, how: 'previous' } : { note: 'There is no run before this one to compare with.' };
  // The baseline the Evaluator itself compared with (its change thresholds), else the last blessed run before this one.
  const used = metrics?.baseline?.model ? runThatMade(metrics.baseline.model, executions, runs) : undefined;
  if (used && used.id !== candidate.id) return { run: used, how: 'blessed' };
  const lastBlessed = earlier.find((r) => blessedRun(r, executions));
  if (against === 'blessed') {
    if (lastBlessed) return { run: lastBlessed, how: 'blessed' };
    throw new PipewiseError('--against blessed: no run before this one has a blessed model (use --against previous or a run id)', { code: 'usage' });
  }
  if (previous) {
    const note = metrics?.baseline
      ? `The Evaluator's baseline model (${metrics.baseline.model}) was made by no run of this store, so this compares with the previous run.`
      : 'The Evaluator compared with no baseline model (no change thresholds, or none blessed before), so this compares with the previous run.';
    return { run: previous, how: 'previous', note };
  }
  return { note: 'This is the first run: there is no earlier run to compare with.' };
}

/** Reads the runs and artifacts a report needs and compares them. Errors name the file or the flag at fault. */
export async function gatherRunReport(o: ReportOptions): Promise<RunReport> {
  const file = path.resolve(o.file);
  const text = await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new PipewiseError(e.code === 'ENOENT' ? 'no such pipeline file' : errorMessage(e), { file, code: 'usage' });
  });
  const parsed = parsePipeline(text, file);
  if (!parsed.spec) throw new PipewiseError('the pipeline file does not parse (run `pipewise validate` on it)', { file, code: 'usage' });
  const store = new ArtifactStore(confinePath(path.dirname(file), parsed.spec.store, 'store'));
  const lineage = new Lineage(store.metadataDir);
  const runs = await lineage.listRuns();
  if (!runs.length) throw new PipewiseError(`no runs yet in ${store.root}: run the pipeline first (pipewise run ${path.basename(file)})`, { file, code: 'usage' });
  const candidate = o.runId ? runs.find((r) => r.id === o.runId) : runs[0];
  if (!candidate) throw new PipewiseError(`--run: no run ${JSON.stringify(o.runId)} in this pipeline's store (recent runs: ${runs.slice(0, 5).map((r) => r.id).join(', ')})`, { file, code: 'usage' });
  const executions = await lineage.executions();
  const c = await readRunArtifacts(candidate, executions, true);
  const chosen = chooseBaseline(candidate, c.metrics, o.against, runs, executions);
  const b = chosen.run && chosen.how ? { ...(await readRunArtifacts(chosen.run, executions, false)), how: chosen.how } : undefined;
  return buildRunReport({
    pipeline: parsed.spec.name,
    file,
    generatedAt: new Date().toISOString(),
    candidate: c,
    ...(b ? { baseline: b } : {}),
    ...(chosen.note ? { baselineNote: chosen.note } : {}),
    ...(c.view ? { view: c.view } : {}),
    ...(o.sliceTolerance !== undefined ? { sliceTolerance: o.sliceTolerance } : {}),
  });
}

export function renderReport(report: RunReport, format: ReportFormat): string {
  return format === 'html' ? renderHtml(report) : renderMarkdown(report);
}

/** Gathers, renders and writes the report atomically (the editor's export; the CLI may print instead). */
export async function writeRunReport(o: ReportOptions & { readonly out: string; readonly format?: ReportFormat }): Promise<{ readonly out: string; readonly format: ReportFormat; readonly blessed: boolean; readonly runId: string; readonly chars: number }> {
  const report = await gatherRunReport(o);
  const format = o.format ?? formatOfFile(o.out);
  const text = renderReport(report, format);
  const out = path.resolve(o.out);
  await writeFileAtomic(out, text);
  return { out, format, blessed: report.blessed, runId: report.run.id, chars: text.length };
}
