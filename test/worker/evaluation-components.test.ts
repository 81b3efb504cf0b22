/**
 * Evaluator, BulkInferrer, Pusher and InfraValidator on real penguin data with real DuckDB, driven by
 * ServingModels whose scores are known functions of a row. metrics.json is checked slice by slice
 * against pandas + scikit-learn recomputing everything from predictions.parquet (1e-6).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { EvaluationFile } from '../../src/engine/components/evaluator';
import { createEvaluator } from '../../src/engine/components/evaluator';
import { createBulkInferrer } from '../../src/engine/components/bulkInferrer';
import { createInfraValidator, type InfraValidationFile } from '../../src/engine/components/infraValidator';
import { pusher, type PushedFile } from '../../src/engine/components/pusher';
import { startModelServer } from '../../src/engine/serving/server';
import { Lineage, type ExecutionRecord } from '../../src/engine/lineage';
import type { ServingModel } from '../../src/engine/model/servingModel';
import { artifact, examplesFromCsv, FIXTURES, makeContext, massModel, sexModel, speciesModel, tempDir } from '../fixtures/evaluation/context';
import { runSystemPython } from '../fixtures/evaluation/oracle';

const PENGUINS = path.join(FIXTURES, 'penguins.csv');
const TOLERANCE = 1e-6;

interface OracleSlice {
  slice: Record<string, unknown>;
  metrics: Record<string, number>;
  confusion_matrix?: number[][];
}

/** DuckDB turns predictions.parquet into CSV (Debian 12 has no Parquet reader for Python), then sklearn recomputes. */
async function sklearnFromPredictions(parquet: string, config: object, dir: string): Promise<OracleSlice[]> {
  const csv = path.join(dir, 'predictions.csv');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await conn.run(`COPY (SELECT * FROM read_parquet('${parquet.replace(/'/g, "''")}')) TO '${csv.replace(/'/g, "''")}' (HEADER, DELIMITER ',')`);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
  const configFile = path.join(dir, 'oracle-config.json');
  await fs.writeFile(configFile, JSON.stringify(config));
  return JSON.parse(runSystemPython(path.join(FIXTURES, 'evaluation', 'sklearn_from_predictions.py'), [csv, configFile])) as OracleSlice[];
}

/** Every slice and metric of metrics.json equals sklearn's to 1e-6; returns the largest difference seen. */
function compareWithOracle(file: EvaluationFile, oracle: OracleSlice[]): number {
  assert.equal(file.slices.length, oracle.length, `slices: ours ${file.slices.map((s) => JSON.stringify(s.slice))}, sklearn ${oracle.map((s) => JSON.stringify(s.slice))}`);
  let maxDiff = 0;
  for (const o of oracle) {
    const ours = file.slices.find((s) => JSON.stringify(s.slice) === JSON.stringify(o.slice));
    assert.ok(ours, `slice ${JSON.stringify(o.slice)} missing from metrics.json`);
    assert.deepEqual(Object.keys(ours.metrics).sort(), Object.keys(o.metrics).sort(), `metric names of ${JSON.stringify(o.slice)}`);
    for (const [name, expected] of Object.entries(o.metrics)) {
      const diff = Math.abs((ours.metrics[name] as number) - expected);
      maxDiff = Math.max(maxDiff, diff);
      assert.ok(diff <= TOLERANCE, `${JSON.stringify(o.slice)} ${name}: ours ${ours.metrics[name]}, sklearn ${expected}`);
    }
    if (o.confusion_matrix) assert.deepEqual(ours.confusionMatrix?.matrix, o.confusion_matrix, `confusion matrix of ${JSON.stringify(o.slice)}`);
  }
  return maxDiff;
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as T;
}

