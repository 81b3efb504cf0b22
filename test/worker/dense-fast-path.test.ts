/**
 * The serving fast path (src/engine/model/denseFastPath.ts) against TF.js itself: models trained
 * here on the penguins (multiclass DNN with dropout, wide-and-deep, linear; a binary and a
 * regression DNN), the eval split transformed as serving does, every output within 1e-6 of
 * TF.js's `predict`; loadServingModel answering row by row (the fast path) gives TF.js's
 * predictions; a layer the pass does not know keeps TF.js.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { Trainer, Transform } from '../../src/core/components/modelComponents';
import { trainer } from '../../src/engine/components/trainer';
import { transform } from '../../src/engine/components/transform';
import { denseForward } from '../../src/engine/model/denseFastPath';
import { loadLayersModel } from '../../src/engine/model/modelIo';
import { loadServingModel } from '../../src/engine/model/servingModel';
import { loadTf, type Tf } from '../../src/engine/tf/loadTf';
import { applyTransform } from '../../src/engine/transform/applyTransform';
import type { TransformSpec } from '../../src/engine/transform/transformSpec';
import { queryRows, withDuckDb } from '../../src/engine/transform/examplesIo';
import { artifact, FIXTURES, makeContext, makeExamples, tempDir } from './tf-helpers';

interface Prepared {
  readonly raw: string;
  readonly transformed: string;
  readonly graph: string;
}

async function prepare(label: string, where = 'TRUE'): Promise<Prepared> {
  const root = tempDir();
  const raw = await makeExamples(path.join(FIXTURES, 'penguins.csv'), path.join(root, 'examples'), '*', where);
  const ctx = makeContext({ params: Transform.params.parse({ label }), inputs: { examples: artifact(raw, 'Examples') }, outputs: ['transform_graph', 'transformed_examples'], root });
  await transform.run(ctx);
  return { raw, transformed: ctx.outputs.transformed_examples as string, graph: ctx.outputs.transform_graph as string };
}

async function train(d: Prepared, params: Record<string, unknown>): Promise<string> {
  const ctx = makeContext({
    params: Trainer.params.parse({ epochs: 8, ...params }),
    inputs: { examples: artifact(d.transformed, 'Examples'), transform_graph: artifact(d.graph, 'TransformGraph') },
    outputs: ['model'],
    root: tempDir(),
  });
  await trainer.run(ctx);
  return ctx.outputs.model as string;
}

async function evalRows(d: Prepared): Promise<Record<string, unknown>[]> {
  return withDuckDb((conn) => queryRows(conn, `SELECT * FROM read_parquet('${path.join(d.raw, 'Split-eval', 'data.parquet')}')`));
}

function tfPredict(tf: Tf, model: tfTypes.LayersModel, x: Float32Array, rows: number, width: number): Float32Array {
  const y = tf.tidy(() => model.predict(tf.tensor2d(x, [rows, width])) as tfTypes.Tensor);
  const v = y.dataSync() as Float32Array;
  y.dispose();
  return v;
}

let tf: Tf;
let species: Prepared;
before(async () => {
  tf = (await loadTf()).tf;
  species = await prepare('species');
});

async function checkAgainstTf(d: Prepared, modelDir: string): Promise<void> {
  const spec = JSON.parse(readFileSync(path.join(modelDir, 'transform.json'), 'utf8')) as TransformSpec;
  const rows = await evalRows(d);
  assert.ok(rows.length >= 30, `eval split has ${rows.length} rows`);
  const x = applyTransform(spec, rows);
  const model = await loadLayersModel(tf, path.join(modelDir, 'model'));
  try {
    const fast = denseForward(model);
    assert.ok(fast, `the fast path takes ${model.layers.map((l) => l.getClassName()).join(', ')}`);
    const want = tfPredict(tf, model, x, rows.length, spec.width);
    const got = fast.predict(x, rows.length);
    assert.equal(got.length, want.length);
    let worst = 0;
    // Relative to the value (a regression answer in grams is ~4,000: float32's own step there is 5e-4).
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs((got[i] as number) - (want[i] as number)) / Math.max(1, Math.abs(want[i] as number)));
    assert.ok(worst <= 1e-6, `largest relative difference from TF.js ${worst}`);
    // The served answer (one row at a time: the fast path) against TF.js's outputs, row by row.
    const serving = await loadServingModel(modelDir);
    const units = want.length / rows.length;
    for (let r = 0; r < rows.length; r++) {
      const [p] = await serving.predict([rows[r] as Record<string, unknown>]);
      const tfRow = Array.from(want.subarray(r * units, (r + 1) * units));
      const served = p?.scores ?? [p?.score ?? (p?.prediction as number)];
      const tolerance = typeof p?.prediction === 'number' ? 1e-6 * Math.max(1, Math.abs(p.prediction)) : 1e-6;
      served.forEach((v, k) => assert.ok(Math.abs(v - (tfRow[k] as number)) <= tolerance, `row ${r} output ${k}: served ${v}, TF.js ${tfRow[k]}`));
    }
    serving.dispose();
  } finally {
    model.dispose();
  }
}

test('multiclass DNN with dropout: the fast path gives TF.js predictions on the eval split', async () => {
  await checkAgainstTf(species, await train(species, { model: 'dnn', hidden_units: [32, 16], dropout: 0.2 }));
});

test('wide-and-deep and linear models: the fast path gives TF.js predictions', async () => {
  await checkAgainstTf(species, await train(species, { model: 'wide_and_deep', hidden_units: [16] }));
  await checkAgainstTf(species, await train(species, { model: 'linear' }));
});

test('binary (sigmoid) and regression (folded label scaling) DNNs: the fast path gives TF.js predictions', async () => {
  const sex = await prepare('sex', 'sex IS NOT NULL');
  await checkAgainstTf(sex, await train(sex, { model: 'dnn', hidden_units: [16] }));
  const mass = await prepare('body_mass_g', 'body_mass_g IS NOT NULL');
  await checkAgainstTf(mass, await train(mass, { model: 'dnn', hidden_units: [16, 8] }));
});

test('a layer the fast path does not compute keeps TF.js', () => {
  const input = tf.input({ shape: [4] });
  const h = tf.layers.batchNormalization().apply(tf.layers.dense({ units: 3, activation: 'relu' }).apply(input)) as tfTypes.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2, activation: 'softmax' }).apply(h) as tfTypes.SymbolicTensor });
  assert.equal(denseForward(model), undefined);
  const elu = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2, activation: 'elu' })] });
  assert.equal(denseForward(elu), undefined);
  const plain = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2, activation: 'tanh' })] });
  const x = new Float32Array([0.5, -1, 2, 0, 1, 1, -3, 0.25]);
  const fast = denseForward(plain);
  assert.ok(fast, 'a Sequential dense model takes the fast path');
  const want = tfPredict(tf, plain, x, 2, 4);
  fast.predict(x, 2).forEach((v, i) => assert.ok(Math.abs(v - (want[i] as number)) <= 1e-6, `output ${i}: ${v} vs ${want[i]}`));
  model.dispose();
  elu.dispose();
  plain.dispose();
});
