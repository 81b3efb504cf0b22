/**
 * Crash recovery with the real worker: a worker killed mid-training fails its run with
 * WorkerExitedError and leaves no model artifact; a new worker's run succeeds, reports its TF.js
 * backend, and the lineage shows the abandoned execution next to the good one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Lineage } from '../../src/engine/lineage';
import { RunEventNotification, RunPipeline } from '../../src/protocol/worker';
import { CancellationTokenSource, WorkerClient, WorkerExitedError } from '../../src/worker/client';
import { tempDir } from './tf-helpers';

const workerPath = path.resolve(__dirname, '../../out/worker.js');
const example = path.resolve(__dirname, '../../examples/penguins');

function copyExample(): { dir: string; file: string; endless: string } {
  const dir = tempDir('pw-tf-crash-');
  mkdirSync(path.join(dir, 'data'));
  copyFileSync(path.join(example, 'penguins.pipeline.yaml'), path.join(dir, 'penguins.pipeline.yaml'));
  copyFileSync(path.join(example, 'data', 'penguins.csv'), path.join(dir, 'data', 'penguins.csv'));
  const file = path.join(dir, 'penguins.pipeline.yaml');
  const text = readFileSync(file, 'utf8');
  // A training that would run for hours unless stopped.
  const endless = text.replace(/params: \{ model: dnn, hidden_units: \[32, 16\], epochs: 40 \}/, 'params: { model: dnn, hidden_units: [32, 16], epochs: 100000, batch_size: 8, early_stopping: null }');
  assert.notEqual(endless, text, 'the example pipeline should hold the Trainer params this test edits');
  return { dir, file, endless };
}

test('cancelling a run mid-training stops it: the stage is cancelled and leaves no model', async () => {
  const { dir, file, endless } = copyExample();
  const worker = new WorkerClient({ workerPath });
  try {
    const cancel = new CancellationTokenSource();
    worker.onNotification(RunEventNotification, (e) => {
      if (e.kind === 'stageMetrics' && e.stage === 'train' && e.point.scope === 'epoch' && e.point.epoch === 2) cancel.cancel();
    });
    const result = await worker.request(RunPipeline, { file, text: endless }, cancel.token);
    assert.equal(result.status, 'cancelled');
    assert.equal(result.stages.find((s) => s.name === 'train')?.status, 'cancelled');
    assert.equal(existsSync(path.join(dir, '.pipewise', 'artifacts', 'train')), false);
    const train = (await new Lineage(path.join(dir, '.pipewise', 'metadata')).executions()).filter((e) => e.stage === 'train');
    assert.deepEqual(train.map((e) => e.state), ['cancelled']);
  } finally {
    await worker.shutdown();
  }
});

test('a worker killed mid-training: the run fails, a new worker runs it, lineage keeps both', async () => {
  const { dir, file, endless } = copyExample();
  const first = new WorkerClient({ workerPath });
  let epochs = 0;
  first.onNotification(RunEventNotification, (e) => {
    if (e.kind === 'stageMetrics' && e.stage === 'train' && e.point.scope === 'epoch' && ++epochs === 2) first.kill('SIGKILL');
  });
  await assert.rejects(first.request(RunPipeline, { file, text: endless }), (e: unknown) => e instanceof WorkerExitedError && /SIGKILL/.test((e as Error).message));
  assert.equal(epochs >= 2, true);
  assert.equal(existsSync(path.join(dir, '.pipewise', 'artifacts', 'train')), false, 'no model artifact from the killed run');

  const second = new WorkerClient({ workerPath });
  try {
    const result = await second.request(RunPipeline, { file });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.stages.filter((s) => s.status !== 'succeeded' && s.status !== 'cached')));
    assert.equal(result.backend, 'wasm');
    const train = result.stages.find((s) => s.name === 'train');
    assert.equal(train?.status, 'succeeded');
    assert.ok(existsSync(path.join(train?.artifacts.model as string, 'model', 'model.json')));
    assert.equal((await second.initialize()).backend, 'wasm');

    const executions = (await new Lineage(path.join(dir, '.pipewise', 'metadata')).executions()).filter((e) => e.stage === 'train');
    const failed = executions.filter((e) => e.state === 'failed');
    const complete = executions.filter((e) => e.state === 'complete');
    assert.equal(failed.length, 1);
    assert.match(failed[0]?.error ?? '', /abandoned/);
    assert.equal(complete.length, 1);
    assert.equal(complete[0]?.id, train?.executionId);
    // The killed execution's temporary outputs are gone too.
    const tmp = path.join(dir, '.pipewise', 'tmp');
    assert.deepEqual((existsSync(tmp) ? readdirSync(tmp) : []).filter((id) => id === failed[0]?.id), []);
  } finally {
    await second.shutdown();
  }
});
