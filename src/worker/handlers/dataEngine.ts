/**
 * What the data panels read through the engine's DuckDB helpers: a source as a SQL relation
 * (checked once per file version), row counts, and one feature's finer detail histograms. The
 * statistics themselves come from the engine's computeStatistics, drift from core/drift.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { promises as fs } from 'node:fs';
import { DEFAULT_NULL_STRINGS, quoteIdent, readSource, type SourceColumn } from '../../engine/duckdb';
import type { DataSource, FeatureDetail, FeatureDetailParams, FeatureNameStatistics } from '../../protocol/data';
import { featureName, num } from '../../protocol/data';

export { withConnection } from '../../engine/duckdb';


export type FileSource = Extract<DataSource, { kind: 'file' }>;
export interface Relation {
  /** Parenthesised relation to use after FROM. */
  readonly sql: string;
  readonly columns: readonly SourceColumn[];
}

/**
 * readSource checks a whole CSV once (ragged rows, types); its answer is kept per file version so
 * that paging through the grid or re-running a query does not read the file again to check it.
 */
const checked = new Map<string, { stamp: string; relation: string; columns: readonly SourceColumn[] }>();

export async function relationOf(conn: DuckDBConnection, source: FileSource): Promise<Relation> {
  const st = await fs.stat(source.path).catch(() => undefined);
  const stamp = st ? `${st.size}:${st.mtimeMs}` : '';
  const key = `${source.format ?? 'auto'}:${source.path}`;
  let hit = checked.get(key);
  if (!hit || hit.stamp !== stamp) {
    const read = await readSource(conn, source.path, source.format ?? 'auto', { nullStrings: DEFAULT_NULL_STRINGS } /* what a pipeline's ExampleGen reads as missing, the panels do too */);
    hit = { stamp, relation: read.relation, columns: read.columns };
    checked.set(key, hit);
  }
  if (!source.where) return { sql: `(SELECT * FROM ${hit.relation})`, columns: hit.columns };
  return { sql: `(SELECT * FROM ${hit.relation} WHERE ${source.where})`, columns: hit.columns };
}

export async function countRows(conn: DuckDBConnection, rel: Relation): Promise<number> {
  const r = await conn.runAndReadAll(`SELECT count(*) FROM ${rel.sql}`);
  return Number(r.getRowsJson()[0]?.[0] ?? 0);
}

/** Detail charts from a statistics.json alone (no rows): its own histograms and top values. */
export function detailFromStatistics(f: FeatureNameStatistics): FeatureDetail {
  const common = f.numStats?.commonStats ?? f.stringStats?.commonStats;
  const hist = (type: 'STANDARD' | 'QUANTILES') =>
    (f.numStats?.histograms?.find((h) => (h.type ?? 'STANDARD') === type)?.buckets ?? []).map((b) => ({ low: b.lowValue ?? 0, high: b.highValue ?? 0, count: b.sampleCount ?? 0 }));
  return {
    name: featureName(f),
    kind: f.numStats ? 'numeric' : 'string',
    numNonMissing: num(common?.numNonMissing) ?? 0,
    numMissing: num(common?.numMissing) ?? 0,
    histogram: hist('STANDARD'),
    quantiles: hist('QUANTILES'),
    topValues: (f.stringStats?.topValues ?? []).map((t) => ({ value: t.value, count: t.frequency ?? 0 })),
  };
}

const NUMERIC_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL.*)$/;

/** Finer histograms than the overview keeps, computed for one column on demand. */
export async function detailFromData(conn: DuckDBConnection, source: FileSource, p: FeatureDetailParams): Promise<FeatureDetail> {
  const relation = await relationOf(conn, source);
  const rel = relation.sql;
  const type = relation.columns.find((c) => c.name === p.feature)?.type;
  if (type === undefined) throw new Error(`${source.path}: no column ${JSON.stringify(p.feature)}`);
  const col = quoteIdent(p.feature);
  const numeric = NUMERIC_TYPE.test(String(type));
  const counts = (await conn.runAndReadAll(`SELECT count(${col}), count(*) - count(${col}) FROM ${rel}`)).getRowsJson()[0] ?? [];
  const numNonMissing = Number(counts[0] ?? 0);
  const numMissing = Number(counts[1] ?? 0);
  const topK = Math.max(1, Math.min(200, p.topK ?? 30));
  const top = await conn.runAndReadAll(
    `SELECT CAST(${col} AS VARCHAR) AS v, count(*) AS n FROM ${rel} WHERE ${col} IS NOT NULL GROUP BY 1 ORDER BY n DESC, v LIMIT ${topK}`,
  );
  const topValues = top.getRowsJson().map((r) => ({ value: String(r[0]), count: Number(r[1]) }));
  if (!numeric) return { name: p.feature, kind: 'string', numNonMissing, numMissing, histogram: [], quantiles: [], topValues };
  const buckets = Math.max(1, Math.min(200, p.buckets ?? 30));
  const nq = Math.max(1, Math.min(100, p.quantiles ?? 20));
  const x = `CAST(${col} AS DOUBLE)`;
  const finite = `${col} IS NOT NULL AND isfinite(${x})`;
  const mm = (await conn.runAndReadAll(`SELECT min(${x}), max(${x}) FROM ${rel} WHERE ${finite}`)).getRowsJson()[0] ?? [];
  const lo = Number(mm[0]);
  const hi = Number(mm[1]);
  let histogram: FeatureDetail['histogram'] = [];
  if (Number.isFinite(lo) && Number.isFinite(hi)) {
    const width = hi > lo ? (hi - lo) / buckets : 1;
    const h = await conn.runAndReadAll(
      `SELECT least(${buckets - 1}, floor((${x} - ${lo}) / ${width}))::INTEGER AS b, count(*) FROM ${rel} WHERE ${finite} GROUP BY 1 ORDER BY 1`,
    );
    const byBucket = new Map(h.getRowsJson().map((r) => [Number(r[0]), Number(r[1])]));
    const n = hi > lo ? buckets : 1;
    histogram = Array.from({ length: n }, (_, i) => ({ low: lo + i * width, high: i === n - 1 ? hi : lo + (i + 1) * width, count: byBucket.get(i) ?? 0 }));
  }
  let quantiles: FeatureDetail['quantiles'] = [];
  if (numNonMissing > 0 && Number.isFinite(lo)) {
    const qs = Array.from({ length: nq + 1 }, (_, i) => i / nq);
    const q = await conn.runAndReadAll(`SELECT quantile_cont(${x}, [${qs.join(', ')}]) FROM ${rel} WHERE ${finite}`);
    const edges = (q.getRowsJson()[0]?.[0] as unknown as number[] | null) ?? [];
    const per = numNonMissing / nq;
    quantiles = edges.slice(0, -1).map((e, i) => ({ low: Number(e), high: Number(edges[i + 1]), count: per }));
  }
  return { name: p.feature, kind: 'numeric', numNonMissing, numMissing, histogram, quantiles, topValues };
}
