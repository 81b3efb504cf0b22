/**
 * A web push of a decision forest predicts in Debian's Chromium with YDF's own wasm, loaded from the
 * pushed folder, exactly as YDF predicts in Node (issue 25). Two penguin pipelines through the CLI:
 * species with `model: gradient_boosted_trees` (multiclass) and body mass with `model: random_forest`
 * (regression), each with BulkInferrer and a `target: web` Pusher. `pipewise serve-web` serves each
 * folder on 127.0.0.1 and the page predicts 100 eval rows. Oracles: YDF's `predict` in Node on the
 * Model artifact's `ydf_model.zip`, given the same rows' columns (1e-6), and BulkInferrer's
 * predictions.parquet. Every request the page makes stays on the folder's own origin, and the page's
 * Content-Security-Policy (script-src 'self' 'wasm-unsafe-eval') is the one it runs under.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunResult } from '../../src/protocol/runEvents';
import type { PushedFile } from '../../src/engine/components/pusher';
import type { ModelSignature } from '../../src/engine/model/signature';
import { TREE_MODEL_INFO, TREE_MODEL_ZIP, treeColumns, type TreeModelInfo } from '../../src/engine/model/treeColumns';
import { loadYdfModel, ydfCall } from '../../src/engine/model/ydf';
import { applyTransform } from '../../src/engine/transform/applyTransform';
import type { TransformSpec } from '../../src/engine/transform/transformSpec';
import { REPO_ROOT } from './codeServer';
import { artifactOf, instanceOf, predictInPage, readJson, readParquetRows, runCli, WebPages, type Row } from './webPage';
import { labelledPenguinPipeline } from '../worker/serve-helpers';

const N = 100;

let dir: string;
const pages = new WebPages();

/** The helper's penguin pipeline with the Trainer set to a forest and a web Pusher. */
function forestPipeline(name: string, label: string, model: string, threshold: string): string {
  const text = labelledPenguinPipeline(name, label, {
    seed: 42,
    evaluate: `{ thresholds: { ${threshold} } }`,
    extra: `  web: { component: Pusher, inputs: { model: train.model, blessing: evaluate.blessing }, params: { destination: web/${name}, target: web } }\n`,
  });
  const trainer = 'params: { hidden_units: [16], epochs: 25, seed: 42 }';
  assert.ok(text.includes(trainer), 'the helper pipeline changed: update this test');
  return text.replace(trainer, `params: { model: ${model}, seed: 42 }`);
}

/** YDF's own predict in Node on the Model artifact's zip, for the same rows' columns: its raw output and class order. */
async function ydfInNode(modelUri: string, signature: ModelSignature, rows: readonly Row[]): Promise<{ raw: number[]; classes: readonly string[] }> {
  const spec = readJson<TransformSpec>(path.join(modelUri, 'transform.json'));
  const info = readJson<TreeModelInfo>(path.join(modelUri, 'model', TREE_MODEL_INFO));
  const model = await loadYdfModel(new Uint8Array(fs.readFileSync(path.join(modelUri, 'model', TREE_MODEL_ZIP))), 'the e2e oracle');
  try {
    const instances = rows.map((r) => instanceOf(signature, r));
    const columns = treeColumns(spec, applyTransform(spec, instances), instances.length);
    return { raw: Array.from(ydfCall('the e2e oracle', () => model.predict(columns))), classes: info.ydfClasses ?? [] };
  } finally {
    model.unload();
  }
}

let species: RunResult;
let mass: RunResult;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-web-trees-e2e-'));
  fs.mkdirSync(path.join(dir, 'data'));
  fs.copyFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'penguins.csv'), path.join(dir, 'data', 'penguins.csv'));
  fs.writeFileSync(path.join(dir, 'species.pipeline.yaml'), forestPipeline('species', 'species', 'gradient_boosted_trees', 'accuracy: { lower_bound: 0.9 }'));
  fs.writeFileSync(path.join(dir, 'mass.pipeline.yaml'), forestPipeline('mass', 'body_mass_g', 'random_forest', 'r2: { lower_bound: 0.5 }'));
  species = runCli(path.join(dir, 'species.pipeline.yaml'));
  mass = runCli(path.join(dir, 'mass.pipeline.yaml'));
});

