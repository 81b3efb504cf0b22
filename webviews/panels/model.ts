/**
 * View models of the data panels, from TFDV statistics: pure functions (unit-tested without a
 * browser), so the tables draw exactly what these return.
 */
import { featureName, type DatasetFeatureStatistics, type FeatureNameStatistics, type Histogram, type NumericStatistics, type StringStatistics } from '../../src/core/tfdv';

/** A count that may arrive as a number or (proto3 JSON int64) a string. */
function num(v: number | string | undefined | null): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export interface NumericRow {
  readonly feature: string;
  readonly type: string;
  readonly count: number;
  readonly missing: number;
  readonly missingShare: number;
  readonly zeros: number | null;
  readonly mean: number | null;
  readonly std: number | null;
  readonly min: number | null;
  readonly median: number | null;
  readonly max: number | null;
  /** Counts of the equal-width histogram, for the mini chart. */
  readonly histogram: readonly number[];
}

export interface CategoricalRow {
  readonly feature: string;
  readonly type: string;
  readonly count: number;
  readonly missing: number;
  readonly missingShare: number;
  readonly unique: number | null;
  readonly top: string | null;
  readonly topCount: number | null;
  readonly avgLength: number | null;
  /** Frequencies of the top values, for the mini chart. */
  readonly histogram: readonly number[];
}

export interface Overview {
  readonly numeric: NumericRow[];
  readonly categorical: CategoricalRow[];
  readonly numExamples: number;
}

function standard(hs: readonly Histogram[] | undefined): Histogram | undefined {
  return hs?.find((h) => (h.type ?? 'STANDARD') === 'STANDARD');
}

function n(v: number | undefined): number | null {
  return v === undefined || Number.isNaN(v) ? null : v;
}

export function numericRow(f: FeatureNameStatistics): NumericRow {
  const s: Partial<NumericStatistics> = f.numStats ?? {};
  const count = num(s.commonStats?.numNonMissing) ?? 0;
  const missing = num(s.commonStats?.numMissing) ?? 0;
  return {
    feature: featureName(f),
    type: f.type ?? 'FLOAT',
    count,
    missing,
    missingShare: count + missing > 0 ? missing / (count + missing) : 0,
    zeros: n(num(s.numZeros) ?? (count > 0 ? 0 : undefined)),
    mean: n(s.mean),
    std: n(s.stdDev),
    min: n(s.min),
    median: n(s.median),
    max: n(s.max),
    histogram: (standard(s.histograms)?.buckets ?? []).map((b) => b.sampleCount ?? 0),
  };
}

export function categoricalRow(f: FeatureNameStatistics): CategoricalRow {
  const s: Partial<StringStatistics> = f.stringStats ?? {};
  const count = num(s.commonStats?.numNonMissing) ?? 0;
  const missing = num(s.commonStats?.numMissing) ?? 0;
  const top = s.topValues?.[0];
  return {
    feature: featureName(f),
    type: f.type ?? 'STRING',
    count,
    missing,
    missingShare: count + missing > 0 ? missing / (count + missing) : 0,
    unique: n(num(s.unique)),
    top: top?.value ?? null,
    topCount: top?.frequency ?? null,
    avgLength: n(s.avgLength),
    histogram: (s.topValues ?? []).map((t) => t.frequency ?? 0),
  };
}

/** Numeric features (INT, FLOAT with numStats) apart from categorical ones (strings, bytes). */
export function overview(stats: DatasetFeatureStatistics): Overview {
  const numeric: NumericRow[] = [];
  const categorical: CategoricalRow[] = [];
  for (const f of stats.features ?? []) {
    if (f.numStats) numeric.push(numericRow(f));
    else categorical.push(categoricalRow(f));
  }
  return { numeric, categorical, numExamples: num(stats.numExamples) ?? 0 };
}

export type SortDir = 1 | -1;

/** Sorted by `key` (nulls last either way), ties by feature name; filtered by a name substring. */
export function sortRows<R extends { readonly feature: string }>(rows: readonly R[], key: keyof R, dir: SortDir, filter = ''): R[] {
  const f = filter.trim().toLowerCase();
  const kept = f ? rows.filter((r) => r.feature.toLowerCase().includes(f)) : [...rows];
  return kept.sort((a, b) => {
    const x = a[key];
    const y = b[key];
    if (x === y) return a.feature.localeCompare(b.feature);
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    if (typeof x === 'number' && typeof y === 'number') return (x - y) * dir;
    return String(x).localeCompare(String(y)) * dir;
  });
}

// The table formats live with every webview's (src/core/format.ts); re-exported for the views.
export { formatNumber, formatPercent } from '../../src/core/format';
