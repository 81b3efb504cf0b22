/**
 * The TF.js side of the training figure, in a process of its own (TF.js keeps one engine per
 * process, and the peak RSS must be of a process that did only this): a 2×64 ReLU DNN with a
 * softmax over 3 classes, built as Trainer builds it (buildBuiltinModel), trained with Pipewise's
 * own loop (fitModel) or with TF.js's model.fit, on the float32 matrix in DATA.bin. Prints one
 * JSON line: backend, its label, SIMD, every timed run (wall and CPU time of all the process's threads), peak RSS.
 *
 *   node --import tsx bench/tf-backend.bench.ts DATA.bin N WIDTH BATCH EPOCHS RUNS [fitModel|trainOnBatch|model.fit]
 *   PIPEWISE_TF_BACKEND=cpu …            force a backend (as loadTf reads it)
 *   PIPEWISE_BENCH_NO_SIMD=1 …           the wasm backend without SIMD (to measure what SIMD gives)
 *   PIPEWISE_TF_WASM_MATMUL=plain …   wasm's own BatchMatMul, without the transpose-first kernel (src/engine/tf/wasmMatMul.ts)
 *   PIPEWISE_TF_THREADS=N …            the threaded wasm build with N threads (`label` says what ran)
 */
import { readFileSync } from 'node:fs';
import * as tfjs from '@tensorflow/tfjs-core';
// Registers the WASM_* flags, so that they can be set before the backend starts.
import '@tensorflow/tfjs-backend-wasm';
import { loadTf } from '../src/engine/tf/loadTf';
import { fitModel, type Dataset } from '../src/engine/model/fitModel';
import { buildBuiltinModel, type Hyperparameters } from '../src/engine/model/builtinModels';
import { stepConfig } from '../src/engine/model/trainStep';
import { msSince, peakRssMiB } from './lib';

async function main(): Promise<void> {
  const [file, nS, widthS, batchS, epochsS, runsS, mode = 'fitModel'] = process.argv.slice(2);
  if (!file) throw new Error('usage: tf-backend.bench.ts DATA.bin N WIDTH BATCH EPOCHS RUNS [fitModel|trainOnBatch|model.fit]');
  const [n, width, batchSize, epochs, runs] = [nS, widthS, batchS, epochsS, runsS].map(Number) as [number, number, number, number, number];
  // Flags must be set before the backend initialises; loadTf imports this same module instance.
  if (process.env.PIPEWISE_BENCH_NO_SIMD === '1') tfjs.env().set('WASM_HAS_SIMD_SUPPORT', false);
  const { tf, backend, label } = await loadTf();
  const simd = backend === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : undefined;

  const raw = new Float32Array(readFileSync(file).buffer.slice(0));
  const x = raw.subarray(0, n * width);
  const y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) y[i * 3 + (raw[n * width + i] as number)] = 1;
  const data: Dataset = { x, y, n, width, outDim: 3 };
  const evalN = Math.min(n, 1024);
  const evalSet: Dataset = { x: x.subarray(0, evalN * width), y: y.subarray(0, evalN * 3), n: evalN, width, outDim: 3 };

  const hp: Hyperparameters = { model: 'dnn', hidden_units: [64, 64], dropout: 0, learning_rate: 0.01, optimizer: 'adam', l2: 0, batch_size: batchSize, epochs };
  const model = buildBuiltinModel(tf, {
    width,
    task: 'multiclass',
    numClasses: 3,
    seed: 1,
    hp,
  });
  const signal = new AbortController().signal;
  const fitOnce = async (rows: Dataset, e: number): Promise<void> => {
    if (mode === 'model.fit') {
      const xt = tf.tensor2d(rows.x, [rows.n, width]);
      const yt = tf.tensor2d(rows.y, [rows.n, 3]);
      await model.fit(xt, yt, { batchSize, epochs: e, verbose: 0, shuffle: true });
      tf.dispose([xt, yt]);
    } else {
      // fitModel: the built-in step (optimizer on JS arrays); trainOnBatch: the same loop over TF.js's trainOnBatch.
      const step = mode === 'trainOnBatch' ? undefined : stepConfig('multiclass', hp, 1);
      await fitModel(tf, model, rows, evalSet, { epochs: e, batchSize, seed: 1, earlyStopping: null, signal, step });
    }
  };
  // Warm-up: compiles kernels and allocates the optimizer's slots.
  const warmN = Math.min(n, batchSize * 8);
  await fitOnce({ x: x.subarray(0, warmN * width), y: y.subarray(0, warmN * 3), n: warmN, width, outDim: 3 }, 1);
  const ms: number[] = [];
  const cpuMs: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    await fitOnce(data, epochs);
    ms.push(msSince(t0));
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
  }
  process.stdout.write(`${JSON.stringify({ backend, label, simd, mode, ms, cpuMs, samples: n * epochs, peakRssMiB: peakRssMiB('self') })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
