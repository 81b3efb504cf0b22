/**
 * Child process of tf-native.test.ts and tf-threads.test.ts: trains one built-in DNN on a seeded
 * synthetic table with the backend PIPEWISE_TF_BACKEND names (and PIPEWISE_TF_THREADS wasm threads)
 * and prints {backend, label, warning, weights, history, predictions} as one JSON line.
 * `--no-shared-memory`: removes SharedArrayBuffer first, as a runtime without it would be.
 */
import { loadTf } from '../../src/engine/tf/loadTf';
import { buildBuiltinModel, type Hyperparameters } from '../../src/engine/model/builtinModels';
import { fitModel, mulberry32 } from '../../src/engine/model/fitModel';
import { stepConfig } from '../../src/engine/model/trainStep';

(async () => {
  if (process.argv.includes('--no-shared-memory')) delete (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer;
  const { tf, backend, label, warning } = await loadTf();
  const rand = mulberry32(9);
  const n = 600;
  const width = 5;
  const x = new Float32Array(n * width).map(() => rand() * 2 - 1);
  const y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const s = (x[i * width] as number) + (x[i * width + 1] as number) ** 2 - (x[i * width + 2] as number);
    y[i * 3 + (s < -0.3 ? 0 : s < 0.6 ? 1 : 2)] = 1;
  }
  const train = { x: x.subarray(0, 480 * width), y: y.subarray(0, 480 * 3), n: 480, width, outDim: 3 };
  const val = { x: x.subarray(480 * width), y: y.subarray(480 * 3), n: 120, width, outDim: 3 };
  const hp: Hyperparameters = { model: 'dnn', hidden_units: [16, 8], dropout: 0.1, learning_rate: 0.01, optimizer: 'adam', l2: 0.001, batch_size: 32, epochs: 4 };
  const model = buildBuiltinModel(tf, { width, task: 'multiclass', numClasses: 3, hp, seed: 3 });
  const fit = await fitModel(tf, model, train, val, { epochs: hp.epochs, batchSize: hp.batch_size, seed: 3, earlyStopping: null, signal: new AbortController().signal, step: stepConfig('multiclass', hp, 3) });
  const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
  const xv = tf.tensor2d(val.x, [val.n, width]);
  const pv = model.predict(xv) as import('@tensorflow/tfjs').Tensor;
  const predictions = Array.from(pv.dataSync());
  tf.dispose([xv, pv]);
  process.stdout.write(`${JSON.stringify({ backend, label, warning, weights, history: fit.history, predictions })}\n`);
})().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
