/**
 * The worker's data-panel requests (src/protocol/data.ts): statistics (a sample first, then exact),
 * a feature's detail, two datasets compared, anomalies against a schema, a page of rows and a SQL
 * query — all on DuckDB through the engine's own modules, every identifier and path quoted.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ResponseError, type CancellationToken, type MessageConnection } from 'vscode-jsonrpc/node';
import { normalizeStatisticsList, type DatasetFeatureStatisticsList } from '../../core/tfdv';
import { lInfinityDistance, jensenShannonDivergence, valueCounts } from '../../core/drift';
import { CancelledError } from '../../core/errors';
import { computeStatisticsWith } from '../../engine/stats/computeStatistics';
import { withSandboxConnection } from '../../engine/duckdb';
import {
  CompareDatasets,
  ComputeStatistics,
  GetFeatureDetail,
  PreviewRows,
  RunQuery,
  StatisticsProgress,
  ValidateStatistics,
  describeFilter,
  featureName,
  type CompareParams,
  type CompareResult,
  type DataSource,
  type DatasetFeatureStatistics,
  type FeatureDetail,
  type FeatureDetailParams,
  type FeatureDrift,
  type PreviewParams,
  type PreviewResult,
  type QueryParams,
  type QueryResult,
  type StatisticsParams,
  type StatisticsProgressParams,
  statisticsToWire,
  type StatisticsResult,
} from '../../protocol/data';
import { cellsOf, columnsOf, errorPosition, prepareReadOnly } from './dataSql';
import { countRows, detailFromData, detailFromStatistics, relationOf, withConnection, type FileSource } from './dataEngine';
import { validateStatistics } from './dataValidate';
import { errorMessage } from '../../protocol/errors';

/** An AbortSignal that follows a JSON-RPC cancellation token. */
function signalOf(token: CancellationToken): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  if (token.isCancellationRequested) ac.abort();
  const sub = token.onCancellationRequested(() => ac.abort());
  return { signal: ac.signal, dispose: () => sub.dispose() };
}

/** Runs `work` on a connection that a cancellation interrupts; a cancelled request answers as such. */
async function cancellable<T>(token: CancellationToken, work: (conn: DuckDBConnection, signal: AbortSignal) => Promise<T>): Promise<T> {
  const { signal, dispose } = signalOf(token);
  try {
    return await withConnection((conn) => work(conn, signal), signal);
  } catch (e) {
    if (e instanceof CancelledError || signal.aborted) throw new ResponseError(-32800, 'cancelled');
    throw e;
  } finally {
    dispose();
  }
}

async function readStatisticsFile(file: string): Promise<DatasetFeatureStatisticsList> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read statistics (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON (${errorMessage(e)})`);
  }
  if (!raw || typeof raw !== 'object' || !Array.isArray((raw as { datasets?: unknown }).datasets)) {
    throw new Error(`${file}: no "datasets" list (expected TFDV's DatasetFeatureStatisticsList)`);
  }
  return normalizeStatisticsList(raw);
}

function pickDataset(list: DatasetFeatureStatisticsList, name: string | undefined, file: string): DatasetFeatureStatistics {
  const d = name === undefined ? list.datasets[0] : list.datasets.find((x) => x.name === name);
  if (!d) throw new Error(`${file}: no dataset ${name === undefined ? '' : JSON.stringify(name)} (it has ${list.datasets.map((x) => JSON.stringify(x.name)).join(', ') || 'none'})`);
  return d;
}

function datasetName(source: FileSource): string {
  const base = path.basename(source.path);
  return source.where?.length ? `${base} where ${describeFilter(source.where)}` : base;
}

type Progress = (p: Omit<StatisticsProgressParams, 'progressId'>) => void;

/**
 * Statistics of a source. For a file with more than twice `sampleRows` rows, a reservoir sample is
 * described first and sent as progress, so the panel shows figures at once; the exact ones follow.
 */