/** Evaluates and bulk-infers one fake model on the penguins, then checks metrics.json against sklearn. */
async function evaluateAgainstSklearn(t: { diagnostic(m: string): void }, make: () => ServingModel, params: Record<string, unknown>, slices: string[][]) {
  const root = await tempDir('eval');
  const examples = await examplesFromCsv(root, PENGUINS);
  const modelDir = path.join(root, 'model');
  await fs.mkdir(modelDir);
  const models: ServingModel[] = [];
  const load = async () => {
    const m = make();
    models.push(m);
    return m;
  };
  const inputs = { examples: artifact('Examples', examples), model: artifact('Model', modelDir, 'train', 'model') };
  const ctx = await makeContext<never>('Evaluator', { ...params, slices }, inputs, root);
  await createEvaluator(load).run(ctx);
  const inferCtx = await makeContext<never>('BulkInferrer', {}, inputs, path.join(root, 'infer'));
  await createBulkInferrer(load).run(inferCtx);
  const file = await readJson<EvaluationFile>(path.join(ctx.outputs.evaluation as string, 'metrics.json'));
  const parquet = path.join(inferCtx.outputs.inference_result as string, 'predictions.parquet');
  const signature = make().signature;
  const oracle = await sklearnFromPredictions(
    parquet,
    { task: signature.task, label: file.label, classes: signature.classes ?? [], slices: [[], ...slices.filter((s) => s.length)], fairness_thresholds: params.fairness_thresholds ?? [0.5] },
    root,
  );
  const maxDiff = compareWithOracle(file, oracle);
  t.diagnostic(`${signature.task}: ${oracle.length} slices, largest |ours − sklearn| = ${maxDiff.toExponential(2)}; overall ${JSON.stringify(file.slices[0]?.metrics)}`);
  assert.ok(models.every((m) => (m as ServingModel & { disposed: boolean }).disposed), 'every loaded model is disposed');
  return { root, ctx, file, parquet };
}

test('Evaluator, binary: metrics.json per slice equals sklearn on predictions.parquet; BLESSED', async (t) => {
  const { ctx, file, parquet } = await evaluateAgainstSklearn(t, () => sexModel(), { thresholds: { accuracy: { lower_bound: 0.6 }, auc: { lower_bound: 0.7 } }, fairness_thresholds: [0.3, 0.5] }, [[], ['island']]);
  assert.equal(file.blessed, true);
  assert.equal(file.task, 'binary');
  assert.equal(file.label, 'sex', 'the label defaults to the one in the model signature');
  assert.deepEqual(file.slices.map((s) => s.slice), [{}, { island: 'Biscoe' }, { island: 'Dream' }, { island: 'Torgersen' }]);
  // penguins.csv: 11 missing `sex`, so the overall slice has 344 − 11 examples.
  assert.equal(file.slices[0]?.metrics.example_count, 333);
  assert.equal(file.excluded.missing_label, 11);
  assert.ok(existsSync(path.join(ctx.outputs.blessing as string, 'BLESSED')));
  assert.ok(!existsSync(path.join(ctx.outputs.blessing as string, 'NOT_BLESSED')));
  assert.equal(ctx.properties.blessing?.blessed, true);
  assert.equal(file.thresholds.length, 2);
  // predictions.parquet: the input columns in order, then score and prediction, for all 344 rows.
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const cols = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${parquet}')`)).getRowsJS().map((r) => `${r[0]}:${r[1]}`);
  const n = (await conn.runAndReadAll(`SELECT count(*) FROM read_parquet('${parquet}')`)).getRowsJS()[0]?.[0];
  conn.closeSync();
  db.closeSync();
  assert.deepEqual(cols, [
    'species:VARCHAR', 'island:VARCHAR', 'bill_length_mm:DOUBLE', 'bill_depth_mm:DOUBLE', 'flipper_length_mm:BIGINT', 'body_mass_g:BIGINT', 'sex:VARCHAR', 'year:BIGINT', 'score:DOUBLE', 'prediction:VARCHAR',
  ]);
  assert.equal(Number(n), 344);
});

