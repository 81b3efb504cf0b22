/**
 * The training loop shared by Trainer and Tuner. Our own loop over `trainOnBatch` rather than
 * `model.fit`, so that: shuffling is seeded (reproducible runs), cancellation is checked between
 * batches (a cancelled run stops within one batch), batch metrics are throttled, and early
 * stopping restores the best epoch's weights (TF.js's earlyStopping callback cannot).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import os from 'node:os';
import { CancelledError, PipewiseError } from '../../core/errors';
import type { Tf, TfBackend } from '../tf/loadTf';

export interface Dataset {
  /** Row-major input matrix, n × width. */
  readonly x: Float32Array;
  /** Row-major targets, n × outDim. */
  readonly y: Float32Array;
  readonly n: number;
  readonly width: number;
  readonly outDim: number;
}

export type EpochLogs = Record<string, number>;

export interface FitOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly earlyStopping: { readonly patience: number; readonly monitor: string } | null;
  readonly signal: AbortSignal;
  /** Extra values per epoch from the raw logs (e.g. RMSE in label units). */
  readonly derive?: (logs: EpochLogs) => EpochLogs;
  readonly onEpoch?: (epoch: number, logs: EpochLogs) => void;
  readonly onBatch?: (epoch: number, batch: number, logs: EpochLogs) => void;
  /** Minimum milliseconds between onBatch calls. */
  readonly batchThrottleMs?: number;
}

export interface FitResult {
  readonly history: EpochLogs[];
  /** 1-based epoch whose weights the model holds at the end. */
  readonly bestEpoch: number;
  readonly stoppedEarly: boolean;
  readonly best: EpochLogs;
}

/** Seeded PRNG (mulberry32): same seed, same shuffles, on every platform. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function permutation(n: number, rand: () => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = p[i] as number;
    p[i] = p[j] as number;
    p[j] = t;
  }
  return p;
}

/** TF.js names the accuracy metric `acc`; reports say `accuracy`, as Keras does. */
function metricName(n: string): string {
  return n === 'acc' ? 'accuracy' : n;
}

function lowerIsBetter(monitor: string): boolean {
  return !/acc|auc|precision|recall|f1/i.test(monitor);
}

/** Memory TF.js may use for tensors: the wasm heap is 32-bit, the others share the machine's RAM. */
export function memoryBudgetBytes(backend: TfBackend): number {
  const forced = Number(process.env.PIPEWISE_TF_MEMORY_MB);
  if (Number.isFinite(forced) && forced > 0) return forced * 1024 * 1024;
  const free = os.freemem() * 0.7;
  return backend === 'wasm' ? Math.min(free, 2 * 1024 ** 3) : free;
}

/**
 * Refuses, with numbers and remedies, data that cannot fit: the float32 matrices live once in
 * JavaScript and once as tensors.
 */
export function checkFitsInMemory(backend: TfBackend, sets: readonly { readonly name: string; readonly n: number; readonly width: number; readonly outDim: number }[], batchSize: number): void {
  const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(b < 10 * 1024 * 1024 ? 2 : 0)} MB`;
  const need = sets.reduce((s, d) => s + 2 * 4 * d.n * (d.width + d.outDim), 0);
  const width = sets[0]?.width ?? 0;
  const batch = 3 * 4 * batchSize * width;
  const budget = memoryBudgetBytes(backend);
  if (need + batch > budget) {
    const rows = sets.map((d) => `${d.n} ${d.name} rows`).join(' + ');
    throw new PipewiseError(
      `the training data does not fit in memory: ${rows} × ${width} input values (batch ${batchSize}) need about ${mb(need + batch)} as float32, but the ${backend} backend has about ${mb(budget)}. ` +
        `Train on a sample (a Sql stage with \`SELECT * FROM examples USING SAMPLE 100000 ROWS\`), shrink the input (vocabulary top_k, fewer hash buckets or crosses), or lower batch_size.`,
      { code: 'out-of-memory' },
    );
  }
}