async function statisticsOf(params: StatisticsParams, token: CancellationToken, progress: Progress = () => {}): Promise<StatisticsResult> {
  const t0 = Date.now();
  const source = params.source;
  if (source.kind === 'statistics') {
    const list = await readStatisticsFile(source.path);
    const d = pickDataset(list, source.dataset, source.path);
    return { statistics: d, datasets: list.datasets.map((x) => x.name), exact: true, rows: d.numExamples, elapsedMs: Date.now() - t0 };
  }
  return cancellable(token, async (conn, signal) => {
    progress({ phase: 'reading', message: `Reading ${path.basename(source.path)}…`, elapsedMs: Date.now() - t0 });
    const rel = await relationOf(conn, source);
    const total = await countRows(conn, rel);
    const sampleRows = params.sampleRows ?? 100_000;
    const name = datasetName(source);
    if (sampleRows > 0 && total > sampleRows * 2) {
      // System sampling (whole vectors at random) skips most of the file, where a reservoir sample
      // would read every row: the first figures come in a fraction of the exact pass's time.
      const percent = Math.min(100, (100 * sampleRows) / total);
      const sample = await computeStatisticsWith(conn, { relation: `SELECT * FROM ${rel.sql} USING SAMPLE ${percent.toFixed(4)}% (system, 42)` }, { name, signal });
      progress({
        phase: 'sample',
        message: `Figures from a sample of ${sampleRows.toLocaleString('en')} of ${total.toLocaleString('en')} rows; computing exact figures…`,
        statistics: sample,
        sampledRows: sampleRows,
        totalRows: total,
        elapsedMs: Date.now() - t0,
      });
    }
    // The count is at hand: above 20M numeric values quantiles come from the sketch, for any format.
    const plan: { quantiles: 'sketch' | 'exact' } = { quantiles: 'exact' };
    const exact = await computeStatisticsWith(
      conn,
      { relation: `SELECT * FROM ${rel.sql}` },
      { name, signal, rows: total, parquetFiles: rel.parquetFiles, onQuantiles: (how) => (plan.quantiles = how), ...(params.exactQuantileValues !== undefined ? { exactQuantileValues: params.exactQuantileValues } : {}) },
    );
    return { statistics: exact, datasets: [name], exact: true, ...(plan.quantiles === 'sketch' ? { approximateQuantiles: true } : {}), rows: total, elapsedMs: Date.now() - t0 };
  });
}

async function featureDetail(p: FeatureDetailParams, token: CancellationToken): Promise<FeatureDetail> {
  const source = p.source;
  if (source.kind === 'statistics') {
    const d = pickDataset(await readStatisticsFile(source.path), source.dataset, source.path);
    const f = d.features.find((x) => featureName(x) === p.feature);
    if (!f) throw new Error(`${source.path}: no feature ${JSON.stringify(p.feature)}`);
    return detailFromStatistics(f);
  }
  return cancellable(token, (conn) => detailFromData(conn, source, p));
}

/** Drift per feature as TFDV measures it: L∞ for categorical features, JS divergence for numeric ones. */
export function compareStatistics(left: DatasetFeatureStatistics, right: DatasetFeatureStatistics, p: Pick<CompareParams, 'thresholds' | 'defaultThreshold'>): FeatureDrift[] {
  const byName = (d: DatasetFeatureStatistics) => new Map(d.features.map((f) => [featureName(f), f]));
  const l = byName(left);
  const r = byName(right);
  const names = [...new Set([...l.keys(), ...r.keys()])];
  const out: FeatureDrift[] = [];
  for (const feature of names) {
    const a = l.get(feature);
    const b = r.get(feature);
    const threshold = p.thresholds?.[feature] ?? p.defaultThreshold ?? 0.05;
    if (!a || !b) {
      out.push({ feature, measure: (a ?? b)?.numStats ? 'JS' : 'L_infty', value: 1, threshold, exceeded: true, onlyIn: a ? 'left' : 'right' });
      continue;
    }
    if (a.numStats && b.numStats) {
      const ha = a.numStats.histograms.find((h) => h.type === 'STANDARD');
      const hb = b.numStats.histograms.find((h) => h.type === 'STANDARD');
      const value = ha && hb ? (jensenShannonDivergence(ha, hb) ?? 0) : 0;
      out.push({ feature, measure: 'JS', value, threshold, exceeded: value > threshold });
    } else {
      const value = lInfinityDistance(valueCounts(a), valueCounts(b)).value;
      out.push({ feature, measure: 'L_infty', value, threshold, exceeded: value > threshold });
    }
  }
  return out;
}

