/**
 * Monitoring a served model: TFDV statistics of the logged requests (src/engine/serving/requestLog)
 * in a time window, validated against the training schema in its SERVING environment (the label is
 * never in a request) and compared with the training statistics for skew — the very code of
 * StatisticsGen and ExampleValidator (L∞ for categorical features, Jensen–Shannon divergence for
 * numeric ones), with TFMD Anomalies as the result.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { CancelledError, PipewiseError, errorMessage } from '../../core/errors';
import { featureName, type Anomalies, type DatasetFeatureStatistics, type Schema } from '../../core/tfdv';
import { compareDistributions, thresholdsFor, validateAgainstSchema, type Comparison } from '../components/exampleValidator';
import { num, queryRows, quoteIdent, quoteLiteral } from '../duckdb';
import { LOG_COLUMNS, LOG_META_FILE, logFileRelation, logFiles, type RequestLogMeta } from '../serving/requestLog';
import { computeStatisticsWith } from '../stats/computeStatistics';

/** Skew threshold for a feature whose schema sets no `skew_comparator`, unless `--threshold` is given. */
export const DEFAULT_SKEW_THRESHOLD = 0.1;

export interface FeatureSkew {
  readonly name: string;
  readonly metric: 'L_INFTY' | 'JENSEN_SHANNON_DIVERGENCE' | null;
  readonly distance: number | null;
  readonly threshold: number;
  readonly anomalous: boolean;
}

export interface AnomalyItem {
  readonly feature: string;
  readonly type: string;
  readonly description: string;
}

/** Skew and schema anomalies of the requests one model version answered (in one window). */
export interface VersionWindow {
  readonly version: number;
  readonly requests: number;
  readonly features: FeatureSkew[];
  readonly anomalies: AnomalyItem[];
  readonly anomaliesProto: Anomalies;
}

export interface MonitorWindow {
  readonly window: { readonly from: string; readonly to: string };
  readonly requests: number;
  readonly features: FeatureSkew[];
  readonly anomalies: AnomalyItem[];
  /** TFMD Anomalies of this window. */
  readonly anomaliesProto: Anomalies;
  readonly statistics: DatasetFeatureStatistics;
  /**
   * The same per model version that answered (`__model_version`), oldest first: a canary's drift
   * drowns in the whole traffic, so each version is compared with training on its own.
   */
  readonly versions: readonly VersionWindow[];
}

export interface MonitorOptions {
  readonly logDir: string;
  readonly schema: Schema;
  /** Statistics of the training split. */
  readonly training: DatasetFeatureStatistics;
  readonly since?: Date;
  readonly until?: Date;
  readonly by?: 'hour' | 'day';
  /** One threshold for every feature, over the schema's comparators. */
  readonly threshold?: number;
  readonly signal?: AbortSignal;
  /** A log file was skipped (unreadable), or the server shed or lost rows: one line for the user. */
  readonly onWarning?: (message: string) => void;
}

export async function readLogMeta(logDir: string): Promise<RequestLogMeta> {
  const file = path.join(logDir, LOG_META_FILE);
  if (!existsSync(file)) throw new PipewiseError(`${logDir} is not a request log of pipewise serve (no ${LOG_META_FILE})`, { file: logDir, code: 'usage' });
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as RequestLogMeta;
  } catch (e) {
    throw new PipewiseError(`cannot read ${LOG_META_FILE}: ${errorMessage(e)}`, { file });
  }
}

/** The schema as it applies to requests: without the label (TFDV's SERVING environment). */
export function servingSchema(schema: Schema, label: string): Schema {
  return { ...schema, feature: schema.feature.filter((f) => f.name !== label && !(f.notInEnvironment ?? []).includes('SERVING')) };
}

function tsLiteral(d: Date): string {
  return `make_timestamp(${d.getTime() * 1000})`;
}

function iso(v: unknown): string {
  const d = v instanceof Date ? v : new Date(`${String(v).replace(' ', 'T')}${/Z|[+-]\d\d:?\d\d$/.test(String(v)) ? '' : 'Z'}`);
  return d.toISOString();
}

