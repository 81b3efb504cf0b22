/**
 * Drift and skew measures as TFDV computes them (tensorflow_data_validation/anomalies/metrics.cc):
 * L∞ distance between normalized value counts for categorical features, and the approximate
 * Jensen–Shannon divergence (log₂, capped at 1) between two histograms re-bucketed onto the union
 * of their bucket edges for numeric ones.
 */
import type { FeatureNameStatistics, Histogram, HistogramBucket } from './tfdv';

export interface LInfinityResult {
  /** max_i |p_i − q_i| over the union of values, each side normalized by its own total. */
  readonly value: number;
  /** The value with the largest difference. */
  readonly key: string;
}

/** L∞ distance between two value → count maps (TFDV's `LInftyDistance`). */
export function lInfinityDistance(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): LInfinityResult {
  const sum = (m: ReadonlyMap<string, number>): number => [...m.values()].reduce((s, v) => s + v, 0);
  const ta = sum(a);
  const tb = sum(b);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  let best: LInfinityResult = { value: 0, key: '' };
  for (const k of keys) {
    const p = ta > 0 ? (a.get(k) ?? 0) / ta : 0;
    const q = tb > 0 ? (b.get(k) ?? 0) / tb : 0;
    const d = Math.abs(p - q);
    // `>=` as TFDV: on ties the last key (in sorted order) wins.
    if (d >= best.value) best = { value: d, key: k };
  }
  return best;
}

/**
 * The value counts of a categorical feature, from its rank histogram (all ranked values, up to
 * TFDV's 1000) or else its top values — what TFDV's `GetStringValuesWithCounts` reads.
 */
export function valueCounts(f: FeatureNameStatistics): Map<string, number> {
  const out = new Map<string, number>();
  const s = f.stringStats;
  if (s?.rankHistogram && s.rankHistogram.buckets.length > 0) {
    for (const b of s.rankHistogram.buckets) out.set(b.label, (out.get(b.label) ?? 0) + b.sampleCount);
  } else if (s) {
    for (const t of s.topValues) out.set(t.value, (out.get(t.value) ?? 0) + t.frequency);
  }
  return out;
}

interface Stripped {
  buckets: HistogramBucket[];
  points: Map<number, number>;
  infinite: number;
  numNan: number;
}

function strip(h: Histogram): Stripped {
  const out: Stripped = { buckets: [], points: new Map(), infinite: 0, numNan: h.numNan ?? 0 };
  for (const b of h.buckets) {
    if (!Number.isFinite(b.lowValue) || !Number.isFinite(b.highValue)) out.infinite += b.sampleCount;
    else if (b.lowValue === b.highValue) out.points.set(b.lowValue, (out.points.get(b.lowValue) ?? 0) + b.sampleCount);
    else out.buckets.push({ ...b });
  }
  return out;
}

function boundaries(buckets: readonly HistogramBucket[]): number[] {
  const s = new Set<number>();
  for (const b of buckets) {
    s.add(b.lowValue);
    s.add(b.highValue);
  }
  return [...s].sort((x, y) => x - y);
}

/**
 * Spreads each bucket's count over the new boundaries it covers, assuming values are uniform
 * within a bucket (TFDV's `RebucketHistogram`; the boundaries contain every edge of `buckets`).
 */
export function rebucket(buckets: readonly HistogramBucket[], edges: readonly number[]): HistogramBucket[] {
  const out: HistogramBucket[] = [];
  const last = edges.length - 1;
  let i = 0;
  for (const b of buckets) {
    while (i < last && b.lowValue > (edges[i] as number)) {
      out.push({ lowValue: edges[i] as number, highValue: edges[i + 1] as number, sampleCount: 0 });
      i++;
    }
    const covered: number[] = [];
    while (i < last && b.highValue > (edges[i] as number)) {
      covered.push(edges[i] as number);
      i++;
    }
    covered.push(edges[i] as number);
    const width = b.highValue - b.lowValue;
    for (let k = 0; k + 1 < covered.length; k++) {
      const lo = covered[k] as number;
      const hi = covered[k + 1] as number;
      out.push({ lowValue: lo, highValue: hi, sampleCount: width > 0 ? ((hi - lo) / width) * b.sampleCount : 0 });
    }
  }
  for (let k = i; k < last; k++) out.push({ lowValue: edges[k] as number, highValue: edges[k + 1] as number, sampleCount: 0 });
  return out;
}

/** Both histograms as aligned vectors of counts (TFDV's `AlignHistograms`). */
export function alignHistograms(h1: Histogram, h2: Histogram): [number[], number[]] {
  const a = strip(h1);
  const b = strip(h2);
  let ca = a.buckets.map((x) => x.sampleCount);
  let cb = b.buckets.map((x) => x.sampleCount);
  const ea = boundaries(a.buckets);
  const eb = boundaries(b.buckets);
  const same = ea.length === eb.length && ea.every((v, i) => v === eb[i]);
  if (!same) {
    const edges = [...new Set([...ea, ...eb])].sort((x, y) => x - y);
    ca = rebucket(a.buckets, edges).map((x) => x.sampleCount);
    cb = rebucket(b.buckets, edges).map((x) => x.sampleCount);
  }
  const points = [...new Set([...a.points.keys(), ...b.points.keys()])].sort((x, y) => x - y);
  for (const p of points) {
    ca.push(a.points.get(p) ?? 0);
    cb.push(b.points.get(p) ?? 0);
  }
  if (a.infinite !== 0) {
    ca.push(a.infinite);
    cb.push(0);
  }
  if (b.infinite !== 0) {
    ca.push(0);
    cb.push(b.infinite);
  }
  // NaNs are one more bucket on both sides (TFDV's tests expect identical statistics with NaNs to
  // give 0, which an aligned NaN bucket does).
  if (a.numNan > 0 || b.numNan > 0) {
    ca.push(a.numNan);
    cb.push(b.numNan);
  }
  return [ca, cb];
}

/** Jensen–Shannon divergence (log₂) of two discrete distributions given as counts, capped at 1. */
export function jensenShannonOfCounts(p0: readonly number[], q0: readonly number[]): number | undefined {
  const tp = p0.reduce((s, v) => s + v, 0);
  const tq = q0.reduce((s, v) => s + v, 0);
  if (tp === 0 || tq === 0 || p0.length !== q0.length) return undefined;
  const p = p0.map((v) => v / tp);
  const q = q0.map((v) => v / tq);
  const kl = (x: number[], m: number[]): number => x.reduce((s, xi, i) => (xi > 0 && (m[i] as number) > 0 ? s + xi * Math.log2(xi / (m[i] as number)) : s), 0);
  const m = p.map((pi, i) => (pi + (q[i] as number)) / 2);
  return Math.min((kl(p, m) + kl(q, m)) / 2, 1);
}

/**
 * TFDV's approximate Jensen–Shannon divergence between two histograms of the same type, or
 * undefined when either is empty (TFDV reports that as missing control/treatment data).
 */
export function jensenShannonDivergence(h1: Histogram, h2: Histogram): number | undefined {
  if (h1.type !== h2.type) throw new Error(`histograms must have the same type (${h1.type} vs ${h2.type})`);
  const [a, b] = alignHistograms(h1, h2);
  return jensenShannonOfCounts(a, b);
}
