/**
 * A tree model through every consumer a pipeline and `pipewise serve` have: Evaluator, BulkInferrer
 * and InfraValidator in a CLI run, then `pipewise serve` with the TF Serving REST shapes, a hot
 * swap to a second version (a random forest) and the request log. Each prediction is checked
 * against YDF's own `predict` on the same rows (the saved zip loaded with the library, fed the
 * Transform's stored values as CSV), within 1e-6.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunResult } from '../../src/protocol/runEvents';
import type { ModelSignature } from '../../src/engine/model/servingModel';
import { loadYdf, ydfCall } from '../../src/engine/model/ydf';
import { queryRows, withDuckDb } from '../../src/engine/transform/examplesIo';
import type { TransformSpec } from '../../src/engine/transform/transformSpec';
import { pipewise, postJson, root, startServe, versionsOf, waitFor } from './serve-helpers';
import { penguinOpening, pipelineText, trainerStage } from '../pipelineText';

const PIPELINE = `${pipelineText(
  'penguin_trees',
  penguinOpening({ label: 'species' }),
  trainerStage('{ model: gradient_boosted_trees }', 'block', { name: 'gbt' }),
  trainerStage('{ model: random_forest }', 'block', { name: 'forest' }),
)}  evaluate: { component: Evaluator, inputs: { examples: examples.examples, model: gbt.model }, params: { slices: [[], [island]], thresholds: { accuracy: { lower_bound: 0.9 } } } }
  infer: { component: BulkInferrer, inputs: { examples: examples.examples, model: gbt.model } }
  infra: { component: InfraValidator, inputs: { examples: examples.examples, model: gbt.model } }
`;

let dir = '';
let result: RunResult;
const art = (stage: string, out: string): string => {
  const a = result.stages.find((s) => s.name === stage)?.artifacts[out];
  assert.ok(a, `${stage}.${out}`);
  return a;
};
const readParquet = (file: string): Promise<Record<string, unknown>[]> => withDuckDb((conn) => queryRows(conn, `SELECT * FROM read_parquet('${file}')`));

/** YDF's own predict on the eval split: class → probability per row. */
async function ydfOwn(modelDir: string): Promise<Record<string, number>[]> {
  const spec = JSON.parse(readFileSync(path.join(modelDir, 'transform.json'), 'utf8')) as TransformSpec;
  const rows = await readParquet(path.join(art('transform', 'transformed_examples'), 'Split-eval', 'data.parquet'));
  const names = spec.features.map((f) => f.name);
  const csv = [[...names, spec.label.name].join(','), ...rows.map((r) => [...names.map((n) => String(Number(r[n]))), ''].join(','))].join('\n');
  const ydf = await loadYdf();
  const model = await ydf.loadModelFromZipBlob(new Blob([readFileSync(path.join(modelDir, 'model', 'ydf_model.zip'))]));
  try {
    const values = ydfCall('oracle predict', () => model.predict(csv));
    const classes = model.getLabelClasses();
    return rows.map((_, i) => Object.fromEntries(classes.map((c, k) => [c, values[i * classes.length + k] as number])));
  } finally {
    model.unload();
  }
}

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-trees-'));
  cpSync(path.join(root, 'test/fixtures/penguins.csv'), path.join(dir, 'data/penguins.csv'));
  writeFileSync(path.join(dir, 'p.pipeline.yaml'), PIPELINE);
  const r = await pipewise(['run', path.join(dir, 'p.pipeline.yaml'), '--json'], dir, 600_000);
  assert.equal(r.code, 0, r.stderr);
  result = JSON.parse(r.stdout) as RunResult;
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('Evaluator, BulkInferrer and InfraValidator work with a tree model; BulkInferrer equals YDF\'s own predict', { timeout: 300_000 }, async () => {
  const metrics = JSON.parse(readFileSync(path.join(art('evaluate', 'evaluation'), 'metrics.json'), 'utf8')) as { slices: { slice: Record<string, unknown>; metrics: Record<string, number> }[] };
  assert.ok(metrics.slices.length >= 2, 'overall and per-island slices');
  assert.ok((metrics.slices.find((s) => Object.keys(s.slice).length === 0)?.metrics.accuracy ?? 0) >= 0.9);
  assert.ok(existsSync(path.join(art('evaluate', 'blessing'), 'BLESSED')), readdirSync(art('evaluate', 'blessing')).join(', '));
  assert.ok(existsSync(path.join(art('infra', 'infra_blessing'), 'INFRA_BLESSED')), readdirSync(art('infra', 'infra_blessing')).join(', '));

  const predictions = await readParquet(path.join(art('infer', 'inference_result'), 'predictions.parquet'));
  const own = await ydfOwn(art('gbt', 'model'));
  assert.equal(predictions.length, own.length);
  predictions.forEach((p, i) => {
    for (const c of ['Adelie', 'Chinstrap', 'Gentoo']) {
      assert.ok(Math.abs(Number(p[`score_${c}`]) - (own[i]?.[c] as number)) <= 1e-6, `row ${i} ${c}: ${String(p[`score_${c}`])} vs YDF ${own[i]?.[c]}`);
    }
  });
});

