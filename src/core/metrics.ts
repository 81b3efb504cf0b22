/**
 * Model-evaluation metrics, as pure functions over plain arrays. Each formula follows the definition
 * of scikit-learn 1.2 (Debian bookworm's python3-sklearn), which the tests use as the oracle:
 *
 * - `rocAuc`            = `roc_auc_score` (trapezoids over distinct thresholds, so tied scores count half)
 * - `averagePrecision`  = `average_precision_score` (Σ (Rₙ − Rₙ₋₁) Pₙ over distinct thresholds, no interpolation)
 * - `binaryLogLoss` / `multiclassLogLoss` = `log_loss` (probabilities clipped to [ε, 1 − ε] with ε the
 *   float64 machine epsilon, rows renormalised after clipping, as sklearn 1.2 does)
 * - precision / recall / F1 = `precision_score` … with `zero_division` left at its default: 0 when undefined
 * - `r2`                = `r2_score` (force_finite: 1 for a perfect fit of a constant label, else 0)
 *
 * A metric that has no value on a slice (AUC where only one class is present) is left out rather than
 * written as NaN, which JSON cannot carry.
 */

/** float64 machine epsilon: `np.finfo(np.float64).eps`, sklearn's default clip for log loss. */
export const FLOAT64_EPS = 2 ** -52;

export type MetricValues = Record<string, number>;

/** Counts of a binary decision at one threshold. */
export interface BinaryConfusion {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

function at(a: ArrayLike<number>, i: number): number {
  return a[i] as number;
}

function checkLengths(what: string, a: ArrayLike<unknown>, b: ArrayLike<unknown>): void {
  if (a.length !== b.length) throw new Error(`${what}: ${a.length} labels but ${b.length} predictions`);
}

/** Safe division that reports an undefined ratio as `undefined`. */
function ratio(num: number, den: number): number | undefined {
  return den === 0 ? undefined : num / den;
}

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += at(a, i);
  return s / a.length;
}

/**
 * Cumulative true and false positives at each distinct score, from the highest score down: the
 * points of the ROC and precision-recall curves. Tied scores form one point.
 */
export function thresholdCurve(labels: ArrayLike<number>, scores: ArrayLike<number>): { tps: number[]; fps: number[]; thresholds: number[] } {
  const order = Array.from({ length: labels.length }, (_, i) => i).sort((a, b) => at(scores, b) - at(scores, a));
  const tps: number[] = [];
  const fps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    if (at(labels, i) === 1) tp++;
    else fp++;
    const next = order[k + 1];
    if (next === undefined || at(scores, next) !== at(scores, i)) {
      tps.push(tp);
      fps.push(fp);
      thresholds.push(at(scores, i));
    }
  }
  return { tps, fps, thresholds };
}

/** Area under the ROC curve; undefined unless both classes are present. `labels` are 0/1. */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number | undefined {
  checkLengths('rocAuc', labels, scores);
  const { tps, fps } = thresholdCurve(labels, scores);
  const p = tps.at(-1) ?? 0;
  const n = fps.at(-1) ?? 0;
  if (p === 0 || n === 0) return undefined;
  // Trapezoids in integer counts, divided once: exact for ties, and no rounding build-up.
  let area = 0;
  let prevTp = 0;
  let prevFp = 0;
  for (let k = 0; k < tps.length; k++) {
    const tp = tps[k] as number;
    const fp = fps[k] as number;
    area += ((fp - prevFp) * (tp + prevTp)) / 2;
    prevTp = tp;
    prevFp = fp;
  }
  return area / (p * n);
}

/** Average precision (area under the precision-recall curve, step-wise); undefined without positives. */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number | undefined {
  checkLengths('averagePrecision', labels, scores);
  const { tps, fps } = thresholdCurve(labels, scores);
  const p = tps.at(-1) ?? 0;
  if (p === 0) return undefined;
  let ap = 0;
  let prevRecall = 0;
  for (let k = 0; k < tps.length; k++) {
    const tp = tps[k] as number;
    const recall = tp / p;
    ap += (recall - prevRecall) * (tp / (tp + (fps[k] as number)));
    prevRecall = recall;
  }
  return ap;
}

/** Mean binary cross-entropy of the probability of the positive class. */
export function binaryLogLoss(labels: ArrayLike<number>, scores: ArrayLike<number>, eps = FLOAT64_EPS): number {
  checkLengths('binaryLogLoss', labels, scores);
  if (labels.length === 0) throw new Error('binaryLogLoss: no examples');
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(Math.max(at(scores, i), eps), 1 - eps);
    // sklearn builds the row [1 − p, p] and renormalises it; in float64 the sum can differ from 1 by an ulp.
    const total = 1 - p + p;
    sum -= at(labels, i) === 1 ? Math.log(p / total) : Math.log((1 - p) / total);
  }
  return sum / labels.length;
}