test('Evaluator, multiclass: accuracy, log loss, per-class precision/recall and confusion matrices equal sklearn, also on crossed slices', async (t) => {
  const { file, parquet } = await evaluateAgainstSklearn(t, () => speciesModel(), { label: 'species' }, [['island'], ['island', 'sex']]);
  assert.equal(file.blessed, true, 'no thresholds: blessed');
  assert.equal(file.slices[0]?.metrics.example_count, 344);
  assert.ok(file.slices.some((s) => JSON.stringify(s.slice) === '{"island":"Dream","sex":"female"}'));
  assert.ok(parquet.endsWith('predictions.parquet'));
});

test('Evaluator, regression: RMSE, MAE, R² equal sklearn', async (t) => {
  const { file } = await evaluateAgainstSklearn(t, () => massModel(), { thresholds: { rmse: { upper_bound: 10 } } }, [['species']]);
  assert.equal(file.blessed, false, 'rmse is far above 10 g');
  assert.equal(file.failed.length, 1);
  assert.match(file.failed[0] as string, /^rmse = [\d.]+ fails ≤ 10$/);
});

test('Evaluator: failed value thresholds and unknown metrics make NOT_BLESSED with the reason', async () => {
  const root = await tempDir('eval-fail');
  const examples = await examplesFromCsv(root, PENGUINS);
  const ctx = await makeContext<never>(
    'Evaluator',
    { thresholds: { accuracy: { lower_bound: 0.99 }, auc_roc: { lower_bound: 0.5 } } },
    { examples: artifact('Examples', examples), model: artifact('Model', root) },
    root,
  );
  await createEvaluator(async () => sexModel()).run(ctx);
  const file = await readJson<EvaluationFile>(path.join(ctx.outputs.evaluation as string, 'metrics.json'));
  assert.equal(file.blessed, false);
  assert.ok(existsSync(path.join(ctx.outputs.blessing as string, 'NOT_BLESSED')));
  assert.equal(ctx.properties.blessing?.blessed, false);
  assert.match(file.failed.join('\n'), /accuracy = 0\.\d+ fails ≥ 0\.99/);
  assert.match(file.failed.join('\n'), /auc_roc: metric not found \(this evaluation has: .*auc,/);
});

test('Evaluator: a missing label column or split is a clear error', async () => {
  const root = await tempDir('eval-bad');
  const examples = await examplesFromCsv(root, PENGUINS);
  const inputs = { examples: artifact('Examples', examples), model: artifact('Model', root) };
  const noLabel = await makeContext<never>('Evaluator', { label: 'weight' }, inputs, root);
  await assert.rejects(createEvaluator(async () => sexModel()).run(noLabel), /label column 'weight' is not in the examples .*columns: species, island/);
  const noSplit = await makeContext<never>('Evaluator', { split: 'test' }, inputs, path.join(root, 'b'));
  await assert.rejects(createEvaluator(async () => sexModel()).run(noSplit), /split 'test' not found .*\(splits there: eval\)/);
});

function evaluatorExecution(id: string, modelUri: string, blessed: boolean): ExecutionRecord {
  return {
    id,
    pipeline: 'penguins',
    pipelineFile: '/p.yaml',
    runId: id,
    stage: 'evaluate',
    component: 'Evaluator',
    componentVersion: '1',
    state: 'complete',
    cacheKey: id,
    params: {},
    inputs: [{ input: 'model', artifactId: `train/${id}/model`, uri: modelUri, fingerprint: 'f' }],
    // A blessing recorded where a store keeps it (records naming other folders are refused when read).
    outputs: [{ id: `evaluate/${id}/blessing`, type: 'ModelBlessing', uri: `/x/artifacts/evaluate/${id}/blessing`, stage: 'evaluate', output: 'blessing', executionId: id, fingerprint: 'f', properties: { blessed }, files: {} }],
    startedAt: '',
    pid: 1,
  };
}

test('Evaluator: change thresholds pass on the first run and compare with the last blessed model afterwards', async () => {
  const root = await tempDir('eval-baseline');
  const examples = await examplesFromCsv(root, PENGUINS);
  const good = path.join(root, 'good-model');
  const weak = path.join(root, 'weak-model');
  const older = path.join(root, 'older-model');
  for (const d of [good, weak, older]) await fs.mkdir(d);
  // The weak model knows nothing: every score 0.5, so its AUC is 0.5.
  const constant: ServingModel = { ...sexModel(), predict: async (rows) => rows.map(() => ({ score: 0.5, prediction: 'female' })) };
  const load = async (uri: string) => (uri === weak ? constant : sexModel());
  const thresholds = { auc: { change: { direction: 'higher_is_better', absolute: 0 } } };
  const run = async (candidate: string, name: string) => {
    const ctx = await makeContext<never>('Evaluator', { thresholds }, { examples: artifact('Examples', examples), model: artifact('Model', candidate) }, path.join(root, name), {
      executionId: `20261127-1800${name}`,
    });
    Object.assign(ctx, { storeDir: path.join(root, '.pipewise') });
    await createEvaluator(load).run(ctx);
    return readJson<EvaluationFile>(path.join(ctx.outputs.evaluation as string, 'metrics.json'));
  };

  const first = await run(weak, '01');
  assert.equal(first.blessed, true, 'no blessed model yet: change thresholds pass');
  assert.equal(first.baseline, null);
  assert.equal(first.thresholds[0]?.skipped, 'no baseline model');

  const lineage = new Lineage(path.join(root, '.pipewise', 'metadata'));
  await lineage.putExecution(evaluatorExecution('20261127-170000-000-aaaaaa', older, true));
  await lineage.putExecution(evaluatorExecution('20261127-170500-000-bbbbbb', good, true));
  await lineage.putExecution(evaluatorExecution('20261127-171000-000-cccccc', weak, false)); // newest, but not blessed

  const worse = await run(weak, '02');
  assert.equal(worse.baseline?.model, good, 'the baseline is the model of the newest blessed evaluation');
  assert.equal(worse.blessed, false);
  assert.ok((worse.thresholds[0]?.diff ?? 0) < -0.2, `auc change ${worse.thresholds[0]?.diff}`);
  assert.match(worse.failed[0] as string, /^auc = 0\.5 vs baseline 0\.\d+: change -0\.\d+ fails ≥ 0 \(higher is better\)$/);

  const same = await run(good, '03');
  assert.equal(same.blessed, true, 'equal AUC passes higher_is_better with absolute 0');
  assert.equal(same.thresholds[0]?.diff, 0);
});

async function blessingDir(root: string, name: string, file: string): Promise<string> {
  const d = path.join(root, name);
  await fs.mkdir(d, { recursive: true });
  await fs.writeFile(path.join(d, file), '');
  return d;
}

async function modelArtifactDir(root: string): Promise<string> {
  const d = path.join(root, 'model-artifact');
  await fs.mkdir(path.join(d, 'model'), { recursive: true });
  await fs.writeFile(path.join(d, 'model', 'model.json'), '{"format":"layers-model"}');
  await fs.writeFile(path.join(d, 'model', 'group1-shard1of1.bin'), Buffer.from([1, 2, 3, 4]));
  await fs.writeFile(path.join(d, 'signature.json'), '{}');
  await fs.writeFile(path.join(d, 'transform.json'), '{}');
  return d;
}

test('Pusher: a blessed model is copied to destination/<version>/, versions never overwrite, and nothing else is pushed', async () => {
  const root = await tempDir('push');
  const model = await modelArtifactDir(root);
  const blessed = await blessingDir(root, 'blessed', 'BLESSED');
  const notBlessed = await blessingDir(root, 'not-blessed', 'NOT_BLESSED');
  const infraBad = await blessingDir(root, 'infra-bad', 'INFRA_NOT_BLESSED');
  const dest = path.join(root, 'serving', 'penguins');
  // A version already there, from the future: the next push must go above it, and leave it alone.
  const future = path.join(dest, '9999999999');
  await fs.mkdir(future, { recursive: true });
  await fs.writeFile(path.join(future, 'keep.txt'), 'old');

  const push = async (blessing: string, name: string, infra?: string) => {
    const ctx = await makeContext<never>(
      'Pusher',
      { destination: 'serving/penguins' },
      { model: artifact('Model', model), blessing: artifact('ModelBlessing', blessing, 'evaluate', 'blessing'), infra_blessing: infra ? artifact('InfraBlessing', infra, 'infra', 'infra_blessing') : undefined },
      root,
    );
    Object.assign(ctx, { outputs: { pushed_model: path.join(root, name) } });
    await fs.mkdir(path.join(root, name));
    await pusher.run(ctx);
    return { file: await readJson<PushedFile>(path.join(root, name, 'pushed.json')), props: ctx.properties.pushed_model };
  };

  const a = await push(blessed, 'p1');
  const b = await push(blessed, 'p2');
  assert.equal(a.file.pushed, true);
  assert.equal(a.file.version, 10000000000);
  assert.equal(b.file.version, 10000000001, 'a second push gets a new version');
  for (const v of [a, b]) {
    const dir = path.join(dest, String(v.file.version));
    assert.equal(await fs.readFile(path.join(dir, 'model', 'model.json'), 'utf8'), '{"format":"layers-model"}');
    assert.deepEqual([...(await fs.readFile(path.join(dir, 'model', 'group1-shard1of1.bin')))], [1, 2, 3, 4]);
    assert.ok(existsSync(path.join(dir, 'signature.json')) && existsSync(path.join(dir, 'transform.json')));
  }
  assert.equal(await fs.readFile(path.join(future, 'keep.txt'), 'utf8'), 'old');
  assert.equal(a.props?.pushed, true);

  const before = (await fs.readdir(dest)).sort();
  const c = await push(notBlessed, 'p3');
  assert.equal(c.file.pushed, false);
  assert.match(c.file.reason ?? '', /NOT_BLESSED by evaluate/);
  const d = await push(blessed, 'p4', infraBad);
  assert.equal(d.file.pushed, false);
  assert.match(d.file.reason ?? '', /INFRA_NOT_BLESSED by infra/);
  assert.deepEqual((await fs.readdir(dest)).sort(), before, 'nothing new in the destination, no temporary folder left');
  assert.deepEqual(before, ['10000000000', '10000000001', '9999999999']);

  const escape = await makeContext<never>('Pusher', { destination: '../elsewhere' }, { model: artifact('Model', model), blessing: artifact('ModelBlessing', blessed) }, root);
  await assert.rejects(pusher.run(escape), /destination: '\.\.\/elsewhere' leaves the pipeline's folder/);
});

function request(port: number, options: http.RequestOptions & { body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, ...options }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

test('model server: binds 127.0.0.1, answers TF Serving REST predict, refuses foreign Host headers and bad bodies', async () => {
  const model = sexModel();
  const server = await startModelServer({ name: 'penguins', model });
  // A request names every raw input of the signature (null for a missing value), as TF Serving requires.
  const row = (mass: number): Record<string, number | null> => ({ ...Object.fromEntries(model.signature.inputs.map((i) => [i.name, null])), body_mass_g: mass });
  try {
    assert.equal(server.host, '127.0.0.1');
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const ok = await fetch(server.predictUrl, { method: 'POST', body: JSON.stringify({ instances: [row(4200), row(6000)] }) });
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as { predictions: { score: number; prediction: string }[] };
    assert.equal(body.predictions.length, 2);
    assert.equal(body.predictions[0]?.score, 0.5);
    assert.equal(body.predictions[1]?.prediction, 'male');
    const status = (await (await fetch(`${server.url}/v1/models/penguins`)).json()) as { model_version_status: { state: string }[] };
    assert.equal(status.model_version_status[0]?.state, 'AVAILABLE');
    const rebound = await request(server.port, { method: 'POST', path: '/v1/models/penguins:predict', headers: { host: 'evil.example:80' }, body: '{"instances":[]}' });
    assert.equal(rebound.status, 403);
    const bad = await fetch(server.predictUrl, { method: 'POST', body: '{"rows": []}' });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /instances/);
    assert.equal((await fetch(`${server.url}/v1/models/other:predict`, { method: 'POST', body: '{}' })).status, 404);
  } finally {
    await server.close();
  }
  await assert.rejects(fetch(server.predictUrl, { method: 'POST', body: '{}' }), 'closed: the port no longer answers');
});

test('InfraValidator: canaries from real examples answered by the local server → INFRA_BLESSED; broken models → INFRA_NOT_BLESSED', async () => {
  const root = await tempDir('infra');
  const examples = await examplesFromCsv(root, PENGUINS);
  const run = async (name: string, load: (uri: string) => Promise<ServingModel>) => {
    const ctx = await makeContext<never>('InfraValidator', { num_requests: 12 }, { model: artifact('Model', root), examples: artifact('Examples', examples) }, path.join(root, name));
    await createInfraValidator(load).run(ctx);
    const dir = ctx.outputs.infra_blessing as string;
    return { ctx, dir, file: await readJson<InfraValidationFile>(path.join(dir, 'validation.json')) };
  };

  const model = sexModel();
  const good = await run('good', async () => model);
  assert.equal(good.file.blessed, true, good.file.reason);
  assert.ok(existsSync(path.join(good.dir, 'INFRA_BLESSED')));
  assert.equal(good.file.server?.host, '127.0.0.1');
  assert.equal(good.file.canaries.length, 12);
  assert.ok(good.file.canaries.every((c) => c.ok && c.status === 200));
  assert.equal(good.ctx.properties.infra_blessing?.blessed, true);
  assert.ok(model.disposed, 'the model is disposed');
  await assert.rejects(fetch(good.file.server?.predictUrl as string, { method: 'POST', body: '{}' }), 'the server is closed after validation');

  const noLoad = await run('noload', async () => {
    throw new Error('model.json is corrupt');
  });
  assert.equal(noLoad.file.blessed, false);
  assert.ok(existsSync(path.join(noLoad.dir, 'INFRA_NOT_BLESSED')));
  assert.match(noLoad.file.reason ?? '', /did not load: model.json is corrupt/);

  const throws = await run('throws', async () => ({ ...sexModel(), predict: async () => Promise.reject(new Error('tensor shape mismatch')) }));
  assert.equal(throws.file.blessed, false);
  assert.match(throws.file.reason ?? '', /canary request 0 failed: prediction failed: tensor shape mismatch/);

  const wrongShape = await run('shape', async () => ({ ...sexModel(), predict: async (rows) => rows.map(() => ({ score: 1.7, prediction: 'male' })) }));
  assert.equal(wrongShape.file.blessed, false);
  assert.match(wrongShape.file.reason ?? '', /score 1\.7 is not a probability/);
});

test('BulkInferrer: given a blessing that is not BLESSED, it infers nothing', async () => {
  const root = await tempDir('infer-skip');
  const examples = await examplesFromCsv(root, PENGUINS);
  const notBlessed = await blessingDir(root, 'nb', 'NOT_BLESSED');
  const ctx = await makeContext<never>('BulkInferrer', {}, { examples: artifact('Examples', examples), model: artifact('Model', root), blessing: artifact('ModelBlessing', notBlessed, 'evaluate') }, root);
  let loaded = false;
  await createBulkInferrer(async () => {
    loaded = true;
    return sexModel();
  }).run(ctx);
  assert.equal(loaded, false);
  assert.ok(!existsSync(path.join(ctx.outputs.inference_result as string, 'predictions.parquet')));
  assert.equal(ctx.properties.inference_result?.skipped, true);
});
