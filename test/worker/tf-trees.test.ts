/**
 * Decision forests (Yggdrasil Decision Forests) in the Trainer, behind the one ServingModel
 * interface: a served tree model equals YDF's own `predict` on the transformed rows, class order
 * and the binary score's class are the signature's, YDF's importances are saved, `auto` reports
 * the tree candidate, and a YDF failure is a clear error.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { Trainer, Transform, Tuner } from '../../src/core/components/modelComponents';
import { PipewiseError } from '../../src/core/errors';
import { writeWebFolder } from '../../src/engine/components/pusherWeb';
import { trainer } from '../../src/engine/components/trainer';
import { tuner } from '../../src/engine/components/tuner';
import { quantizeModelArtifact } from '../../src/engine/model/quantizeModel';
import { transform } from '../../src/engine/components/transform';
import { loadServingModel, type ModelSignature } from '../../src/engine/model/servingModel';
import { loadYdf, ydfCall, type YdfModel } from '../../src/engine/model/ydf';
import { queryRows, withDuckDb } from '../../src/engine/transform/examplesIo';
import type { TransformSpec } from '../../src/engine/transform/transformSpec';
import { artifact, FIXTURES, makeContext, makeExamples, tempDir, type RecordedContext } from './tf-helpers';

interface Prepared {
  readonly raw: string;
  readonly transformed: string;
  readonly graph: string;
}

async function prepare(csv: string, params: Record<string, unknown>, select = '*', where = 'TRUE'): Promise<Prepared> {
  const root = tempDir('pw-trees-');
  const raw = await makeExamples(csv, path.join(root, 'examples'), select, where);
  const ctx = makeContext({ params: Transform.params.parse(params), inputs: { examples: artifact(raw, 'Examples') }, outputs: ['transform_graph', 'transformed_examples'], root });
  await transform.run(ctx);
  return { raw, transformed: ctx.outputs.transformed_examples as string, graph: ctx.outputs.transform_graph as string };
}

function trainerContext(d: Prepared, params: Record<string, unknown>): RecordedContext<z.output<typeof Trainer.params>> {
  return makeContext({
    params: Trainer.params.parse(params),
    inputs: { examples: artifact(d.transformed, 'Examples'), transform_graph: artifact(d.graph, 'TransformGraph') },
    outputs: ['model'],
    root: tempDir('pw-trees-'),
  });
}

const readSplit = (dir: string, split: string): Promise<Record<string, unknown>[]> =>
  withDuckDb((conn) => queryRows(conn, `SELECT * FROM read_parquet('${path.join(dir, `Split-${split}`, 'data.parquet')}')`));

/**
 * YDF's own prediction, independently of Pipewise's serving path: the saved zip loaded with the
 * library, fed a CSV written from transformed_examples (the Transform's stored per-feature values:
 * scaled numbers, bucket and vocabulary indices), the label column empty as YDF requires.
 */
async function ydfOwnPredict(modelDir: string, transformedDir: string): Promise<{ values: number[]; classes: string[] }> {
  const spec = JSON.parse(readFileSync(path.join(modelDir, 'transform.json'), 'utf8')) as TransformSpec;
  const rows = await readSplit(transformedDir, 'eval');
  const names = spec.features.map((f) => f.name);
  const csv = [[...names, spec.label.name].join(','), ...rows.map((r) => [...names.map((n) => String(Number(r[n]))), ''].join(','))].join('\n');
  const ydf = await loadYdf();
  const model: YdfModel = await ydf.loadModelFromZipBlob(new Blob([readFileSync(path.join(modelDir, 'model', 'ydf_model.zip'))]));
  try {
    return { values: ydfCall('oracle predict', () => model.predict(csv)), classes: model.getLabelClasses() };
  } finally {
    model.unload();
  }
}

let penguins: Prepared;
before(async () => {
  penguins = await prepare(path.join(FIXTURES, 'penguins.csv'), { label: 'species' });
});

