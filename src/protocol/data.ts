/**
 * The data-validation requests between clients (extension host, tests) and the worker, and the
 * messages between the extension host and the data panels' webview. Declared once, no `vscode`
 * import: worker, webview and tests share this file.
 *
 * Statistics travel in TFDV's proto3 JSON mapping (docs/ARCHITECTURE.md, "Contracts"); int64 fields may arrive as
 * strings (as the JSON mapping writes them) or numbers, so readers go through `num()`.
 */
import { NotificationType, RequestType } from 'vscode-jsonrpc';

export type DataFormat = 'csv' | 'parquet' | 'json';

/** Where rows or statistics come from. */
export type DataSource =
  /** A CSV, Parquet or JSON/NDJSON file; `where` keeps the rows meeting every condition (e.g. a date range). */
  | { readonly kind: 'file'; readonly path: string; readonly format?: DataFormat; readonly where?: readonly RowFilter[] }
  /** A statistics.json (StatisticsGen artifact); `dataset` picks a split (default: the first). No rows. */
  | { readonly kind: 'statistics'; readonly path: string; readonly dataset?: string };

/**
 * A condition on one column. Filters are data, never SQL text: the worker quotes the column, takes
 * the operator from this list and binds the value (cast to the column's type) as a parameter.
 */
export interface RowFilter {
  readonly column: string;
  readonly op: FilterOp;
  /** A scalar for comparisons, a list for `in`/`not in`, nothing for the null tests. */
  readonly value?: FilterValue | readonly FilterValue[];
}
export type FilterValue = string | number | boolean;
export const FILTER_OPS = ['=', '!=', '<', '<=', '>', '>=', 'in', 'not in', 'is null', 'is not null'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

/** Why `where` is not a list of well-formed filters, or undefined (for requests from any caller). */
export function filterProblem(where: unknown): string | undefined {
  if (where === undefined) return undefined;
  if (!Array.isArray(where)) return '`where` must be a list of { column, op, value } conditions (SQL text is not accepted)';
  for (const [i, f] of where.entries()) {
    const o = f as Partial<RowFilter> | null;
    const scalar = (v: unknown): boolean => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
    if (!o || typeof o !== 'object' || typeof o.column !== 'string' || !o.column) return `where[${i}]: needs a column name`;
    if (!FILTER_OPS.includes(o.op as FilterOp)) return `where[${i}]: op must be one of ${FILTER_OPS.join(', ')}`;
    const list = o.op === 'in' || o.op === 'not in';
    const none = o.op === 'is null' || o.op === 'is not null';
    if (list && !(Array.isArray(o.value) && o.value.every(scalar))) return `where[${i}]: ${o.op} needs a list of values`;
    if (none && o.value !== undefined) return `where[${i}]: ${o.op} takes no value`;
    if (!list && !none && !scalar(o.value)) return `where[${i}]: ${o.op} needs one value (a string, number or boolean)`;
  }
  return undefined;
}

/** A filter as people read it: `date < "2014-01-01" and island in ["Dream"]`. */
export function describeFilter(where: readonly RowFilter[]): string {
  return where.map((f) => (f.value === undefined ? `${f.column} ${f.op}` : `${f.column} ${f.op} ${JSON.stringify(f.value)}`)).join(' and ');
}

// ---- TFDV statistics, TFMD schema and anomalies: the types of src/core/tfdv.ts ----

import type { DatasetFeatureStatistics, Schema, Anomalies } from '../core/tfdv';
export type {
  DatasetFeatureStatistics,
  DatasetFeatureStatisticsList,
  FeatureNameStatistics,
  Histogram,
  Schema,
  SchemaFeature,
  Anomalies,
  AnomalyInfo,
  AnomalyReason,
} from '../core/tfdv';
export { featureName } from '../core/tfdv';
export { statisticsFromWire, statisticsToWire } from './statisticsWire';

/** A count that may come as a number or (proto3 JSON int64) a string, as a number. */
export function num(v: number | string | undefined | null): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
}

// ---- Worker requests ----

