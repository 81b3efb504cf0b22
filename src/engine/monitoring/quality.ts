/**
 * Model quality from labels that arrive later: a labels file (CSV or Parquet: a request id and the
 * true label per row) joined in DuckDB with the request log on `__request_id` (and `__instance`,
 * the row's place in its request), scored per model version and per hour or day with the
 * Evaluator's own metric code (src/engine/evaluation/sliceMetrics.ts over src/core/metrics.ts) and
 * judged by the pipeline's Evaluator value thresholds — the line a version must stay on the right
 * side of. Labels that match no logged request and requests that got no label are counted, not
 * guessed at.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { EvaluationCheck } from '../../core/evaluationTypes';
import { errorMessage, PipewiseError } from '../../core/errors';
import type { MetricValues } from '../../core/metrics';
import { Evaluator } from '../../core/components/modelComponents';
import { num, queryRows, quoteIdent, quoteLiteral } from '../duckdb';
import { computeSliceMetrics, encodeLabels, type LabelledTask } from '../evaluation/sliceMetrics';
import { checkThresholds, type MetricThreshold } from '../evaluation/thresholds';
import type { Prediction } from '../model/servingModel';
import { loadPipeline, SpecError } from '../orchestrator';
import { LOG_COLUMNS, type RequestLogMeta } from '../serving/requestLog';

/** The labels file's columns, as the README names them. */
export const LABEL_COLUMNS = {
  /** The request id (the `X-Request-Id` the client sent, or the one the server answered with). */
  requestId: ['request_id', LOG_COLUMNS.requestId],
  /** Optional: the row's place in a request of several instances (0-based; default 0). */
  instance: ['instance', LOG_COLUMNS.instance],
  /** The true value: the pipeline's label name, else `label`. */
  label: 'label',
} as const;

export type QualityEvery = 'hour' | 'day';

/** The Evaluator stage whose thresholds are the alert line. */
export interface QualityConfig {
  readonly stage: string;
  /** The Evaluator's label param, when set (else the model's label). */
  readonly label?: string;
  /** Value thresholds only: a change threshold needs a baseline model, which served traffic has not. */
  readonly thresholds: Readonly<Record<string, MetricThreshold>>;
  readonly fairnessThresholds: readonly number[];
}

export interface QualityBucket {
  readonly from: string;
  readonly to: string;
  readonly labelled: number;
  readonly metrics: MetricValues;
  /** Whether every threshold that could be checked passed (null: nothing to check). */
  readonly passed: boolean | null;
}

export interface VersionQuality {
  readonly version: number;
  readonly labelled: number;
  readonly metrics: MetricValues;
  readonly checks: readonly EvaluationCheck[];
  /** false when a threshold fails over the version's labelled rows; null when it has none. */
  readonly passed: boolean | null;
  readonly series: readonly QualityBucket[];
}

export interface QualityReport {
  readonly labelsFile: string;
  readonly requestIdColumn: string;
  readonly labelColumn: string;
  readonly evaluator: string | null;
  readonly thresholds: Readonly<Record<string, MetricThreshold>>;
  readonly every: QualityEvery;
  readonly task: RequestLogMeta['task'];
  /** Distinct (request id, instance) keys in the labels file. */
  readonly labels: number;
  readonly matched: number;
  /** Labels whose request is not in the monitored log (another window, or not logged). */
  readonly unmatchedLabels: number;
  /** Logged requests (rows) in the window that no label reached yet. */
  readonly unlabelledRequests: number;
  /** Label rows without a request id, left out. */
  readonly labelsWithoutId: number;
  /** Labels of a request id the log holds more than once (a client reusing X-Request-Id): ambiguous, left out. */
  readonly ambiguous: number;
  readonly versions: readonly VersionQuality[];
}