test('gradient-boosted trees on penguins: served predictions equal YDF\'s own predict, in the signature\'s class order', async () => {
  const ctx = trainerContext(penguins, { model: 'gradient_boosted_trees' });
  await trainer.run(ctx);
  const dir = ctx.outputs.model as string;
  for (const f of ['model/ydf_model.zip', 'model/trees.json', 'transform.json', 'signature.json', 'variable_importances.json']) assert.ok(existsSync(path.join(dir, f)), f);
  const signature = JSON.parse(readFileSync(path.join(dir, 'signature.json'), 'utf8')) as ModelSignature;
  assert.equal(signature.modelFormat, 'ydf');
  assert.deepEqual(signature.classes, ['Adelie', 'Chinstrap', 'Gentoo']);
  assert.ok(ctx.logs.some((l) => l.message.startsWith('YDF: ')), 'YDF\'s log lines reach the stage log');
  assert.ok(ctx.logs.some((l) => /trained gradient_boosted_trees .* \d+ trees/.test(l.message)));
  assert.ok(Number(ctx.properties.model?.trees) > 0);

  const rows = await readSplit(penguins.raw, 'eval');
  const model = await loadServingModel(dir);
  const predictions = await model.predict(rows);
  model.dispose();
  const accuracy = predictions.filter((p, i) => p.prediction === rows[i]?.species).length / rows.length;
  assert.ok(accuracy >= 0.95, `eval accuracy ${accuracy}`);

  const own = await ydfOwnPredict(dir, penguins.transformed);
  const k = own.classes.length;
  assert.equal(own.values.length, rows.length * k);
  predictions.forEach((p, i) => {
    signature.classes?.forEach((c, j) => {
      const theirs = own.values[i * k + own.classes.indexOf(c)] as number;
      assert.ok(Math.abs((p.scores?.[j] as number) - theirs) <= 1e-6, `row ${i} class ${c}: ${p.scores?.[j]} vs YDF ${theirs}`);
    });
  });

  const importances = JSON.parse(readFileSync(path.join(dir, 'variable_importances.json'), 'utf8')) as { source: string; importances: Record<string, { feature: string; importance: number }[]> };
  assert.equal(importances.source, 'ydf');
  const numNodes = importances.importances.NUM_NODES ?? [];
  assert.ok(numNodes.length > 0 && numNodes.every((r) => signature.inputs.some((i) => i.name === r.feature) && r.importance > 0), JSON.stringify(importances));
});

test('binary trees: the score is P(classes[1]) whatever YDF\'s own class order', async () => {
  const d = await prepare(path.join(FIXTURES, 'penguins.csv'), { label: 'sex' }, '*', 'sex IS NOT NULL');
  const ctx = trainerContext(d, { model: 'random_forest' });
  await trainer.run(ctx);
  const dir = ctx.outputs.model as string;
  const model = await loadServingModel(dir);
  assert.deepEqual(model.signature.classes, ['female', 'male']);
  const rows = await readSplit(d.raw, 'eval');
  const predictions = await model.predict(rows);
  model.dispose();
  const own = await ydfOwnPredict(dir, d.transformed);
  // YDF's binary output is the probability of its own second class.
  predictions.forEach((p, i) => {
    const pMale = own.classes[1] === 'male' ? (own.values[i] as number) : 1 - (own.values[i] as number);
    assert.ok(Math.abs((p.score as number) - pMale) <= 1e-6, `row ${i}: ${p.score} vs ${pMale}`);
    assert.equal(p.prediction, (p.score as number) >= 0.5 ? 'male' : 'female');
  });
  const accuracy = predictions.filter((p, i) => p.prediction === rows[i]?.sex).length / rows.length;
  assert.ok(accuracy >= 0.8, `accuracy ${accuracy}`);
});

test('model auto trains gradient-boosted trees as a candidate and reports it in signature.json and the properties', async () => {
  const ctx = trainerContext(penguins, { epochs: 15 });
  await trainer.run(ctx);
  const signature = JSON.parse(readFileSync(path.join(ctx.outputs.model as string, 'signature.json'), 'utf8')) as ModelSignature;
  const candidates = signature.modelChoice?.candidates ?? {};
  assert.ok('gradient_boosted_trees' in candidates && 'linear' in candidates && 'dnn' in candidates, JSON.stringify(candidates));
  assert.ok(Number.isFinite(candidates.gradient_boosted_trees));
  assert.ok(String(ctx.properties.model?.modelCandidates).includes('gradient_boosted_trees'));
  assert.ok(ctx.logs.some((l) => l.message.startsWith('candidate gradient_boosted_trees: validation loss')));
  // Whatever won, the artifact loads and predicts through the one interface.
  const model = await loadServingModel(ctx.outputs.model as string);
  assert.equal((await model.predict(await readSplit(penguins.raw, 'eval'))).length > 0, true);
  model.dispose();
});

test('a malformed input to YDF is a PipewiseError, and the library goes on working', async () => {
  const ydf = await loadYdf();
  assert.throws(
    () => ydfCall('training on a bad CSV', () => new ydf.GradientBoostedTreesLearner('nope', 'CLASSIFICATION').train('a,b\n1,2\n')),
    (e: unknown) => e instanceof PipewiseError && /training on a bad CSV: Yggdrasil Decision Forests failed/.test(e.message),
  );
  const csv = ['x,y', ...Array.from({ length: 60 }, (_, i) => `${i},${i % 2 ? 'a' : 'b'}`)].join('\n');
  const m = ydfCall('training after the failure', () => new ydf.RandomForestLearner('y', 'CLASSIFICATION').train(csv));
  assert.equal(m.getLabelClasses().length, 2);
  m.unload();
});

