/**
 * One training step of a built-in model (linear, DNN, wide-and-deep) with as few TF.js kernels as
 * the math allows (../shared/notes/tf-training-speed.md §2–3). The per-step cost of TF.js on a
 * small model is kernel dispatch: `trainOnBatch` with `tf.train.adam` runs ~200 kernels a step for
 * a 2×64 DNN (the tape clones every saved tensor through Identity, Adam is 14 kernels per variable).
 * Here the forward pass is one fused matmul+bias+activation per layer, the backward pass is written
 * out by hand (no tape: for softmax/sigmoid cross-entropy and squared error the output gradient is
 * p − y, up to a constant), and everything that is O(weights) or O(batch) — the loss, the accuracy,
 * the L2 penalty and its gradient, dropout masks, the optimizer update — runs on JavaScript arrays.
 * A 2×64 DNN step is ~17 kernels. The weights live in JavaScript between steps (`syncToModel`
 * writes them into the model's variables, e.g. before evaluating or saving).
 *
 * With dropout 0 the numbers are those of `trainOnBatch` with `tf.train.adam`/`sgd` to float
 * rounding (tested). Dropout masks are drawn from a seeded generator, a new mask every step (TF.js's
 * Dropout layer with a seed draws the same mask on every call). RMSProp and Adagrad keep TF.js's
 * own optimizer, fed these gradients.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from '../tf/loadTf';
import type { Hyperparameters, OptimizerName } from './builtinModels';
import { mulberry32 } from './random';
import type { Task } from './signature';

export interface StepConfig {
  readonly task: Task;
  readonly optimizer: OptimizerName;
  readonly learningRate: number;
  /** L2 factor on every kernel (not biases), as the built-in models' kernelRegularizer. */
  readonly l2: number;
  readonly family: Hyperparameters['model'];
  readonly hiddenUnits: readonly number[];
  readonly dropout: number;
  readonly seed: number;
}

/** The built-in training step's settings for a model built from `hp`. */
export function stepConfig(task: Task, hp: Hyperparameters, seed: number): StepConfig {
  return { task, optimizer: hp.optimizer, learningRate: hp.learning_rate, l2: hp.l2, family: hp.model, hiddenUnits: hp.hidden_units, dropout: hp.dropout, seed };
}

export interface StepResult {
  /** Mean loss of the batch plus the L2 penalty, as trainOnBatch reports it. */
  readonly loss: number;
  /** Classification only: the batch's accuracy. */
  readonly accuracy?: number;
}

interface Param {
  readonly variable: tfTypes.LayerVariable;
  readonly shape: number[];
  readonly w: Float32Array;
  readonly g: Float32Array;
  readonly m: Float32Array;
  readonly v: Float32Array;
  readonly decay: boolean;
}

interface Dense {
  readonly kernel: Param;
  readonly bias: Param;
  readonly inDim: number;
  readonly units: number;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS_CLIP = 1e-7;

/** Fraction of rows whose predicted class is the true one (thresholds as TF.js's metrics do). */
export function batchAccuracy(task: Task, y: ArrayLike<number>, p: ArrayLike<number>, rows: number): number {
  if (task === 'regression') return NaN;
  let right = 0;
  if (task === 'binary') {
    for (let i = 0; i < rows; i++) if ((p[i] as number) > 0.5 === ((y[i] as number) === 1)) right++;
    return right / rows;
  }
  const k = p.length / rows;
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if ((p[i * k + c] as number) > (p[i * k + best] as number)) best = c;
    if ((y[i * k + best] as number) === 1) right++;
  }
  return right / rows;
}

/** The model's summed loss over rows, from its predictions, as TF.js's losses compute it (clipped at 1e-7). */
export function rowLoss(task: Task, y: ArrayLike<number>, p: ArrayLike<number>, rows: number): number {
  let sum = 0;
  if (task === 'regression') {
    for (let i = 0; i < rows; i++) sum += ((y[i] as number) - (p[i] as number)) ** 2;
  } else if (task === 'binary') {
    for (let i = 0; i < rows; i++) {
      const q = Math.min(1 - EPS_CLIP, Math.max(EPS_CLIP, p[i] as number));
      sum -= (y[i] as number) * Math.log(q) + (1 - (y[i] as number)) * Math.log(1 - q);
    }
  } else {
    const k = p.length / rows;
    for (let i = 0; i < rows; i++) {
      let total = 0;
      for (let c = 0; c < k; c++) total += p[i * k + c] as number;
      for (let c = 0; c < k; c++) {
        const yc = y[i * k + c] as number;
        if (yc !== 0) sum -= yc * Math.log(Math.min(1 - EPS_CLIP, Math.max(EPS_CLIP, (p[i * k + c] as number) / total)));
      }
    }
  }
  return sum;
}

