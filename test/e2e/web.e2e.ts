/**
 * A web push predicts in Debian's Chromium exactly as the engine does: the penguin pipeline runs
 * through the CLI (Trainer on TF.js → Evaluator with `quantize: uint8` → BulkInferrer → Pushers with
 * `target: web`, float32 and uint8), `pipewise serve-web` serves each pushed folder on 127.0.0.1,
 * and the page imports `pipewise-model.js` and predicts the first 100 eval examples. The oracle is
 * BulkInferrer's predictions.parquet (read by DuckDB): scores agree to 1e-5; the uint8 model's
 * accuracy is within 0.01 of float32's. Then the same for a regression model (body mass), bad
 * instances, TF.js imported by the page instead of bundled, and the generated form.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { RunResult } from '../../src/protocol/runEvents';
import type { EvaluationFile } from '../../src/engine/components/evaluator';
import type { PushedFile } from '../../src/engine/components/pusher';
import type { ModelSignature, Prediction } from '../../src/engine/model/signature';
import { REPO_ROOT } from './codeServer';
import { artifactOf, instanceOf, predictInPage, queryRows, readJson, readParquetRows, runCli, SCREENSHOTS, sqlString, WebPages, type Row } from './webPage';
import { labelledPenguinPipeline } from '../worker/serve-helpers';

const N = 100;

let dir: string;
const pages = new WebPages();

/** A demo page on the pushed folder, served by `pipewise serve-web`, its model loaded. */
async function openPushed(folder: string): Promise<Page> {
  return (await pages.openDemo(await pages.serve(folder))).page;
}

function pipelineYaml(name: string, label: string, evaluate: string, pushes: string): string {
  // The helper's Trainer says model: auto. A quantizing Evaluator or Pusher reading the model makes
  // auto leave decision forests out (species); a plain web Pusher takes a forest (web-trees.e2e.ts).
  return labelledPenguinPipeline(name, label, { seed: 42, evaluate, extra: pushes });
}

/** The pushed folder of a Pusher stage (it must have pushed). */
function pushedFolder(result: RunResult, stage: string): PushedFile {
  const pushed = readJson<PushedFile>(path.join(artifactOf(result, stage, 'pushed_model'), 'pushed.json'));
  assert.equal(pushed.pushed, true, `${stage} did not push: ${pushed.reason}`);
  assert.ok(pushed.uri && fs.existsSync(path.join(pushed.uri, 'index.html')) && fs.existsSync(path.join(pushed.uri, 'pipewise-model.js')), `${stage}: no web folder at ${pushed.uri}`);
  return pushed;
}

/** The rejection message of predicting `instances` in the page ('' when it resolves). */
function rejectionInPage(page: Page, instances: unknown): Promise<string> {
  return page.evaluate(async (xs) => {
    const MODULE_URL: string = './pipewise-model.js';
    const m = (await import(MODULE_URL)) as { load: () => Promise<{ predict: (x: unknown) => Promise<unknown> }> };
    const model = await m.load();
    return model.predict(xs).then(
      () => '',
      (e: Error) => `${e.name}: ${e.message}`,
    );
  }, instances);
}

function accuracy(classes: readonly string[], rows: readonly Row[], predictions: readonly Prediction[], label: string): number {
  let right = 0;
  predictions.forEach((p, i) => {
    const scores = p.scores as number[];
    const best = scores.indexOf(Math.max(...scores));
    if (classes[best] === rows[i]?.[label]) right++;
  });
  return right / predictions.length;
}

let species: RunResult;
let mass: RunResult;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-web-e2e-'));
  fs.mkdirSync(path.join(dir, 'data'));
  fs.copyFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'penguins.csv'), path.join(dir, 'data', 'penguins.csv'));
  const speciesFile = path.join(dir, 'species.pipeline.yaml');
  fs.writeFileSync(
    speciesFile,
    pipelineYaml(
      'species',
      'species',
      '{ thresholds: { accuracy: { lower_bound: 0.9 } }, quantize: uint8 }',
      `  web: { component: Pusher, inputs: { model: train.model, blessing: evaluate.blessing }, params: { destination: web/species, target: web } }
  web_uint8: { component: Pusher, inputs: { model: train.model, blessing: evaluate.blessing }, params: { destination: web/species-uint8, target: web, quantize: uint8 } }
  web_float16: { component: Pusher, inputs: { model: train.model, blessing: evaluate.blessing }, params: { destination: web/species-float16, target: web, quantize: float16 } }
  web_external: { component: Pusher, inputs: { model: train.model, blessing: evaluate.blessing }, params: { destination: web/species-external, target: web, tfjs: external } }
`,
    ),
  );
  const massFile = path.join(dir, 'mass.pipeline.yaml');
  fs.writeFileSync(
    massFile,
    pipelineYaml('mass', 'body_mass_g', '{ thresholds: { r2: { lower_bound: 0.5 } } }', `  web: { component: Pusher, inputs: { model: train.model, blessing: evaluate.blessing }, params: { destination: web/mass, target: web } }\n`),
  );
  species = runCli(speciesFile);
  mass = runCli(massFile);
});

