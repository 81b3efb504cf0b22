/**
 * Bring your own model: ONNX models built in the test with onnx.helper (Debian's python3-onnx) —
 * an ai.onnx.ml LinearClassifier ending in a ZipMap, a TreeEnsembleRegressor fed by two one-column
 * tensors, and an MLP of MatMul/Add/Relu/Sigmoid — imported by the Importer and put through the
 * Evaluator, BulkInferrer, InfraValidator, Pusher and `pipewise serve`. Every prediction is checked
 * against NumPy's computation from the same parameters (onnx_models.py, no ONNX runtime) within
 * 1e-5; the Evaluator's accuracy against NumPy's on the same eval rows. A fourth model, trained
 * elsewhere on the Transform's output, is imported with `feed: transform`: Pipewise applies the
 * Transform to raw rows before it, and NumPy recomputes the z-scores and the vocabulary from the raw
 * train split. A missing number: filled by the Transform, routed by the trees, and for a model that
 * cannot take it a 400 naming the input and the column. Then the failures: a
 * malformed file, an input mapping that does not fit, a column the table lacks and a type mismatch,
 * each naming the input; a source outside the pipeline's folder; an edited model file re-running
 * what follows.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunResult } from '../../src/protocol/runEvents';
import type { ModelSignature } from '../../src/engine/model/servingModel';
import { queryRows, withDuckDb } from '../../src/engine/transform/examplesIo';
import { loadServingModel } from '../../src/engine/model/serving';
import { noOraclePython } from '../python';
import { ONNX_EXAMPLES_STAGE, ONNX_FEATURES, ONNX_TRANSFORM_STAGES, onnxImporterStage, onnxOracle, onnxProject, onnxRawRows, type OnnxModelName, type OnnxPrediction } from '../onnxFixture';
import YAML from 'yaml';
import { checkPipelineSpec } from './kfp-helpers';
import { pipewise, postJson, root, startServe, versionsOf, waitFor, type Ran } from './serve-helpers';
import { penguinOpening, pipelineText } from '../pipelineText';

const FEATURES = ONNX_FEATURES;
const TOLERANCE = 1e-5;

const PIPELINE = `pipeline: onnx_penguins
stages:
  raw: { component: ExampleGen, params: { input: data/penguins.csv } }
${ONNX_EXAMPLES_STAGE}  linear:
    component: Importer
    params:
      source: models/linear.onnx
      artifact_type: Model
      label: species
      inputs: { features: [bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g] }
${onnxImporterStage('trees')}${onnxImporterStage('mlp')}  evaluate: { component: Evaluator, inputs: { examples: examples.examples, model: linear.result }, params: { thresholds: { accuracy: { lower_bound: 0.9 } } } }
  too_strict: { component: Evaluator, inputs: { examples: examples.examples, model: linear.result }, params: { thresholds: { accuracy: { lower_bound: 0.9999 } } } }
  infer_linear: { component: BulkInferrer, inputs: { examples: examples.examples, model: linear.result } }
  infer_trees: { component: BulkInferrer, inputs: { examples: examples.examples, model: trees.result } }
  infer_mlp: { component: BulkInferrer, inputs: { examples: examples.examples, model: mlp.result } }
  infra: { component: InfraValidator, inputs: { examples: examples.examples, model: linear.result } }
  push: { component: Pusher, inputs: { model: linear.result, blessing: evaluate.blessing, infra_blessing: infra.infra_blessing }, params: { destination: serving/penguins } }
${ONNX_TRANSFORM_STAGES}  infer_scaled: { component: BulkInferrer, inputs: { examples: examples.examples, model: scaled.result } }
  evaluate_scaled: { component: Evaluator, inputs: { examples: examples.examples, model: scaled.result } }
`;

let dir = '';
let result: RunResult;
const art = (r: RunResult, stage: string, out: string): string => {
  const a = r.stages.find((s) => s.name === stage)?.artifacts[out];
  assert.ok(a, `${stage}.${out}: ${JSON.stringify(r.stages.find((s) => s.name === stage))}`);
  return a;
};
const readParquet = (file: string): Promise<Record<string, unknown>[]> =>
  withDuckDb((conn) => queryRows(conn, `SELECT * FROM read_parquet('${file}')`)).then((rows) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]))));

let trainRows: Record<string, unknown>[] = [];

/** NumPy's outputs for the rows (onnx_models.py predict); `scaled` refits the Transform's scaling from the raw train split. */
function oracle(model: OnnxModelName, rows: readonly Record<string, unknown>[]): OnnxPrediction {
  return onnxOracle(root, path.join(dir, 'models'), model, onnxRawRows(rows), model === 'scaled' ? onnxRawRows(trainRows) : undefined);
}

