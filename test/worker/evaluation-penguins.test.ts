/**
 * End to end on the penguins through the real CLI (ExampleGen → Transform → Trainer on TF.js →
 * Evaluator → BulkInferrer → InfraValidator → Pusher): metrics.json is recomputed by pandas +
 * scikit-learn from predictions.parquet and must agree to 1e-6, for a multiclass, a binary and a
 * regression model. A second run compares with the last blessed model and pushes a new version
 * without touching the first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { RunResult } from '../../src/protocol/runEvents';
import type { EvaluationFile } from '../../src/engine/components/evaluator';
import type { PushedFile } from '../../src/engine/components/pusher';
import type { InfraValidationFile } from '../../src/engine/components/infraValidator';
import { FIXTURES, tempDir } from '../fixtures/evaluation/context';
import { runSystemPython, sklearnCurves } from '../fixtures/evaluation/oracle';
import { buildEvaluationView, type MetricsFile } from '../../src/core/evaluationView';
import type { PredictionsFile } from '../../src/protocol/evaluation';
import { labelledPenguinPipeline } from './serve-helpers';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'pipewise.js');
const TOLERANCE = 1e-6;

function run(file: string): RunResult {
  const r = spawnSync(process.execPath, [CLI, 'run', file, '--json'], { encoding: 'utf8', cwd: path.dirname(file), timeout: 300_000 });
  assert.equal(r.status, 0, `pipewise run ${path.basename(file)} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as RunResult;
}

function artifactOf(result: RunResult, stage: string, output: string): string {
  const uri = result.stages.find((s) => s.name === stage)?.artifacts[output];
  assert.ok(uri, `stage ${stage} has no ${output}`);
  return uri;
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as T;
}

interface OracleSlice {
  slice: Record<string, unknown>;
  metrics: Record<string, number>;
  confusion_matrix?: number[][];
}

/** sklearn on predictions.parquet (as CSV by DuckDB) against metrics.json; returns the largest difference. */
async function checkAgainstSklearn(evaluation: EvaluationFile, parquet: string, slices: string[][], dir: string): Promise<{ maxDiff: number; compared: number }> {
  const csv = path.join(dir, `predictions-${evaluation.task}.csv`);
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await conn.run(`COPY (SELECT * FROM read_parquet('${parquet.replace(/'/g, "''")}')) TO '${csv.replace(/'/g, "''")}' (HEADER)`);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
  const config = path.join(dir, `oracle-${evaluation.task}.json`);
  await fs.writeFile(config, JSON.stringify({ task: evaluation.task, label: evaluation.label, classes: evaluation.classes ?? [], slices, fairness_thresholds: [0.5] }));
  const oracle = JSON.parse(runSystemPython(path.join(FIXTURES, 'evaluation', 'sklearn_from_predictions.py'), [csv, config])) as OracleSlice[];
  assert.equal(evaluation.slices.length, oracle.length, 'the same slices');
  let maxDiff = 0;
  let compared = 0;
  for (const o of oracle) {
    const ours = evaluation.slices.find((s) => JSON.stringify(s.slice) === JSON.stringify(o.slice));
    assert.ok(ours, `slice ${JSON.stringify(o.slice)}`);
    assert.deepEqual(Object.keys(ours.metrics).sort(), Object.keys(o.metrics).sort(), `metric names of ${JSON.stringify(o.slice)}`);
    for (const [name, expected] of Object.entries(o.metrics)) {
      const diff = Math.abs((ours.metrics[name] as number) - expected);
      maxDiff = Math.max(maxDiff, diff);
      compared++;
      assert.ok(diff <= TOLERANCE, `${evaluation.task} ${JSON.stringify(o.slice)} ${name}: metrics.json ${ours.metrics[name]}, sklearn ${expected}`);
    }
    if (o.confusion_matrix) assert.deepEqual(ours.confusionMatrix?.matrix, o.confusion_matrix);
  }
  return { maxDiff, compared };
}

function pipelineYaml(name: string, label: string, seed: number, evaluate: string, extra = ''): string {
  return labelledPenguinPipeline(name, label, { seed, evaluate, extra });
}