after(async () => {
  await pages.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('classification: the pushed penguin model predicts 100 eval examples in Chromium as BulkInferrer does (1e-5); uint8 within 0.01 accuracy', async (t) => {
  const rows = await readParquetRows(path.join(artifactOf(species, 'infer', 'inference_result'), 'predictions.parquet'));
  assert.ok(rows.length >= N, `the eval split has ${rows.length} rows`);
  const push = pushedFolder(species, 'web');
  const signature = readJson<ModelSignature>(path.join(push.uri as string, 'signature.json'));
  const classes = signature.classes as string[];
  const page = await openPushed(push.uri as string);
  const sample = rows.slice(0, N);
  const got = await predictInPage(page, sample.map((r) => instanceOf(signature, r)));
  assert.equal(got.length, N);
  let maxDiff = 0;
  got.forEach((p, i) => {
    const row = sample[i] as Row;
    classes.forEach((c, k) => {
      const d = Math.abs((p.scores?.[k] as number) - (row[`score_${c}`] as number));
      maxDiff = Math.max(maxDiff, d);
    });
    assert.equal(p.prediction, row.prediction, `row ${i}: the page predicts ${p.prediction}, BulkInferrer ${row.prediction}`);
  });
  t.diagnostic(`float32: largest |page − BulkInferrer| over ${N}×${classes.length} scores = ${maxDiff.toExponential(2)}`);
  assert.ok(maxDiff <= 1e-5, `scores differ by ${maxDiff}`);

  // uint8: the Evaluator measured it, the Pusher reports the sizes, and the page's accuracy over
  // the whole eval split is within 0.01 of float32's.
  const q = pushedFolder(species, 'web_uint8');
  assert.equal(q.quantized?.dtype, 'uint8');
  assert.ok((q.quantized?.bytesAfter as number) * 3.5 < (q.quantized?.bytesBefore as number), `uint8 weights ${q.quantized?.bytesAfter} of ${q.quantized?.bytesBefore} bytes`);
  const metrics = readJson<EvaluationFile>(path.join(artifactOf(species, 'evaluate', 'evaluation'), 'metrics.json'));
  assert.ok(metrics.quantized, 'metrics.json measures the quantized model');
  const qPage = await openPushed(q.uri as string);
  const all = rows.map((r) => instanceOf(signature, r));
  const float = await predictInPage(page, all);
  const quantized = await predictInPage(qPage, all);
  const accFloat = accuracy(classes, rows, float, 'species');
  const accQuant = accuracy(classes, rows, quantized, 'species');
  t.diagnostic(`accuracy on ${rows.length} eval rows: float32 ${accFloat.toFixed(4)}, uint8 ${accQuant.toFixed(4)} (Evaluator: ${metrics.slices[0]?.metrics.accuracy} / ${metrics.quantized?.metrics.accuracy}); weights ${q.quantized?.bytesBefore} → ${q.quantized?.bytesAfter} bytes`);
  assert.ok(Math.abs(accFloat - accQuant) <= 0.01, `uint8 accuracy ${accQuant} vs float32 ${accFloat}`);
  assert.ok(Math.abs(accQuant - (metrics.quantized?.metrics.accuracy as number)) < 1e-9, 'the page and the Evaluator agree on the uint8 model');

  // float16 was not measured by the Evaluator (it measured uint8), so it is not pushed.
  const f16 = readJson<PushedFile>(path.join(artifactOf(species, 'web_float16', 'pushed_model'), 'pushed.json'));
  assert.equal(f16.pushed, false);
  assert.match(f16.reason ?? '', /measured the model quantized to uint8/);
});

test('regression: the pushed body-mass model predicts 100 eval examples in Chromium as BulkInferrer does (relative 1e-5)', async (t) => {
  const rows = await readParquetRows(path.join(artifactOf(mass, 'infer', 'inference_result'), 'predictions.parquet'));
  assert.ok(rows.length >= N, `the eval split has ${rows.length} rows`);
  const push = pushedFolder(mass, 'web');
  const signature = readJson<ModelSignature>(path.join(push.uri as string, 'signature.json'));
  assert.equal(signature.task, 'regression');
  const page = await openPushed(push.uri as string);
  const sample = rows.slice(0, N);
  const got = await predictInPage(page, sample.map((r) => instanceOf(signature, r)));
  let maxRel = 0;
  got.forEach((p, i) => {
    const want = sample[i]?.prediction as number;
    maxRel = Math.max(maxRel, Math.abs((p.prediction as number) - want) / Math.max(1, Math.abs(want)));
  });
  t.diagnostic(`regression: largest |page − BulkInferrer| / |BulkInferrer| over ${N} rows = ${maxRel.toExponential(2)} (predictions around ${Math.round(sample[0]?.prediction as number)} g)`);
  assert.ok(maxRel <= 1e-5, `predictions differ by ${maxRel} (relative)`);
});

test('a bad instance rejects the promise with a message naming the feature', async () => {
  const push = pushedFolder(species, 'web');
  const signature = readJson<ModelSignature>(path.join(push.uri as string, 'signature.json'));
  const page = await openPushed(push.uri as string);
  const rows = await readParquetRows(path.join(artifactOf(species, 'infer', 'inference_result'), 'predictions.parquet'));
  const good = instanceOf(signature, rows[0] as Row);
  const { bill_length_mm: _dropped, ...missing } = good;
  assert.match(await rejectionInPage(page, [good, missing]), /instances\[1\]: missing feature 'bill_length_mm'/);
  assert.match(await rejectionInPage(page, [{ ...good, flipper_length_mm: 'long' }]), /instances\[0\]: feature 'flipper_length_mm' must be a number, got "long"/);
  assert.match(await rejectionInPage(page, [{ ...good, island: 3 }]), /instances\[0\]: feature 'island' must be a string, got 3/);
  assert.match(await rejectionInPage(page, [{ ...good, beak_colour: 'red' }]), /unknown feature 'beak_colour'/);
  assert.match(await rejectionInPage(page, good), /predict takes a list of instances/);
  assert.equal(await rejectionInPage(page, [{ ...good, sex: null }]), '', 'null is a missing value, as in the training data');
});

test('tfjs: external: the module uses the TensorFlow.js the page brings, and predicts as the bundled one', async () => {
  const ext = pushedFolder(species, 'web_external');
  const bundled = pushedFolder(species, 'web');
  assert.ok(fs.statSync(path.join(ext.uri as string, 'pipewise-model.js')).size < 50_000, 'the external module does not bundle TF.js');
  // The page's own TF.js, from the same origin (the page's CSP allows no other).
  fs.copyFileSync(path.join(REPO_ROOT, 'node_modules', '@tensorflow', 'tfjs', 'dist', 'tf.min.js'), path.join(ext.uri as string, 'tf.min.js'));
  // A user's own page (its own CSP: the full tf.min.js needs eval, which the demo page's CSP forbids).
  fs.writeFileSync(path.join(ext.uri as string, 'site.html'), '<!doctype html><title>site</title><p>a site that ships its own TF.js</p>');
  const url = await pages.serve(ext.uri as string);
  const page = await (await pages.browser()).newPage();
  await page.goto(`${url}site.html`);
  const signature = readJson<ModelSignature>(path.join(bundled.uri as string, 'signature.json'));
  const rows = (await readParquetRows(path.join(artifactOf(species, 'infer', 'inference_result'), 'predictions.parquet'))).slice(0, 20);
  const withoutTf = await page.evaluate(async () => {
    const MODULE_URL: string = './pipewise-model.js';
    const m = (await import(MODULE_URL)) as { load: () => Promise<unknown> };
    return m.load().then(
      () => '',
      (e: Error) => e.message,
    );
  });
  assert.match(withoutTf, /without TensorFlow\.js/);
  const got = await page.evaluate(async (xs) => {
    const MODULE_URL: string = './pipewise-model.js';
    const tfUrl: string = './tf.min.js';
    await import(tfUrl);
    // The page's TF.js, on the backend the page picks: the CPU one, to compare to 1e-5.
    await (globalThis as unknown as { tf: { setBackend(b: string): Promise<boolean> } }).tf.setBackend('cpu');
    const m = (await import(MODULE_URL)) as { load: () => Promise<{ predict: (x: unknown[]) => Promise<Prediction[]> }> };
    return (await m.load()).predict(xs);
  }, rows.map((r) => instanceOf(signature, r)));
  got.forEach((p, i) => assert.ok(Math.abs((p.scores?.[0] as number) - (rows[i]?.[`score_${signature.classes?.[0]}`] as number)) <= 1e-5, `row ${i}`));
});

test('the generated form predicts in the page (screenshot)', async () => {
  const push = pushedFolder(species, 'web');
  const signature = readJson<ModelSignature>(path.join(push.uri as string, 'signature.json'));
  const page = await openPushed(push.uri as string);
  assert.deepEqual(await page.locator('form label').allTextContents(), signature.inputs.map((i) => i.name), 'one field per raw feature');
  assert.deepEqual(await page.locator('select[name="island"] option').allTextContents(), ['Biscoe', 'Dream', 'Torgersen', '(missing)'].filter((o) => o), 'island as a drop-down');
  const rows = await readParquetRows(path.join(artifactOf(species, 'infer', 'inference_result'), 'predictions.parquet'));
  const row = rows.find((r) => r.prediction === 'Chinstrap') as Row;
  for (const input of signature.inputs) {
    const v = row[input.name];
    if (input.type === 'string') await page.selectOption(`[name="${input.name}"]`, v === null ? '' : String(v));
    else await page.fill(`[name="${input.name}"]`, v === null ? '' : String(v));
  }
  await page.click('#predict');
  await page.locator('#prediction', { hasText: 'Chinstrap' }).waitFor({ timeout: 30_000 });
  const pct = await page.locator('.score .pct').allTextContents();
  assert.equal(pct.length, 3);
  const shown = Number(pct[1]?.replace(/[^\d.]/g, ''));
  assert.ok(Math.abs(shown - 100 * (row.score_Chinstrap as number)) <= 0.051, `the page shows ${shown} % for Chinstrap; BulkInferrer ${row.score_Chinstrap}`);
  await pages.screenshot(page, 'web-demo');
});

// ~500 px: the column Open Web Demo opens in beside the editor at 1400×900; 450 px: the narrow column issue 27 tried.
for (const width of [500, 450]) {
  test(`in a ${width} px column the page and its answer fit, with no horizontal scrolling (screenshot)`, async () => {
    const push = pushedFolder(species, 'web');
    const url = await pages.serve(push.uri as string);
    const { page } = await pages.openDemo(url);
    await page.setViewportSize({ width, height: 900 });
    await page.click('#predict');
    await page.locator('#prediction').waitFor({ timeout: 30_000 });
    // Anonymous functions only in the page (tsx would name a local arrow with a helper the page lacks).
    const ends = await page.evaluate(
      (selectors) => Object.fromEntries(selectors.map((sel) => [sel, Math.max(0, ...[...document.querySelectorAll(sel)].map((e) => e.getBoundingClientRect().right))])),
      ['#output', '.score .pct', 'form', 'form input, form select'],
    );
    const [viewport, scrollWidth] = await page.evaluate(() => [window.innerWidth, document.documentElement.scrollWidth]);
    const box = { viewport, scrollWidth, output: ends['#output'] ?? 0, pct: ends['.score .pct'] ?? 0, form: ends.form ?? 0, inputs: ends['form input, form select'] ?? 0 };
    assert.equal(box.viewport, width);
    assert.ok(box.scrollWidth <= box.viewport, `the page is ${box.scrollWidth} px wide in a ${box.viewport} px column`);
    for (const [what, r] of Object.entries({ output: box.output, 'score percentages': box.pct, form: box.form, 'form fields': box.inputs })) assert.ok(r > 0 && r <= box.viewport, `${what} end at ${r} px, past the ${box.viewport} px column`);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, `web-demo-${width}.png`), fullPage: true });
    await page.close();
  });
}

