/**
 * A plain-JavaScript forward pass for small dense models, so that a model server answering one row
 * does not pay TF.js's per-call dispatch (tensor creation, tidy, a dozen kernels, read-back): about
 * 1–2 ms a request against a few microseconds here.
 *
 * Only graphs made of what the built-in families use are accepted — an input, Dense layers
 * (linear, relu, sigmoid, softmax, tanh; with or without bias), Dropout (the identity when
 * predicting) and Concatenate on the last axis (wide and deep) — with one 2-D input, one output and
 * finite weights. Anything else (a user's model with other layers) returns undefined and keeps
 * TF.js. Products are summed in float64 and every layer's output is rounded to float32 as TF.js
 * stores it, so answers agree with TF.js to float32 rounding (test/worker/dense-fast-path.test.ts
 * checks the eval split against TF.js to 1e-6).
 */
import type * as tfTypes from '@tensorflow/tfjs';

type Activation = 'linear' | 'relu' | 'sigmoid' | 'softmax' | 'tanh';
const ACTIVATIONS = new Set<string>(['linear', 'relu', 'sigmoid', 'softmax', 'tanh']);

type Step =
  | { readonly kind: 'dense'; readonly from: number; readonly inDim: number; readonly units: number; readonly kernel: Float32Array; readonly bias: Float32Array | undefined; readonly activation: Activation }
  | { readonly kind: 'concat'; readonly from: readonly number[] };

export interface DenseForward {
  /** Input width (the transform's vector length). */
  readonly inputWidth: number;
  /** Output units per row. */
  readonly outputWidth: number;
  /** Multiply-adds per row, to decide when TF.js's batched kernels are the better choice. */
  readonly macsPerRow: number;
  /** `x` is rows × inputWidth, row-major; answers rows × outputWidth. */
  predict(x: Float32Array, rows: number): Float32Array;
}

/** Undefined when the model holds anything this pass does not compute exactly as TF.js does. */
export function denseForward(model: tfTypes.LayersModel): DenseForward | undefined {
  // A Sequential model is a chain: each layer reads the one before (its graph is built lazily).
  const sequential = model.getClassName() === 'Sequential';
  let previous = 0;
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return undefined;
  const inShape = model.inputs[0]?.shape;
  if (!inShape || inShape.length !== 2 || typeof inShape[1] !== 'number') return undefined;
  const inputWidth = inShape[1];
  const slotOf = new Map<string, number>(); // layer name → index into `widths` / the buffers
  const widths: number[] = [inputWidth];
  const steps: Step[] = [];
  for (const layer of model.inputLayers) slotOf.set(layer.name, 0);
  let macsPerRow = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls === 'InputLayer') {
      if (!slotOf.has(layer.name)) return undefined;
      continue;
    }
    if (!sequential && layer.inboundNodes.length !== 1) return undefined; // a shared layer
    const sources = sequential ? [previous] : (layer.inboundNodes[0]?.inboundLayers.map((l) => slotOf.get(l.name)) ?? []);
    if (sources.length === 0 || sources.some((s) => s === undefined)) return undefined;
    const from = sources as number[];
    if (cls === 'Dropout') {
      if (from.length !== 1) return undefined;
      slotOf.set(layer.name, from[0] as number);
    } else if (cls === 'Concatenate') {
      const axis = (layer.getConfig() as { axis?: number }).axis ?? -1;
      if (axis !== -1 && axis !== 1) return undefined;
      steps.push({ kind: 'concat', from });
      widths.push(from.reduce((s, f) => s + (widths[f] as number), 0));
      slotOf.set(layer.name, widths.length - 1);
    } else if (cls === 'Dense') {
      if (from.length !== 1) return undefined;
      const config = layer.getConfig() as { activation?: unknown; useBias?: boolean };
      const activation = typeof config.activation === 'string' ? config.activation : 'linear';
      if (!ACTIVATIONS.has(activation)) return undefined;
      const weights = layer.getWeights();
      const kernelT = weights[0];
      if (!kernelT || kernelT.shape.length !== 2) return undefined;
      const [inDim, units] = kernelT.shape as [number, number];
      if (inDim !== widths[from[0] as number]) return undefined;
      const kernel = Float32Array.from(kernelT.dataSync() as Float32Array);
      const bias = config.useBias === false ? undefined : weights[1] ? Float32Array.from(weights[1].dataSync() as Float32Array) : undefined;
      if (config.useBias !== false && (!bias || bias.length !== units)) return undefined;
      // 0 × w is skipped below (one-hot inputs are mostly zeros): exact only for finite weights.
      if (!kernel.every(Number.isFinite) || (bias && !bias.every(Number.isFinite))) return undefined;
      steps.push({ kind: 'dense', from: from[0] as number, inDim, units, kernel, bias, activation: activation as Activation });
      widths.push(units);
      slotOf.set(layer.name, widths.length - 1);
      macsPerRow += inDim * units;
    } else {
      return undefined;
    }
    previous = slotOf.get(layer.name) as number;
  }
  const outLayer = sequential ? model.layers[model.layers.length - 1] : model.outputLayers[0];
  const outSlot = outLayer ? slotOf.get(outLayer.name) : undefined;
  if (outSlot === undefined || outSlot === 0) return undefined;
  const outputWidth = widths[outSlot] as number;

  return {
    inputWidth,
    outputWidth,
    macsPerRow,
    predict(x: Float32Array, rows: number): Float32Array {
      if (x.length !== rows * inputWidth) throw new Error(`the model takes ${inputWidth} values a row, got ${x.length} for ${rows} rows`);
      const buffers: Float32Array[] = [x];
      for (const step of steps) buffers.push(step.kind === 'dense' ? dense(step, buffers[step.from] as Float32Array, rows) : concat(step.from.map((f) => buffers[f] as Float32Array), step.from.map((f) => widths[f] as number), rows));
      return buffers[outSlot] as Float32Array;
    },
  };
}