after(async () => {
  await pages.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function pushed(result: RunResult): string {
  const p = readJson<PushedFile>(path.join(artifactOf(result, 'web', 'pushed_model'), 'pushed.json'));
  assert.equal(p.pushed, true, `web did not push: ${p.reason}`);
  const folder = p.uri as string;
  for (const f of ['index.html', 'pipewise-model.js', `model/${TREE_MODEL_ZIP}`, 'ydf/training.js', 'ydf/training.wasm', 'ydf/jszip.min.js']) assert.ok(fs.existsSync(path.join(folder, f)), `the web folder has no ${f}`);
  assert.match(fs.readFileSync(path.join(folder, 'index.html'), 'utf8'), /script-src 'self' 'wasm-unsafe-eval';/);
  return folder;
}

test('gradient-boosted trees (multiclass) predict 100 eval rows in Chromium as YDF does in Node (1e-6) and as BulkInferrer does, with no request off the folder', async (t) => {
  const folder = pushed(species);
  const signature = readJson<ModelSignature>(path.join(folder, 'signature.json'));
  assert.equal(signature.modelFormat, 'ydf');
  const classes = signature.classes as string[];
  const rows = (await readParquetRows(path.join(artifactOf(species, 'infer', 'inference_result'), 'predictions.parquet'))).slice(0, N);
  assert.equal(rows.length, N);
  const url = await pages.serve(folder);
  const { page, requests } = await pages.openDemo(url, 120_000);
  const got = await predictInPage(page, rows.map((r) => instanceOf(signature, r)));
  const oracle = await ydfInNode(artifactOf(species, 'train', 'model'), signature, rows);
  assert.deepEqual([...oracle.classes].sort(), [...classes].sort());
  let maxYdf = 0;
  let maxBulk = 0;
  got.forEach((p, i) => {
    classes.forEach((c, k) => {
      const ydf = oracle.raw[i * oracle.classes.length + oracle.classes.indexOf(c)] as number;
      maxYdf = Math.max(maxYdf, Math.abs((p.scores?.[k] as number) - ydf));
      maxBulk = Math.max(maxBulk, Math.abs((p.scores?.[k] as number) - (rows[i]?.[`score_${c}`] as number)));
    });
    assert.equal(p.prediction, rows[i]?.prediction, `row ${i}`);
  });
  t.diagnostic(`largest |page − YDF in Node| over ${N}×${classes.length} scores = ${maxYdf.toExponential(2)}; |page − BulkInferrer| = ${maxBulk.toExponential(2)}`);
  assert.ok(maxYdf <= 1e-6, `the page's scores differ from YDF's by ${maxYdf}`);
  assert.ok(maxBulk <= 1e-6, `the page's scores differ from BulkInferrer's by ${maxBulk}`);
  const offOrigin = requests.filter((r) => !r.startsWith(url));
  assert.deepEqual(offOrigin, [], 'every request stays on the pushed folder');
  assert.ok(requests.some((r) => r.endsWith('/ydf/training.wasm')), `the page fetched YDF's wasm from the folder: ${requests.join(', ')}`);
  assert.match((await page.locator('header p').textContent()) ?? '', /Yggdrasil Decision Forests \(gradient_boosted_trees, wasm\)/);
  await page.click('#predict');
  await page.locator('#prediction').waitFor({ timeout: 30_000 });
  assert.match((await page.locator('#status').textContent()) ?? '', /Yggdrasil Decision Forests, wasm, no server/);
  await pages.screenshot(page, 'web-demo-trees');
});

test('a random forest (regression) predicts 100 eval rows in Chromium as YDF does in Node (1e-6)', async (t) => {
  const folder = pushed(mass);
  const signature = readJson<ModelSignature>(path.join(folder, 'signature.json'));
  assert.equal(signature.task, 'regression');
  const rows = (await readParquetRows(path.join(artifactOf(mass, 'infer', 'inference_result'), 'predictions.parquet'))).slice(0, N);
  const { page } = await pages.openDemo(await pages.serve(folder), 120_000);
  const got = await predictInPage(page, rows.map((r) => instanceOf(signature, r)));
  const oracle = await ydfInNode(artifactOf(mass, 'train', 'model'), signature, rows);
  let maxRel = 0;
  got.forEach((p, i) => {
    const want = oracle.raw[i] as number;
    maxRel = Math.max(maxRel, Math.abs((p.prediction as number) - want) / Math.max(1, Math.abs(want)));
    assert.ok(Math.abs((p.prediction as number) - (rows[i]?.prediction as number)) / Math.max(1, Math.abs(want)) <= 1e-6, `row ${i}: BulkInferrer ${rows[i]?.prediction}, page ${p.prediction}`);
  });
  t.diagnostic(`largest |page − YDF in Node| / |YDF| over ${N} rows = ${maxRel.toExponential(2)} (predictions around ${Math.round(oracle.raw[0] as number)} g)`);
  assert.ok(maxRel <= 1e-6, `the page's predictions differ from YDF's by ${maxRel} (relative)`);
});
