/**
 * TF.js backend speed for a small DNN (2×64 ReLU, softmax over 3 classes, 10 inputs) at batch 256:
 * samples per second of wall time and per CPU second, for each backend that loads here, through
 * `model.fit` and through Pipewise's own training loop (fitModel). Each backend runs in a fresh
 * process (TF.js keeps one engine per process).
 *
 *   node --import tsx bench/tf-backend.bench.ts            # all backends
 *   PIPEWISE_TF_BACKEND=cpu node --import tsx bench/tf-backend.bench.ts --one
 */
import { execFileSync } from 'node:child_process';
import { loadTf } from '../src/engine/tf/loadTf';
import { fitModel } from '../src/engine/model/fitModel';

async function one(): Promise<void> {
  const { tf, backend } = await loadTf();
  const n = 256 * 40;
  const width = 10;
  const build = () => {
    const m = tf.sequential({
      layers: [
        tf.layers.dense({ units: 64, activation: 'relu', inputShape: [width] }),
        tf.layers.dense({ units: 64, activation: 'relu' }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    m.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    return m;
  };
  const x = new Float32Array(n * width).map(() => Math.random() * 2 - 1);
  const y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) y[i * 3 + Math.floor(Math.random() * 3)] = 1;
  const measure = async (label: string, epochs: number, f: () => Promise<unknown>) => {
    await f(); // warm-up
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    await f();
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6;
    console.log(`${backend.padEnd(10)} ${label.padEnd(9)} ${Math.round((n * epochs) / wall).toString().padStart(7)} samples/s wall, ${Math.round((n * epochs) / cpu).toString().padStart(7)} per CPU s`);
  };
  const xt = tf.tensor2d(x, [n, width]);
  const yt = tf.tensor2d(y, [n, 3]);
  const a = build();
  await measure('model.fit', 3, () => a.fit(xt, yt, { batchSize: 256, epochs: 3, verbose: 0 }));
  const b = build();
  const data = { x, y, n, width, outDim: 3 };
  const evalSet = { x: x.subarray(0, 256 * width), y: y.subarray(0, 256 * 3), n: 256, width, outDim: 3 };
  await measure('fitModel', 3, () => fitModel(tf, b, data, evalSet, { epochs: 3, batchSize: 256, seed: 1, earlyStopping: null, signal: new AbortController().signal }));
}

if (process.argv.includes('--one')) {
  void one();
} else {
  for (const backend of ['tensorflow', 'wasm', 'cpu']) {
    try {
      const out = execFileSync(process.execPath, ['--import', 'tsx', __filename, '--one'], { env: { ...process.env, PIPEWISE_TF_BACKEND: backend }, encoding: 'utf8' });
      // A backend that does not load falls back: print only lines of the backend asked for.
      process.stdout.write(out.split('\n').filter((l) => l.startsWith(backend)).map((l) => `${l}\n`).join('') || `${backend.padEnd(10)} not available\n`);
    } catch (e) {
      console.log(`${backend.padEnd(10)} failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
}
