/**
 * TFDV's statistics of a dataset, computed by DuckDB in three passes whatever the number of
 * columns: (1) counts, moments, extremes and quantiles of every column, (2) the equal-width
 * histograms (their edges need pass 1's min and max), (3) value counts of every string column at
 * once (GROUPING SETS), ranked inside DuckDB so only the top values come back.
 *
 * For Parquet, the footer's per-row-group min/max (metadata only) usually are the column's exact
 * extremes: the histograms are then counted in pass 1 with edges from those, and kept only where
 * pass 1's exact finite min and max equal them — so the edges, and the counts, are the ones pass 2
 * would give. Pass 2 runs only for the columns where they differ (or the footer has no range).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { JS } from '@duckdb/node-api';
import { CancelledError } from '../../core/errors';
import type {
  CommonStatistics,
  DatasetFeatureStatistics,
  FeatureNameStatistics,
  Histogram,
  NumericStatistics,
  StatsFeatureType,
  StringStatistics,
} from '../../core/tfdv';
import { num, queryRows, quoteIdent, quoteLiteral, readSource, withConnection, type CsvOptions, type DataFormat, type SourceColumn } from '../duckdb';

/** What to describe: a data file or glob (format by extension unless given), or a relation. */
export type StatisticsSource =
  | string
  | { readonly path: string; readonly format?: DataFormat | 'auto'; readonly csv?: CsvOptions }
  | { readonly relation: string };

export interface StatisticsOptions {
  /** The dataset's name (a split's name in StatisticsGen); default the file name or `data`. */
  readonly name?: string;
  /** Describe a random sample of this many rows (reproducible) instead of every row: a quick first look. */
  readonly sampleRows?: number;
  readonly signal?: AbortSignal;
  /** TFDV's defaults: 20, 10, 10, 1000. */
  readonly numTopValues?: number;
  readonly numHistogramBuckets?: number;
  readonly numQuantilesHistogramBuckets?: number;
  readonly numRankHistogramBuckets?: number;
  /**
   * Quantiles (median, QUANTILES histogram) are exact (`quantile_cont`, which holds every value in
   * memory) while rows × numeric columns stay at or below this (default 20M values); above it they
   * come from DuckDB's T-Digest sketch (`approx_quantile`), as TFDV's come from its quantiles
   * sketch: within 1% of rank of the exact quantile (checked in test/worker/data-stats-scale),
   * with the 0 and 1 quantiles taken from the exact min and max. Known in advance for Parquet (its
   * metadata has the row count); other sources stay exact.
   */
  readonly exactQuantileValues?: number;
  /**
   * The number of rows, when the caller has counted them (the editor's worker does, for any
   * format): decides between exact quantiles and the sketch as Parquet metadata does for a path.
   */
  readonly rows?: number;
  /** The Parquet files behind a relation source: their footers' min/max hint the histogram edges, as for a path. */
  readonly parquetFiles?: readonly string[];
  /** Told how long each pass took (the bench's breakdown). */
  readonly onPass?: (pass: 'moments' | 'histograms' | 'values', ms: number) => void;
  /** Told, before the first pass, whether quantiles (median, QUANTILES histogram) come from the sketch or are exact. */
  readonly onQuantiles?: (how: 'sketch' | 'exact') => void;
}

export const EXACT_QUANTILE_VALUES = 20_000_000;

/** The TFDV feature type of a DuckDB column type: INT, FLOAT, or STRING for everything else. */
export function statsTypeOf(duckdbType: string): Exclude<StatsFeatureType, 'BYTES' | 'STRUCT'> {
  const t = duckdbType.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|BOOLEAN)$/.test(t)) return 'INT';
  if (/^(FLOAT|REAL|DOUBLE|DECIMAL(\(.*\))?)$/.test(t)) return 'FLOAT';
  return 'STRING';
}

/** Statistics of one dataset, on a connection of the shared DuckDB instance. */
export async function computeStatistics(source: StatisticsSource, options: StatisticsOptions = {}): Promise<DatasetFeatureStatistics> {
  return withConnection((conn) => computeStatisticsWith(conn, source, options), options.signal);
}