test('the form starts from a real row of the data (as Try does), not from training means', async () => {
  const push = pushedFolder(species, 'web');
  const signature = readJson<ModelSignature>(path.join(push.uri as string, 'signature.json'));
  const page = await openPushed(push.uri as string);
  const values = await page.evaluate((names) => Object.fromEntries(names.map((n) => [n, (document.querySelector(`[name="${n}"]`) as HTMLInputElement | HTMLSelectElement).value])), signature.inputs.map((i) => i.name));
  await page.close();
  // The oracle: penguins.csv itself, read by DuckDB (NA is a missing value, as ExampleGen reads it).
  const rows = await queryRows(`SELECT * FROM read_csv('${sqlString(path.join(dir, 'data', 'penguins.csv'))}', header = true, nullstr = 'NA')`);
  const same = (input: ModelSignature['inputs'][number], row: Row): boolean => {
    const shown = values[input.name] ?? '';
    const v = row[input.name];
    if (v === null || v === undefined) return shown === '';
    return input.type === 'number' ? shown !== '' && Number(shown) === Number(v) : shown === String(v);
  };
  const match = rows.find((r) => signature.inputs.every((i) => same(i, r)));
  assert.ok(match, `the form's first values ${JSON.stringify(values)} are a row of penguins.csv`);
});