/**
 * Mean categorical cross-entropy. `labels[i]` is a class index into each `probabilities[i]` row; a
 * label outside the rows (a class the model never saw) counts as probability ε.
 */
export function multiclassLogLoss(labels: ArrayLike<number>, probabilities: readonly ArrayLike<number>[], eps = FLOAT64_EPS): number {
  checkLengths('multiclassLogLoss', labels, probabilities);
  if (labels.length === 0) throw new Error('multiclassLogLoss: no examples');
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = probabilities[i] as ArrayLike<number>;
    let total = 0;
    for (let k = 0; k < row.length; k++) total += Math.min(Math.max(at(row, k), eps), 1 - eps);
    const y = at(labels, i);
    const p = y >= 0 && y < row.length ? Math.min(Math.max(at(row, y), eps), 1 - eps) : eps;
    sum -= Math.log(p / total);
  }
  return sum / labels.length;
}

/** The binary decision at `threshold`: positive when the score is above it, as Keras and TFMA decide. */
export function binaryConfusion(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold: number): BinaryConfusion {
  checkLengths('binaryConfusion', labels, scores);
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const positive = at(scores, i) > threshold;
    if (at(labels, i) === 1) positive ? tp++ : fn++;
    else positive ? fp++ : tn++;
  }
  return { tp, fp, tn, fn };
}

/** Precision, recall and F1 with sklearn's `zero_division=0` convention. */
export function precisionRecallF1(c: BinaryConfusion): { precision: number; recall: number; f1: number } {
  const precision = ratio(c.tp, c.tp + c.fp) ?? 0;
  const recall = ratio(c.tp, c.tp + c.fn) ?? 0;
  // sklearn's F1 is 2·tp / (2·tp + fp + fn), which is 0 (not undefined) when precision + recall is 0.
  const f1 = ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn) ?? 0;
  return { precision, recall, f1 };
}

/**
 * The Fairness-Indicators rates at one threshold. A rate whose denominator is empty on a slice (no
 * negatives for the false positive rate) is undefined and left out.
 */
export function fairnessRates(c: BinaryConfusion): Partial<Record<'false_positive_rate' | 'false_negative_rate' | 'true_positive_rate' | 'true_negative_rate', number>> {
  const out: Partial<Record<'false_positive_rate' | 'false_negative_rate' | 'true_positive_rate' | 'true_negative_rate', number>> = {};
  const fpr = ratio(c.fp, c.fp + c.tn);
  const tnr = ratio(c.tn, c.fp + c.tn);
  const fnr = ratio(c.fn, c.fn + c.tp);
  const tpr = ratio(c.tp, c.fn + c.tp);
  if (fpr !== undefined) out.false_positive_rate = fpr;
  if (fnr !== undefined) out.false_negative_rate = fnr;
  if (tpr !== undefined) out.true_positive_rate = tpr;
  if (tnr !== undefined) out.true_negative_rate = tnr;
  return out;
}

function put(m: MetricValues, name: string, v: number | undefined): void {
  if (v !== undefined && Number.isFinite(v)) m[name] = v;
}

/** The name of a fairness rate at a threshold, as Fairness Indicators prints it: `false_positive_rate@0.5`. */
export function fairnessMetricName(rate: string, threshold: number): string {
  return `${rate}@${threshold}`;
}

/**
 * Every binary-classification metric of one slice. `labels` are 0/1 (1 = the positive class),
 * `scores` the probability of the positive class; the decision threshold for accuracy, precision,
 * recall and F1 is 0.5, and the fairness rates are given at each of `fairnessThresholds`.
 */
export function binaryClassificationMetrics(labels: ArrayLike<number>, scores: ArrayLike<number>, fairnessThresholds: readonly number[] = [0.5]): MetricValues {
  checkLengths('binaryClassificationMetrics', labels, scores);
  const m: MetricValues = { example_count: labels.length };
  if (labels.length === 0) return m;
  const c = binaryConfusion(labels, scores, 0.5);
  const prf = precisionRecallF1(c);
  const meanLabel = mean(labels);
  const meanPrediction = mean(scores);
  put(m, 'accuracy', (c.tp + c.tn) / labels.length);
  put(m, 'auc', rocAuc(labels, scores));
  put(m, 'auc_pr', averagePrecision(labels, scores));
  put(m, 'log_loss', binaryLogLoss(labels, scores));
  put(m, 'precision', prf.precision);
  put(m, 'recall', prf.recall);
  put(m, 'f1', prf.f1);
  put(m, 'mean_label', meanLabel);
  put(m, 'mean_prediction', meanPrediction);
  // TFMA's calibration: Σ predictions / Σ labels; undefined on a slice without positives.
  put(m, 'calibration', ratio(meanPrediction, meanLabel));
  for (const t of fairnessThresholds) {
    const rates = fairnessRates(binaryConfusion(labels, scores, t));
    for (const [name, v] of Object.entries(rates)) put(m, fairnessMetricName(name, t), v);
  }
  return m;
}