/** As `computeStatistics`, on a connection the caller holds (and closes). */
export async function computeStatisticsWith(
  conn: DuckDBConnection,
  source: StatisticsSource,
  options: StatisticsOptions = {},
): Promise<DatasetFeatureStatistics> {
  let relation: string;
  let columns: readonly SourceColumn[];
  let defaultName = 'data';
  let files: readonly string[] = [];
  if (typeof source === 'string' || 'path' in source) {
    const s = typeof source === 'string' ? { path: source } : source;
    const read = await readSource(conn, s.path, s.format ?? 'auto', s.csv ?? {});
    relation = read.relation;
    files = read.files;
    columns = read.columns;
    defaultName = read.files.length === 1 ? (read.files[0] ?? s.path).split(/[\\/]/).pop() ?? 'data' : s.path;
  } else {
    relation = `(${source.relation})`;
    const rows = await queryRows(conn, `DESCRIBE SELECT * FROM ${relation}`);
    columns = rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  }
  let sampleTable: string | undefined;
  if (options.sampleRows !== undefined) {
    const n = Math.max(1, Math.floor(options.sampleRows));
    sampleTable = `pipewise_sample_${process.pid}_${++sampleCounter}`;
    // A reservoir sample with a fixed seed: the same data gives the same quick look each time.
    await conn.run(`CREATE TEMP TABLE ${quoteIdent(sampleTable)} AS SELECT * FROM ${relation} USING SAMPLE reservoir(${n} ROWS) REPEATABLE (42)`);
    relation = quoteIdent(sampleTable);
  } else if (columnBatches(columns.map(planOf)).length > 1 && !isParquet(source)) {
    // A wide text file is parsed (and its types sniffed) by every scan: with one scan per batch of
    // columns, parse it once into a temporary table (DuckDB spills it past its memory limit).
    // Parquet is columnar already: a batch reads only its own columns.
    sampleTable = `pipewise_wide_${process.pid}_${++sampleCounter}`;
    await conn.run(`CREATE TEMP TABLE ${quoteIdent(sampleTable)} AS SELECT * FROM ${relation}`);
    relation = quoteIdent(sampleTable);
  }
  try {
    // Decide between exact quantiles and the sketch.
    // Parquet knows its row count (metadata only), and so does a wide file's temporary table.
    const counted = isParquet(source) || (sampleTable !== undefined && options.sampleRows === undefined);
    const rowsKnown = options.sampleRows !== undefined ? undefined : (options.rows ?? (counted ? num((await queryRows(conn, `SELECT count(*) AS n FROM ${relation}`))[0]?.n) : undefined));
    const parquetFiles = isParquet(source) ? files : (options.parquetFiles ?? []);
    const ranges = options.sampleRows === undefined && parquetFiles.length > 0 ? await parquetRanges(conn, parquetFiles) : undefined;
    return await describeRelation(conn, relation, columns, options.name ?? defaultName, options, rowsKnown, ranges);
  } finally {
    if (sampleTable) await conn.run(`DROP TABLE IF EXISTS ${quoteIdent(sampleTable)}`).catch(() => undefined);
  }
}

let sampleCounter = 0;

/**
 * Column → [min, max] over every row group of the Parquet files' footers (metadata only), for the
 * top-level columns whose every row group records a numeric range. A hint, checked against pass 1.
 */
async function parquetRanges(conn: DuckDBConnection, files: readonly string[]): Promise<Map<string, [number, number]>> {
  const list = `[${files.map((f) => quoteLiteral(f)).join(', ')}]`;
  const rows = await queryRows(
    conn,
    `SELECT path_in_schema AS col, count(*) AS groups, count(TRY_CAST(stats_min_value AS DOUBLE)) AS lows, count(TRY_CAST(stats_max_value AS DOUBLE)) AS highs,
            min(TRY_CAST(stats_min_value AS DOUBLE)) AS lo, max(TRY_CAST(stats_max_value AS DOUBLE)) AS hi
     FROM parquet_metadata(${list}) GROUP BY path_in_schema`,
  ).catch(() => []);
  const out = new Map<string, [number, number]>();
  for (const r of rows) {
    const groups = num(r.groups);
    if (groups > 0 && num(r.lows) === groups && num(r.highs) === groups) out.set(String(r.col), [num(r.lo), num(r.hi)]);
  }
  return out;
}