export interface StatisticsParams {
  readonly source: DataSource;
  /** Rows in the quick first pass for big files (0: exact only). Default 100,000. */
  readonly sampleRows?: number;
  /** Names this computation in `StatisticsProgress` notifications. */
  readonly progressId?: string;
  /**
   * Quantiles stay exact up to this many numeric values (rows × numeric columns); above it they
   * come from DuckDB's T-Digest sketch, within 1% of rank. Default 20M (EXACT_QUANTILE_VALUES).
   */
  readonly exactQuantileValues?: number;
}
export interface StatisticsResult {
  readonly statistics: DatasetFeatureStatistics;
  /** Every split or dataset name the source holds (a statistics.json may hold several). */
  readonly datasets: readonly string[];
  /** False when only a sample was described (the exact pass was not run). */
  readonly exact: boolean;
  /** True when the median and the QUANTILES histogram come from the sketch (within 1% of rank), not exact. */
  readonly approximateQuantiles?: boolean;
  readonly rows: number;
  readonly elapsedMs: number;
}
/** Cancellable. Big files send a sampled result first as a progress notification, then the exact one. */
export const ComputeStatistics = new RequestType<StatisticsParams, StatisticsResult, void>('pipewise/data/statistics');

export interface StatisticsProgressParams {
  readonly progressId: string;
  readonly phase: 'reading' | 'sample' | 'exact';
  readonly message: string;
  /** The sampled statistics, when phase is `sample`. */
  readonly statistics?: DatasetFeatureStatistics;
  readonly sampledRows?: number;
  readonly totalRows?: number;
  readonly elapsedMs: number;
}
export const StatisticsProgress = new NotificationType<StatisticsProgressParams>('pipewise/data/statisticsProgress');

export interface FeatureDetailParams {
  readonly source: DataSource;
  readonly feature: string;
  /** Equal-width buckets (default 30). */
  readonly buckets?: number;
  /** Quantile buckets (default 20). */
  readonly quantiles?: number;
  /** Top values kept (default 30). */
  readonly topK?: number;
}
export interface FeatureDetail {
  readonly name: string;
  readonly kind: 'numeric' | 'string';
  readonly numNonMissing: number;
  readonly numMissing: number;
  readonly histogram: readonly { readonly low: number; readonly high: number; readonly count: number }[];
  readonly quantiles: readonly { readonly low: number; readonly high: number; readonly count: number }[];
  readonly topValues: readonly { readonly value: string; readonly count: number }[];
}
export const GetFeatureDetail = new RequestType<FeatureDetailParams, FeatureDetail, void>('pipewise/data/featureDetail');

export interface CompareParams {
  readonly left: DataSource;
  readonly right: DataSource;
  /** Feature → threshold; features not named use `defaultThreshold`. */
  readonly thresholds?: Readonly<Record<string, number>>;
  /** Default 0.05 for both measures (TFDV leaves the choice to the schema; 0.05 flags a 5-point shift in a category share). */
  readonly defaultThreshold?: number;
}
export interface FeatureDrift {
  readonly feature: string;
  readonly measure: 'L_infty' | 'JS';
  readonly value: number;
  readonly threshold: number;
  readonly exceeded: boolean;
  /** Present in only one of the two datasets. */
  readonly onlyIn?: 'left' | 'right';
}
export interface CompareResult {
  readonly left: DatasetFeatureStatistics;
  readonly right: DatasetFeatureStatistics;
  readonly drift: readonly FeatureDrift[];
}
export const CompareDatasets = new RequestType<CompareParams, CompareResult, void>('pipewise/data/compare');

export interface ColumnInfo {
  readonly name: string;
  /** DuckDB's type name, e.g. BIGINT, VARCHAR, TIMESTAMP. */
  readonly type: string;
}
/** A cell as JSON: numbers, strings, booleans; null is a real null (a missing value). */
export type Cell = string | number | boolean | null;

export interface PreviewParams {
  readonly source: DataSource;
  readonly offset: number;
  readonly limit: number;
}
export interface PreviewResult {
  readonly columns: readonly ColumnInfo[];
  readonly rows: readonly (readonly Cell[])[];
  readonly offset: number;
  readonly totalRows: number;
}
export const PreviewRows = new RequestType<PreviewParams, PreviewResult, void>('pipewise/data/preview');

export interface QueryParams {
  readonly source: DataSource;
  /** DuckDB SQL; the source is the view `data`. */
  readonly sql: string;
  /** Rows returned at most (default 1,000). */
  readonly limit?: number;
}
export interface SqlErrorPosition {
  /** 0-based character offset into the query. */
  readonly offset: number;
  /** 1-based line and column. */
  readonly line: number;
  readonly column: number;
}
export type QueryResult =
  | {
      readonly ok: true;
      readonly columns: readonly ColumnInfo[];
      readonly rows: readonly (readonly Cell[])[];
      readonly truncated: boolean;
      readonly elapsedMs: number;
    }
  | { readonly ok: false; readonly message: string; readonly position?: SqlErrorPosition };
/** Cancellable. SQL errors come back as `ok: false` with DuckDB's message and position, not as a failure. */
export const RunQuery = new RequestType<QueryParams, QueryResult, void>('pipewise/data/query');

