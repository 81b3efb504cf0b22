/**
 * The Experiments panel's forest-based parameter importance (issue 28), through a real worker:
 * synthetic runs whose metric peaks in the middle of the learning rate's range
 * (accuracy = 0.9 − 1000·(lr − 0.01)², lr in symmetric pairs 0.01 ± d), so Spearman's ρ of lr is 0
 * and the correlation ranks a parameter that does nothing (the seed) above it — while the forest
 * ranks lr first, as scikit-learn's RandomForestRegressor does on the same table (the oracle).
 * Below FOREST_MIN_RUNS no forest is asked for, and the worker refuses one with a sentence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkerClient } from '../../src/worker/client';
import { ForestImportanceRequest } from '../../src/protocol/experimentsForest';
import { FOREST_MIN_RUNS, forestInput, parameterCorrelations } from '../../src/core/experimentsCompare';
import type { ExperimentRow, ExperimentsView } from '../../src/core/experimentsTypes';
import { noOraclePython } from '../python';
import { runSystemPython } from '../fixtures/evaluation/oracle';

const root = path.resolve(__dirname, '../..');

/** A seeded uniform generator (LCG), so the runs are the same on every machine. */
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function syntheticView(runs: number): ExperimentsView {
  const next = uniform(28);
  const rows: ExperimentRow[] = [];
  for (let i = 0; i < runs; i++) {
    // Pairs 0.01 − d and 0.01 + d: the same accuracy on both sides of the peak.
    const d = 0.0005 + 0.009 * (Math.floor(i / 2) / Math.max(1, Math.floor(runs / 2) - 1));
    const lr = i % 2 ? 0.01 + d : 0.01 - d;
    const seed = Math.floor(next() * 1000);
    const batch = [16, 32, 64][Math.floor(next() * 3)] as number;
    rows.push({
      runId: `run-${String(i).padStart(2, '0')}`,
      startedAt: new Date(Date.UTC(2026, 11, 1, 0, i)).toISOString(),
      status: 'succeeded',
      params: { 'train.learning_rate': String(Number(lr.toFixed(6))), 'train.seed': String(seed), 'train.batch_size': `[${batch}]` },
      // From d, not lr: the pair's accuracies are equal to the last bit, a tie for the ranks.
      metrics: { accuracy: 0.9 - 1000 * d * d },
    });
  }
  return { pipeline: 'synthetic', file: '/w/synthetic.pipeline.yaml', rows, changedParams: ['train.batch_size', 'train.learning_rate', 'train.seed'], metricNames: ['accuracy'] };
}

test('a metric that peaks inside the learning rate\'s range: the forest ranks lr first, the correlation does not', { timeout: 240_000 }, async () => {
  const view = syntheticView(24);
  const correlations = parameterCorrelations(view, view.rows, 'accuracy');
  const lrRho = correlations.find((c) => c.param === 'train.learning_rate')?.spearman;
  assert.ok(lrRho !== undefined && Math.abs(lrRho) < 1e-9, `Spearman's ρ of lr is 0 by construction: ${lrRho}`);
  assert.notEqual(correlations[0]?.param, 'train.learning_rate', `the correlation ranks ${correlations.map((c) => `${c.param} ${c.spearman?.toFixed(3)}`).join(', ')}`);

  const input = forestInput(view, view.rows, 'accuracy');
  assert.ok(input, 'enough runs for a forest');
  assert.deepEqual(input.params, view.changedParams);
  const worker = new WorkerClient({ workerPath: path.join(root, 'out/worker.js') });
  try {
    await worker.initialize();
    const forest = await worker.request(ForestImportanceRequest, input);
    assert.equal(forest.runs, 24);
    assert.ok(forest.trees > 0);
    assert.equal(forest.importances[0]?.param, 'train.learning_rate', JSON.stringify(forest.importances));
    assert.ok((forest.importances[0]?.share ?? 0) > 0.5, `lr carries most of the split score: ${JSON.stringify(forest.importances)}`);
    assert.ok(Math.abs(forest.importances.reduce((a, f) => a + f.share, 0) - 1) < 1e-9, 'shares sum to 1');
    assert.ok(forest.oobRmse !== undefined && forest.oobRmse < forest.metricSd, `out of bag the forest beats the mean: ${forest.oobRmse} < ${forest.metricSd}`);
    // The same runs, the same forest (YDF is seeded).
    assert.deepEqual(await worker.request(ForestImportanceRequest, input), forest);

    // Below the threshold the panel asks for none, and the worker refuses one with a sentence.
    const few = syntheticView(FOREST_MIN_RUNS - 1);
    assert.equal(forestInput(few, few.rows, 'accuracy'), undefined);
    await assert.rejects(worker.request(ForestImportanceRequest, { ...input, metricValues: input.metricValues.slice(0, 5), columns: input.columns.map((c) => c.slice(0, 5)) as typeof input.columns }), /needs at least 12 runs with accuracy, not 5/);
  } finally {
    await worker.shutdown();
  }
});

test('scikit-learn\'s random forest on the same runs ranks the learning rate first too (the oracle)', { skip: noOraclePython() }, () => {
  const view = syntheticView(24);
  const input = forestInput(view, view.rows, 'accuracy');
  assert.ok(input);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-forest-'));
  const script = path.join(dir, 'forest.py');
  writeFileSync(
    script,
    [
      'import json, sys',
      'from sklearn.ensemble import RandomForestRegressor',
      'd = json.load(sys.stdin)',
      // Categorical parameters as their sorted category's index: a tree splits them the same way.
      'cols = [c if isinstance(c[0], (int, float)) else [sorted(set(c)).index(v) for v in c] for c in d["columns"]]',
      'X = [list(r) for r in zip(*cols)]',
      'f = RandomForestRegressor(n_estimators=300, min_samples_leaf=5, random_state=0).fit(X, d["metricValues"])',
      'print(json.dumps(list(f.feature_importances_)))',
    ].join('\n'),
  );
  const shares = JSON.parse(runSystemPython(script, [], JSON.stringify(input))) as number[];
  const best = shares.indexOf(Math.max(...shares));
  assert.equal(input.params[best], 'train.learning_rate', `scikit-learn: ${input.params.map((p, i) => `${p} ${shares[i]?.toFixed(3)}`).join(', ')}`);
});
