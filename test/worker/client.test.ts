import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { WorkerClient, WorkerExitedError } from '../../src/worker/client';

const workerPath = path.resolve(__dirname, '../../out/worker.js');

test('a forked worker answers initialize and shuts down', async () => {
  const w = new WorkerClient({ workerPath });
  const info = await w.initialize();
  assert.equal(info.pid, w.pid);
  await w.shutdown();
  assert.equal(w.isAlive, false);
});

test('a killed worker fails its pending request with the reason', async () => {
  const w = new WorkerClient({ workerPath });
  await w.initialize();
  const pending = w.initialize().then(() => w.initialize());
  w.kill('SIGKILL');
  await assert.rejects(pending.then(() => w.exited.then((e) => { throw e; })), (e: unknown) => e instanceof WorkerExitedError && /SIGKILL/.test((e as Error).message));
});
