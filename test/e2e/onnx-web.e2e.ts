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
import fs from 'node:fs';
import path from 'node:path';
import type { RunResult } from '../../src/protocol/runEvents';
import type { PushedFile } from '../../src/engine/components/pusher';
import type { ModelSignature } from '../../src/engine/model/signature';
import { ONNX_EXAMPLES_STAGE, ONNX_FEATURES, ONNX_TRANSFORM_STAGES, onnxImporterStage, onnxOracle, onnxProject, onnxRawRows, type OnnxModelName, type OnnxPrediction } from '../onnxFixture';
import { REPO_ROOT } from './codeServer';
import { artifactOf as artifactIn, instanceOf, predictInPage, readJson, readParquetRows, runCli, WebPages, type Row } from './webPage';

const FEATURES = ONNX_FEATURES;
const N = 60;
const MODELS_PUSHED: readonly OnnxModelName[] = ['linear', 'trees', 'mlp', 'scaled'];

const PIPELINE = `pipeline: onnx_web
stages:
  raw: { component: ExampleGen, params: { input: data/penguins.csv } }
${ONNX_EXAMPLES_STAGE}${onnxImporterStage('linear')}${onnxImporterStage('trees')}${onnxImporterStage('mlp')}${ONNX_TRANSFORM_STAGES}${MODELS_PUSHED
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
async function oracle(model: OnnxModelName, rows: readonly Row[]): Promise<OnnxPrediction> {
  const train = model === 'scaled' ? onnxRawRows(await readParquetRows(path.join(artifactOf('examples', 'examples'), 'Split-train', 'data.parquet'))) : undefined;
  return onnxOracle(REPO_ROOT, path.join(dir, 'models'), model, onnxRawRows(rows), train);
}

function pushed(m: string): string {
  const p = readJson<PushedFile>(path.join(artifactOf(`web_${m}`, 'pushed_model'), 'pushed.json'));
  assert.equal(p.pushed, true, `web_${m} did not push: ${p.reason}`);
  return p.uri as string;
}

before(() => {
  dir = onnxProject(REPO_ROOT, 'pipewise-onnx-web-');
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