/** The pipeline's Evaluator config: the one whose blessing a Pusher takes, else the only (or first) one. */
export async function evaluatorConfig(pipelineFile: string): Promise<QualityConfig | undefined> {
  const loaded = await loadPipeline(pipelineFile);
  if (!loaded.spec) throw new SpecError(loaded.diagnostics.filter((d) => d.severity === 'error'));
  const evaluators = loaded.spec.stages.filter((s) => s.component === 'Evaluator');
  const pushed = new Set(loaded.spec.stages.flatMap((s) => (s.component === 'Pusher' ? Object.values(s.inputs).map((i) => i.stage) : [])));
  const stage = evaluators.find((s) => pushed.has(s.name)) ?? evaluators[0];
  if (!stage) return undefined;
  const parsed = Evaluator.params.safeParse(stage.params);
  if (!parsed.success) throw new PipewiseError(`${pipelineFile}: the Evaluator stage '${stage.name}' has invalid params: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { file: pipelineFile, code: 'usage' });
  const thresholds: Record<string, MetricThreshold> = {};
  for (const [metric, t] of Object.entries(parsed.data.thresholds)) {
    if (t.lower_bound !== undefined || t.upper_bound !== undefined) thresholds[metric] = { ...(t.lower_bound !== undefined ? { lower_bound: t.lower_bound } : {}), ...(t.upper_bound !== undefined ? { upper_bound: t.upper_bound } : {}) };
  }
  return { stage: stage.name, ...(parsed.data.label ? { label: parsed.data.label } : {}), thresholds, fairnessThresholds: parsed.data.fairness_thresholds };
}

function labelsRelation(file: string): string {
  const ext = path.extname(file).toLowerCase();
  // Read as text: ids are opaque strings, and a class label must compare with the model's class names as written.
  if (ext === '.csv') return `read_csv(${quoteLiteral(file)}, header = true, all_varchar = true)`;
  if (ext === '.parquet') return `read_parquet(${quoteLiteral(file)})`;
  throw new PipewiseError(`${file}: the labels file must be .csv or .parquet, not ${JSON.stringify(ext || '(no extension)')}`, { file, code: 'usage' });
}

function pick(columns: readonly string[], wanted: readonly string[]): string | undefined {
  return wanted.find((w) => columns.includes(w));
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** A metric that cannot be measured on these rows (AUC with one class) is not judged, rather than failed. */
function judged(checks: readonly EvaluationCheck[]): { checks: EvaluationCheck[]; passed: boolean | null } {
  const out = checks.map((c) => (c.value === undefined ? { ...c, passed: true, skipped: 'not measurable on these rows', message: `${c.metric}: not measurable on these rows` } : c));
  const real = out.filter((c) => c.skipped === undefined);
  return { checks: out, passed: real.length ? real.every((c) => c.passed) : null };
}

export interface QualityOptions {
  readonly labelsFile: string;
  readonly meta: RequestLogMeta;
  /** The relation of the monitored log rows (`loggedRequests`), undefined when the log is empty. */
  readonly requests: string | undefined;
  readonly config: QualityConfig | undefined;
  readonly every: QualityEvery;
}

/** Joins the labels with the logged requests and scores each version, overall and per hour or day. */
export async function measureQuality(conn: DuckDBConnection, options: QualityOptions): Promise<QualityReport> {
  const file = path.resolve(options.labelsFile);
  if (!existsSync(file)) throw new PipewiseError(`no such labels file: ${file}`, { file, code: 'usage' });
  const relation = labelsRelation(file);
  let columns: string[];
  try {
    columns = (await queryRows(conn, `DESCRIBE SELECT * FROM ${relation}`)).map((r) => String(r.column_name));
  } catch (e) {
    throw new PipewiseError(`${file}: cannot read the labels file: ${errorMessage(e).split('\n')[0]}`, { file });
  }
  const labelName = options.config?.label ?? options.meta.label;
  const idColumn = pick(columns, LABEL_COLUMNS.requestId);
  const labelColumn = pick(columns, [labelName, LABEL_COLUMNS.label]);
  const instanceColumn = pick(columns, LABEL_COLUMNS.instance);
  const has = `the file has ${columns.map((c) => JSON.stringify(c)).join(', ')}`;
  if (!idColumn) throw new PipewiseError(`${file}: no request id column: expected ${LABEL_COLUMNS.requestId.map((c) => `'${c}'`).join(' or ')}; ${has}`, { file, code: 'usage' });
  if (!labelColumn) throw new PipewiseError(`${file}: no label column: expected '${labelName}' (the pipeline's label) or '${LABEL_COLUMNS.label}'; ${has}`, { file, code: 'usage' });

  const regression = options.meta.task === 'regression';
  const instanceExpr = instanceColumn ? `TRY_CAST(${quoteIdent(instanceColumn)} AS BIGINT)` : '0';
  const rawLabels = `(SELECT CAST(${quoteIdent(idColumn)} AS VARCHAR) AS rid, ${instanceExpr} AS inst, CAST(${quoteIdent(labelColumn)} AS VARCHAR) AS label FROM ${relation})`;
  const noId = num((await queryRows(conn, `SELECT count(*) AS n FROM ${rawLabels} WHERE rid IS NULL OR rid = ''`))[0]?.n);
  if (instanceColumn) {
    const bad = (await queryRows(conn, `SELECT CAST(${quoteIdent(instanceColumn)} AS VARCHAR) AS v FROM ${relation} WHERE ${quoteIdent(instanceColumn)} IS NOT NULL AND TRY_CAST(${quoteIdent(instanceColumn)} AS BIGINT) IS NULL LIMIT 1`))[0];
    if (bad) throw new PipewiseError(`${file}: column '${instanceColumn}' holds ${JSON.stringify(bad.v)}, not a row index (0, 1, …)`, { file, code: 'usage' });
  }
  // The same label twice is one label; two different labels for one request cannot both be true.
  const conflict = (await queryRows(conn, `SELECT rid, inst, string_agg(DISTINCT label, ', ') AS labels FROM ${rawLabels} WHERE rid IS NOT NULL AND rid <> '' GROUP BY rid, inst HAVING count(DISTINCT label) > 1 LIMIT 1`))[0];
  if (conflict) throw new PipewiseError(`${file}: request id ${JSON.stringify(conflict.rid)}${instanceColumn ? ` (instance ${String(conflict.inst)})` : ''} has different labels: ${String(conflict.labels)}`, { file, code: 'usage' });
  const labels = `(SELECT DISTINCT rid, coalesce(inst, 0) AS inst, label FROM ${rawLabels} WHERE rid IS NOT NULL AND rid <> '')`;
  const labelCount = num((await queryRows(conn, `SELECT count(*) AS n FROM ${labels}`))[0]?.n);

  const base = {
    labelsFile: file,
    requestIdColumn: idColumn,
    labelColumn,
    evaluator: options.config?.stage ?? null,
    thresholds: options.config?.thresholds ?? {},
    every: options.every,
    task: options.meta.task,
    labels: labelCount,
    labelsWithoutId: noId,
  };
  if (!options.requests) return { ...base, matched: 0, unmatchedLabels: labelCount, unlabelledRequests: 0, ambiguous: 0, versions: [] };

  const c = (k: keyof typeof LOG_COLUMNS): string => quoteIdent(LOG_COLUMNS[k]);
  const log = `(SELECT epoch_ms(${c('time')}) AS t, ${c('version')} AS version, ${c('requestId')} AS rid, coalesce(${c('instance')}, 0) AS inst, ${c('prediction')} AS prediction, ${c('scores')} AS scores,
      count(*) OVER (PARTITION BY ${c('requestId')}, coalesce(${c('instance')}, 0)) AS copies FROM ${options.requests})`;
  const counts = (
    await queryRows(
      conn,
      `SELECT
         (SELECT count(*) FROM ${log} l WHERE NOT EXISTS (SELECT 1 FROM ${labels} b WHERE b.rid = l.rid AND b.inst = l.inst)) AS unlabelled,
         (SELECT count(*) FROM ${labels} b WHERE NOT EXISTS (SELECT 1 FROM ${log} l WHERE l.rid = b.rid AND l.inst = b.inst)) AS unmatched,
         (SELECT count(DISTINCT (b.rid, b.inst)) FROM ${labels} b JOIN ${log} l ON l.rid = b.rid AND l.inst = b.inst WHERE l.copies > 1) AS ambiguous`,
    )
  )[0];
  const joined = await queryRows(
    conn,
    `SELECT l.t, l.version, l.prediction, l.scores, b.label FROM ${log} l JOIN ${labels} b ON l.rid = b.rid AND l.inst = b.inst WHERE l.copies = 1 AND l.version IS NOT NULL ORDER BY l.version, l.t`,
  );

  const signature: LabelledTask = { task: options.meta.task, ...(options.meta.classes ? { classes: options.meta.classes } : {}) };
  const thresholds = options.config?.thresholds ?? {};
  const fairness = options.config?.fairnessThresholds ?? [0.5];
  const score = (rows: typeof joined): MetricValues => {
    const encoded = encodeLabels(signature, rows.map((r) => (regression ? Number(r.label) : r.label === null ? null : String(r.label))));
    const predictions = rows.map((r): Prediction => predictionOf(r.prediction, r.scores, options.meta.task));
    const [overall] = computeSliceMetrics(signature, encoded, predictions, [{ key: {}, rows: rows.map((_, i) => i) }], fairness);
    return overall?.metrics ?? {};
  };
  const width = options.every === 'hour' ? HOUR_MS : DAY_MS;
  const byVersion = new Map<number, typeof joined>();
  for (const r of joined) {
    const v = num(r.version);
    const rows = byVersion.get(v);
    if (rows) rows.push(r);
    else byVersion.set(v, [r]);
  }
  const versions: VersionQuality[] = [];
  for (const [version, rows] of byVersion) {
    const metrics = score(rows);
    const verdict = judged(checkThresholds(thresholds, metrics, undefined));
    const buckets = new Map<number, typeof joined>();
    for (const r of rows) {
      const start = Math.floor(num(r.t) / width) * width;
      const bucket = buckets.get(start);
      if (bucket) bucket.push(r);
      else buckets.set(start, [r]);
    }
    const series = [...buckets].map(([start, rs]): QualityBucket => {
      const m = score(rs);
      return { from: new Date(start).toISOString(), to: new Date(start + width).toISOString(), labelled: rs.length, metrics: m, passed: judged(checkThresholds(thresholds, m, undefined)).passed };
    });
    versions.push({ version, labelled: rows.length, metrics, checks: verdict.checks, passed: verdict.passed, series });
  }
  return {
    ...base,
    matched: joined.length,
    unmatchedLabels: num(counts?.unmatched),
    unlabelledRequests: num(counts?.unlabelled),
    ambiguous: num(counts?.ambiguous),
    versions,
  };
}

/** A logged row's prediction as the model gave it: the positive class's score, every class's, or the value. */
function predictionOf(prediction: unknown, scores: unknown, task: RequestLogMeta['task']): Prediction {
  const list = Array.isArray(scores) ? scores.map(Number) : undefined;
  if (task === 'regression') return { prediction: Number(prediction) };
  if (task === 'binary') return { prediction: String(prediction), ...(list?.[1] !== undefined ? { score: list[1] } : {}) };
  return { prediction: String(prediction), ...(list ? { scores: list } : {}) };
}