/**
 * The log's files as relations, each opened once first: a file DuckDB cannot read (cut short, not
 * Parquet, columns of another model) is left out with a warning naming it, and the rest is
 * monitored.
 */
async function readableLogFiles(conn: DuckDBConnection, logDir: string, meta: RequestLogMeta, onWarning?: (message: string) => void): Promise<string[]> {
  const { finished, segments } = await logFiles(logDir);
  const wanted = [LOG_COLUMNS.time, ...meta.inputs.map((i) => i.name)];
  const out: string[] = [];
  for (const file of [...finished, ...segments]) {
    const relation = logFileRelation(file, meta);
    try {
      await queryRows(conn, `SELECT ${wanted.map(quoteIdent).join(', ')} FROM ${relation} LIMIT 0`);
      out.push(relation);
    } catch (e) {
      onWarning?.(`skipped ${file}: ${duckdbReason(e)}`);
    }
  }
  return out;
}

/** The first line of a DuckDB error, without the SQL it quotes. */
function duckdbReason(e: unknown): string {
  return (errorMessage(e).split('\n')[0] ?? '').replace(/^[A-Za-z ]+ Error: /, '');
}

/** Every window's statistics, schema anomalies and skew; an error reading the log names the folder, not the SQL. */
export async function monitorRequests(conn: DuckDBConnection, options: MonitorOptions): Promise<MonitorWindow[]> {
  try {
    return await monitorLog(conn, options);
  } catch (e) {
    if (e instanceof PipewiseError || e instanceof CancelledError || options.signal?.aborted) throw e;
    throw new PipewiseError(`cannot read the request log in ${options.logDir}: ${duckdbReason(e)}`, { file: options.logDir });
  }
}

/**
 * Every readable row of the log between `since` and `until` as one relation (undefined when the log
 * has no file yet), after warning about shed or lost rows and unreadable files.
 */
export async function loggedRequests(
  conn: DuckDBConnection,
  meta: RequestLogMeta,
  options: Pick<MonitorOptions, 'logDir' | 'since' | 'until' | 'onWarning'>,
): Promise<string | undefined> {
  if (meta.shedRows) options.onWarning?.(`the server shed ${meta.shedRows} answered rows from this log (its backlog was full): the log is a sample of what was served`);
  if (meta.lostRows) options.onWarning?.(`the server could not write ${meta.lostRows} answered rows to this log before it stopped`);
  const relations = await readableLogFiles(conn, options.logDir, meta, options.onWarning);
  const time = quoteIdent(LOG_COLUMNS.time);
  const where = [options.since ? `${time} >= ${tsLiteral(options.since)}` : '', options.until ? `${time} < ${tsLiteral(options.until)}` : ''].filter(Boolean);
  return relations.length
    ? `(SELECT * FROM (${relations.map((r) => `SELECT * FROM ${r}`).join(' UNION ALL BY NAME ')})${where.length ? ` WHERE ${where.join(' AND ')}` : ''})`
    : undefined;
}

