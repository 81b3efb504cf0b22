/**
 * The Evaluator's confidence intervals (src/engine/evaluation/bootstrap.ts), the `intervals` field of
 * each slice in metrics.json, against two independent oracles:
 *
 * - NumPy + scikit-learn: the same percentile bootstrap written in Python (`RandomState(seed).randint`
 *   for the draws, sklearn's metrics on each draw, `np.percentile`), which must agree to 1e-9;
 * - the normal approximation of a proportion, p ± 1.96·√(p(1−p)/n), which the bootstrap interval of
 *   accuracy must match within a tolerance (a different method, so only approximately) — also for a
 *   slice larger than the row cap, where the m-out-of-n rescaling must give the n-row width.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bootstrapIntervals, percentile } from '../../src/engine/evaluation/bootstrap';
import { computeSliceMetrics, encodeLabels } from '../../src/engine/evaluation/sliceMetrics';
import type { ModelSignature, Prediction } from '../../src/engine/model/servingModel';
import { binaryClassificationMetrics } from '../../src/core/metrics';
import { noOraclePython } from '../python';
import { runSystemPython, seededRandom } from '../fixtures/evaluation/oracle';

function binaryData(seed: number, n: number): { labels: number[]; scores: number[] } {
  const rnd = seededRandom(seed);
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = rnd() < 0.4 ? 1 : 0;
    labels.push(y);
    scores.push(Math.min(1, Math.max(0, 0.3 * y + 0.7 * rnd())));
  }
  return { labels, scores };
}

const signature = { task: 'binary', label: 'y', classes: ['no', 'yes'], inputs: [] } as unknown as ModelSignature;

function sliceResult(labels: readonly number[], scores: readonly number[], options: { resamples: number; seed: number; maxRows: number; confidence: number }) {
  const encoded = encodeLabels(signature, labels.map((y) => (y ? 'yes' : 'no')));
  const predictions: Prediction[] = scores.map((score) => ({ score }) as Prediction);
  const [overall] = computeSliceMetrics(signature, encoded, predictions, [{ key: {}, rows: labels.map((_, i) => i) }], [0.5], options);
  assert.ok(overall);
  return overall;
}

test('percentile interpolates linearly between ranks, as np.percentile does', () => {
  const v = Float64Array.from([1, 2, 3, 4]);
  assert.equal(percentile(v, 0), 1);
  assert.equal(percentile(v, 100), 4);
  assert.equal(percentile(v, 50), 2.5);
  assert.equal(percentile(v, 2.5), 1 + 0.075);
});

test('every metric of the slice but the row count gets an interval around its value, and only when asked for', () => {
  const { labels, scores } = binaryData(3, 800);
  const r = sliceResult(labels, scores, { resamples: 200, seed: 1, maxRows: 10_000, confidence: 0.95 });
  const intervals = r.intervals ?? {};
  const expected = Object.keys(r.metrics).filter((k) => k !== 'example_count').sort();
  assert.deepEqual(Object.keys(intervals).sort(), expected);
  for (const [k, [low, high]] of Object.entries(intervals)) {
    const v = r.metrics[k] as number;
    assert.ok(low < high, `${k}: a real interval [${low}, ${high}]`);
    assert.ok(low <= v && v <= high, `${k} = ${v} lies in [${low}, ${high}]`);
  }
  const encoded = encodeLabels(signature, labels.map((y) => (y ? 'yes' : 'no')));
  const [plain] = computeSliceMetrics(signature, encoded, scores.map((score) => ({ score }) as Prediction), [{ key: {}, rows: labels.map((_, i) => i) }], [0.5]);
  assert.equal(plain?.intervals, undefined, 'the baseline and quantized passes do not pay for intervals');
});

test('the same seed gives the same intervals; a slice of one row has none', () => {
  const { labels, scores } = binaryData(4, 300);
  const o = { resamples: 100, seed: 9, maxRows: 10_000, confidence: 0.95 };
  assert.deepEqual(sliceResult(labels, scores, o).intervals, sliceResult(labels, scores, o).intervals);
  assert.deepEqual(bootstrapIntervals(1, { accuracy: 1 }, () => ({ accuracy: 1 }), o), {});
});

test('accuracy interval ≈ the normal approximation p ± 1.96·√(p(1−p)/n), also above the row cap (m-out-of-n, rescaled)', () => {
  for (const { n, maxRows } of [
    { n: 2299, maxRows: 10_000 },
    { n: 20_000, maxRows: 2_000 },
  ]) {
    const { labels, scores } = binaryData(5, n);
    const r = sliceResult(labels, scores, { resamples: 1000, seed: 20_280, maxRows, confidence: 0.95 });
    const p = r.metrics.accuracy as number;
    const half = 1.96 * Math.sqrt((p * (1 - p)) / n);
    const [low, high] = r.intervals?.accuracy ?? [NaN, NaN];
    // The bootstrap's own noise with 1000 resamples is a few percent of the half-width.
    const tolerance = 0.12 * half;
    assert.ok(Math.abs(low - (p - half)) < tolerance, `n=${n}: low ${low} vs normal ${p - half} (±${tolerance})`);
    assert.ok(Math.abs(high - (p + half)) < tolerance, `n=${n}: high ${high} vs normal ${p + half} (±${tolerance})`);
  }
});

test('the same bootstrap written with NumPy and scikit-learn gives the same intervals', { skip: noOraclePython() }, () => {
  const { labels, scores } = binaryData(6, 700);
  const o = { resamples: 200, seed: 42, maxRows: 10_000, confidence: 0.95 };
  const ours = sliceResult(labels, scores, o).intervals ?? {};
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-intervals-'));
  const script = path.join(dir, 'bootstrap.py');
  writeFileSync(
    script,
    [
      'import json, sys',
      'import numpy as np',
      'from sklearn.metrics import accuracy_score, roc_auc_score, f1_score, log_loss, precision_score, recall_score',
      'd = json.load(sys.stdin)',
      'y = np.array(d["labels"]); s = np.array(d["scores"]); n = len(y)',
      'rng = np.random.RandomState(d["seed"])',
      'draws = {"accuracy": [], "auc": [], "f1": [], "log_loss": [], "precision": [], "recall": []}',
      'for _ in range(d["resamples"]):',
      '    i = rng.randint(0, n, size=n)',
      '    yb, sb = y[i], s[i]',
      '    pred = (sb > 0.5).astype(int)',
      '    draws["accuracy"].append(accuracy_score(yb, pred))',
      '    draws["auc"].append(roc_auc_score(yb, sb))',
      '    draws["f1"].append(f1_score(yb, pred, zero_division=0))',
      '    draws["precision"].append(precision_score(yb, pred, zero_division=0))',
      '    draws["recall"].append(recall_score(yb, pred, zero_division=0))',
      '    draws["log_loss"].append(log_loss(yb, sb, labels=[0, 1]))',
      'print(json.dumps({k: [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] for k, v in draws.items()}))',
    ].join('\n'),
  );
  const theirs = JSON.parse(runSystemPython(script, [], JSON.stringify({ labels, scores, seed: o.seed, resamples: o.resamples }))) as Record<string, [number, number]>;
  for (const [k, [low, high]] of Object.entries(theirs)) {
    const mine = ours[k];
    assert.ok(mine, `${k} has an interval`);
    assert.ok(Math.abs(mine[0] - low) < 1e-9 && Math.abs(mine[1] - high) < 1e-9, `${k}: ours [${mine}] vs NumPy [${low}, ${high}]`);
  }
  // The point values the intervals surround are sklearn's too (checked in evaluation-metrics.test.ts).
  assert.ok(binaryClassificationMetrics(labels, scores).auc !== undefined);
});