function isParquet(source: StatisticsSource): boolean {
  if (typeof source !== 'string' && 'relation' in source) return false;
  const s = typeof source === 'string' ? { path: source, format: 'auto' as const } : source;
  return s.format === 'parquet' || ((s.format ?? 'auto') === 'auto' && /\.parquet$/i.test(s.path));
}

interface ColumnPlan {
  readonly name: string;
  readonly type: 'INT' | 'FLOAT' | 'STRING';
  /** Alias of the column in the projected relation. */
  readonly alias: string;
  /** The source column it describes. */
  readonly column: SourceColumn;
}

function check(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/** `k` equal-width buckets over [min, max] (one when min = max); the last edge is max itself. */
function equalWidthEdges(min: number, max: number, k: number): number[] {
  const buckets = min === max ? 1 : k;
  return Array.from({ length: buckets + 1 }, (_, i) => (i === buckets ? max : min + ((max - min) * i) / buckets));
}

/**
 * The equal-width histogram of one column in a single aggregate: DuckDB's `histogram(x, boundaries)`
 * puts x in the first bucket whose boundary is >= x (upper-closed), and ours are TFDV's [lo, hi)
 * with the last one closed. For a double x, x < e exactly when x <= the largest double below e, so
 * the boundaries are those for every inner edge, then the last edge itself. Only finite values are
 * counted (`_f`: ±Infinity and NaN are NULL there, and TFDV gives infinities buckets of their
 * own); integers are compared as doubles (DuckDB would otherwise cast the boundaries to integers).
 * Values beyond the last edge land in DuckDB's overflow bucket, which is not ours. It replaced one
 * count_if per bucket: 14 numeric columns × 10 buckets made pass 1 twice as slow (bench/README.md).
 */
function histogramAgg(p: ColumnPlan, edges: readonly number[], name: string): string {
  const x = p.type === 'FLOAT' ? `${p.alias}_f` : `CAST(${p.alias} AS DOUBLE)`;
  return `histogram(${x}, [${histogramBoundaries(edges).map(dbl).join(', ')}]) AS ${name}`;
}

function histogramBoundaries(edges: readonly number[]): number[] {
  const last = edges.length - 1;
  return edges.slice(1).map((e, i) => (i + 1 === last ? e : doubleBelow(e)));
}

/** The bucket counts of `histogramAgg`'s result (a MAP arriving as [{key, value}]). */
function histogramCounts(edges: readonly number[], result: JS | undefined): number[] {
  const byBoundary = new Map<number, number>();
  if (Array.isArray(result)) {
    for (const entry of result) {
      const { key, value } = (entry ?? {}) as { key?: JS; value?: JS };
      if (key !== null && key !== undefined) byBoundary.set(num(key), num(value));
    }
  }
  // DuckDB merges equal boundaries (edges that round to the same double): the first bucket with
  // that boundary holds the count, as the first of equal [lo, hi) ranges would; the rest are empty.
  const seen = new Set<number>();
  return histogramBoundaries(edges).map((b) => {
    if (seen.has(b)) return 0;
    seen.add(b);
    return byBoundary.get(b) ?? 0;
  });
}

/** The largest double below x. */
function doubleBelow(x: number): number {
  if (!Number.isFinite(x)) return x;
  if (x === 0) return -Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, x > 0 ? bits - 1n : bits + 1n);
  return view.getFloat64(0);
}

/** A double as an exact SQL literal. */
function dbl(x: number): string {
  return `CAST(${quoteLiteral(String(x))} AS DOUBLE)`;
}

/** The settings of one statistics computation. */
interface Settings {
  /** Equal-width histogram buckets. */
  readonly k: number;
  /** Quantile buckets. */
  readonly kq: number;
  readonly numTop: number;
  readonly numRank: number;
  readonly signal: AbortSignal | undefined;
}