async function monitorLog(conn: DuckDBConnection, options: MonitorOptions): Promise<MonitorWindow[]> {
  const meta = await readLogMeta(options.logDir);
  const all = await loggedRequests(conn, meta, options);
  const time = quoteIdent(LOG_COLUMNS.time);
  const windows: { from: string; to: string; relation: string; n: number }[] = [];
  if (all && options.by) {
    // The window's unit reaches SQL only as one of two fixed literals, whoever passed it.
    if (options.by !== 'hour' && options.by !== 'day') throw new PipewiseError(`windows are by hour or by day, not ${JSON.stringify(options.by)}`, { code: 'usage' });
    const unit = quoteLiteral(options.by);
    const rows = await queryRows(conn, `SELECT date_trunc(${unit}, ${time}) AS w, count(*) AS n FROM ${all} GROUP BY w ORDER BY w`);
    for (const r of rows) {
      const from = new Date(iso(r.w));
      const to = new Date(from.getTime() + (options.by === 'hour' ? 3600e3 : 86400e3));
      windows.push({ from: from.toISOString(), to: to.toISOString(), n: num(r.n), relation: `(SELECT * FROM ${all} WHERE date_trunc(${unit}, ${time}) = ${tsLiteral(from)})` });
    }
  } else {
    const r = all ? (await queryRows(conn, `SELECT min(${time}) AS a, max(${time}) AS b, count(*) AS n FROM ${all}`))[0] : undefined;
    const n = num(r?.n ?? 0);
    const from = options.since?.toISOString() ?? (n ? iso(r?.a) : new Date(0).toISOString());
    const to = options.until?.toISOString() ?? (n ? iso(r?.b) : new Date().toISOString());
    windows.push({ from, to, n, relation: all ?? '' });
  }

  // Only what the model reads is in its requests: an imported (ONNX) model may take a few of the
  // training columns, and the rest are not missing from its traffic but never part of it.
  const read = new Set(meta.inputs.map((i) => i.name));
  const served = servingSchema(options.schema, meta.label);
  const schema = { ...served, feature: served.feature.filter((f) => read.has(f.name)) };
  const types = new Map(schema.feature.map((f) => [f.name, f.type]));
  const out: MonitorWindow[] = [];
  for (const w of windows) {
    const statistics = w.n > 0 ? await windowStatistics(conn, w.relation, meta, types, options.signal) : { name: 'serving', numExamples: 0, features: [] };
    const overall = compareWindow(w, statistics, schema, options);
    out.push({ ...overall, versions: w.n > 0 ? await versionWindows(conn, w, overall, meta, types, schema, options) : [] });
  }
  return out;
}

/** Each version's share of a window compared on its own; one version is the window itself. */
async function versionWindows(
  conn: DuckDBConnection,
  w: { from: string; to: string; relation: string },
  overall: Omit<MonitorWindow, 'versions'>,
  meta: RequestLogMeta,
  types: ReadonlyMap<string, string>,
  schema: Schema,
  options: MonitorOptions,
): Promise<VersionWindow[]> {
  const column = quoteIdent(LOG_COLUMNS.version);
  const rows = await queryRows(conn, `SELECT ${column} AS v, count(*) AS n FROM ${w.relation} WHERE ${column} IS NOT NULL GROUP BY v ORDER BY v`);
  const counts = rows.map((r) => ({ version: num(r.v), n: num(r.n) }));
  const only = counts.length === 1 ? counts[0] : undefined;
  if (only) return [{ version: only.version, requests: only.n, features: overall.features, anomalies: overall.anomalies, anomaliesProto: overall.anomaliesProto }];
  const out: VersionWindow[] = [];
  for (const { version, n } of counts) {
    // The version is a BIGINT read back from the log, so it reaches SQL as a plain integer.
    const relation = `(SELECT * FROM ${w.relation} WHERE ${column} = ${Math.trunc(version)})`;
    const statistics = await windowStatistics(conn, relation, meta, types, options.signal);
    const r = compareWindow({ ...w, n }, statistics, schema, options);
    out.push({ version, requests: n, features: r.features, anomalies: r.anomalies, anomaliesProto: r.anomaliesProto });
  }
  return out;
}

/**
 * Statistics of the requests in one window. Numbers arrive as JSON numbers (logged as DOUBLE); a
 * feature the schema types INT is read as an integer when every value is whole, so only a real
 * type change shows as one.
 */
async function windowStatistics(conn: DuckDBConnection, relation: string, meta: RequestLogMeta, types: ReadonlyMap<string, string>, signal?: AbortSignal): Promise<DatasetFeatureStatistics> {
  const cols: string[] = [];
  for (const input of meta.inputs) {
    const c = quoteIdent(input.name);
    if (input.type === 'number' && types.get(input.name) === 'INT') {
      const frac = num((await queryRows(conn, `SELECT count(*) AS n FROM ${relation} WHERE ${c} IS NOT NULL AND ${c} <> trunc(${c})`))[0]?.n);
      cols.push(frac === 0 ? `CAST(${c} AS BIGINT) AS ${c}` : c);
    } else cols.push(c);
  }
  return computeStatisticsWith(conn, { relation: `SELECT ${cols.join(', ')} FROM ${relation}` }, { name: 'serving', signal });
}

