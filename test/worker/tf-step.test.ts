/**
 * The built-in training step (src/engine/model/trainStep.ts: hand-written backward pass, optimizer
 * on JS arrays) against TF.js's own `trainOnBatch` with `tf.train.adam`/`sgd` as the oracle: the
 * same seed gives the same model, to float tolerance, for every task and model family. And the
 * training loop streams: tensors never hold the whole training set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTf } from '../../src/engine/tf/loadTf';
import { buildBuiltinModel, type Hyperparameters, type ModelFamily } from '../../src/engine/model/builtinModels';
import { fitModel, mulberry32, type Dataset } from '../../src/engine/model/fitModel';
import { stepConfig } from '../../src/engine/model/trainStep';
import type { Task } from '../../src/engine/model/servingModel';

process.env.PIPEWISE_TF_BACKEND ??= 'wasm';

/** A seeded synthetic table whose label depends non-linearly on the inputs. */
function synthetic(task: Task, n: number, width: number, seed: number): Dataset {
  const rand = mulberry32(seed);
  const outDim = task === 'multiclass' ? 3 : 1;
  const x = new Float32Array(n * width);
  const y = new Float32Array(n * outDim);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < width; j++) {
      const v = rand() * 2 - 1;
      x[i * width + j] = v;
      s += (j % 2 ? v : v * v) * (j + 1) * 0.3;
    }
    s += (rand() - 0.5) * 0.3;
    if (task === 'regression') y[i] = s;
    else if (task === 'binary') y[i] = s > 0.5 ? 1 : 0;
    else y[i * 3 + (s < 0 ? 0 : s < 1 ? 1 : 2)] = 1;
  }
  return { x, y, n, width, outDim };
}

const signal = new AbortController().signal;

async function train(task: Task, family: ModelFamily, fast: boolean, o: Partial<Hyperparameters> = {}): Promise<{ weights: Float32Array[]; history: Record<string, number>[] }> {
  const { tf } = await loadTf();
  const hp: Hyperparameters = { model: family, hidden_units: [16, 8], dropout: 0, learning_rate: 0.01, optimizer: 'adam', l2: 0.001, batch_size: 32, epochs: 3, ...o };
  const data = synthetic(task, 400, 6, 3);
  const val = synthetic(task, 100, 6, 4);
  const model = buildBuiltinModel(tf, { width: 6, task, numClasses: 3, hp, seed: 11 });
  try {
    const fit = await fitModel(tf, model, data, val, { epochs: hp.epochs, batchSize: hp.batch_size, seed: 5, earlyStopping: null, signal, step: fast ? stepConfig(task, hp, 5) : undefined });
    return { weights: model.getWeights().map((w) => w.dataSync() as Float32Array), history: fit.history };
  } finally {
    model.dispose();
  }
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((w, k) => w.forEach((v, i) => (m = Math.max(m, Math.abs(v - ((b[k] as Float32Array)[i] as number))))));
  return m;
}

for (const [task, family, optimizer] of [
  ['binary', 'dnn', 'adam'],
  ['multiclass', 'dnn', 'adam'],
  ['regression', 'dnn', 'adam'],
  ['binary', 'linear', 'adam'],
  ['multiclass', 'wide_and_deep', 'adam'],
  ['regression', 'wide_and_deep', 'sgd'],
] as const) {
  test(`built-in step = trainOnBatch (${task}, ${family}, ${optimizer}, L2): same weights and losses for the same seed`, async () => {
    const ours = await train(task, family, true, { optimizer });
    const oracle = await train(task, family, false, { optimizer });
    const d = maxDiff(ours.weights, oracle.weights);
    assert.ok(d < 2e-4, `largest weight difference ${d}`);
    ours.history.forEach((h, e) => {
      const o = oracle.history[e] as Record<string, number>;
      for (const k of ['loss', 'val_loss', ...(task === 'regression' ? [] : ['accuracy', 'val_accuracy'])]) {
        assert.ok(Math.abs((h[k] as number) - (o[k] as number)) < 1e-3, `epoch ${e + 1} ${k}: ${h[k]} vs trainOnBatch ${o[k]}`);
      }
    });
    // And training did something: the weights moved from their initial values.
    const { tf } = await loadTf();
    const init = buildBuiltinModel(tf, { width: 6, task, numClasses: 3, hp: { model: family, hidden_units: [16, 8], dropout: 0, learning_rate: 0.01, optimizer, l2: 0.001, batch_size: 32, epochs: 3 }, seed: 11 });
    assert.ok(maxDiff(ours.weights, init.getWeights().map((w) => w.dataSync() as Float32Array)) > 1e-2);
    init.dispose();
  });
}

test('with dropout, the same seed gives the same model, and another seed another one', async () => {
  const a = await train('binary', 'dnn', true, { dropout: 0.3 });
  const b = await train('binary', 'dnn', true, { dropout: 0.3 });
  assert.equal(maxDiff(a.weights, b.weights), 0);
  const c = await train('binary', 'dnn', false, { dropout: 0.3 });
  assert.ok(maxDiff(a.weights, c.weights) > 1e-4, 'dropout changes the path');
});

test('training streams batches: tensors never hold the training set', async () => {
  const { tf } = await loadTf();
  const hp: Hyperparameters = { model: 'dnn', hidden_units: [16], dropout: 0, learning_rate: 0.01, optimizer: 'adam', l2: 0, batch_size: 64, epochs: 1 };
  const data = synthetic('binary', 20_000, 20, 1);
  const val = synthetic('binary', 5_000, 20, 2);
  const model = buildBuiltinModel(tf, { width: 20, task: 'binary', numClasses: 2, hp, seed: 1 });
  // Every tensor made from values goes through the engine's makeTensor: record the largest.
  const engine = tf.engine() as unknown as { makeTensor: (values: ArrayLike<number>, ...rest: unknown[]) => unknown };
  const original = engine.makeTensor;
  let largest = 0;
  engine.makeTensor = function (values: ArrayLike<number>, ...rest: unknown[]) {
    largest = Math.max(largest, values?.length ?? 0);
    return original.call(this, values, ...rest);
  };
  try {
    await fitModel(tf, model, data, val, { epochs: 1, batchSize: 64, seed: 1, earlyStopping: null, signal, step: stepConfig('binary', hp, 1) });
  } finally {
    engine.makeTensor = original;
    model.dispose();
  }
  // One validation chunk (1024 rows × 20) is the largest upload; the training set is 20,000 × 20.
  assert.ok(largest > 0 && largest <= 1024 * 20, `largest tensor ${largest} values; the training set has ${data.x.length}`);
});