export async function fitModel(tf: Tf, model: tfTypes.LayersModel, train: Dataset, evalSet: Dataset, o: FitOptions): Promise<FitResult> {
  const batchSize = Math.max(1, Math.min(o.batchSize, train.n));
  const xTrain = tf.tensor2d(train.x, [train.n, train.width]);
  const yTrain = tf.tensor2d(train.y, [train.n, train.outDim]);
  const xEval = tf.tensor2d(evalSet.x, [evalSet.n, evalSet.width]);
  const yEval = tf.tensor2d(evalSet.y, [evalSet.n, evalSet.outDim]);
  const names = model.metricsNames.map(metricName);
  const history: EpochLogs[] = [];
  const monitor = o.earlyStopping?.monitor ?? 'val_loss';
  const lower = lowerIsBetter(monitor);
  let best: { value: number; epoch: number; weights: tfTypes.Tensor[]; logs: EpochLogs } | undefined;
  let sinceBest = 0;
  let stoppedEarly = false;
  let lastBatchReport = 0;
  const throttle = o.batchThrottleMs ?? 250;
  const batches = Math.ceil(train.n / batchSize);

  try {
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const order = permutation(train.n, mulberry32(o.seed * 7919 + epoch));
      const sums = new Array<number>(names.length).fill(0);
      let seen = 0;
      for (let b = 0; b < batches; b++) {
        if (o.signal.aborted) throw new CancelledError();
        const idx = order.subarray(b * batchSize, Math.min(train.n, (b + 1) * batchSize));
        const [xb, yb] = tf.tidy(() => {
          const i = tf.tensor1d(idx, 'int32');
          return [tf.gather(xTrain, i), tf.gather(yTrain, i)];
        });
        let out: number | number[];
        try {
          out = await model.trainOnBatch(xb as tfTypes.Tensor, yb as tfTypes.Tensor);
        } finally {
          tf.dispose([xb as tfTypes.Tensor, yb as tfTypes.Tensor]);
        }
        const values = Array.isArray(out) ? out : [out];
        values.forEach((v, k) => (sums[k] = (sums[k] ?? 0) + v * idx.length));
        seen += idx.length;
        const now = Date.now();
        if (o.onBatch && now - lastBatchReport >= throttle) {
          lastBatchReport = now;
          o.onBatch(epoch, b + 1, Object.fromEntries(names.map((n, k) => [n, values[k] ?? NaN])));
        }
        // Let the event loop turn, so a cancel (an IPC message, an abort) is seen between batches.
        await new Promise<void>((r) => setImmediate(r));
      }
      if (o.signal.aborted) throw new CancelledError();
      const logs: EpochLogs = Object.fromEntries(names.map((n, k) => [n, (sums[k] ?? 0) / Math.max(1, seen)]));
      const evaluated = model.evaluate(xEval, yEval, { batchSize: 1024 });
      const scalars = Array.isArray(evaluated) ? evaluated : [evaluated];
      for (const [k, s] of scalars.entries()) logs[`val_${names[k] ?? k}`] = (await s.data())[0] as number;
      tf.dispose(scalars);
      Object.assign(logs, o.derive?.(logs) ?? {});
      history.push(logs);
      o.onEpoch?.(epoch, logs);

      const value = logs[monitor];
      if (value === undefined) {
        throw new PipewiseError(`early stopping monitors '${monitor}', which training does not report (it reports: ${Object.keys(logs).join(', ')})`);
      }
      const improved = !best || (Number.isFinite(value) && (lower ? value < best.value : value > best.value));
      if (improved) {
        tf.dispose(best?.weights ?? []);
        best = { value, epoch, weights: model.getWeights().map((w) => w.clone()), logs };
        sinceBest = 0;
      } else if (o.earlyStopping && ++sinceBest >= o.earlyStopping.patience) {
        stoppedEarly = true;
        break;
      }
    }
    if (best && o.earlyStopping) model.setWeights(best.weights);
    const last = history.length;
    return {
      history,
      bestEpoch: o.earlyStopping && best ? best.epoch : last,
      stoppedEarly,
      best: o.earlyStopping && best ? best.logs : (history[last - 1] ?? {}),
    };
  } finally {
    tf.dispose([xTrain, yTrain, xEval, yEval, ...(best?.weights ?? [])]);
  }
}