function dense(step: Extract<Step, { kind: 'dense' }>, x: Float32Array, rows: number): Float32Array {
  const { inDim, units, kernel, bias, activation } = step;
  const out = new Float32Array(rows * units);
  const acc = new Float64Array(units);
  for (let r = 0; r < rows; r++) {
    acc.fill(0);
    const xo = r * inDim;
    for (let k = 0; k < inDim; k++) {
      const v = x[xo + k] as number;
      if (v === 0) continue;
      const ko = k * units;
      for (let j = 0; j < units; j++) acc[j] = (acc[j] as number) + v * (kernel[ko + j] as number);
    }
    // TF.js rounds the matmul to float32 before adding the bias and again before the activation.
    for (let j = 0; j < units; j++) acc[j] = Math.fround(acc[j] as number);
    if (bias) for (let j = 0; j < units; j++) acc[j] = Math.fround((acc[j] as number) + (bias[j] as number));
    const oo = r * units;
    switch (activation) {
      case 'linear':
        for (let j = 0; j < units; j++) out[oo + j] = acc[j] as number;
        break;
      case 'relu':
        for (let j = 0; j < units; j++) out[oo + j] = Math.max(0, acc[j] as number);
        break;
      case 'sigmoid':
        for (let j = 0; j < units; j++) out[oo + j] = 1 / (1 + Math.exp(-(acc[j] as number)));
        break;
      case 'tanh':
        for (let j = 0; j < units; j++) out[oo + j] = Math.tanh(acc[j] as number);
        break;
      case 'softmax': {
        let max = -Infinity;
        for (let j = 0; j < units; j++) max = Math.max(max, acc[j] as number);
        let sum = 0;
        for (let j = 0; j < units; j++) {
          const e = Math.exp((acc[j] as number) - max);
          acc[j] = e;
          sum += e;
        }
        for (let j = 0; j < units; j++) out[oo + j] = (acc[j] as number) / sum;
        break;
      }
    }
  }
  return out;
}

function concat(parts: readonly Float32Array[], widths: readonly number[], rows: number): Float32Array {
  const total = widths.reduce((s, w) => s + w, 0);
  const out = new Float32Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let o = r * total;
    parts.forEach((p, i) => {
      const w = widths[i] as number;
      out.set(p.subarray(r * w, (r + 1) * w), o);
      o += w;
    });
  }
  return out;
}