const near = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) <= TOLERANCE, `${what}: ${a} vs NumPy ${b}`);

before(async () => {
  dir = onnxProject(root, 'pipewise-onnx-', !noOraclePython());
  writeFileSync(path.join(dir, 'p.pipeline.yaml'), PIPELINE);
  if (noOraclePython()) return;
  const r = await pipewise(['run', path.join(dir, 'p.pipeline.yaml'), '--json'], dir, 600_000);
  assert.equal(r.code, 0, r.stderr);
  result = JSON.parse(r.stdout) as RunResult;
  trainRows = await readParquet(path.join(art(result, 'examples', 'examples'), 'Split-train', 'data.parquet'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('the Importer reads each ONNX model\'s signature: inputs, task, classes (from the ZipMap, or given)', { skip: noOraclePython() }, () => {
  const sig = (stage: string): ModelSignature => JSON.parse(readFileSync(path.join(art(result, stage, 'result'), 'signature.json'), 'utf8')) as ModelSignature;
  const linear = sig('linear');
  assert.equal(linear.modelFormat, 'onnx');
  assert.equal(linear.task, 'multiclass');
  assert.deepEqual(linear.classes, ['Adelie', 'Chinstrap', 'Gentoo']);
  assert.deepEqual(linear.inputs.map((i) => i.name), FEATURES);
  assert.equal(linear.onnx?.output, 'probability_tensor', 'the ZipMap\'s input is read');
  assert.equal(linear.onnx?.exposeOutput, true);
  assert.ok(existsSync(path.join(art(result, 'linear', 'result'), 'model', 'model.onnx')));
  const trees = sig('trees');
  assert.equal(trees.task, 'regression');
  assert.deepEqual(trees.onnx?.feeds.map((f) => [f.input, f.columns]), [['flipper', ['flipper_length_mm']], ['bill', ['bill_length_mm']]]);
  const mlp = sig('mlp');
  assert.equal(mlp.task, 'binary');
  assert.deepEqual(mlp.classes, ['female', 'male']);
  // feed: transform — requests carry the raw columns behind the features; the transform travels with the model.
  const scaled = sig('scaled');
  assert.equal(scaled.onnx?.feed, 'transform');
  assert.deepEqual(scaled.inputs, [
    { name: 'bill_length_mm', type: 'number' },
    { name: 'bill_depth_mm', type: 'number' },
    { name: 'flipper_length_mm', type: 'number' },
    { name: 'island', type: 'string' },
  ]);
  assert.equal(readFileSync(path.join(art(result, 'scaled', 'result'), 'transform.json'), 'utf8'), readFileSync(path.join(art(result, 'transform', 'transform_graph'), 'transform.json'), 'utf8'));
});

test('BulkInferrer\'s predictions of the three models equal NumPy\'s within 1e-5', { skip: noOraclePython(), timeout: 120_000 }, async () => {
  const rows = await readParquet(path.join(art(result, 'examples', 'examples'), 'Split-eval', 'data.parquet'));
  assert.ok(rows.length > 50, `${rows.length} eval rows`);
  const linear = await readParquet(path.join(art(result, 'infer_linear', 'inference_result'), 'predictions.parquet'));
  const expected = oracle('linear', linear).probabilities ?? [];
  assert.equal(linear.length, rows.length);
  linear.forEach((p, i) => ['Adelie', 'Chinstrap', 'Gentoo'].forEach((c, k) => near(Number(p[`score_${c}`]), expected[i]?.[k] as number, `linear row ${i} ${c}`)));
  const trees = await readParquet(path.join(art(result, 'infer_trees', 'inference_result'), 'predictions.parquet'));
  const values = oracle('trees', trees).values ?? [];
  trees.forEach((p, i) => near(Number(p.prediction), values[i] as number, `trees row ${i}`));
  assert.ok(new Set(values).size >= 4, 'the rows reach several leaves');
  const mlp = await readParquet(path.join(art(result, 'infer_mlp', 'inference_result'), 'predictions.parquet'));
  const pMale = oracle('mlp', mlp).values ?? [];
  mlp.forEach((p, i) => {
    near(Number(p.score), pMale[i] as number, `mlp row ${i}`);
    assert.equal(p.prediction, (pMale[i] as number) >= 0.5 ? 'male' : 'female');
  });
  const scaled = await readParquet(path.join(art(result, 'infer_scaled', 'inference_result'), 'predictions.parquet'));
  const kg = oracle('scaled', scaled).values ?? [];
  assert.equal(scaled.length, rows.length);
  scaled.forEach((p, i) => near(Number(p.prediction), kg[i] as number, `scaled (feed: transform) row ${i}`));
  assert.ok(new Set(scaled.map((r) => r.island)).size === 3, 'every island\'s index is fed');
});

test('the Evaluator scores the transform-fed model from raw examples: its RMSE NumPy\'s on the eval rows', { skip: noOraclePython() }, async () => {
  const rows = await readParquet(path.join(art(result, 'examples', 'examples'), 'Split-eval', 'data.parquet'));
  const kg = oracle('scaled', rows).values ?? [];
  const expected = Math.sqrt(rows.reduce((s, r, i) => s + (Number(r.body_mass_kg) - (kg[i] as number)) ** 2, 0) / rows.length);
  const metrics = JSON.parse(readFileSync(path.join(art(result, 'evaluate_scaled', 'evaluation'), 'metrics.json'), 'utf8')) as { slices: { slice: Record<string, unknown>; metrics: Record<string, number> }[] };
  const rmse = metrics.slices.find((s) => Object.keys(s.slice).length === 0)?.metrics.rmse;
  assert.ok(rmse !== undefined && Math.abs(rmse - expected) < 1e-5, `Evaluator RMSE ${rmse} vs NumPy ${expected}`);
});

test('the Evaluator blesses the imported model at accuracy ≥ 0.9 and refuses it at ≥ 0.9999, its accuracy NumPy\'s on the eval rows', { skip: noOraclePython() }, async () => {
  const rows = await readParquet(path.join(art(result, 'examples', 'examples'), 'Split-eval', 'data.parquet'));
  const probabilities = oracle('linear', rows).probabilities ?? [];
  const species = ['Adelie', 'Chinstrap', 'Gentoo'];
  const correct = rows.filter((r, i) => {
    const p = probabilities[i] ?? [];
    return species[p.indexOf(Math.max(...p))] === r.species;
  }).length;
  const expected = correct / rows.length;
  const metrics = JSON.parse(readFileSync(path.join(art(result, 'evaluate', 'evaluation'), 'metrics.json'), 'utf8')) as { slices: { slice: Record<string, unknown>; metrics: Record<string, number> }[] };
  const overall = metrics.slices.find((s) => Object.keys(s.slice).length === 0)?.metrics.accuracy;
  assert.ok(overall !== undefined);
  assert.ok(Math.abs(overall - expected) < 1e-12, `Evaluator accuracy ${overall} vs NumPy ${expected}`);
  assert.ok(expected >= 0.9 && expected < 0.9999, `the thresholds bracket the accuracy ${expected}`);
  assert.ok(existsSync(path.join(art(result, 'evaluate', 'blessing'), 'BLESSED')), readdirSync(art(result, 'evaluate', 'blessing')).join(', '));
  assert.ok(existsSync(path.join(art(result, 'too_strict', 'blessing'), 'NOT_BLESSED')), readdirSync(art(result, 'too_strict', 'blessing')).join(', '));
  assert.ok(existsSync(path.join(art(result, 'infra', 'infra_blessing'), 'INFRA_BLESSED')));
  const pushed = JSON.parse(readFileSync(path.join(art(result, 'push', 'pushed_model'), 'pushed.json'), 'utf8')) as { pushed: boolean; uri?: string };
  assert.equal(pushed.pushed, true);
  assert.ok(pushed.uri && existsSync(path.join(pushed.uri, 'model', 'model.onnx')) && existsSync(path.join(pushed.uri, 'signature.json')), 'the .onnx is pushed with its signature');
});

test('pipewise serve answers with each imported model in TF Serving\'s shapes, equal to NumPy within 1e-5; a wrong type is a 400 naming the feature', { skip: noOraclePython(), timeout: 180_000 }, async () => {
  const rows = (await readParquet(path.join(art(result, 'examples', 'examples'), 'Split-eval', 'data.parquet'))).slice(0, 40);
  for (const model of ['linear', 'trees', 'mlp', 'scaled'] as const) {
    const base = path.join(dir, 'serving-test', model);
    cpSync(art(result, model, 'result'), path.join(base, '1'), { recursive: true });
    const s = await startServe(base);
    try {
      await waitFor('version 1', async () => ((await versionsOf(s.url, model)).some((v) => v.version === '1' && v.state === 'AVAILABLE') ? true : undefined));
      const signature = JSON.parse(readFileSync(path.join(base, '1', 'signature.json'), 'utf8')) as ModelSignature;
      const instances = rows.map((r) => Object.fromEntries(signature.inputs.map((i) => [i.name, r[i.name]])));
      const r = await postJson(`${s.url}/v1/models/${model}:predict`, { instances });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const served = r.body.predictions as unknown[];
      assert.equal(served.length, rows.length);
      const expected = oracle(model, rows);
      served.forEach((p, i) => {
        if (model === 'linear') (p as { scores: number[] }).scores.forEach((v, k) => near(v, expected.probabilities?.[i]?.[k] as number, `served linear row ${i} class ${k}`));
        else if (model === 'mlp') near((p as { score: number }).score, expected.values?.[i] as number, `served mlp row ${i}`);
        else near(typeof p === 'number' ? p : (p as { prediction: number }).prediction, expected.values?.[i] as number, `served ${model} row ${i}`);
      });
      const bad = await postJson(`${s.url}/v1/models/${model}:predict`, { instances: [{ ...instances[0], [signature.inputs[0]?.name ?? '']: 'long' }] });
      assert.equal(bad.status, 400);
      assert.match(String(bad.body.error), new RegExp(signature.inputs[0]?.name ?? 'x'));
      // A missing number: the Transform fills it (the train mean) and the trees route it, each as NumPy
      // does; the linear model and the MLP cannot take it, and the 400 names their input and the column.
      const missing = await postJson(`${s.url}/v1/models/${model}:predict`, { instances: [{ ...instances[0], bill_length_mm: null }] });
      if (model === 'linear' || model === 'mlp') {
        assert.equal(missing.status, 400, JSON.stringify(missing.body));
        assert.match(String(missing.body.error), new RegExp(`model input '${model === 'linear' ? 'features' : 'x'}' \\(float32\\), column 'bill_length_mm', row 1: the value is missing`));
      } else {
        assert.equal(missing.status, 200, JSON.stringify(missing.body));
        const [p] = missing.body.predictions as unknown[];
        const [value] = oracle(model, [{ ...rows[0], bill_length_mm: null }]).values ?? [];
        near(typeof p === 'number' ? p : (p as { prediction: number }).prediction, value as number, `served ${model} with a missing bill_length_mm`);
      }
    } finally {
      assert.equal(await s.stop(), 0);
    }
  }
});

test('past the first 8192 rows (one ONNX Runtime call each), an error names the table\'s row, not the chunk\'s', { skip: noOraclePython(), timeout: 120_000 }, async () => {
  const [row] = await readParquet(path.join(art(result, 'examples', 'examples'), 'Split-eval', 'data.parquet'));
  const rows = Array.from({ length: 8200 }, (_, i) => (i === 8199 ? { ...row, bill_length_mm: null } : row) as Record<string, unknown>);
  const model = await loadServingModel(art(result, 'mlp', 'result'));
  try {
    await assert.rejects(model.predict(rows), /model input 'x' \(float32\), column 'bill_length_mm', row 8200: the value is missing/);
  } finally {
    model.dispose();
  }
});

/** Runs a pipeline of one Importer (and a BulkInferrer on the penguins when `infer`) in a fresh folder beside the models. */
async function runImport(name: string, importer: string, infer = false): Promise<RunResult> {
  const file = path.join(dir, `${name}.pipeline.yaml`);
  writeFileSync(
    file,
    `pipeline: ${name}
stages:
  imported:
    component: Importer
    params: ${importer}
${infer ? `  raw: { component: ExampleGen, params: { input: data/penguins.csv } }
  infer: { component: BulkInferrer, inputs: { examples: raw.examples, model: imported.result }, params: { split: train } }
` : ''}`,
  );
  const r = await pipewise(['run', file, '--json'], dir, 300_000);
  return JSON.parse(r.stdout) as RunResult;
}
const errorOf = (r: RunResult, stage: string): string => r.stages.find((s) => s.name === stage)?.error ?? `(no error: ${JSON.stringify(r.stages.find((s) => s.name === stage))})`;

test('a malformed .onnx fails at the Importer, naming the file', { skip: noOraclePython(), timeout: 120_000 }, async () => {
  writeFileSync(path.join(dir, 'models/truncated.onnx'), readFileSync(path.join(dir, 'models/linear.onnx')).subarray(0, 200));
  const r = await runImport('truncated', '{ source: models/truncated.onnx, label: species }');
  assert.match(errorOf(r, 'imported'), /the ONNX model models\/truncated\.onnx is not a valid ONNX model: .*past the end/);
  writeFileSync(path.join(dir, 'models/text.onnx'), 'this is not a model\n');
  const t = await runImport('text', '{ source: models/text.onnx, label: species }');
  assert.match(errorOf(t, 'imported'), /models\/text\.onnx/);
});

test('inputs that do not fit the model fail at the Importer, naming the input', { skip: noOraclePython(), timeout: 120_000 }, async () => {
  const width = await runImport('width', '{ source: models/mlp.onnx, label: sex, classes: [female, male], inputs: { x: [bill_length_mm, bill_depth_mm, flipper_length_mm] } }');
  assert.match(errorOf(width, 'imported'), /model input 'x' takes 4 values per row .* but 3 columns are mapped to it/);
  const unknown = await runImport('unknown', '{ source: models/trees.onnx, label: body_mass_kg, inputs: { flipper_mm: flipper_length_mm } }');
  assert.match(errorOf(unknown, 'imported'), /'inputs' maps 'flipper_mm', but the model has no input of that name \(its inputs: flipper, bill\)/);
  const labels = await runImport('labels', '{ source: models/mlp.onnx, label: sex, task: binary, inputs: { x: [bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g] } }');
  assert.match(errorOf(labels, 'imported'), /needs its class labels.*'classes'/);
});

/** Sends each row as its own request (X-Request-Id `r-<i>`) to a server of the linear model logging to `logDir`. */
async function serveLogged(logDir: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  const base = path.join(dir, 'serving-monitor', path.basename(logDir));
  cpSync(art(result, 'linear', 'result'), path.join(base, '1'), { recursive: true });
  const s = await startServe(base, ['--log-dir', logDir]);
  try {
    await waitFor('version 1', async () => ((await versionsOf(s.url, path.basename(logDir))).some((v) => v.version === '1' && v.state === 'AVAILABLE') ? true : undefined));
    for (const [i, r] of rows.entries()) {
      const res = await fetch(`${s.url}/v1/models/${path.basename(logDir)}:predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': `r-${i}` },
        body: JSON.stringify({ instances: [Object.fromEntries(FEATURES.map((f) => [f, r[f]]))] }),
      });
      assert.equal(res.status, 200, await res.text());
    }
  } finally {
    assert.equal(await s.stop(), 0);
  }
}

test('a served ONNX model\'s request log goes through pipewise monitor: quality from labels is NumPy\'s accuracy and passes; shifted flipper lengths are flagged as skew', { skip: noOraclePython(), timeout: 240_000 }, async () => {
  const rows = await readParquet(path.join(art(result, 'examples', 'examples'), 'Split-eval', 'data.parquet'));
  const steady = path.join(dir, 'logs', 'steady');
  await serveLogged(steady, rows);
  const labels = path.join(dir, 'labels.csv');
  writeFileSync(labels, ['request_id,label', ...rows.map((r, i) => `r-${i},${String(r.species)}`)].join('\n'));
  const pipeline = path.join(dir, 'p.pipeline.yaml');
  const ok = await pipewise(['monitor', pipeline, '--log', steady, '--labels', labels, '--json'], dir);
  type Verdict = { versions: { version: number; requests: number; features: { name: string; anomalous: boolean }[] }[]; quality: { evaluator: string; matched: number; versions: { version: number; passed: boolean | null; metrics: Record<string, number> }[] } };
  const verdict = JSON.parse(ok.stdout) as Verdict;
  const species = ['Adelie', 'Chinstrap', 'Gentoo'];
  const probabilities = oracle('linear', rows).probabilities ?? [];
  const accuracy = rows.filter((r, i) => species[(probabilities[i] ?? []).indexOf(Math.max(...(probabilities[i] ?? [])))] === r.species).length / rows.length;
  assert.equal(verdict.quality.evaluator, 'evaluate', 'the Evaluator whose blessing the Pusher takes is the alert line');
  assert.equal(verdict.quality.matched, rows.length);
  assert.deepEqual(verdict.quality.versions.map((v) => [v.version, v.passed]), [[1, true]]);
  const measured = verdict.quality.versions[0]?.metrics.accuracy;
  assert.ok(measured !== undefined && Math.abs(measured - accuracy) < 1e-12, `monitored accuracy ${measured} vs NumPy ${accuracy}`);
  assert.deepEqual(verdict.versions.map((v) => v.requests), [rows.length]);
  assert.deepEqual(verdict.versions[0]?.features.filter((f) => f.anomalous).map((f) => f.name), [], JSON.stringify(verdict.versions[0]?.features));
  assert.equal(ok.code, 0, ok.stderr);

  const shifted = path.join(dir, 'logs', 'shifted');
  await serveLogged(shifted, rows.map((r) => ({ ...r, flipper_length_mm: Number(r.flipper_length_mm) + 40 })));
  const skew = await pipewise(['monitor', pipeline, '--log', shifted, '--json'], dir);
  assert.equal(skew.code, 1, `skew → exit 1\n${skew.stderr}`);
  const flagged = (JSON.parse(skew.stdout) as Verdict).versions[0]?.features.filter((f) => f.anomalous).map((f) => f.name);
  assert.deepEqual(flagged, ['flipper_length_mm']);
});

/** An Importer with `feed: transform` after a Transform of the raw penguins (the Transform is cached across calls): `pipewise run --json`'s outcome. */
async function runTransformImportCli(name: string, importer: string, extra = ''): Promise<Ran> {
  const file = path.join(dir, `${name}.pipeline.yaml`);
  writeFileSync(
    file,
    `${pipelineText(name, penguinOpening({ label: 'species', names: { examples: 'raw', statistics: 'stats' } }))}  imported:
    component: Importer
${importer}
${extra}`,
  );
  return pipewise(['run', file, '--json'], dir, 300_000);
}

/** The run's result, when the pipeline validated. */
async function runTransformImport(name: string, importer: string, extra = ''): Promise<RunResult> {
  const r = await runTransformImportCli(name, importer, extra);
  return JSON.parse(r.stdout) as RunResult;
}

test('feed: transform whose features do not fit the model fails at the Importer, naming the input; a raw column the examples lack, at the first prediction', { skip: noOraclePython(), timeout: 240_000 }, async () => {
  const graph = '    inputs: { transform_graph: transform.transform_graph }\n';
  const unknown = await runTransformImport('tf_unknown', `${graph}    params: { source: models/scaled.onnx, label: body_mass_g, feed: transform, inputs: { x: [bill_length_mm, bill_depth_mm, flipper_len], island: island } }`);
  assert.match(errorOf(unknown, 'imported'), /model input 'x' is fed by the Transform \(feed: transform\), which has no feature 'flipper_len' \(its features: .*flipper_length_mm.*; 'species' is its label\)/);
  const typed = await runTransformImport('tf_typed', `${graph}    params: { source: models/scaled.onnx, label: body_mass_g, feed: transform, inputs: { x: [bill_length_mm, bill_depth_mm, flipper_length_mm], island: body_mass_g_x } }`);
  assert.match(errorOf(typed, 'imported'), /model input 'island' is fed by the Transform .* no feature 'body_mass_g_x'/);
  const scaledIndex = await runTransformImport('tf_index', `${graph}    params: { source: models/scaled.onnx, label: body_mass_g, feed: transform, inputs: { x: [bill_length_mm, bill_depth_mm, flipper_length_mm], island: year } }`);
  assert.match(errorOf(scaledIndex, 'imported'), /model input 'island' takes int64 values, but the Transform's feature 'year' is a scaled number, not an index/);
  // Without its transform_graph, the run is refused by validation at the `feed` key before any stage runs.
  const noGraph = await runTransformImportCli('tf_nograph', `    params: { source: models/scaled.onnx, label: body_mass_g, feed: transform, inputs: { x: [bill_length_mm, bill_depth_mm, flipper_length_mm] } }`);
  assert.equal(noGraph.code, 2, noGraph.stderr);
  assert.match(noGraph.stderr, /tf_nograph\.pipeline\.yaml:9:63: error: stage 'imported': feed: transform needs input 'transform_graph' \(TransformGraph\), which is not wired: add inputs: \{ transform_graph: transform\.transform_graph \}/);
  const lacking = await runTransformImport(
    'tf_lacking',
    `${graph}    params: { source: models/scaled.onnx, label: body_mass_g, feed: transform, inputs: { x: [bill_length_mm, bill_depth_mm, flipper_length_mm] } }`,
    `  no_island: { component: Sql, inputs: { examples: raw.examples }, params: { query: "SELECT * EXCLUDE (island) FROM examples" } }
  infer: { component: BulkInferrer, inputs: { examples: no_island.examples, model: imported.result } }
`,
  );
  assert.match(errorOf(lacking, 'infer'), /model input 'island' reads the Transform's feature 'island', made from column 'island', which the examples do not have/);
});

test('a column the examples lack, or a string column on a float input, fails at the first prediction naming the input', { skip: noOraclePython(), timeout: 180_000 }, async () => {
  const missing = await runImport('missing', '{ source: models/trees.onnx, label: body_mass_g, inputs: { flipper: flipper_mm, bill: bill_length_mm } }', true);
  assert.match(errorOf(missing, 'infer'), /model input 'flipper' is mapped to column 'flipper_mm', which the examples do not have/);
  const typed = await runImport('typed', '{ source: models/trees.onnx, label: body_mass_g, inputs: { flipper: flipper_length_mm, bill: island } }', true);
  assert.match(errorOf(typed, 'infer'), /model input 'bill' \(float32\), column 'island', row 1: "\w+" is not a number/);
});

test('a source outside the pipeline\'s folder, directly or through a symbolic link, is refused at its line', { skip: noOraclePython(), timeout: 120_000 }, async () => {
  const outside = mkdtempSync(path.join(os.tmpdir(), 'pipewise-onnx-outside-'));
  try {
    cpSync(path.join(dir, 'models/mlp.onnx'), path.join(outside, 'mlp.onnx'));
    symlinkSync(path.join(outside, 'mlp.onnx'), path.join(dir, 'models/link.onnx'));
    for (const [name, source, why] of [
      ['dots', `../${path.basename(outside)}/mlp.onnx`, /leaves the pipeline's folder/],
      ['link', 'models/link.onnx', /symbolic link/],
    ] as const) {
      const file = path.join(dir, `${name}.pipeline.yaml`);
      writeFileSync(file, `pipeline: ${name}\nstages:\n  imported:\n    component: Importer\n    params: { source: ${source}, label: sex, classes: [female, male] }\n`);
      const r = await pipewise(['run', file], dir);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`${name}\\.pipeline\\.yaml:5:.*parameter 'source'`));
      assert.match(r.stderr, why);
    }
  } finally {
    rmSync(outside, { recursive: true, force: true });
  }
});

test('an edited model file runs the Importer and what follows again; an unchanged one is reused', { skip: noOraclePython(), timeout: 300_000 }, async () => {
  const pipeline = `pipeline: edited
stages:
  all: { component: ExampleGen, params: { input: data/penguins.csv } }
  raw: { component: Sql, inputs: { examples: all.examples }, params: { query: "SELECT * FROM examples WHERE body_mass_g IS NOT NULL" } }
  imported: { component: Importer, params: { source: models/edited.onnx, label: sex, classes: [female, male] , inputs: { x: [bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g] } } }
  infer: { component: BulkInferrer, inputs: { examples: raw.examples, model: imported.result } }
`;
  writeFileSync(path.join(dir, 'edited.pipeline.yaml'), pipeline);
  cpSync(path.join(dir, 'models/mlp.onnx'), path.join(dir, 'models/edited.onnx'));
  const run = async (): Promise<RunResult> => JSON.parse((await pipewise(['run', path.join(dir, 'edited.pipeline.yaml'), '--json'], dir)).stdout) as RunResult;
  const status = (r: RunResult, s: string): string | undefined => r.stages.find((x) => x.name === s)?.status;
  const first = await run();
  assert.equal(status(first, 'infer'), 'succeeded', JSON.stringify(first));
  const again = await run();
  assert.equal(status(again, 'imported'), 'cached');
  assert.equal(status(again, 'infer'), 'cached');
  // The same model with a doc_string appended (ModelProto field 6): valid, same inputs, other bytes.
  const edited = Buffer.concat([readFileSync(path.join(dir, 'models/mlp.onnx')), Buffer.from([0x32, 6]), Buffer.from('edited')]);
  writeFileSync(path.join(dir, 'models/edited.onnx'), edited);
  const changed = await run();
  assert.equal(status(changed, 'imported'), 'succeeded', JSON.stringify(changed));
  assert.equal(status(changed, 'infer'), 'succeeded');
  cpSync(path.join(dir, 'models/mlp.onnx'), path.join(dir, 'models/edited.onnx'));
  // The first content again: its execution is reused.
  const back = await run();
  assert.equal(status(back, 'imported'), 'cached');
});

test('the Kubeflow export carries the imported model: its file in the image, onnxruntime-node among the image\'s dependencies, the spec valid', { skip: noOraclePython(), timeout: 120_000 }, async () => {
  const r = await pipewise(['export', path.join(dir, 'p.pipeline.yaml'), '--target', 'kfp'], dir);
  assert.equal(r.code, 0, r.stderr);
  const doc = YAML.parse(readFileSync(path.join(dir, 'p.kfp.yaml'), 'utf8')) as Record<string, unknown>;
  // The oracle throws on an invalid spec and returns the tasks in order.
  const tasks = checkPipelineSpec(doc as never);
  for (const t of ['linear', 'trees', 'mlp', 'evaluate', 'push']) assert.ok(tasks.includes(t), tasks.join(', '));
  const components = doc.components as Record<string, { outputDefinitions: { artifacts: Record<string, { artifactType: { schemaTitle: string } }> } }>;
  assert.equal(components['comp-linear']?.outputDefinitions.artifacts.result?.artifactType.schemaTitle, 'system.Model');
  const dockerfile = readdirSync(dir).find((f) => /Dockerfile/.test(f));
  assert.ok(dockerfile, readdirSync(dir).join(', '));
  const docker = readFileSync(path.join(dir, dockerfile), 'utf8');
  for (const m of ['models/linear.onnx', 'models/trees.onnx', 'models/mlp.onnx']) assert.ok(docker.includes(m), `the image copies ${m}:\n${docker}`);
  assert.match(docker, /ONNXRUNTIME_NODE_INSTALL=skip npm install/);
  const manifest = readdirSync(path.join(dir), { recursive: true }).map(String).find((f) => f.endsWith(path.join('pipewise-cli', 'package.json')));
  assert.ok(manifest);
  assert.ok('onnxruntime-node' in (JSON.parse(readFileSync(path.join(dir, manifest), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
});
