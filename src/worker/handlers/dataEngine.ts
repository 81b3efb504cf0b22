/**
 * What the data panels read through the engine's DuckDB helpers: a source as a SQL relation
 * (checked once per file version), row counts, and one feature's finer detail histograms. The
 * statistics themselves come from the engine's computeStatistics, drift from core/drift.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { duckdbModule } from '../../engine/duckdbModule';
import { promises as fs } from 'node:fs';
import { DEFAULT_NULL_STRINGS, quoteIdent, readSource, type SourceColumn } from '../../engine/duckdb';
import type { DataSource, FeatureDetail, FeatureDetailParams, FeatureNameStatistics, FilterValue, RowFilter } from '../../protocol/data';
import { featureName, filterProblem, num } from '../../protocol/data';
import { errorMessage } from '../../protocol/errors';

export { withConnection } from '../../engine/duckdb';


export type FileSource = Extract<DataSource, { kind: 'file' }>;
export interface Relation {
  /** Parenthesised relation to use after FROM. */
  readonly sql: string;
  readonly columns: readonly SourceColumn[];
  /** Binds the filter's values on another connection that will read `sql` (the sandbox's). */
  readonly bind: (conn: DuckDBConnection) => Promise<void>;
  /** The Parquet files read (their footers hint histogram edges); empty for other formats. */
  readonly parquetFiles: readonly string[];
}

/**
 * readSource checks a whole CSV once (ragged rows, types); its answer is kept per file version so
 * that paging through the grid or re-running a query does not read the file again to check it.
 */
const checked = new Map<string, { stamp: string; relation: string; columns: readonly SourceColumn[]; parquetFiles: readonly string[] }>();

/** The source as a relation on `conn`, its filter's values bound there (connection variables). */
export async function relationOf(conn: DuckDBConnection, source: FileSource): Promise<Relation> {
  const problem = filterProblem(source.where);
  if (problem) throw new Error(`${source.path}: ${problem}`);
  const st = await fs.stat(source.path).catch(() => undefined);
  const stamp = st ? `${st.size}:${st.mtimeMs}` : '';
  const key = `${source.format ?? 'auto'}:${source.path}`;
  let hit = checked.get(key);
  if (!hit || hit.stamp !== stamp) {
    const read = await readSource(conn, source.path, source.format ?? 'auto', { nullStrings: DEFAULT_NULL_STRINGS } /* what a pipeline's ExampleGen reads as missing, the panels do too */);
    hit = { stamp, relation: read.relation, columns: read.columns, parquetFiles: read.format === 'parquet' ? read.files : [] };
    checked.set(key, hit);
  }
  const filter = filterSql(source.path, hit.columns, source.where ?? []);
  const bind = async (c: DuckDBConnection): Promise<void> => {
    for (const v of filter.variables) {
      try {
        await c.run(`SET VARIABLE ${v.name} = CAST($1 AS ${v.type})`, [v.value]);
      } catch (e) {
        // DuckDB's message quotes our internal statement: name the user's column and value instead.
        const why = errorMessage(e).split('\n')[0]?.replace(/^[A-Za-z ]+ Error: /, '') ?? '';
        throw new Error(`${source.path}: where[${v.index}]: the value ${JSON.stringify(v.shown)} does not fit column ${JSON.stringify(v.column)} (${v.type.replace(/\[\]$/, '')}): ${why}`);
      }
    }
  };
  await bind(conn);
  const where = filter.predicates.length ? ` WHERE ${filter.predicates.join(' AND ')}` : '';
  return { sql: `(SELECT * FROM ${hit.relation}${where})`, columns: hit.columns, bind, parquetFiles: hit.parquetFiles };
}

const COMPARISONS: Readonly<Record<string, string>> = { '=': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };
/** A DuckDB type name as DESCRIBE gives it (no nested types: a filter compares scalars). */
const SCALAR_TYPE = /^[A-Z][A-Z0-9_]*(\(\d+(, ?\d+)?\))?( WITH TIME ZONE)?$/;

/** One filter value bound in a connection variable, with what an error about it names. */
export interface FilterVariable {
  readonly name: string;
  readonly type: string;
  readonly value: DuckDBValue;
  /** The filter's index in `where`, its column, and its value as the user gave it. */
  readonly index: number;
  readonly column: string;
  readonly shown: FilterValue | readonly FilterValue[];
}

/**
 * A filter as SQL that holds no user text: quoted column names, operators from a fixed table, and
 * each value in a connection variable (`getvariable('pipewise_where_0')`), bound as a parameter and
 * cast to the column's type, so a value is only ever a value.
 */
export function filterSql(file: string, columns: readonly SourceColumn[], where: readonly RowFilter[]): { predicates: string[]; variables: FilterVariable[] } {
  const predicates: string[] = [];
  const variables: FilterVariable[] = [];
  for (const [i, f] of where.entries()) {
    const column = columns.find((c) => c.name === f.column);
    if (!column) throw new Error(`${file}: where[${i}]: no column ${JSON.stringify(f.column)} (columns: ${columns.map((c) => c.name).join(', ')})`);
    const col = quoteIdent(column.name);
    if (f.op === 'is null' || f.op === 'is not null') {
      predicates.push(`${col} ${f.op === 'is null' ? 'IS NULL' : 'IS NOT NULL'}`);
      continue;
    }
    if (!SCALAR_TYPE.test(column.type)) throw new Error(`${file}: where[${i}]: column ${JSON.stringify(f.column)} is ${column.type}, which a filter cannot compare`);
    const name = `pipewise_where_${i}`;
    const get = `getvariable('${name}')`;
    if (f.op === 'in' || f.op === 'not in') {
      const values = (f.value as readonly FilterValue[]).map((v) => (typeof v === 'boolean' ? v : String(v)));
      variables.push({ name, type: `${column.type}[]`, value: duckdbModule().listValue(values), index: i, column: column.name, shown: values });
      predicates.push(`${f.op === 'in' ? '' : 'NOT '}list_contains(${get}, ${col})`);
    } else {
      const v = f.value as FilterValue;
      variables.push({ name, type: column.type, value: typeof v === 'boolean' ? v : String(v), index: i, column: column.name, shown: v });
      predicates.push(`${col} ${COMPARISONS[f.op]} ${get}`);
    }
  }
  return { predicates, variables };
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
