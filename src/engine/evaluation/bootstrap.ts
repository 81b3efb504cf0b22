/**
 * 95% confidence intervals of a slice's metrics by a seeded percentile bootstrap over its eval rows:
 * draw the slice's rows with replacement, recompute every metric on the draw, and take the 2.5th
 * and 97.5th percentiles of each metric over the draws. Resampling the rows (labels and predictions
 * together) rather than using a per-metric standard error covers the metrics that are not means of
 * a per-row value (AUC, average precision, F1, calibration, R²) with one rule.
 *
 * The draws are NumPy's: `RandomState(seed).randint(0, n, size=m)` gives the row indices of each
 * resample in turn, so `np.percentile` over the same recomputation in Python reproduces an interval.
 *
 * Cost is bounded: `resamples` draws of at most `maxRows` rows each. A slice with more rows is
 * resampled m-out-of-n (m = maxRows) and each percentile's distance from the point estimate is scaled
 * by √(m/n): the metrics here are smooth in the rows, so their spread shrinks as 1/√rows, and the
 * scaled interval is the n-row interval's estimate (with m = n it is the plain percentile interval).
 */
import type { MetricValues } from '../../core/metrics';
import { RandomState } from './randomState';

export interface BootstrapOptions {
  readonly resamples: number;
  readonly seed: number;
  /** Rows per resample at most; larger slices are resampled m-out-of-n (see above). */
  readonly maxRows: number;
  readonly confidence: number;
}

/** What the Evaluator uses, and records in metrics.json (`bootstrap`). */
export const EVALUATOR_BOOTSTRAP: BootstrapOptions = { resamples: 200, seed: 20_280, maxRows: 5_000, confidence: 0.95 };

/** `metric` → `[low, high]`. */
export type MetricIntervals = Record<string, readonly [number, number]>;

/** As metrics.json records it: the method and its settings, so a reader can reproduce the intervals. */
export interface BootstrapRecord {
  readonly method: 'percentile';
  readonly resamples: number;
  readonly seed: number;
  readonly max_rows: number;
  readonly confidence: number;
}

export function bootstrapRecord(o: BootstrapOptions): BootstrapRecord {
  return { method: 'percentile', resamples: o.resamples, seed: o.seed, max_rows: o.maxRows, confidence: o.confidence };
}

/**
 * Metrics whose value is not a property of the model on the rows: the row count itself does not
 * vary over resamples of a fixed size, so an interval of it would only say `[n, n]`.
 */
const NO_INTERVAL = new Set(['example_count']);

/**
 * A resample leaves a metric undefined now and then (AUC on a draw without positives). When more
 * than this share of draws lack it, the slice is too small to say how much it varies: no interval.
 */
const MAX_UNDEFINED_SHARE = 0.05;

/** `np.percentile(values, q)` with NumPy's default linear interpolation; `sorted` ascending. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('percentile of no values');
  const pos = (q / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/**
 * Intervals of every metric in `point` (the slice's metrics on all its `n` rows) except the row
 * count. `metricsOf(rows)` computes the metrics on the slice's rows at those indices (0 … n−1).
 * A slice of fewer than two rows has no interval.
 */
export function bootstrapIntervals(n: number, point: MetricValues, metricsOf: (rows: Int32Array) => MetricValues, o: BootstrapOptions = EVALUATOR_BOOTSTRAP): MetricIntervals {
  const out: MetricIntervals = {};
  if (n < 2) return out;
  const names = Object.keys(point).filter((k) => !NO_INTERVAL.has(k));
  if (names.length === 0) return out;
  const m = Math.min(n, o.maxRows);
  const draws = new Map(names.map((k) => [k, [] as number[]]));
  const rng = new RandomState(o.seed);
  const rows = new Int32Array(m);
  for (let b = 0; b < o.resamples; b++) {
    for (let i = 0; i < m; i++) rows[i] = rng.interval(n - 1);
    const values = metricsOf(rows);
    for (const k of names) {
      const v = values[k];
      if (v !== undefined && Number.isFinite(v)) draws.get(k)?.push(v);
    }
  }
  const scale = Math.sqrt(m / n);
  const tail = ((1 - o.confidence) / 2) * 100;
  for (const k of names) {
    const values = draws.get(k) ?? [];
    if (values.length < o.resamples * (1 - MAX_UNDEFINED_SHARE)) continue;
    const sorted = Float64Array.from(values).sort();
    const p = point[k] as number;
    const low = p + scale * (percentile(sorted, tail) - p);
    const high = p + scale * (percentile(sorted, 100 - tail) - p);
    // A percentile interval can, on a skewed metric, leave the point estimate outside; the
    // interval is reported as computed, only ordered.
    out[k] = [Math.min(low, high), Math.max(low, high)];
  }
  return out;
}