test('penguins end to end: metrics.json equals sklearn on predictions.parquet (multiclass, binary, regression); infra-validated, pushed, compared with the last blessed model', async (t) => {
  const dir = await tempDir('eval-e2e');
  await fs.mkdir(path.join(dir, 'data'));
  await fs.copyFile(path.join(FIXTURES, 'penguins.csv'), path.join(dir, 'data', 'penguins.csv'));

  // Multiclass: species, with value and change thresholds, infra validation and push.
  const speciesSlices = [[], ['island'], ['island', 'sex']];
  const evaluate = `{ slices: [[], [island], [island, sex]], thresholds: { accuracy: { lower_bound: 0.9, change: { direction: higher_is_better, absolute: -0.05 } } } }`;
  const delivery = `  infra: { component: InfraValidator, inputs: { model: train.model, examples: examples.examples }, params: { num_requests: 5 } }
  push: { component: Pusher, inputs: { model: train.model, blessing: evaluate.blessing, infra_blessing: infra.infra_blessing }, params: { destination: serving/penguins } }
`;
  const file = path.join(dir, 'species.pipeline.yaml');
  await fs.writeFile(file, pipelineYaml('species', 'species', 42, evaluate, delivery));
  const first = run(file);
  const ev1 = await readJson<EvaluationFile>(path.join(artifactOf(first, 'evaluate', 'evaluation'), 'metrics.json'));
  const species = await checkAgainstSklearn(ev1, path.join(artifactOf(first, 'infer', 'inference_result'), 'predictions.parquet'), speciesSlices, dir);
  const accuracy = ev1.slices[0]?.metrics.accuracy ?? 0;
  t.diagnostic(`multiclass: ${species.compared} numbers over ${ev1.slices.length} slices, largest |metrics.json − sklearn| = ${species.maxDiff.toExponential(2)}; eval accuracy ${accuracy}`);
  assert.ok(accuracy >= 0.95, `eval accuracy ${accuracy}`);
  assert.equal(ev1.blessed, true);
  assert.equal(ev1.baseline, null, 'first run: no baseline');
  const infra = await readJson<InfraValidationFile>(path.join(artifactOf(first, 'infra', 'infra_blessing'), 'validation.json'));
  assert.equal(infra.blessed, true, infra.reason);
  assert.equal(infra.server?.host, '127.0.0.1');
  const push1 = await readJson<PushedFile>(path.join(artifactOf(first, 'push', 'pushed_model'), 'pushed.json'));
  assert.equal(push1.pushed, true);
  const v1 = push1.uri as string;
  assert.ok(existsSync(path.join(v1, 'model', 'model.json')) && existsSync(path.join(v1, 'signature.json')));
  const v1Hash = createHash('sha256').update(await fs.readFile(path.join(v1, 'model', 'model.json'))).digest('hex');

  // Second run, another seed: a new model, judged against the first (the last blessed one).
  await fs.writeFile(file, pipelineYaml('species', 'species', 7, evaluate, delivery));
  const second = run(file);
  const ev2 = await readJson<EvaluationFile>(path.join(artifactOf(second, 'evaluate', 'evaluation'), 'metrics.json'));
  assert.equal(ev2.baseline?.model, artifactOf(first, 'train', 'model'), 'the baseline is the model blessed in the first run');
  const change = ev2.thresholds.find((c) => c.kind === 'change');
  assert.ok(change && change.baseline === accuracy && Math.abs((change.diff as number) - ((change.value as number) - accuracy)) < 1e-12);
  const push2 = await readJson<PushedFile>(path.join(artifactOf(second, 'push', 'pushed_model'), 'pushed.json'));
  assert.equal(push2.pushed, ev2.blessed);
  const versions = (await fs.readdir(path.join(dir, 'serving', 'penguins'))).sort();
  assert.equal(versions.length, ev2.blessed ? 2 : 1, `versions: ${versions}`);
  assert.equal(createHash('sha256').update(await fs.readFile(path.join(v1, 'model', 'model.json'))).digest('hex'), v1Hash, 'version 1 untouched');

  // Binary (sex) and regression (body mass), sliced by island and species.
  const slices = [[], ['island'], ['species']];
  for (const [label, task] of [
    ['sex', 'binary'],
    ['body_mass_g', 'regression'],
  ] as const) {
    const f = path.join(dir, `${label}.pipeline.yaml`);
    await fs.writeFile(f, pipelineYaml(`penguins-${label}`, label, 42, '{ slices: [[], [island], [species]] }'));
    const r = run(f);
    const ev = await readJson<EvaluationFile>(path.join(artifactOf(r, 'evaluate', 'evaluation'), 'metrics.json'));
    assert.equal(ev.task, task);
    const c = await checkAgainstSklearn(ev, path.join(artifactOf(r, 'infer', 'inference_result'), 'predictions.parquet'), slices, dir);
    const m = ev.slices[0]?.metrics ?? {};
    t.diagnostic(
      `${task}: ${c.compared} numbers over ${ev.slices.length} slices, largest |metrics.json − sklearn| = ${c.maxDiff.toExponential(2)}; ` +
        (task === 'binary' ? `auc ${m.auc}, log_loss ${m.log_loss}, accuracy ${m.accuracy}` : `rmse ${m.rmse}, mae ${m.mae}, r2 ${m.r2}`),
    );
    if (task === 'binary') assert.ok((m.auc ?? 0) > 0.9, `sex is predictable from the measurements: auc ${m.auc}`);
    else assert.ok((m.r2 ?? 0) > 0.7, `body mass is predictable: r2 ${m.r2}`);
    await checkEvaluationView(path.join(artifactOf(r, 'evaluate', 'evaluation'), 'metrics.json'), path.join(artifactOf(r, 'infer', 'inference_result'), 'predictions.parquet'), ev);
  }
});