function compareWindow(w: { from: string; to: string; n: number }, statistics: DatasetFeatureStatistics, schema: Schema, options: MonitorOptions): Omit<MonitorWindow, 'versions'> {
  const anomalies = validateAgainstSchema(statistics, schema);
  const param: Record<string, number> = {};
  for (const f of schema.feature) {
    const hasComparator = f.skewComparator?.infinityNorm?.threshold !== undefined || f.skewComparator?.jensenShannonDivergence?.threshold !== undefined;
    if (options.threshold !== undefined || !hasComparator) param[f.name] = options.threshold ?? DEFAULT_SKEW_THRESHOLD;
  }
  const thresholds = thresholdsFor(schema, options.training, param, 'skew');
  const features: FeatureSkew[] = [];
  if (w.n > 0) {
    const r = compareDistributions(options.training, statistics, thresholds, 'skew');
    for (const [feature, a] of Object.entries(r.anomalyInfo)) {
      const prev = anomalies.anomalyInfo[feature];
      anomalies.anomalyInfo[feature] = prev ? { ...prev, reason: [...prev.reason, ...a.reason], description: `${prev.description} ${a.description}`, shortDescription: 'Multiple errors' } : a;
    }
    const measured = new Map<string, Comparison>(r.comparisons.map((c) => [c.feature, c]));
    for (const [name, t] of thresholds) {
      const c = measured.get(name);
      features.push(
        c
          ? { name, metric: c.measure, distance: c.value, threshold: c.threshold, anomalous: c.value > c.threshold }
          : { name, metric: null, distance: null, threshold: t.infinityNorm ?? t.jensenShannonDivergence ?? 0, anomalous: r.anomalyInfo[name] !== undefined },
      );
    }
  }
  features.sort((a, b) => a.name.localeCompare(b.name));
  const items: AnomalyItem[] = [];
  for (const [feature, a] of Object.entries(anomalies.anomalyInfo)) for (const r of a.reason) items.push({ feature, type: r.type, description: r.description });
  for (const r of anomalies.datasetAnomalyInfo?.reason ?? []) items.push({ feature: '', type: r.type, description: r.description });
  return { window: { from: w.from, to: w.to }, requests: w.n, features, anomalies: items, anomaliesProto: anomalies, statistics };
}

/** Names of the features a window (or a version's share of it) flags: schema anomalies or skew. */
export function anomalousFeatures(w: Pick<MonitorWindow, 'features' | 'anomaliesProto'>): string[] {
  return [...new Set([...w.features.filter((f) => f.anomalous).map((f) => f.name), ...Object.keys(w.anomaliesProto.anomalyInfo)])].sort();
}

/** A window as `pipewise monitor --json` prints it (and the monitoring panel receives it). */
export function monitorWindowJson(w: MonitorWindow): {
  window: MonitorWindow['window'];
  requests: number;
  features: FeatureSkew[];
  anomalies: AnomalyItem[];
  versions: { version: number; requests: number; features: FeatureSkew[]; anomalies: AnomalyItem[] }[];
} {
  return {
    window: w.window,
    requests: w.requests,
    features: w.features,
    anomalies: w.anomalies,
    versions: w.versions.map((v) => ({ version: v.version, requests: v.requests, features: v.features, anomalies: v.anomalies })),
  };
}

/** Whether a window, or any version's share of it, is anomalous (what `monitor` exits 1 for). */
export function isAnomalousWindow(w: MonitorWindow): boolean {
  const flagged = (x: Pick<MonitorWindow, 'features' | 'anomaliesProto'>): boolean => anomalousFeatures(x).length > 0 || x.anomaliesProto.datasetAnomalyInfo !== undefined;
  return flagged(w) || w.versions.some(flagged);
}

export { featureName };
