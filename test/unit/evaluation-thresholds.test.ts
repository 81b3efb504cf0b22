/**
 * Model validation rules (TFMA's metrics_validator semantics), slicing and label encoding, on hand-made numbers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkThresholds } from '../../src/engine/evaluation/thresholds';
import { describeSlice, sliceRows } from '../../src/engine/evaluation/slicing';
import { computeSliceMetrics, encodeLabels } from '../../src/engine/evaluation/sliceMetrics';

test('value thresholds: lower_bound ≤ metric ≤ upper_bound, bounds inclusive', () => {
  const checks = checkThresholds({ accuracy: { lower_bound: 0.9 }, log_loss: { upper_bound: 0.3 }, rmse: { lower_bound: 1, upper_bound: 2 } }, { accuracy: 0.9, log_loss: 0.31, rmse: 2.5 }, undefined);
  assert.deepEqual(
    checks.map((c) => [c.metric, c.kind, c.passed]),
    [
      ['accuracy', 'lower_bound', true],
      ['log_loss', 'upper_bound', false],
      ['rmse', 'lower_bound', true],
      ['rmse', 'upper_bound', false],
    ],
  );
  assert.equal(checks[1]?.message, 'log_loss = 0.31 fails ≤ 0.3');
});

test('change thresholds: diff = candidate − baseline; higher_is_better needs diff ≥ absolute, lower_is_better diff ≤ absolute', () => {
  const t = {
    auc: { change: { direction: 'higher_is_better' as const, absolute: -0.01 } },
    log_loss: { change: { direction: 'lower_is_better' as const, absolute: 0 } },
  };
  const candidate = { auc: 0.895, log_loss: 0.2 };
  const pass = checkThresholds(t, candidate, { auc: 0.9, log_loss: 0.2 });
  assert.deepEqual(pass.map((c) => c.passed), [true, true]);
  assert.ok(Math.abs((pass[0]?.diff ?? 0) + 0.005) < 1e-12);
  const fail = checkThresholds(t, candidate, { auc: 0.91, log_loss: 0.19 });
  assert.deepEqual(fail.map((c) => c.passed), [false, false]);
  // First run: no baseline, change thresholds pass (as TFX); a missing metric always fails.
  const first = checkThresholds({ ...t, auc_pr: { lower_bound: 0.5 } }, candidate, undefined);
  assert.deepEqual(first.map((c) => [c.passed, c.skipped ?? '']), [[true, 'no baseline model'], [true, 'no baseline model'], [false, '']]);
  assert.match(first[2]?.message ?? '', /auc_pr: metric not found \(this evaluation has: auc, log_loss\)/);
});

test('slicing: [] is overall, [f] one slice per value (missing values in none), [a, b] crosses present in the data', () => {
  const rows = [
    { island: 'Dream', sex: 'male', n: 1 },
    { island: 'Biscoe', sex: null, n: 2 },
    { island: 'Dream', sex: 'female', n: 3 },
    { island: 'Biscoe', sex: 'male', n: 10 },
    { island: null, sex: 'male', n: 2 },
  ];
  const slices = sliceRows(rows, [[], ['island'], ['island', 'sex'], ['n'], ['sex', 'island']], ['island', 'sex', 'n']);
  assert.deepEqual(
    slices.map((s) => [describeSlice(s.key), s.rows]),
    [
      ['overall', [0, 1, 2, 3, 4]],
      ['island=Biscoe', [1, 3]],
      ['island=Dream', [0, 2]],
      ['island=Biscoe, sex=male', [3]],
      ['island=Dream, sex=female', [2]],
      ['island=Dream, sex=male', [0]],
      // numbers sort as numbers; the duplicate spec [sex, island] is dropped
      ['n=1', [0]],
      ['n=2', [1, 4]],
      ['n=3', [2]],
      ['n=10', [3]],
    ],
  );
  assert.throws(() => sliceRows(rows, [['colour']], ['island', 'sex', 'n']), /slice feature 'colour' is not a column of the examples; columns: island, sex, n/);
});

test('labels: missing ones never count; a class the model never saw is a miss (multiclass) or left out (binary)', () => {
  const base = { label: 'y', inputs: [], backend: 'test', hyperparameters: {} };
  const raw = ['A', 'C', null, 'B', Number.NaN, ''];
  const multi = encodeLabels({ ...base, task: 'multiclass', classes: ['A', 'B'] }, raw);
  assert.deepEqual([...multi.y], [0, -1, 0, 1, 0, 0]);
  assert.deepEqual(multi.usable, [true, true, false, true, false, false]);
  assert.equal(multi.missing, 3);
  assert.deepEqual(multi.unknown, { C: 1 });
  const predictions = [{ scores: [0.9, 0.1], prediction: 'A' }, { scores: [0.2, 0.8], prediction: 'B' }, { scores: [1, 0], prediction: 'A' }, { scores: [0.4, 0.6], prediction: 'B' }];
  const [overall] = computeSliceMetrics({ ...base, task: 'multiclass', classes: ['A', 'B'] }, multi, [...predictions, ...predictions], [{ key: {}, rows: [0, 1, 2, 3] }], []);
  assert.equal(overall?.metrics.example_count, 3);
  assert.equal(overall?.metrics.accuracy, 2 / 3, 'the unseen class C counts as a miss');
  const binary = encodeLabels({ ...base, task: 'binary', classes: ['0', '1'] }, [0, 1, 2, '1', null]);
  assert.deepEqual(binary.usable, [true, true, false, true, false]);
  assert.deepEqual([...binary.y].slice(0, 4), [0, 1, 0, 1]);
  assert.deepEqual(binary.unknown, { '2': 1 });
});