/**
 * The evaluation view built from the artifact (metrics.json + predictions.json) against the
 * BulkInferrer's predictions.parquet, an independent file: the curves and the confusion matrix by
 * scikit-learn on its rows, the numbers shown by metrics.json.
 */
async function checkEvaluationView(metricsPath: string, parquet: string, ev: EvaluationFile): Promise<void> {
  const predictions = await readJson<PredictionsFile>(path.join(path.dirname(metricsPath), 'predictions.json'));
  const view = buildEvaluationView(metricsPath, await readJson<MetricsFile>(metricsPath), predictions);
  assert.deepEqual(view.overall, ev.slices[0]?.metrics);
  assert.deepEqual(view.slices.map((s) => s.exampleCount), ev.slices.map((s) => s.metrics.example_count));
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  let rows: Record<string, unknown>[];
  try {
    rows = (await conn.runAndReadAll(`SELECT * FROM read_parquet('${parquet.replace(/'/g, "''")}') WHERE "${ev.label}" IS NOT NULL`)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    db.closeSync();
  }
  const near = (a: readonly number[], b: readonly number[], what: string) => {
    assert.equal(a.length, b.length, `${what}: ${a.length} points vs ${b.length}`);
    a.forEach((v, i) => assert.ok(Math.abs(v - (b[i] as number)) <= TOLERANCE, `${what}[${i}]: ${v} vs ${b[i]}`));
  };
  if (ev.task === 'binary') {
    const positive = ev.classes?.[1];
    const labels = rows.map((r) => (String(r[ev.label]) === positive ? 1 : 0));
    const scores = rows.map((r) => Number(r.score));
    const [oracle] = sklearnCurves([{ labels, scores }]);
    assert.ok(oracle && view.roc?.[0] && view.pr?.[0] && view.calibration?.[0]);
    near(view.roc[0].x, oracle.roc.fpr, 'fpr');
    near(view.roc[0].y, oracle.roc.tpr, 'tpr');
    near(view.pr[0].x, oracle.pr.recall, 'recall');
    near(view.pr[0].y, oracle.pr.precision, 'precision');
    near(view.calibration[0].y, oracle.calibration.prob_true, 'calibration prob_true');
    near(view.calibration[0].x, oracle.calibration.prob_pred, 'calibration prob_pred');
    const tp = labels.filter((y, i) => y === 1 && (scores[i] as number) >= 0.5).length;
    const fp = labels.filter((y, i) => y === 0 && (scores[i] as number) >= 0.5).length;
    assert.deepEqual(view.confusion?.matrix, [[labels.filter((y) => y === 0).length - fp, fp], [labels.filter((y) => y === 1).length - tp, tp]]);
    assert.ok(view.fairness.some((f) => f.rate === 'false_positive_rate' && f.threshold === 0.5 && f.slice === 'overall' && f.value === ev.slices[0]?.metrics['false_positive_rate@0.5']));
  } else {
    const actual = rows.map((r) => Number(r[ev.label])).sort((a, b) => a - b);
    assert.deepEqual([...(view.regression?.actual ?? [])].sort((a, b) => a - b), actual, 'every example, actual values from predictions.parquet');
    const predicted = rows.map((r) => Number(r.prediction)).sort((a, b) => a - b);
    near([...(view.regression?.predicted ?? [])].sort((a, b) => a - b), predicted, 'predicted values');
  }
}