async function compare(p: CompareParams, token: CancellationToken): Promise<CompareResult> {
  const left = (await statisticsOf({ source: p.left, sampleRows: 0 }, token)).statistics;
  const right = (await statisticsOf({ source: p.right, sampleRows: 0 }, token)).statistics;
  return { left, right, drift: compareStatistics(left, right, p) };
}

async function preview(p: PreviewParams, token: CancellationToken): Promise<PreviewResult> {
  const source = p.source;
  if (source.kind === 'statistics') throw new Error(`${source.path}: statistics hold no rows to preview`);
  return cancellable(token, async (conn) => {
    const rel = await relationOf(conn, source);
    const limit = Math.max(0, Math.min(10_000, Math.floor(p.limit)));
    const offset = Math.max(0, Math.floor(p.offset));
    const r = await conn.runAndReadAll(`SELECT * FROM ${rel.sql} LIMIT ${limit} OFFSET ${offset}`);
    const columns = columnsOf(r);
    return { columns, rows: cellsOf(r, columns), offset, totalRows: await countRows(conn, rel) };
  });
}

/**
 * A user's query over the view `data`, on a sandboxed DuckDB that can read only the data file's
 * folder (the SQL box must not become a way to read or write elsewhere on the machine).
 */
async function query(p: QueryParams, token: CancellationToken): Promise<QueryResult> {
  const source = p.source;
  if (source.kind === 'statistics') return { ok: false, message: `${source.path}: statistics hold no rows to query` };
  const rel = await withConnection((conn) => relationOf(conn, source));
  const { signal, dispose } = signalOf(token);
  const t0 = Date.now();
  const limit = Math.max(1, Math.min(100_000, p.limit ?? 1000));
  try {
    return await withSandboxConnection(
      [path.dirname(path.resolve(source.path))],
      async (conn) => {
        await rel.bind(conn);
        await conn.run(`CREATE OR REPLACE TEMP VIEW data AS SELECT * FROM ${rel.sql}`);
        try {
          const statement = await prepareReadOnly(conn, p.sql);
          if ('refused' in statement) return { ok: false as const, message: statement.refused };
          // Read at most limit+1 rows: a query may return millions.
          const r = await statement.runAndReadUntil(limit + 1).finally(() => statement.destroySync());
          const columns = columnsOf(r);
          const rows = cellsOf(r, columns);
          return { ok: true as const, columns, rows: rows.slice(0, limit), truncated: rows.length > limit, elapsedMs: Date.now() - t0 };
        } catch (e) {
          if (signal.aborted) throw e;
          const message = errorMessage(e);
          return { ok: false as const, message, ...(await errorPosition(conn, p.sql, message).then((position) => (position ? { position } : {}))) };
        }
      },
      signal,
    );
  } catch (e) {
    if (e instanceof CancelledError || signal.aborted) throw new ResponseError(-32800, 'cancelled');
    throw e;
  } finally {
    dispose();
  }
}

export function registerDataHandlers(connection: MessageConnection): void {
  // Statistics leave the worker in their wire form: JSON would turn ±Infinity and NaN into null.
  connection.onRequest(ComputeStatistics, async (p, token) => {
    const r = await statisticsOf(p, token, (progress) => {
      if (!p.progressId) return;
      void connection.sendNotification(StatisticsProgress, { ...progress, ...(progress.statistics ? { statistics: statisticsToWire(progress.statistics) } : {}), progressId: p.progressId });
    });
    return { ...r, statistics: statisticsToWire(r.statistics) };
  });
  connection.onRequest(GetFeatureDetail, (p, token) => featureDetail(p, token));
  connection.onRequest(PreviewRows, (p, token) => preview(p, token));
  connection.onRequest(RunQuery, (p, token) => query(p, token));
  connection.onRequest(CompareDatasets, async (p, token) => {
    const r = await compare(p, token);
    return { ...r, left: statisticsToWire(r.left), right: statisticsToWire(r.right) };
  });
  connection.onRequest(ValidateStatistics, async (p, token) => {
    const stats = (await statisticsOf({ source: p.statistics, sampleRows: 0 }, token)).statistics;
    const baseline = p.baseline ? (await statisticsOf({ source: p.baseline, sampleRows: 0 }, token)).statistics : undefined;
    return validateStatistics(stats, p.schema, baseline);
  });
}

export type { DataSource };