export class TrainStep {
  private readonly hidden: Dense[];
  private readonly output: Dense;
  private readonly params: Param[];
  private readonly width: number;
  private readonly rand: () => number;
  private t = 0;

  constructor(
    private readonly tf: Tf,
    private readonly model: tfTypes.LayersModel,
    private readonly c: StepConfig,
  ) {
    const dense = (name: string): Dense => {
      const layer = model.getLayer(name);
      const [k, b] = layer.trainableWeights;
      if (!k || !b) throw new Error(`layer ${name} has no kernel and bias`);
      const param = (variable: tfTypes.LayerVariable, decay: boolean): Param => {
        const w = new Float32Array(variable.read().dataSync() as Float32Array);
        return { variable, shape: variable.shape.map(Number), w, g: new Float32Array(w.length), m: new Float32Array(w.length), v: new Float32Array(w.length), decay };
      };
      return { kernel: param(k, true), bias: param(b, false), inDim: k.shape[0] as number, units: k.shape[1] as number };
    };
    const deep = c.family !== 'linear' && c.hiddenUnits.length > 0;
    this.hidden = deep ? c.hiddenUnits.map((_, i) => dense(`hidden_${i}`)) : [];
    this.output = dense('output');
    this.params = [...this.hidden, this.output].flatMap((d) => [d.kernel, d.bias]);
    this.width = (model.inputs[0]?.shape[1] as number | undefined) ?? 0;
    this.rand = mulberry32(c.seed * 104729 + 17);
  }

  /** Writes the current weights into the model's variables (new tensors: XNNPACK caches by tensor id). */
  syncToModel(): void {
    for (const p of this.params) {
      const t = this.tf.tensor(p.w.slice(), p.shape, 'float32');
      p.variable.write(t);
      t.dispose();
    }
  }

  /** Re-reads the weights after the model's were replaced (setWeights); moments are kept. */
  resync(): void {
    for (const p of this.params) p.w.set(p.variable.read().dataSync() as Float32Array);
  }

  /** One step on a batch: x is rows × width, y rows × outDim, both row-major. */
  run(xv: Float32Array, yv: Float32Array, rows: number): StepResult {
    const { tf, c } = this;
    const eng = tf.engine();
    const mm = (a: tfTypes.Tensor, b: tfTypes.Tensor, transposeA = false, transposeB = false): tfTypes.Tensor =>
      eng.runKernel('BatchMatMul', { a, b }, { transposeA, transposeB }) as tfTypes.Tensor;
    const fused = (a: tfTypes.Tensor, b: tfTypes.Tensor, bias: tfTypes.Tensor, activation: string): tfTypes.Tensor =>
      eng.runKernel('_FusedMatMul', { a, b, bias }, { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0 }) as tfTypes.Tensor;
    const up = (w: Float32Array, shape: number[]): tfTypes.Tensor => tf.tensor(w, shape, 'float32');
    const out = this.output;
    const outDim = out.units;
    let result: StepResult | undefined;
    tf.tidy(() => {
      const x = up(xv.subarray(0, rows * this.width), [1, rows, this.width]);
      // Forward: h_i = relu(h_{i-1} W_i + b_i) (· dropout mask), then the output layer.
      const acts: tfTypes.Tensor[] = [x];
      const masks: (tfTypes.Tensor | undefined)[] = [];
      for (const d of this.hidden) {
        let h = fused(acts[acts.length - 1] as tfTypes.Tensor, up(d.kernel.w, [1, d.inDim, d.units]), up(d.bias.w, [d.units]), 'relu');
        let mask: tfTypes.Tensor | undefined;
        if (c.dropout > 0) {
          mask = up(this.dropoutMask(rows * d.units), [1, rows, d.units]);
          h = tf.mul(h, mask);
        }
        masks.push(mask);
        acts.push(h);
      }
      const last = acts[acts.length - 1] as tfTypes.Tensor;
      const act = c.task === 'binary' ? 'sigmoid' : 'linear';
      const wide = c.family === 'wide_and_deep' && this.hidden.length > 0;
      let logits: tfTypes.Tensor;
      let wOutDeep: tfTypes.Tensor;
      if (wide) {
        // The output sees [x, h]: its kernel's first `width` rows weigh x, the rest h.
        const split = this.width * outDim;
        wOutDeep = up(out.kernel.w.subarray(split), [1, out.inDim - this.width, outDim]);
        const z = tf.add(fused(x, up(out.kernel.w.subarray(0, split), [1, this.width, outDim]), up(out.bias.w, [outDim]), 'linear'), mm(last, wOutDeep));
        logits = c.task === 'binary' ? tf.sigmoid(z) : z;
      } else {
        wOutDeep = up(out.kernel.w, [1, out.inDim, outDim]);
        logits = fused(last, wOutDeep, up(out.bias.w, [outDim]), act);
      }
      const pv = logits.dataSync() as Float32Array;
      if (c.task === 'multiclass') softmaxRows(pv, rows, outDim);

      // Loss and accuracy in JS; the output gradient p − y, scaled for the mean over the batch.
      const lossSum = rowLoss(c.task, yv, pv, rows);
      const accuracy = c.task === 'regression' ? undefined : batchAccuracy(c.task, yv, pv, rows);
      const scale = c.task === 'regression' ? 2 / rows : 1 / rows;
      const dv = new Float32Array(rows * outDim);
      for (let i = 0; i < dv.length; i++) dv[i] = ((pv[i] as number) - (yv[i] as number)) * scale;
      const d = up(dv, [1, rows, outDim]);

      // Backward.
      const grads: [Param, tfTypes.Tensor][] = [[out.bias, tf.sum(d, [0, 1])]];
      if (wide) grads.push([out.kernel, tf.concat([mm(x, d, true), mm(last, d, true)], 1)]);
      else grads.push([out.kernel, mm(last, d, true)]);
      let dz = d;
      let wNext = wOutDeep;
      for (let i = this.hidden.length - 1; i >= 0; i--) {
        const layer = this.hidden[i] as Dense;
        const h = acts[i + 1] as tfTypes.Tensor;
        let dh = mm(dz, wNext, false, true);
        const mask = masks[i];
        if (mask) dh = tf.mul(dh, mask);
        dz = tf.mul(dh, tf.step(h));
        grads.push([layer.bias, tf.sum(dz, [0, 1])], [layer.kernel, mm(acts[i] as tfTypes.Tensor, dz, true)]);
        wNext = up(layer.kernel.w, [1, layer.inDim, layer.units]);
      }
      for (const [param, g] of grads) param.g.set(g.dataSync() as Float32Array);
      const penalty = this.update();
      const mean = lossSum / rows;
      result = { loss: mean + penalty, accuracy };
    });
    return result as StepResult;
  }