test('pipewise serve answers with a tree model in TF Serving\'s shapes, equal to YDF\'s own predict, swaps to a new version and logs requests', { timeout: 300_000 }, async () => {
  const base = path.join(dir, 'serving', 'penguins');
  cpSync(art('gbt', 'model'), path.join(base, '1'), { recursive: true });
  const logDir = path.join(dir, 'requests');
  const s = await startServe(base, ['--log-dir', logDir]);
  try {
    const m = `${s.url}/v1/models/penguins`;
    await waitFor('version 1', async () => ((await versionsOf(s.url, 'penguins')).some((v) => v.version === '1' && v.state === 'AVAILABLE') ? true : undefined));
    const raw = await readParquet(path.join(art('examples', 'examples'), 'Split-eval', 'data.parquet'));
    const instances = raw.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'species').map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
    const signature = JSON.parse(readFileSync(path.join(base, '1', 'signature.json'), 'utf8')) as ModelSignature;
    const check = async (modelDir: string): Promise<void> => {
      const r = await postJson(`${m}:predict`, { instances });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const served = r.body.predictions as { scores: number[] }[];
      const own = await ydfOwn(modelDir);
      assert.equal(served.length, own.length);
      served.forEach((p, i) => signature.classes?.forEach((c, k) => assert.ok(Math.abs((p.scores[k] as number) - (own[i]?.[c] as number)) <= 1e-6, `row ${i} ${c}`)));
    };
    await check(art('gbt', 'model'));
    // A malformed request is a 400 and the tree model goes on serving.
    const bad = await postJson(`${m}:predict`, { instances: [{ ...instances[0], body_mass_g: 'heavy' }] });
    assert.equal(bad.status, 400);

    cpSync(art('forest', 'model'), path.join(base, '2'), { recursive: true });
    await waitFor('version 2', async () => ((await versionsOf(s.url, 'penguins')).some((v) => v.version === '2' && v.state === 'AVAILABLE') ? true : undefined));
    await waitFor('the swap to version 2', async () => {
      const r = await postJson(`${m}:predict`, { instances: instances.slice(0, 1) });
      const own = await ydfOwn(art('forest', 'model'));
      const p = (r.body.predictions as { scores: number[] }[])[0];
      return p && Math.abs((p.scores[0] as number) - (own[0]?.Adelie as number)) <= 1e-6 ? true : undefined;
    });
    await check(art('forest', 'model'));
  } finally {
    assert.equal(await s.stop(), 0);
  }
  const logs = readdirSync(logDir, { recursive: true }).map(String).filter((f) => f.endsWith('.parquet'));
  assert.ok(logs.length > 0, 'the request log');
});
