/**
 * The evaluation view's curves (src/core/curves.ts) and the view built from an Evaluator artifact
 * (src/core/evaluationView.ts), against scikit-learn on seeded predictions with ties and exact 0/1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrationCurve, oneVsRest, precisionRecallCurve, rocCurve } from '../../src/core/curves';
import { buildEvaluationView, type MetricsFile } from '../../src/core/evaluationView';
import { seededRandom, sklearnCurves } from '../fixtures/evaluation/oracle';

const TOLERANCE = 1e-9;

function close(actual: readonly number[], expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} points, scikit-learn has ${expected.length}`);
  actual.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) <= TOLERANCE, `${what}[${i}]: ${v} vs ${expected[i]}`));
}

function binaryCase(seed: number, n: number, decimals?: number): { labels: number[]; scores: number[] } {
  const rnd = seededRandom(seed);
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = rnd() < 0.35 ? 1 : 0;
    let s = Math.min(1, Math.max(0, 0.3 * y + 0.7 * rnd()));
    if (decimals !== undefined) s = Math.round(s * 10 ** decimals) / 10 ** decimals;
    if (i % 13 === 0) s = i % 2 ? 1 : 0;
    if (i % 17 === 0) s = 0.1; // exactly on a calibration bin edge
    labels.push(y);
    scores.push(s);
  }
  return { labels, scores };
}

test('ROC, precision-recall and calibration curves match scikit-learn point for point', () => {
  const cases = [binaryCase(1, 400), binaryCase(2, 250, 1), binaryCase(3, 60, 2), binaryCase(4, 1200)];
  const expected = sklearnCurves(cases);
  cases.forEach((c, k) => {
    const e = expected[k];
    assert.ok(e);
    const roc = rocCurve(c.labels, c.scores);
    assert.ok(roc);
    close(roc.fpr, e.roc.fpr, `case ${k} fpr`);
    close(roc.tpr, e.roc.tpr, `case ${k} tpr`);
    const pr = precisionRecallCurve(c.labels, c.scores);
    assert.ok(pr);
    close(pr.precision, e.pr.precision, `case ${k} precision`);
    close(pr.recall, e.pr.recall, `case ${k} recall`);
    const cal = calibrationCurve(c.labels, c.scores);
    close(cal.probTrue, e.calibration.prob_true, `case ${k} prob_true`);
    close(cal.probPred, e.calibration.prob_pred, `case ${k} prob_pred`);
    assert.equal(cal.counts.reduce((a, b) => a + b, 0), c.labels.length);
  });
  assert.equal(rocCurve([1, 1], [0.2, 0.3]), undefined, 'no ROC without negatives');
  assert.equal(precisionRecallCurve([0, 0], [0.2, 0.3]), undefined, 'no PR curve without positives');
});

test('the view of a multiclass evaluation: slices with counts, checks, deltas, one-vs-rest curves like scikit-learn', () => {
  const rnd = seededRandom(7);
  const classes = ['Adelie', 'Chinstrap', 'Gentoo'];
  const y: number[] = [];
  const scores: number[][] = [];
  for (let i = 0; i < 150; i++) {
    const c = Math.floor(rnd() * 3);
    const raw = classes.map((_, k) => rnd() + (k === c ? 0.9 : 0));
    const sum = raw.reduce((a, b) => a + b, 0);
    y.push(c);
    scores.push(raw.map((v) => v / sum));
  }
  const metrics: MetricsFile = {
    task: 'multiclass',
    label: 'species',
    split: 'eval',
    classes,
    model: '/store/model',
    blessed: false,
    slices: [
      { slice: {}, metrics: { example_count: 150, accuracy: 0.9, log_loss: 0.3 }, confusionMatrix: { classes, matrix: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] } },
      { slice: { island: 'Biscoe' }, metrics: { example_count: 70, accuracy: 0.95 } },
    ],
    baseline: { model: '/store/old', metrics: { example_count: 150, accuracy: 0.92, log_loss: 0.25 } },
    thresholds: [
      { metric: 'accuracy', kind: 'lower_bound', threshold: 0.8, value: 0.9, passed: true, message: 'accuracy 0.9 ≥ 0.8' },
      { metric: 'accuracy', kind: 'change', threshold: 0, direction: 'higher_is_better', value: 0.9, baseline: 0.92, diff: -0.02, passed: false, message: 'accuracy fell by 0.02' },
    ],
    failed: ['accuracy fell by 0.02'],
  };
  const view = buildEvaluationView('/store/metrics.json', metrics, { task: 'multiclass', classes, y, scores });
  assert.equal(view.blessed, false);
  assert.deepEqual(view.slices.map((s) => [s.name, s.exampleCount]), [['overall', 150], ['island=Biscoe', 70]]);
  assert.deepEqual(view.failed, ['accuracy fell by 0.02']);
  const acc = view.baseline?.deltas.find((d) => d.metric === 'accuracy');
  assert.ok(acc && Math.abs(acc.delta - (0.9 - 0.92)) < 1e-12);
  assert.deepEqual(view.confusion?.matrix, metrics.slices[0]?.confusionMatrix?.matrix, "metrics.json's own confusion matrix");
  const expected = sklearnCurves(classes.map((_, k) => ({ labels: oneVsRest(y, k), scores: scores.map((r) => r[k] as number) })));
  classes.forEach((c, k) => {
    const roc = view.roc?.find((s) => s.series === c);
    assert.ok(roc, `ROC of ${c}`);
    close(roc.x, expected[k]?.roc.fpr ?? [], `${c} fpr`);
    close(roc.y, expected[k]?.roc.tpr ?? [], `${c} tpr`);
    const cal = view.calibration?.find((s) => s.series === c);
    close(cal?.y ?? [], expected[k]?.calibration.prob_true ?? [], `${c} prob_true`);
  });
});