  private dropoutMask(n: number): Float32Array {
    const keep = 1 - this.c.dropout;
    const m = new Float32Array(n);
    for (let i = 0; i < n; i++) m[i] = this.rand() < keep ? 1 / keep : 0;
    return m;
  }

  /** Applies one update from the gradients in `g`; returns the L2 penalty at the weights they were taken at. */
  private update(): number {
    const { l2, optimizer, learningRate: lr } = this.c;
    let penalty = 0;
    for (const p of this.params) {
      if (!(l2 > 0 && p.decay)) continue;
      for (let i = 0; i < p.w.length; i++) {
        const w = p.w[i] as number;
        penalty += w * w;
        p.g[i] = (p.g[i] as number) + 2 * l2 * w;
      }
    }
    this.t++;
    if (optimizer === 'adam' || optimizer === 'sgd') {
      const c1 = 1 - BETA1 ** this.t;
      const c2 = 1 - BETA2 ** this.t;
      const eps = this.tf.backend().epsilon();
      for (const { w, g, m, v } of this.params) {
        if (optimizer === 'sgd') {
          for (let i = 0; i < w.length; i++) w[i] = (w[i] as number) - lr * (g[i] as number);
          continue;
        }
        for (let i = 0; i < w.length; i++) {
          const gi = g[i] as number;
          const mi = (m[i] = (m[i] as number) * BETA1 + gi * (1 - BETA1));
          const vi = (v[i] = (v[i] as number) * BETA2 + gi * gi * (1 - BETA2));
          w[i] = (w[i] as number) - lr * (mi / c1 / (Math.sqrt(vi / c2) + eps));
        }
      }
    } else {
      this.syncToModel();
      const named = this.params.map((p) => ({ name: (p.variable.read() as tfTypes.Variable).name, tensor: this.tf.tensor(p.g, p.shape, 'float32') }));
      (this.model.optimizer as tfTypes.Optimizer).applyGradients(named);
      this.tf.dispose(named.map((n) => n.tensor));
      this.resync();
    }
    return l2 * penalty;
  }
}

/** Softmax of each row of a row-major rows × k matrix, in place (as TF.js: max subtracted first). */
export function softmaxRows(v: Float32Array, rows: number, k: number): void {
  for (let i = 0; i < rows; i++) {
    const o = i * k;
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, v[o + c] as number);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp((v[o + c] as number) - max);
    for (let c = 0; c < k; c++) v[o + c] = Math.exp((v[o + c] as number) - max) / sum;
  }
}