/** Index of the largest value, the first one on ties (as `numpy.argmax`). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (at(row, k) > at(row, best)) best = k;
  return best;
}

/** Rows are true classes, columns predicted classes, both in `classes` order (sklearn's `confusion_matrix`). */
export function confusionMatrix(labels: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number): number[][] {
  checkLengths('confusionMatrix', labels, predicted);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const row = m[at(labels, i)];
    const col = at(predicted, i);
    if (row && col >= 0 && col < numClasses) row[col] = (row[col] as number) + 1;
  }
  return m;
}

export interface MulticlassResult {
  readonly metrics: MetricValues;
  /** `matrix[true][predicted]`, rows and columns in `classes` order. */
  readonly confusionMatrix: { readonly classes: readonly string[]; readonly matrix: readonly (readonly number[])[] };
}

/**
 * Multiclass metrics of one slice: accuracy, log loss, per-class precision and recall
 * (`precision/<class>`, `recall/<class>`, one-vs-rest with zero_division=0), their macro averages, and
 * the confusion matrix. The predicted class is the argmax of each probability row. A label index
 * outside `classes` (a class the model never saw) counts as a miss.
 *
 * Per-class figures and the macro averages cover the classes of the slice — those among its labels
 * or its predictions — as scikit-learn's `precision_score(average='macro')` does by default: a class
 * absent from a slice has no precision or recall there, and counting it as 0 would show a slice
 * classified without a mistake (a single island's penguins) with a macro precision of 1/3.
 */
export function multiclassMetrics(labels: ArrayLike<number>, probabilities: readonly ArrayLike<number>[], classes: readonly string[]): MulticlassResult {
  checkLengths('multiclassMetrics', labels, probabilities);
  const k = classes.length;
  const metrics: MetricValues = { example_count: labels.length };
  const predicted = probabilities.map((row) => argmax(row));
  const matrix = confusionMatrix(labels, predicted, k);
  if (labels.length === 0) return { metrics, confusionMatrix: { classes, matrix } };
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (at(labels, i) === predicted[i]) correct++;
  put(metrics, 'accuracy', correct / labels.length);
  put(metrics, 'log_loss', multiclassLogLoss(labels, probabilities));
  let precisionSum = 0;
  let recallSum = 0;
  let present = 0;
  const unseen = new Set<number>();
  for (let i = 0; i < labels.length; i++) {
    const l = at(labels, i);
    if (l < 0 || l >= k) unseen.add(l);
  }
  for (let c = 0; c < k; c++) {
    const tp = matrix[c]?.[c] ?? 0;
    let predictedC = 0;
    for (let r = 0; r < k; r++) predictedC += matrix[r]?.[c] ?? 0;
    // Actual count from the labels, not the matrix, so that unseen-class labels still count in recall.
    let actualC = 0;
    for (let i = 0; i < labels.length; i++) if (at(labels, i) === c) actualC++;
    if (predictedC === 0 && actualC === 0) continue;
    present++;
    const precision = ratio(tp, predictedC) ?? 0;
    const recall = ratio(tp, actualC) ?? 0;
    put(metrics, `precision/${classes[c]}`, precision);
    put(metrics, `recall/${classes[c]}`, recall);
    precisionSum += precision;
    recallSum += recall;
  }
  // A class the model never saw is a class of the slice too, never predicted: 0 and 0.
  present += unseen.size;
  put(metrics, 'precision_macro', precisionSum / present);
  put(metrics, 'recall_macro', recallSum / present);
  return { metrics, confusionMatrix: { classes, matrix } };
}

/** Coefficient of determination as sklearn's `r2_score` (with its default `force_finite=True`). */
export function r2(labels: ArrayLike<number>, predictions: ArrayLike<number>): number {
  checkLengths('r2', labels, predictions);
  const m = mean(labels);
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < labels.length; i++) {
    ssRes += (at(labels, i) - at(predictions, i)) ** 2;
    ssTot += (at(labels, i) - m) ** 2;
  }
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}

/** Regression metrics of one slice: RMSE, MSE, MAE, R², mean label and mean prediction. */
export function regressionMetrics(labels: ArrayLike<number>, predictions: ArrayLike<number>): MetricValues {
  checkLengths('regressionMetrics', labels, predictions);
  const m: MetricValues = { example_count: labels.length };
  if (labels.length === 0) return m;
  let se = 0;
  let ae = 0;
  for (let i = 0; i < labels.length; i++) {
    const d = at(labels, i) - at(predictions, i);
    se += d * d;
    ae += Math.abs(d);
  }
  put(m, 'mse', se / labels.length);
  put(m, 'rmse', Math.sqrt(se / labels.length));
  put(m, 'mae', ae / labels.length);
  // sklearn's r2_score needs at least two samples; one sample has no variance to explain.
  if (labels.length >= 2) put(m, 'r2', r2(labels, predictions));
  put(m, 'mean_label', mean(labels));
  put(m, 'mean_prediction', mean(predictions));
  return m;
}
