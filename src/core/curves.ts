/**
 * The curves of a model evaluation, computed from its predictions the way scikit-learn computes
 * them (its tests are the oracle): ROC (`roc_curve`, drop_intermediate=False), precision–recall
 * (`precision_recall_curve`), calibration (`calibration_curve`, uniform bins), and for regression
 * the residuals. Labels are 0/1 for the binary curves. Pure; no DOM, no Node.
 */
import { thresholdCurve } from './metrics';

export interface RocCurve {
  readonly fpr: number[];
  readonly tpr: number[];
  /** Score at each point; the first point (0, 0) has threshold Infinity (sent as null in JSON). */
  readonly thresholds: number[];
}

export interface PrCurve {
  /** From the highest recall down to recall 0 with precision 1, as scikit-learn orders them. */
  readonly precision: number[];
  readonly recall: number[];
  readonly thresholds: number[];
}

export interface CalibrationCurve {
  /** Per non-empty bin: the share of positives, and the mean predicted probability. */
  readonly probTrue: number[];
  readonly probPred: number[];
  /** Examples in each non-empty bin. */
  readonly counts: number[];
}

/** ROC points; undefined unless both classes are present. */
export function rocCurve(labels: ArrayLike<number>, scores: ArrayLike<number>): RocCurve | undefined {
  const { tps, fps, thresholds } = thresholdCurve(labels, scores);
  const p = tps.at(-1) ?? 0;
  const n = fps.at(-1) ?? 0;
  if (p === 0 || n === 0) return undefined;
  return { fpr: [0, ...fps.map((f) => f / n)], tpr: [0, ...tps.map((t) => t / p)], thresholds: [Infinity, ...thresholds] };
}

/** Precision–recall points; undefined without positives. */
export function precisionRecallCurve(labels: ArrayLike<number>, scores: ArrayLike<number>): PrCurve | undefined {
  const { tps, fps, thresholds } = thresholdCurve(labels, scores);
  const p = tps.at(-1) ?? 0;
  if (p === 0) return undefined;
  const precision = tps.map((t, i) => (t + (fps[i] as number) === 0 ? 0 : t / (t + (fps[i] as number))));
  const recall = tps.map((t) => t / p);
  return { precision: [...precision.reverse(), 1], recall: [...recall.reverse(), 0], thresholds: [...thresholds].reverse() };
}

/** Reliability diagram points over `bins` equal-width bins of [0, 1]; empty bins are left out. */
export function calibrationCurve(labels: ArrayLike<number>, probabilities: ArrayLike<number>, bins = 10): CalibrationCurve {
  // numpy.linspace(0, 1, bins + 1)[1:-1] and searchsorted(side='left'): a probability on an edge
  // belongs to the bin below it.
  const edges = Array.from({ length: bins - 1 }, (_, i) => (i + 1) * (1 / bins));
  const sums = new Array<number>(bins).fill(0);
  const trues = new Array<number>(bins).fill(0);
  const totals = new Array<number>(bins).fill(0);
  for (let i = 0; i < probabilities.length; i++) {
    const pr = probabilities[i] as number;
    let b = 0;
    while (b < edges.length && (edges[b] as number) < pr) b++;
    sums[b] = (sums[b] as number) + pr;
    trues[b] = (trues[b] as number) + (labels[i] as number);
    totals[b] = (totals[b] as number) + 1;
  }
  const out: CalibrationCurve = { probTrue: [], probPred: [], counts: [] };
  for (let b = 0; b < bins; b++) {
    const t = totals[b] as number;
    if (t === 0) continue;
    out.probTrue.push((trues[b] as number) / t);
    out.probPred.push((sums[b] as number) / t);
    out.counts.push(t);
  }
  return out;
}

/** One-vs-rest labels of class `k`: 1 where the label is `k`. */
export function oneVsRest(labels: ArrayLike<number>, k: number): number[] {
  return Array.from(labels, (y) => (y === k ? 1 : 0));
}