// ---- Schema and anomalies ----

export interface ValidateParams {
  /** The statistics to validate (a data file is described first). */
  readonly statistics: DataSource;
  readonly schema: Schema;
  /** Drift/skew baseline. */
  readonly baseline?: DataSource;
}
export const ValidateStatistics = new RequestType<ValidateParams, Anomalies, void>('pipewise/data/validate');

// ---- Extension host ⇄ panel webview ----

export type PanelKind = 'statistics' | 'compare' | 'schema' | 'preview';

/** What a panel shows; also what the serializer restores after a reload. */
export interface PanelState {
  readonly kind: PanelKind;
  readonly title: string;
  readonly source?: DataSource;
  /** compare: the second dataset. */
  readonly right?: DataSource;
  /** schema: the schema file (json or yaml) and, for anomalies, the statistics to validate. */
  readonly schemaPath?: string;
  /** schema: the drift baseline (the previous span) to validate against, where the schema sets comparators. */
  readonly baseline?: DataSource;
  /** schema: an anomalies.json to show when there are no statistics to validate against. */
  readonly anomaliesPath?: string;
  /** Threshold over which missing shares are drawn red (statistics) or drift is flagged (compare). */
  readonly threshold?: number;
  /** The feature whose detail is open, kept across hide/show and reload. */
  readonly selected?: string;
  readonly sql?: string;
}

export type QuickFix =
  | { readonly kind: 'widenRange'; readonly feature: string; readonly min: number; readonly max: number }
  | { readonly kind: 'addDomainValues'; readonly feature: string; readonly values: readonly string[] }
  | { readonly kind: 'markOptional'; readonly feature: string }
  | { readonly kind: 'setDriftThreshold'; readonly feature: string; readonly threshold: number; readonly measure: 'L_infty' | 'JS' }
  | { readonly kind: 'setField'; readonly feature: string; readonly field: 'type' | 'minFraction' | 'min' | 'max'; readonly value: string };

/** What the webview renders, posted back so tests can check it against independent oracles. */
export interface RenderedDigest {
  readonly kind: PanelKind;
  readonly rows: readonly { readonly feature: string; readonly cells: Readonly<Record<string, Cell>> }[];
  readonly exact?: boolean;
  /** statistics: the panel says the median and quantiles are approximate (the sketch's). */
  readonly approximateQuantiles?: boolean;
  readonly highlighted?: readonly string[];
  readonly anomalies?: readonly string[];
  /** schema: the quick fixes offered, per feature, as drawn. */
  readonly fixes?: Readonly<Record<string, readonly QuickFix[]>>;
}

export type ToWebview =
  | { readonly type: 'init'; readonly state: PanelState }
  /** The extension changed what the panel shows (e.g. the dataset to validate against): saved for a reload. */
  | { readonly type: 'state'; readonly patch: Partial<PanelState> }
  | { readonly type: 'progress'; readonly phase: StatisticsProgressParams['phase'] | 'done' | 'cancelled'; readonly message: string }
  | { readonly type: 'statistics'; readonly result: StatisticsResult; readonly partial: boolean; readonly sampledRows?: number }
  | { readonly type: 'detail'; readonly detail: FeatureDetail }
  | { readonly type: 'compare'; readonly result: CompareResult; readonly leftLabel: string; readonly rightLabel: string }
  | { readonly type: 'schema'; readonly schema: Schema; readonly path: string; readonly anomalies?: Anomalies; readonly fixes: Readonly<Record<string, readonly QuickFixOffer[]>> }
  | { readonly type: 'preview'; readonly result: PreviewResult }
  | { readonly type: 'query'; readonly result: QueryResult; readonly sql: string }
  | { readonly type: 'error'; readonly message: string };

export interface QuickFixOffer {
  readonly title: string;
  readonly fix: QuickFix;
}

export type FromWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'selectFeature'; readonly feature: string | undefined }
  /** A statistics.json with several splits: show this one. */
  | { readonly type: 'selectDataset'; readonly dataset: string }
  | { readonly type: 'cancel' }
  /** schema: ask the user for a data file or statistics to validate against. */
  | { readonly type: 'chooseStatistics' }
  | { readonly type: 'refresh' }
  | { readonly type: 'preview'; readonly offset: number; readonly limit: number }
  | { readonly type: 'query'; readonly sql: string }
  | { readonly type: 'quickFix'; readonly fix: QuickFix }
  | { readonly type: 'setThreshold'; readonly threshold: number }
  | { readonly type: 'rendered'; readonly digest: RenderedDigest }
  | { readonly type: 'error'; readonly message: string };
