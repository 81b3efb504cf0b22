/**
 * The metric formulas of src/core/metrics.ts against scikit-learn (Debian's python3-sklearn run by
 * /usr/bin/python3), on seeded random predictions with ties, exact 0/1 scores, scores exactly at the
 * threshold, single-class slices and constant labels. Tolerance 1e-6 (the project's contract).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  averagePrecision,
  binaryClassificationMetrics,
  multiclassMetrics,
  regressionMetrics,
  rocAuc,
} from '../../src/core/metrics';
import { type OracleCase, type OracleResult, seededRandom, sklearnMetrics } from '../fixtures/evaluation/oracle';

const TOLERANCE = 1e-6;

function binaryCase(seed: number, n: number, opts: { decimals?: number; extremes?: boolean; positiveRate?: number } = {}): Extract<OracleCase, { task: 'binary' }> {
  const rnd = seededRandom(seed);
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = rnd() < (opts.positiveRate ?? 0.4) ? 1 : 0;
    // Informative but noisy scores, so AUC lies well inside (0.5, 1).
    let s = Math.min(1, Math.max(0, 0.35 * y + 0.65 * rnd()));
    if (opts.decimals !== undefined) s = Math.round(s * 10 ** opts.decimals) / 10 ** opts.decimals;
    if (opts.extremes && i % 7 === 0) s = i % 2 ? 1 : 0;
    if (opts.extremes && i % 11 === 0) s = 0.5;
    labels.push(y);
    scores.push(s);
  }
  return { task: 'binary', labels, scores, thresholds: [0.3, 0.5, 0.7] };
}

function multiclassCase(seed: number, n: number, k: number, opts: { dropClass?: number; ties?: boolean } = {}): Extract<OracleCase, { task: 'multiclass' }> {
  const rnd = seededRandom(seed);
  const labels: number[] = [];
  const probabilities: number[][] = [];
  for (let i = 0; i < n; i++) {
    let y = Math.floor(rnd() * k);
    if (y === opts.dropClass) y = (y + 1) % k;
    const raw = Array.from({ length: k }, (_, c) => rnd() + (c === y ? 0.8 : 0));
    if (opts.ties && i % 5 === 0) raw.fill(1);
    if (i % 9 === 0) raw[(y + 1) % k] = 0; // an exact zero probability, clipped by log loss
    const sum = raw.reduce((a, b) => a + b, 0);
    labels.push(y);
    probabilities.push(raw.map((v) => v / sum));
  }
  return { task: 'multiclass', labels, probabilities, num_classes: k };
}

function regressionCase(seed: number, n: number, constantLabel = false): Extract<OracleCase, { task: 'regression' }> {
  const rnd = seededRandom(seed);
  const labels: number[] = [];
  const predictions: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = constantLabel ? 3.25 : 100 * rnd() - 20;
    labels.push(y);
    predictions.push(y + 10 * (rnd() - 0.5));
  }
  return { task: 'regression', labels, predictions };
}

let largestDiff = 0;
let numbersCompared = 0;

function assertClose(ours: Record<string, number>, theirs: Record<string, number>, what: string): void {
  assert.deepEqual(Object.keys(ours).sort(), Object.keys(theirs).sort(), `${what}: the same metrics are defined`);
  for (const [name, expected] of Object.entries(theirs)) {
    const actual = ours[name];
    if (actual !== undefined) largestDiff = Math.max(largestDiff, Math.abs(actual - expected));
    numbersCompared++;
    assert.ok(actual !== undefined && Math.abs(actual - expected) <= TOLERANCE, `${what}: ${name} = ${actual}, sklearn says ${expected}`);
  }
}

const binaryCases = [
  binaryCase(1, 600), // continuous scores
  binaryCase(2, 500, { decimals: 1 }), // heavy ties
  binaryCase(3, 300, { decimals: 2, extremes: true }), // exact 0, 1 and 0.5 scores
  binaryCase(4, 40, { positiveRate: 0.05 }), // rare positives
  binaryCase(5, 25, { positiveRate: 0 }), // no positives: AUC, AUC-PR and calibration undefined
  binaryCase(6, 25, { positiveRate: 1 }), // only positives: AUC undefined
  { task: 'binary' as const, labels: [0, 1, 1, 0, 1], scores: [0.5, 0.5, 0.5, 0.5, 0.5], thresholds: [0.5] }, // one big tie
  { task: 'binary' as const, labels: [1, 0], scores: [1, 0], thresholds: [0.5] }, // perfect, clipped log loss
];
const multiclassCases = [multiclassCase(11, 400, 3), multiclassCase(12, 300, 5, { ties: true }), multiclassCase(13, 120, 4, { dropClass: 2 })];
const regressionCases = [regressionCase(21, 500), regressionCase(22, 30, true), regressionCase(23, 2)];

// One Python process for every case: importing sklearn is the slow part.
let oracleResults: OracleResult[] | undefined;
function oracle(): { binary: OracleResult[]; multiclass: OracleResult[]; regression: OracleResult[] } {
  oracleResults ??= sklearnMetrics([...binaryCases, ...multiclassCases, ...regressionCases]);
  const b = binaryCases.length;
  const m = multiclassCases.length;
  return { binary: oracleResults.slice(0, b), multiclass: oracleResults.slice(b, b + m), regression: oracleResults.slice(b + m) };
}

test('binary metrics match sklearn (roc_auc_score, average_precision_score, log_loss, accuracy, precision, recall, f1, fairness rates)', () => {
  const { binary } = oracle();
  binaryCases.forEach((c, i) => {
    const ours = binaryClassificationMetrics(c.labels, c.scores, c.thresholds);
    assertClose(ours, binary[i]!.metrics, `binary case ${i}`);
  });
  // The cases are not trivial: the first one's AUC lies strictly inside (0.5, 1).
  const auc = binary[0]!.metrics.auc!;
  assert.ok(auc > 0.6 && auc < 0.95, `auc ${auc}`);
});

test('multiclass metrics match sklearn (accuracy, log_loss with clipping and renormalisation, per-class precision/recall, confusion_matrix)', () => {
  const { multiclass } = oracle();
  multiclassCases.forEach((c, i) => {
    const classes = Array.from({ length: c.num_classes }, (_, k) => `c${k}`);
    const ours = multiclassMetrics(c.labels, c.probabilities, classes);
    assertClose(ours.metrics, multiclass[i]!.metrics, `multiclass case ${i}`);
    assert.deepEqual(ours.confusionMatrix.matrix, multiclass[i]!.confusion_matrix, `multiclass case ${i}: confusion matrix`);
  });
});

test('regression metrics match sklearn (mean_squared_error, RMSE, mean_absolute_error, r2_score incl. a constant label)', () => {
  const { regression } = oracle();
  regressionCases.forEach((c, i) => assertClose(regressionMetrics(c.labels, c.predictions), regression[i]!.metrics, `regression case ${i}`));
});

test('summary of the sklearn comparison', (t) => {
  assert.ok(numbersCompared > 200, `${numbersCompared} numbers compared`);
  t.diagnostic(`${numbersCompared} metric values compared with sklearn ${'1.2'}; largest |ours − sklearn| = ${largestDiff.toExponential(2)}`);
});

test('hand-computed values: ties count half in AUC; AP steps over distinct thresholds', () => {
  // Positives {0.8, 0.5}, negatives {0.5, 0.2}: pairs (0.8>0.5)=1, (0.8>0.2)=1, (0.5=0.5)=½, (0.5>0.2)=1 → 3.5/4.
  assert.equal(rocAuc([1, 1, 0, 0], [0.8, 0.5, 0.5, 0.2]), 0.875);
  // Thresholds 0.8 (P=1, R=½), 0.5 (P=2/3, R=1) → ½·1 + ½·⅔.
  assert.equal(averagePrecision([1, 1, 0, 0], [0.8, 0.5, 0.5, 0.2]), 0.5 + 0.5 * (2 / 3));
  assert.equal(rocAuc([1, 1], [0.1, 0.2]), undefined);
});

test('macro averages cover the classes of the slice: a slice of two classes, classified without a mistake, has macro precision and recall 1', () => {
  const r = multiclassMetrics([0, 0, 2, 2], [[0.9, 0.05, 0.05], [0.8, 0.1, 0.1], [0.1, 0.1, 0.8], [0.2, 0.1, 0.7]], ['a', 'b', 'c']);
  assert.equal(r.metrics.precision_macro, 1);
  assert.equal(r.metrics.recall_macro, 1);
  assert.equal(r.metrics['precision/b'], undefined, 'class b is not in the slice');
  // A class predicted but absent from the labels is in the slice: its precision is 0.
  const wrong = multiclassMetrics([0, 0], [[0.9, 0.1, 0], [0.2, 0.8, 0]], ['a', 'b', 'c']);
  assert.equal(wrong.metrics['precision/b'], 0);
  assert.equal(wrong.metrics.precision_macro, 0.5);
});