test('the Tuner searches over model families including trees, and the Trainer trains the winner', async () => {
  const ctx = makeContext({
    params: Tuner.params.parse({ strategy: 'grid', space: { model: ['linear', 'gradient_boosted_trees', 'random_forest'] }, epochs: 10, objective: 'val_loss' }),
    inputs: { examples: artifact(penguins.transformed, 'Examples'), transform_graph: artifact(penguins.graph, 'TransformGraph') },
    outputs: ['best_hyperparameters'],
    root: tempDir('pw-trees-'),
  });
  await tuner.run(ctx);
  const trials = JSON.parse(readFileSync(path.join(ctx.outputs.best_hyperparameters as string, 'trials.json'), 'utf8')) as { best: number; trials: { hyperparameters: { model: string }; score: number }[] };
  assert.deepEqual(trials.trials.map((t) => t.hyperparameters.model), ['linear', 'gradient_boosted_trees', 'random_forest']);
  assert.ok(trials.trials.every((t) => Number.isFinite(t.score) && t.score > 0));
  // The trees' validation loss is computed by the same per-row cross-entropy as the linear model's: distinct models, distinct scores.
  assert.notEqual(trials.trials[1]?.score, trials.trials[2]?.score);
  const best = trials.trials.reduce((a, b) => (b.score < a.score ? b : a));
  assert.equal(trials.trials[trials.best - 1], best);
});

test("the Tuner respects the forest refusers of the Trainer it tunes: no forest trial, and auto's trials leave trees out", async () => {
  const space = { model: ['linear', 'gradient_boosted_trees', 'auto', 'random_forest'] };
  const ctx = makeContext({
    params: Tuner.params.parse({ strategy: 'grid', space, epochs: 5, objective: 'val_loss' }),
    inputs: { examples: artifact(penguins.transformed, 'Examples'), transform_graph: artifact(penguins.graph, 'TransformGraph') },
    outputs: ['best_hyperparameters'],
    root: tempDir('pw-trees-'),
    forestRefusers: ['small'],
  });
  await tuner.run(ctx);
  const trials = JSON.parse(readFileSync(path.join(ctx.outputs.best_hyperparameters as string, 'trials.json'), 'utf8')) as { trials: { hyperparameters: { model: string }; chosen: string }[] };
  assert.deepEqual(trials.trials.map((t) => t.hyperparameters.model), ['linear', 'auto']);
  assert.ok(trials.trials.every((t) => !['gradient_boosted_trees', 'random_forest'].includes(t.chosen)), JSON.stringify(trials.trials));
  const text = ctx.logs.map((l) => l.message).join('\n');
  assert.match(text, /left out of the space: gradient_boosted_trees, random_forest \(small cannot take a decision forest/);
  assert.match(text, /trial 2: gradient_boosted_trees left out: small cannot take a decision forest/);
  // Only forests in the space: nothing to try, said before any training.
  const onlyForests = makeContext({
    params: Tuner.params.parse({ strategy: 'grid', space: { model: ['random_forest'] }, epochs: 5, objective: 'val_loss' }),
    inputs: ctx.inputs,
    outputs: ['best_hyperparameters'],
    root: tempDir('pw-trees-'),
    forestRefusers: ['small'],
  });
  await assert.rejects(tuner.run(onlyForests), (e: unknown) => e instanceof PipewiseError && /Tuner: every model of the space is a decision forest, and small cannot take one/.test(e.message));
});

test("a tree model refuses quantization with a clear error; its web push carries YDF's wasm and a CSP that lets it compile", async () => {
  const ctx = trainerContext(penguins, { model: 'random_forest' });
  await trainer.run(ctx);
  const dir = ctx.outputs.model as string;
  await assert.rejects(quantizeModelArtifact(dir, tempDir('pw-trees-q-'), 'float16'), (e: unknown) => e instanceof PipewiseError && /decision forest .*leave out quantize/.test(e.message));
  await assert.rejects(writeWebFolder(dir, path.join(tempDir('pw-trees-web-'), 'web'), { tfjs: 'bundled', quantize: 'uint8' }), (e: unknown) => e instanceof PipewiseError && /target: web cannot push .* with quantize: uint8: it is a decision forest \(random_forest\), which has no weights to quantize/.test(e.message));
  const web = path.join(tempDir('pw-trees-web-'), 'web');
  await writeWebFolder(dir, web, { tfjs: 'bundled' });
  for (const f of ['model/ydf_model.zip', 'model/trees.json', 'ydf/training.js', 'ydf/training.wasm', 'ydf/jszip.min.js', 'signature.json', 'transform.json']) assert.ok(existsSync(path.join(web, f)), f);
  // The same wasm the Trainer trained with, byte for byte.
  assert.deepEqual(readFileSync(path.join(web, 'ydf/training.wasm')), readFileSync(require.resolve('ydf-training').replace(/training\.js$/, 'training.wasm')));
  // No TF.js in a forest's page: the module without it.
  assert.ok(readFileSync(path.join(web, 'pipewise-model.js')).length < 50_000);
  assert.match(readFileSync(path.join(web, 'index.html'), 'utf8'), /script-src 'self' 'wasm-unsafe-eval'; style-src 'self'/);
});