/** What pass 1 found: row count and, per column alias, its aggregates by key (`c0_mean`, …). */
interface FirstPass {
  readonly numExamples: number;
  readonly get: (key: string) => JS | undefined;
  /** Quantiles asked for (with the median), the median's index, and the quantile edges without it. */
  readonly qs: readonly number[];
  readonly qList: readonly number[];
  readonly medianAt: number;
  /** Quantiles from the sketch (approx_quantile), not exact. */
  readonly sketch: boolean;
  /** Histogram edges counted in pass 1 from the Parquet footer's ranges, by alias. */
  readonly hinted: ReadonlyMap<string, number[]>;
}

/** Equal-width histogram edges and counts, and the counts of -Infinity and +Infinity, by alias. */
interface Histograms {
  readonly edgesOf: ReadonlyMap<string, number[]>;
  readonly countsOf: ReadonlyMap<string, number[]>;
  readonly infinitiesOf: ReadonlyMap<string, { readonly neg: number; readonly pos: number }>;
  /** Interior quantiles re-estimated where the sketch met infinities (it leaves them out), by alias. */
  readonly sketchQuantilesOf: ReadonlyMap<string, number[]>;
}

/** A string column's ranked values, distinct count and total length. */
type RankedValues = Map<string, { values: { v: string; n: number }[]; unique: number; totalLength: number }>;

/**
 * TFDV statistics of a relation in three passes: (1) counts, moments, extremes and quantiles of every
 * numeric column (and, for Parquet, histograms over the footer's ranges); (2) equal-width
 * histograms over each finite range pass 1 could not count; (3) the ranked values of every string column.
 */
async function describeRelation(
  conn: DuckDBConnection,
  relation: string,
  columns: readonly SourceColumn[],
  name: string,
  options: StatisticsOptions,
  rowsKnown?: number,
  ranges?: ReadonlyMap<string, [number, number]>,
): Promise<DatasetFeatureStatistics> {
  const numTop = options.numTopValues ?? 20;
  const settings: Settings = {
    k: options.numHistogramBuckets ?? 10,
    kq: options.numQuantilesHistogramBuckets ?? 10,
    numTop,
    numRank: Math.max(options.numRankHistogramBuckets ?? 1000, numTop),
    signal: options.signal,
  };
  const plans: ColumnPlan[] = columns.map(planOf);
  const sketch = rowsKnown !== undefined && rowsKnown * plans.filter((p) => p.type !== 'STRING').length > (options.exactQuantileValues ?? EXACT_QUANTILE_VALUES);
  options.onQuantiles?.(sketch ? 'sketch' : 'exact');
  const spent = { moments: 0, histograms: 0, values: 0 };
  const timed = async <T>(pass: 'moments' | 'histograms' | 'values', work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await work();
    spent[pass] += performance.now() - t0;
    return out;
  };
  const byAlias = new Map<string, FeatureNameStatistics>();
  let numExamples = 0;
  // Each batch of columns is its own three passes over its own projection: a query's SQL, its
  // aggregate states and DuckDB's planning grow with the columns it names (one SELECT over 1,500
  // columns died of SIGFPE inside DuckDB; 3,000 ran out of its 1 GB on 10 rows).
  for (const batch of columnBatches(plans)) {
    const projected = projectedRelation(relation, batch);
    const first = await timed('moments', () => firstPass(conn, projected, batch, settings, sketch, ranges));
    const histograms = await timed('histograms', () => histogramPass(conn, projected, batch, first, settings));
    const ranked = await timed('values', () => valuesPass(conn, projected, batch, first.numExamples, settings));
    numExamples = first.numExamples;
    for (const p of batch) byAlias.set(p.alias, p.type === 'STRING' ? stringFeature(p, first, ranked, settings) : numericFeature(p, first, histograms));
  }
  if (plans.length === 0) numExamples = num((await queryRows(conn, `SELECT count(*) AS n FROM ${relation}`))[0]?.n);
  for (const pass of ['moments', 'histograms', 'values'] as const) options.onPass?.(pass, spent[pass]);
  const features = plans.map((p) => byAlias.get(p.alias) as FeatureNameStatistics);
  return { name, numExamples, features };
}

/**
 * Columns per query. DuckDB's cost of planning and running one aggregate query grows faster than
 * its number of columns (on 10 rows × 3,000 columns, about 1 ms a column at 16 columns a query,
 * 2.3 ms at 256, and one query over 1,500 columns died of SIGFPE inside DuckDB): a table of up to
 * this many columns is described in one scan per pass as before, a wider one in one per batch.
 */
