/**
 * The threaded wasm build (PIPEWISE_TF_THREADS, src/engine/tf/wasmThreads.ts): with 2 threads the
 * run output names them, and the model is the one the single-threaded build trains from the same
 * seed; a runtime that cannot start it trains single-threaded and says why.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { RunResult } from '../../src/protocol/runEvents';
import { penguinTrainPipeline, pipewise, root } from './serve-helpers';

const run = promisify(execFile);

interface Trained {
  backend: string;
  label: string;
  warning?: string;
  weights: number[][];
  history: Record<string, number>[];
  predictions: number[];
}

async function train(threads: string | undefined, args: string[] = []): Promise<Trained> {
  const env: NodeJS.ProcessEnv = { ...process.env, PIPEWISE_TF_BACKEND: 'wasm' };
  if (threads === undefined) delete env.PIPEWISE_TF_THREADS;
  else env.PIPEWISE_TF_THREADS = threads;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(__dirname, 'tf-native-train.ts'), ...args], { cwd: root, env, maxBuffer: 1 << 24 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Trained;
}

function largestDifference(a: readonly number[], b: readonly number[]): number {
  assert.equal(a.length, b.length, 'same number of values');
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] ?? NaN))), 0);
}

function sameModel(threaded: Trained, single: Trained): void {
  const weights = largestDifference(threaded.weights.flat(), single.weights.flat());
  assert.ok(weights < 1e-4, `largest weight difference, 2 threads against 1: ${weights}`);
  const predictions = largestDifference(threaded.predictions, single.predictions);
  assert.ok(predictions < 1e-4, `largest difference of the validation rows' predicted probabilities: ${predictions}`);
  const losses = largestDifference(threaded.history.map((h) => h.val_loss ?? NaN), single.history.map((h) => h.val_loss ?? NaN));
  assert.ok(losses < 1e-4, `largest difference of the per-epoch validation losses: ${losses}`);
}

test('2 wasm threads: the label names them and the model equals the single-threaded one (same seed)', async () => {
  const [threaded, single] = [await train('2'), await train(undefined)];
  assert.equal(threaded.backend, 'wasm');
  assert.equal(threaded.warning, undefined, 'the threaded build started');
  assert.equal(threaded.label, 'wasm (SIMD, 2 threads)');
  assert.equal(single.label, 'wasm', 'single-threaded wasm keeps its label');
  sameModel(threaded, single);
});

test('without SharedArrayBuffer the single-threaded build trains the same model and the warning says why', async () => {
  const [fallback, single] = [await train('2', ['--no-shared-memory']), await train('0')];
  assert.equal(fallback.label, 'wasm');
  assert.match(fallback.warning ?? '', /2 wasm threads were asked for .*no SharedArrayBuffer.*single-threaded/);
  sameModel(fallback, single);
});

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The penguin pipeline through the CLI, as a user runs it, with `threads` in the environment. */
async function penguinRun(threads: string | undefined, nodeOptions?: string): Promise<{ result: RunResult; stderr: string; metrics: Record<string, number> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-threads-'));
  dirs.push(dir);
  cpSync(path.join(root, 'test/fixtures/penguins.csv'), path.join(dir, 'data/penguins.csv'));
  writeFileSync(path.join(dir, 'p.pipeline.yaml'), penguinTrainPipeline('penguins_threads', 5));
  const saved = { backend: process.env.PIPEWISE_TF_BACKEND, threads: process.env.PIPEWISE_TF_THREADS, nodeOptions: process.env.NODE_OPTIONS };
  process.env.PIPEWISE_TF_BACKEND = 'wasm'; // the CLI inherits this process's environment
  if (nodeOptions) process.env.NODE_OPTIONS = nodeOptions;
  if (threads === undefined) delete process.env.PIPEWISE_TF_THREADS;
  else process.env.PIPEWISE_TF_THREADS = threads;
  try {
    const r = await pipewise(['run', path.join(dir, 'p.pipeline.yaml'), '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as RunResult;
    const model = result.stages.find((s) => s.name === 'train')?.artifacts.model as string;
    const signature = JSON.parse(readFileSync(path.join(model, 'signature.json'), 'utf8')) as { training: { metrics: Record<string, number> } };
    return { result, stderr: r.stderr, metrics: signature.training.metrics };
  } finally {
    for (const [k, v] of [['PIPEWISE_TF_BACKEND', saved.backend], ['PIPEWISE_TF_THREADS', saved.threads], ['NODE_OPTIONS', saved.nodeOptions]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

test('pipewise run with PIPEWISE_TF_THREADS=2: the run output and RunResult name the threads; the penguin model scores as with one thread', async () => {
  const threaded = await penguinRun('2');
  assert.equal(threaded.result.backend, 'wasm (SIMD, 2 threads)', 'RunResult.backend (the graph header and the Runs view show it)');
  assert.match(threaded.stderr, /pipewise: succeeded in .*\(TensorFlow\.js backend: wasm \(SIMD, 2 threads\)\)/);
  assert.match(threaded.stderr, /train: TensorFlow\.js backend: wasm \(SIMD, 2 threads\)/, "the Trainer's log line");
  const single = await penguinRun(undefined);
  assert.equal(single.result.backend, 'wasm');
  assert.deepEqual(Object.keys(threaded.metrics).sort(), Object.keys(single.metrics).sort());
  for (const [k, v] of Object.entries(single.metrics)) {
    assert.ok(Math.abs((threaded.metrics[k] ?? NaN) - v) < 1e-4, `${k}: ${threaded.metrics[k]} with 2 threads against ${v} with one`);
  }
});

test('pipewise run where the threaded build cannot start: the run succeeds on wasm and the Trainer logs why', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-threads-preload-'));
  dirs.push(dir);
  const preload = path.join(dir, 'no-shared-memory.cjs');
  writeFileSync(preload, 'delete globalThis.SharedArrayBuffer;\n');
  const fallback = await penguinRun('2', `--require ${preload}`);
  assert.equal(fallback.result.backend, 'wasm');
  assert.match(fallback.stderr, /train: warn: 2 wasm threads were asked for .*no SharedArrayBuffer.*single-threaded wasm build/);
});
