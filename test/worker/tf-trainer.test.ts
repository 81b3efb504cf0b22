/**
 * Trainer and Tuner on real data, called through their executors with a hand-built context:
 * penguin accuracy, reproducibility, cancellation, the user's model module, memory refusal,
 * regression and binary tasks, and the Tuner → Trainer hand-over.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { Trainer, Transform, Tuner } from '../../src/core/components/modelComponents';
import { CancelledError, PipewiseError } from '../../src/core/errors';
import { trainer } from '../../src/engine/components/trainer';
import { transform } from '../../src/engine/components/transform';
import { tuner } from '../../src/engine/components/tuner';
import { loadServingModel, type ModelSignature } from '../../src/engine/model/servingModel';
import { queryRows, withDuckDb } from '../../src/engine/transform/examplesIo';
import { artifact, FIXTURES, makeContext, makeExamples, tempDir, type RecordedContext } from './tf-helpers';
import { oraclePython } from '../python';

interface Prepared {
  readonly raw: string;
  readonly transformed: string;
  readonly graph: string;
}

async function prepare(csv: string, params: Record<string, unknown>, select = '*', where = 'TRUE'): Promise<Prepared> {
  const root = tempDir();
  const raw = await makeExamples(csv, path.join(root, 'examples'), select, where);
  const ctx = makeContext({ params: Transform.params.parse(params), inputs: { examples: artifact(raw, 'Examples') }, outputs: ['transform_graph', 'transformed_examples'], root });
  await transform.run(ctx);
  return { raw, transformed: ctx.outputs.transformed_examples as string, graph: ctx.outputs.transform_graph as string };
}

function trainerContext(d: Prepared, params: Record<string, unknown>, extra: { pipelineDir?: string; hyperparameters?: string } = {}): RecordedContext<z.output<typeof Trainer.params>> {
  return makeContext({
    params: Trainer.params.parse(params),
    inputs: {
      examples: artifact(d.transformed, 'Examples'),
      transform_graph: artifact(d.graph, 'TransformGraph'),
      hyperparameters: extra.hyperparameters ? artifact(extra.hyperparameters, 'HyperParameters') : undefined,
    },
    outputs: ['model'],
    root: tempDir(),
    pipelineDir: extra.pipelineDir,
  });
}

async function evalRows(d: Prepared): Promise<Record<string, unknown>[]> {
  return withDuckDb((conn) => queryRows(conn, `SELECT * FROM read_parquet('${path.join(d.raw, 'Split-eval', 'data.parquet')}')`));
}

let penguins: Prepared;
before(async () => {
  penguins = await prepare(path.join(FIXTURES, 'penguins.csv'), { label: 'species' });
});

test('the penguin DNN of the example reaches ≥ 0.95 eval accuracy through the serving model', async () => {
  const ctx = trainerContext(penguins, { model: 'dnn', hidden_units: [32, 16], epochs: 40 });
  await trainer.run(ctx);
  const dir = ctx.outputs.model as string;
  for (const f of ['model/model.json', 'model/weights.bin', 'transform.json', 'signature.json', 'history.json']) assert.ok(existsSync(path.join(dir, f)), f);
  const signature = JSON.parse(readFileSync(path.join(dir, 'signature.json'), 'utf8')) as ModelSignature;
  assert.equal(signature.task, 'multiclass');
  assert.deepEqual(signature.classes, ['Adelie', 'Chinstrap', 'Gentoo']);
  assert.ok(['wasm', 'cpu', 'tensorflow'].includes(signature.backend));
  assert.deepEqual(signature.inputs.map((i) => i.name).sort(), ['bill_depth_mm', 'bill_length_mm', 'body_mass_g', 'flipper_length_mm', 'island', 'sex', 'year']);

  const epochs = ctx.points.filter((p) => p.scope === 'epoch');
  assert.ok(epochs.length >= 5);
  assert.ok(epochs.every((p) => typeof p.values.val_accuracy === 'number' && typeof p.values.loss === 'number'));

  const rows = await evalRows(penguins);
  const model = await loadServingModel(dir);
  const predictions = await model.predict(rows);
  model.dispose();
  const accuracy = predictions.filter((p, i) => p.prediction === rows[i]?.species).length / rows.length;
  assert.ok(accuracy >= 0.95, `eval accuracy ${accuracy}`);
  for (const p of predictions) assert.ok(Math.abs((p.scores ?? []).reduce((a, b) => a + b, 0) - 1) < 1e-4);
});

test('the same seed trains the same weights', async () => {
  const weights = async (): Promise<Buffer> => {
    const ctx = trainerContext(penguins, { epochs: 3, early_stopping: null, seed: 7 });
    await trainer.run(ctx);
    return readFileSync(path.join(ctx.outputs.model as string, 'model', 'weights.bin'));
  };
  assert.ok((await weights()).equals(await weights()));
});

test('a cancelled training stops and leaves no model behind', async () => {
  const ctx = trainerContext(penguins, { epochs: 100000, early_stopping: null, batch_size: 8 });
  const run = trainer.run({ ...ctx, metrics: (p) => (p.scope === 'epoch' && p.epoch === 2 ? ctx.abort.abort() : undefined) });
  await assert.rejects(run, (e: unknown) => e instanceof CancelledError);
  assert.deepEqual(readdirSync(ctx.outputs.model as string), []);
});

function userModule(dir: string, name: string, code: string): string {
  writeFileSync(path.join(dir, name), code);
  return name;
}

test('a user module that throws is named, with its line', async () => {
  const dir = tempDir();
  const module = userModule(dir, 'bad_model.ts', `import type { X } from './nowhere';\nexport function buildModel(ctx: { task: string }): unknown {\n  const why: string = 'no ' + ctx.task;\n  throw new Error(why);\n}\n`);
  const ctx = trainerContext(penguins, { module }, { pipelineDir: dir });
  await assert.rejects(trainer.run(ctx), (e: unknown) => {
    assert.ok(e instanceof PipewiseError);
    assert.match(e.message, /model module bad_model\.ts threw in buildModel: no multiclass/);
    assert.equal(e.details.file, path.join(dir, 'bad_model.ts'));
    assert.equal(e.details.line, 4);
    return true;
  });
});

test('a user module with the wrong output shape gets a clear error; a good one trains', async () => {
  const dir = tempDir();
  const wrong = userModule(
    dir,
    'wrong.js',
    `export function buildModel({ tf, inputShape }) {\n  const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, activation: 'softmax', inputShape })] });\n  m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });\n  return m;\n}\n`,
  );
  await assert.rejects(trainer.run(trainerContext(penguins, { module: wrong }, { pipelineDir: dir })), /wrong\.js: the model's output shape is \[null, 2\], but a multiclass task needs \[null, 3\]/);

  const good = userModule(
    dir,
    'good.js',
    `export function buildModel({ tf, inputShape, numClasses, hyperparameters }) {\n  const m = tf.sequential({ layers: [tf.layers.dense({ units: 8, activation: 'relu', inputShape }), tf.layers.dense({ units: numClasses, activation: 'softmax' })] });\n  m.compile({ optimizer: tf.train.adam(hyperparameters.learning_rate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });\n  return m;\n}\n`,
  );
  const ctx = trainerContext(penguins, { module: good, epochs: 20 }, { pipelineDir: dir });
  await trainer.run(ctx);
  const signature = JSON.parse(readFileSync(path.join(ctx.outputs.model as string, 'signature.json'), 'utf8')) as ModelSignature;
  assert.equal(signature.module, 'good.js');
  assert.ok((signature.training?.metrics.val_accuracy ?? 0) > 0.8);
});

test('data too large for memory is refused with numbers and a remedy', async () => {
  process.env.PIPEWISE_TF_MEMORY_MB = '0.01';
  try {
    await assert.rejects(trainer.run(trainerContext(penguins, { epochs: 1 })), /does not fit in memory: \d+ train rows \+ \d+ eval rows × 12 input values .* USING SAMPLE/);
  } finally {
    delete process.env.PIPEWISE_TF_MEMORY_MB;
  }
});

test('regression on seattle temp_max predicts in degrees, as well as scikit-learn\'s least squares', async () => {
  const d = await prepare(path.join(FIXTURES, 'seattle-weather.csv'), { label: 'temp_max', exclude: ['date'] });
  const ctx = trainerContext(d, { epochs: 30 });
  await trainer.run(ctx);
  const model = await loadServingModel(ctx.outputs.model as string);
  assert.equal(model.signature.task, 'regression');
  const rows = await evalRows(d);
  const y = rows.map((r) => Number(r.temp_max));
  const predictions = (await model.predict(rows)).map((p) => p.prediction as number);
  model.dispose();
  const rmse = Math.sqrt(predictions.reduce((s, p, i) => s + (p - (y[i] as number)) ** 2, 0) / y.length);
  // The oracle: scikit-learn's LinearRegression on the same splits, same features (one-hot weather).
  const csv = (split: string): string => path.join(d.raw, `${split}.csv`);
  await withDuckDb(async (conn) => {
    for (const split of ['train', 'eval']) await conn.run(`COPY (SELECT * FROM read_parquet('${path.join(d.raw, `Split-${split}`, 'data.parquet')}')) TO '${csv(split)}' (HEADER)`);
  });
  const script = `
import sys, json, numpy as np, pandas as pd
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error
tr, ev = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
X = lambda d: pd.get_dummies(d[['precipitation', 'temp_min', 'wind', 'weather']], columns=['weather']).astype(float)
xt = X(tr); xe = X(ev).reindex(columns=xt.columns, fill_value=0)
m = LinearRegression().fit(xt, tr.temp_max)
print(json.dumps(float(np.sqrt(mean_squared_error(ev.temp_max, m.predict(xe))))))
`;
  const oracle = JSON.parse(execFileSync(oraclePython(), ['-c', script, csv('train'), csv('eval')], { encoding: 'utf8' })) as number;
  assert.ok(rmse <= 1.1 * oracle, `RMSE ${rmse} vs scikit-learn's ${oracle}`);
});

test('binary: penguin sex, with a sigmoid score for the positive class', async () => {
  const d = await prepare(path.join(FIXTURES, 'penguins.csv'), { label: 'sex' }, '*', 'sex IS NOT NULL');
  const ctx = trainerContext(d, { epochs: 40 });
  await trainer.run(ctx);
  const model = await loadServingModel(ctx.outputs.model as string);
  assert.equal(model.signature.task, 'binary');
  assert.deepEqual(model.signature.classes, ['female', 'male']);
  const rows = await evalRows(d);
  const predictions = await model.predict(rows);
  model.dispose();
  for (const p of predictions) assert.ok(p.score !== undefined && p.score >= 0 && p.score <= 1 && p.prediction === ((p.score ?? 0) >= 0.5 ? 'male' : 'female'));
  const accuracy = predictions.filter((p, i) => p.prediction === rows[i]?.sex).length / rows.length;
  assert.ok(accuracy >= 0.8, `accuracy ${accuracy}`);
});

test('the Tuner streams its trials and the Trainer takes the best hyperparameters', async () => {
  const ctx = makeContext({
    params: Tuner.params.parse({ strategy: 'grid', space: { learning_rate: [0.0001, 0.01], hidden_units: [[8]] }, epochs: 8, objective: 'val_accuracy' }),
    inputs: { examples: artifact(penguins.transformed, 'Examples'), transform_graph: artifact(penguins.graph, 'TransformGraph') },
    outputs: ['best_hyperparameters'],
    root: tempDir(),
  });
  await tuner.run(ctx);
  const trials = ctx.points.filter((p) => p.scope === 'trial');
  assert.deepEqual(trials.map((t) => t.trial), [1, 2]);
  const scores = trials.map((t) => t.values.val_accuracy as number);
  const dir = ctx.outputs.best_hyperparameters as string;
  const best = JSON.parse(readFileSync(path.join(dir, 'best_hyperparameters.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(best, { learning_rate: (scores[1] as number) > (scores[0] as number) ? 0.01 : 0.0001, hidden_units: [8] });
  assert.ok(existsSync(path.join(dir, 'trials.json')));

  const tctx = trainerContext(penguins, { epochs: 3 }, { hyperparameters: dir });
  await trainer.run(tctx);
  const signature = JSON.parse(readFileSync(path.join(tctx.outputs.model as string, 'signature.json'), 'utf8')) as ModelSignature;
  assert.equal(signature.hyperparameters.learning_rate, best.learning_rate);
  assert.deepEqual(signature.hyperparameters.hidden_units, [8]);
});