export const COLUMNS_PER_QUERY = 64;

function planOf(column: SourceColumn, index: number): ColumnPlan {
  return { name: column.name, type: statsTypeOf(column.type), alias: `c${index}`, column };
}

/** The plans in batches of at most COLUMNS_PER_QUERY, in column order. */
function columnBatches(plans: readonly ColumnPlan[]): ColumnPlan[][] {
  const batches: ColumnPlan[][] = [];
  for (let i = 0; i < plans.length; i += COLUMNS_PER_QUERY) batches.push(plans.slice(i, i + COLUMNS_PER_QUERY));
  return batches;
}

/**
 * One projection for all passes: integers stay exact (BOOLEAN → 0/1), other numbers as DOUBLE
 * (NaN kept, to be counted), everything else as text. Every DOUBLE column `cN` also comes as
 * `cN_n` (NaN as NULL) and `cN_f` (finite values only), computed once per row: aggregates over
 * those need no FILTER, which DuckDB evaluates per aggregate (seven filtered aggregates per column
 * made pass 1 twice as slow). Columns a pass does not name are not read.
 */
function projectedRelation(relation: string, plans: readonly ColumnPlan[]): string {
  if (plans.length === 0) return relation;
  const projection = plans
    .map((p) => {
      const col = quoteIdent(p.column.name);
      const raw = p.column.type.toUpperCase();
      const expr = p.type === 'INT' ? (raw === 'BOOLEAN' ? `CAST(${col} AS INTEGER)` : col) : p.type === 'FLOAT' ? `CAST(${col} AS DOUBLE)` : `CAST(${col} AS VARCHAR)`;
      return `${expr} AS ${p.alias}`;
    })
    .join(', ');
  const derived = plans
    .filter((p) => p.type === 'FLOAT')
    .map((p) => `, CASE WHEN isnan(${p.alias}) THEN NULL ELSE ${p.alias} END AS ${p.alias}_n, CASE WHEN isfinite(${p.alias}) THEN ${p.alias} END AS ${p.alias}_f`)
    .join('');
  return `(SELECT *${derived} FROM (SELECT ${projection} FROM ${relation}))`;
}

/** Pass 1: counts, moments, extremes and quantiles; histograms over footer ranges, kept later only if those ranges are exact. */
async function firstPass(
  conn: DuckDBConnection,
  projected: string,
  plans: readonly ColumnPlan[],
  settings: Settings,
  sketch: boolean,
  ranges: ReadonlyMap<string, [number, number]> | undefined,
): Promise<FirstPass> {
  const qs = Array.from({ length: settings.kq + 1 }, (_, i) => i / settings.kq);
  // One quantile_cont call gives the quantile edges and the median (a second, separate call for
  // the median cost about a quarter of pass 1 on wide numeric tables: bench/README.md).
  const qList = qs.includes(0.5) ? qs : [...qs, 0.5].sort((x, y) => x - y);
  const quantileFn = sketch ? 'approx_quantile' : 'quantile_cont';
  const aggs: string[] = ['count(*) AS n'];
  for (const p of plans) {
    const a = p.alias;
    aggs.push(`count(${a}) AS ${a}_nm`);
    if (p.type === 'STRING') continue;
    // Integers have neither NaN nor infinities: the column itself is both its non-NaN and its finite values.
    const ok = p.type === 'FLOAT' ? `${a}_n` : a;
    const fin = p.type === 'FLOAT' ? `${a}_f` : a;
    if (p.type === 'FLOAT') aggs.push(`count_if(isnan(${a})) AS ${a}_nan`);
    aggs.push(
      // Over the finite values: with ±Infinity DuckDB's stddev_pop fails ("out of range"); the
      // mean and deviation TFDV reports then are made from these and the infinities' counts.
      `avg(${fin}) AS ${a}_mean`,
      `stddev_pop(${fin}) AS ${a}_std`,
      `count_if(${a} = 0) AS ${a}_zeros`,
      `min(${ok}) AS ${a}_min`,
      `max(${ok}) AS ${a}_max`,
      `min(${fin}) AS ${a}_fmin`,
      `max(${fin}) AS ${a}_fmax`,
      `${quantileFn}(${ok}, [${qList.join(', ')}]) AS ${a}_q`,
    );
  }
  const hinted = new Map<string, number[]>();
  for (const p of plans) {
    const range = p.type === 'STRING' ? undefined : ranges?.get(p.name);
    if (!range || !Number.isFinite(range[0]) || !Number.isFinite(range[1]) || range[0] > range[1]) continue;
    const edges = equalWidthEdges(range[0], range[1], settings.k);
    hinted.set(p.alias, edges);
    aggs.push(histogramAgg(p, edges, `${p.alias}_p1h`));
  }
  check(settings.signal);
  const r1 = (await queryRows(conn, `SELECT ${aggs.join(', ')} FROM ${projected}`))[0] ?? {};
  return { numExamples: num(r1.n), get: (key) => r1[key], qs, qList, medianAt: qList.indexOf(0.5), sketch, hinted };
}

