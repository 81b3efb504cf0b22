/**
 * An imported ONNX model pushed for the web predicts in Debian's Chromium as NumPy computes it: the
 * three models of test/worker/onnx_models.py (a LinearClassifier ending in a ZipMap, a
 * TreeEnsembleRegressor, an MLP of standard operators) are imported, evaluated, batch-inferred and
 * pushed with `target: web`; `pipewise serve-web` serves each folder on 127.0.0.1 and the page
 * imports `pipewise-model.js` (onnxruntime-web, its wasm loaded from the folder: the page's CSP
 * allows nothing remote) and predicts 60 eval rows. The oracle is NumPy on the same parameters
 * (1e-5), and BulkInferrer's predictions.parquet agrees too. A fourth model is fed the Transform's
 * features (`feed: transform`): the page applies the pushed transform.json to raw instances before
 * it, and NumPy refits the z-scores and vocabulary from the raw train split. Then the demo form
 * (screenshot).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunResult } from '../../src/protocol/runEvents';
import type { PushedFile } from '../../src/engine/components/pusher';
import type { ModelSignature } from '../../src/engine/model/signature';
import { oraclePython } from '../python';
import { REPO_ROOT } from './codeServer';
import { artifactOf as artifactIn, instanceOf, predictInPage, readJson, readParquetRows, runCli, WebPages, type Row } from './webPage';

const MODELS = path.join(REPO_ROOT, 'test', 'worker', 'onnx_models.py');
const FEATURES = ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g'];
const N = 60;
const MODELS_PUSHED = ['linear', 'trees', 'mlp', 'scaled'];
const RAW = [...FEATURES, 'island'];

const PIPELINE = `pipeline: onnx_web
stages:
  raw: { component: ExampleGen, params: { input: data/penguins.csv } }
  examples:
    component: Sql
    inputs: { examples: raw.examples }
    params: { query: "SELECT *, body_mass_g / 1000.0 AS body_mass_kg FROM examples WHERE bill_length_mm IS NOT NULL AND bill_depth_mm IS NOT NULL AND flipper_length_mm IS NOT NULL AND body_mass_g IS NOT NULL AND sex IS NOT NULL" }
  linear: { component: Importer, params: { source: models/linear.onnx, label: species, inputs: { features: [bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g] } } }
  trees: { component: Importer, params: { source: models/trees.onnx, label: body_mass_kg, inputs: { flipper: flipper_length_mm, bill: bill_length_mm } } }
  mlp: { component: Importer, params: { source: models/mlp.onnx, label: sex, classes: [female, male], inputs: { x: [bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g] } } }
  stats: { component: StatisticsGen, inputs: { examples: examples.examples } }
  schema: { component: SchemaGen, inputs: { statistics: stats.statistics } }
  transform: { component: Transform, inputs: { examples: examples.examples, schema: schema.schema }, params: { label: body_mass_kg, exclude: [body_mass_g] } }
  scaled:
    component: Importer
    inputs: { transform_graph: transform.transform_graph }
    params: { source: models/scaled.onnx, label: body_mass_kg, feed: transform, inputs: { x: [bill_length_mm, bill_depth_mm, flipper_length_mm], island: island } }
${MODELS_PUSHED
  .map(
    (m) => `  evaluate_${m}: { component: Evaluator, inputs: { examples: examples.examples, model: ${m}.result } }
  infer_${m}: { component: BulkInferrer, inputs: { examples: examples.examples, model: ${m}.result } }
  web_${m}: { component: Pusher, inputs: { model: ${m}.result, blessing: evaluate_${m}.blessing }, params: { destination: web/${m}, target: web } }`,
  )
  .join('\n')}
`;

let dir: string;
let result: RunResult;
const pages = new WebPages();

function artifactOf(stage: string, output: string): string {
  return artifactIn(result, stage, output);
}

/** NumPy's outputs (onnx_models.py); `scaled` refits the Transform's z-scores and vocabulary from the raw train split. */
async function oracle(model: string, rows: readonly Row[]): Promise<{ probabilities?: number[][]; values?: number[] }> {
  const only = (xs: readonly Row[]): Row[] => xs.map((r) => Object.fromEntries(RAW.map((f) => [f, r[f] ?? null])));
  const train = model === 'scaled' ? { train: only(await readParquetRows(path.join(artifactOf('examples', 'examples'), 'Split-train', 'data.parquet'))) } : {};
  const out = execFileSync(oraclePython(), [MODELS, 'predict', path.join(dir, 'models')], { input: JSON.stringify({ model, rows: only(rows), ...train }) });
  return JSON.parse(out.toString()) as { probabilities?: number[][]; values?: number[] };
}

