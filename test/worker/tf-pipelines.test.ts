/**
 * The examples end to end through the CLI (`pipewise run … --json`, docs/ARCHITECTURE.md, "Contracts": the CLI): the penguin
 * pipeline trains, evaluates (accuracy ≥ 0.95) and pushes, the weather regression passes its own
 * thresholds, and the run result names the TF.js backend. The flights example is validated only
 * (training it takes a minute).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ModelSignature } from '../../src/engine/model/servingModel';
import type { RunResult } from '../../src/protocol/runEvents';
import { tempDir } from './tf-helpers';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'bin/pipewise.js');

function runExample(name: string, file: string): RunResult {
  const dir = tempDir(`pw-tf-${name}-`);
  cpSync(path.join(root, 'examples', name), dir, { recursive: true, filter: (p) => !p.includes('.pipewise') && !p.includes(`${path.sep}serving`) });
  const r = spawnSync(process.execPath, [cli, 'run', path.join(dir, file), '--json'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as RunResult;
}

function artifactOf(result: RunResult, stage: string, output: string): string {
  const uri = result.stages.find((s) => s.name === stage)?.artifacts[output];
  assert.ok(uri, `${stage}.${output}`);
  return uri;
}

interface MetricsJson {
  slices: { slice: Record<string, unknown>; metrics: Record<string, number> }[];
  blessed: boolean;
}

test('the penguin example trains, evaluates at ≥ 0.95 accuracy, and pushes', () => {
  const result = runExample('penguins', 'penguins.pipeline.yaml');
  assert.equal(result.status, 'succeeded');
  assert.equal(result.backend, 'wasm');
  assert.deepEqual(
    result.stages.map((s) => s.status),
    result.stages.map(() => 'succeeded'),
  );
  const signature = JSON.parse(readFileSync(path.join(artifactOf(result, 'train', 'model'), 'signature.json'), 'utf8')) as ModelSignature;
  assert.equal(signature.backend, 'wasm');
  assert.deepEqual(signature.hyperparameters.hidden_units, [32, 16]);
  const metrics = JSON.parse(readFileSync(path.join(artifactOf(result, 'evaluate', 'evaluation'), 'metrics.json'), 'utf8')) as MetricsJson;
  const overall = metrics.slices.find((s) => Object.keys(s.slice).length === 0);
  assert.ok((overall?.metrics.accuracy ?? 0) >= 0.95, `accuracy ${overall?.metrics.accuracy}`);
  assert.equal(metrics.blessed, true);
});

test('the weather example: a time-split regression on temp_max, blessed by its RMSE and R² thresholds', () => {
  const result = runExample('weather', 'weather.pipeline.yaml');
  assert.equal(result.status, 'succeeded', JSON.stringify(result.stages.map((s) => [s.name, s.status, s.error])));
  const signature = JSON.parse(readFileSync(path.join(artifactOf(result, 'train', 'model'), 'signature.json'), 'utf8')) as ModelSignature;
  assert.equal(signature.task, 'regression');
  const metrics = JSON.parse(readFileSync(path.join(artifactOf(result, 'evaluate', 'evaluation'), 'metrics.json'), 'utf8')) as MetricsJson;
  assert.equal(metrics.blessed, true);
  // Training's own eval-split RMSE (label units) and the Evaluator's, on the same rows, agree.
  const overall = metrics.slices.find((s) => Object.keys(s.slice).length === 0)?.metrics;
  assert.ok(Math.abs((overall?.rmse ?? NaN) - (signature.training?.metrics.eval_rmse ?? NaN)) < 1e-3);
});

test('the flights example is a valid pipeline', () => {
  const r = spawnSync(process.execPath, [cli, 'validate', path.join(root, 'examples/flights/flights.pipeline.yaml')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