/** Pass 2: equal-width histograms over each numeric column's finite range; pass 1's counts where its edges were these. */
async function histogramPass(conn: DuckDBConnection, projected: string, plans: readonly ColumnPlan[], first: FirstPass, settings: Settings): Promise<Histograms> {
  const { get, hinted } = first;
  const edgesOf = new Map<string, number[]>();
  const countsOf = new Map<string, number[]>();
  const hAggs: string[] = [];
  const infinite: ColumnPlan[] = [];
  for (const p of plans) {
    if (p.type === 'STRING') continue;
    // Pass 1's extremes over non-NaN values tell which columns hold infinities; count only those.
    const hasNeg = get(`${p.alias}_min`) === -Infinity;
    const hasPos = get(`${p.alias}_max`) === Infinity;
    if (hasNeg || hasPos) {
      infinite.push(p);
      hAggs.push(`count_if(${p.alias} = ${dbl(-Infinity)}) AS ${p.alias}_ninf`, `count_if(${p.alias} = ${dbl(Infinity)}) AS ${p.alias}_pinf`);
    }
    const lo = get(`${p.alias}_fmin`);
    const hi = get(`${p.alias}_fmax`);
    if (lo === null || hi === null || lo === undefined || hi === undefined) continue;
    const edges = equalWidthEdges(num(lo), num(hi), settings.k);
    edgesOf.set(p.alias, edges);
    const hint = hinted.get(p.alias);
    if (hint && hint.length === edges.length && hint.every((e, i) => e === edges[i])) {
      countsOf.set(p.alias, histogramCounts(edges, get(`${p.alias}_p1h`)));
      continue;
    }
    hAggs.push(histogramAgg(p, edges, `${p.alias}_h`));
  }
  check(settings.signal);
  const r2 = hAggs.length > 0 ? ((await queryRows(conn, `SELECT ${hAggs.join(', ')} FROM ${projected}`))[0] ?? {}) : {};
  for (const [alias, edges] of edgesOf) {
    if (!countsOf.has(alias)) countsOf.set(alias, histogramCounts(edges, r2[`${alias}_h`]));
  }
  const infinitiesOf = new Map(infinite.map((p) => [p.alias, { neg: num(r2[`${p.alias}_ninf`]), pos: num(r2[`${p.alias}_pinf`]) }]));
  const sketchQuantilesOf = first.sketch ? await sketchWithInfinities(conn, projected, infinite, first, infinitiesOf, settings) : new Map<string, number[]>();
  return { edgesOf, countsOf, infinitiesOf, sketchQuantilesOf };
}

/**
 * DuckDB's T-Digest leaves ±Infinity out, so where the sketch met them its quantiles are those of
 * the finite values alone. The exact quantile_cont places a quantile q of N non-NaN values at rank
 * r = q(N-1): -Infinity below rank nNeg, +Infinity above rank N-1-nPos, and otherwise the finite
 * values' quantile at (r - nNeg) / (nFinite - 1); the sketch is asked for that (one more pass,
 * only when a column of a sketched dataset holds infinities).
 */