function pushed(m: string): string {
  const p = readJson<PushedFile>(path.join(artifactOf(`web_${m}`, 'pushed_model'), 'pushed.json'));
  assert.equal(p.pushed, true, `web_${m} did not push: ${p.reason}`);
  return p.uri as string;
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-onnx-web-'));
  fs.mkdirSync(path.join(dir, 'data'));
  fs.mkdirSync(path.join(dir, 'models'));
  fs.copyFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'penguins.csv'), path.join(dir, 'data', 'penguins.csv'));
  execFileSync(oraclePython(), [MODELS, 'build', path.join(dir, 'models'), path.join(dir, 'data', 'penguins.csv')]);
  fs.writeFileSync(path.join(dir, 'p.pipeline.yaml'), PIPELINE);
  result = runCli(path.join(dir, 'p.pipeline.yaml'));
});

after(async () => {
  await pages.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('each imported ONNX model predicts 60 eval rows in Chromium as NumPy and BulkInferrer do (1e-5), loading nothing from outside its folder', async (t) => {
  for (const m of MODELS_PUSHED) {
    const folder = pushed(m);
    assert.ok(fs.existsSync(path.join(folder, 'model', 'model.onnx')) && fs.existsSync(path.join(folder, 'ort-wasm-simd-threaded.wasm')), `${m}: the model and the wasm runtime are in the folder`);
    const html = fs.readFileSync(path.join(folder, 'index.html'), 'utf8');
    assert.match(html, /script-src 'self' 'wasm-unsafe-eval';/);
    if (m === 'scaled') {
      assert.ok(fs.existsSync(path.join(folder, 'transform.json')), 'feed: transform pushes the transform the page applies');
      assert.match(html, /<select id="f-island" name="island"><option value="Biscoe">/, 'the vocabulary gives the island its choices');
    }
    const url = await pages.serve(folder);
    const { page, requests, problems } = await pages.openDemo(url);
    const signature = readJson<ModelSignature>(path.join(folder, 'signature.json'));
    const rows = (await readParquetRows(path.join(artifactOf(`infer_${m}`, 'inference_result'), 'predictions.parquet'))).slice(0, N);
    const got = await predictInPage(page, rows.map((r) => instanceOf(signature, r)));
    assert.equal(got.length, rows.length);
    const expected = await oracle(m, rows);
    let maxDiff = 0;
    got.forEach((p, i) => {
      const row = rows[i] as Row;
      const pairs: [number, number, number][] =
        m === 'linear'
          ? (signature.classes ?? []).map((c, k) => [p.scores?.[k] as number, expected.probabilities?.[i]?.[k] as number, row[`score_${c}`] as number])
          : m === 'mlp'
            ? [[p.score as number, expected.values?.[i] as number, row.score as number]]
            : [[p.prediction as number, expected.values?.[i] as number, Number(row.prediction)]];
      for (const [page_, numpy, bulk] of pairs) {
        maxDiff = Math.max(maxDiff, Math.abs(page_ - numpy));
        assert.ok(Math.abs(page_ - numpy) <= 1e-5, `${m} row ${i}: the page ${page_}, NumPy ${numpy}`);
        assert.ok(Math.abs(page_ - bulk) <= 1e-6, `${m} row ${i}: the page ${page_}, BulkInferrer ${bulk}`);
      }
    });
    t.diagnostic(`${m}: largest |page − NumPy| over ${rows.length} rows = ${maxDiff.toExponential(2)}`);
    const origin = new URL(url).origin;
    assert.deepEqual(requests.filter((r) => !r.startsWith(origin)), [], 'nothing is fetched from outside the pushed folder');
    assert.ok(requests.some((r) => r.endsWith('/ort-wasm-simd-threaded.wasm')), 'the wasm comes from the folder');
    assert.deepEqual(problems, [], `${m}: page errors`);
    await page.close();
  }
});

test('the generated form of the imported classifier predicts in the page (screenshot)', async () => {
  const folder = pushed('linear');
  const { page } = await pages.openDemo(await pages.serve(folder));
  const signature = readJson<ModelSignature>(path.join(folder, 'signature.json'));
  assert.deepEqual(await page.locator('form label').allTextContents(), signature.inputs.map((i) => i.name));
  const rows = await readParquetRows(path.join(artifactOf('infer_linear', 'inference_result'), 'predictions.parquet'));
  const row = rows.find((r) => r.prediction === 'Gentoo') as Row;
  for (const f of FEATURES) await page.fill(`[name="${f}"]`, String(row[f]));
  await page.click('#predict');
  await page.locator('#prediction', { hasText: 'Gentoo' }).waitFor({ timeout: 30_000 });
  const pct = await page.locator('.score .pct').allTextContents();
  assert.equal(pct.length, 3);
  assert.ok(Math.abs(Number(pct[2]?.replace(/[^\d.]/g, '')) - 100 * (row.score_Gentoo as number)) <= 0.051);
  assert.match((await page.locator('#status').textContent()) ?? '', /ONNX Runtime Web/);
  await pages.screenshot(page, 'web-demo-onnx');
  await page.close();
});