async function sketchWithInfinities(
  conn: DuckDBConnection,
  projected: string,
  infinite: readonly ColumnPlan[],
  first: FirstPass,
  infinitiesOf: ReadonlyMap<string, { neg: number; pos: number }>,
  settings: Settings,
): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  const plans: { p: ColumnPlan; ranks: number[]; finite: number; neg: number }[] = [];
  for (const p of infinite) {
    const { neg, pos } = infinitiesOf.get(p.alias) ?? { neg: 0, pos: 0 };
    const n = num(first.get(`${p.alias}_nm`)) - (p.type === 'FLOAT' ? num(first.get(`${p.alias}_nan`)) : 0);
    plans.push({ p, ranks: first.qList.map((q) => q * (n - 1)), finite: n - neg - pos, neg });
  }
  const aggs: string[] = [];
  for (const { p, ranks, finite, neg } of plans) {
    if (finite <= 0) continue;
    const inner = ranks.map((r) => (finite === 1 ? 0 : Math.min(1, Math.max(0, (r - neg) / (finite - 1)))));
    aggs.push(`approx_quantile(${p.alias}_f, [${inner.join(', ')}]) AS ${p.alias}_fq`);
  }
  check(settings.signal);
  const r = aggs.length > 0 ? ((await queryRows(conn, `SELECT ${aggs.join(', ')} FROM ${projected}`))[0] ?? {}) : {};
  for (const { p, ranks, finite, neg } of plans) {
    const fq = r[`${p.alias}_fq`];
    const inner = Array.isArray(fq) ? fq.map((x) => num(x)) : [];
    out.set(
      p.alias,
      ranks.map((rank, i) => {
        if (finite <= 0) return rank <= neg - 1 ? -Infinity : rank >= neg ? Infinity : Number.NaN;
        if (rank < neg) return -Infinity;
        if (rank > neg + finite - 1) return Infinity;
        return inner[i] ?? Number.NaN;
      }),
    );
  }
  return out;
}

/** Pass 3: value counts of every string column, ranked in DuckDB (one GROUPING SETS query). */
async function valuesPass(conn: DuckDBConnection, projected: string, plans: readonly ColumnPlan[], numExamples: number, settings: Settings): Promise<RankedValues> {
  const strings = plans.filter((p) => p.type === 'STRING');
  const ranked: RankedValues = new Map();
  if (strings.length === 0 || numExamples === 0) return ranked;
  check(settings.signal);
  const which = strings.map((p, i) => `WHEN grouping(${p.alias}) = 0 THEN ${i}`).join(' ');
  const value = strings.length === 1 ? (strings[0] as ColumnPlan).alias : `COALESCE(${strings.map((p) => p.alias).join(', ')})`;
  const sets = strings.map((p) => `(${p.alias})`).join(', ');
  const sql = `WITH g AS (
      SELECT CASE ${which} END AS f, ${value} AS v, count(*) AS n
      FROM ${projected} GROUP BY GROUPING SETS (${sets})),
    r AS (
      SELECT f, v, n, row_number() OVER (PARTITION BY f ORDER BY n DESC, v) AS rk,
             count(*) OVER (PARTITION BY f) AS uniq, sum(length(v) * n) OVER (PARTITION BY f) AS totlen
      FROM g WHERE v IS NOT NULL)
    SELECT f, v, n, uniq, totlen FROM r WHERE rk <= ${settings.numRank} ORDER BY f, rk`;
  for (const row of await queryRows(conn, sql)) {
    const p = strings[num(row.f)];
    if (!p) continue;
    let entry = ranked.get(p.alias);
    if (!entry) {
      entry = { values: [], unique: num(row.uniq), totalLength: num(row.totlen) };
      ranked.set(p.alias, entry);
    }
    entry.values.push({ v: String(row.v), n: num(row.n) });
  }
  return ranked;
}

/** Every feature is one value per example: present or missing. */
function commonStats(p: ColumnPlan, first: FirstPass): CommonStatistics {
  const nonMissing = num(first.get(`${p.alias}_nm`));
  return {
    numNonMissing: nonMissing,
    numMissing: first.numExamples - nonMissing,
    minNumValues: nonMissing > 0 ? 1 : 0,
    maxNumValues: nonMissing > 0 ? 1 : 0,
    avgNumValues: nonMissing > 0 ? 1 : 0,
    totNumValues: nonMissing,
  };
}

function stringFeature(p: ColumnPlan, first: FirstPass, ranked: RankedValues, settings: Settings): FeatureNameStatistics {
  const common = commonStats(p, first);
  const entry = ranked.get(p.alias);
  const values = entry?.values ?? [];
  const stringStats: StringStatistics = {
    commonStats: common,
    unique: entry?.unique ?? 0,
    topValues: values.slice(0, settings.numTop).map((x) => ({ value: x.v, frequency: x.n })),
    avgLength: common.numNonMissing > 0 ? (entry?.totalLength ?? 0) / common.numNonMissing : 0,
    rankHistogram: { buckets: values.map((x, i) => ({ lowRank: i, highRank: i, label: x.v, sampleCount: x.n })) },
  };
  return { name: p.name, type: 'STRING', stringStats };
}

function numericFeature(p: ColumnPlan, first: FirstPass, { edgesOf, countsOf, infinitiesOf, sketchQuantilesOf }: Histograms): FeatureNameStatistics {
  const { get, qs, qList, medianAt, sketch } = first;
  const common = commonStats(p, first);
  const numNan = p.type === 'FLOAT' ? num(get(`${p.alias}_nan`)) : 0;
  const valued = common.numNonMissing - numNan;
  const orZero = (v: JS | undefined): number => (v === null || v === undefined ? 0 : num(v));
  const histograms: Histogram[] = [];
  const edges = edgesOf.get(p.alias);
  const inf = infinitiesOf.get(p.alias) ?? { neg: 0, pos: 0 };
  // As TFDV's: equal-width buckets over the finite range, -Infinity and +Infinity each a bucket of
  // their own before and after it.
  const standard = edges ? edges.slice(0, -1).map((lo, b) => ({ lowValue: lo, highValue: edges[b + 1] as number, sampleCount: countsOf.get(p.alias)?.[b] ?? 0 })) : [];
  if (inf.neg > 0) standard.unshift({ lowValue: -Infinity, highValue: -Infinity, sampleCount: inf.neg });
  if (inf.pos > 0) standard.push({ lowValue: Infinity, highValue: Infinity, sampleCount: inf.pos });
  histograms.push({ numNan, buckets: standard, type: 'STANDARD' });
  const q = get(`${p.alias}_q`);
  const qAll = sketchQuantilesOf.get(p.alias) ?? (Array.isArray(q) ? q.map((x) => num(x)) : []);
  if (sketch && qAll.length) {
    // The sketch's ends are estimates; the exact extremes are at hand (min/max of non-NaN values).
    qAll[0] = orZero(get(`${p.alias}_min`));
    qAll[qAll.length - 1] = orZero(get(`${p.alias}_max`));
  }
  const median = qAll[medianAt];
  const qv = qList === qs ? qAll : qAll.filter((_, i) => i !== medianAt);
  histograms.push({
    numNan,
    buckets: valued > 0 && qv.length > 1 ? qv.slice(0, -1).map((lo, b) => ({ lowValue: lo, highValue: qv[b + 1] as number, sampleCount: valued / (qv.length - 1) })) : [],
    type: 'QUANTILES',
  });
  // With infinities, the mean and deviation of the non-NaN values are what numpy (and TFDV, which
  // takes np.mean over them) give: ±Infinity, or NaN when both signs occur; the deviation is NaN
  // (np.std; TFDV writes sqrt(max(0, NaN)), which is 0 in Python).
  const infinite = inf.neg > 0 || inf.pos > 0;
  const numStats: NumericStatistics = {
    commonStats: common,
    mean: infinite ? (inf.neg > 0 && inf.pos > 0 ? Number.NaN : inf.pos > 0 ? Infinity : -Infinity) : orZero(get(`${p.alias}_mean`)),
    stdDev: infinite ? Number.NaN : orZero(get(`${p.alias}_std`)),
    numZeros: num(get(`${p.alias}_zeros`)),
    min: orZero(get(`${p.alias}_min`)),
    median: median ?? 0,
    max: orZero(get(`${p.alias}_max`)),
    histograms,
  };
  return { name: p.name, type: p.type, numStats };
}
