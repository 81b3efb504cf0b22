/**
 * TF.js 4.22's wasm BatchMatMul
 * takes XNNPACK's fast path only when neither input is transposed; with transposeA or transposeB
 * (every Dense layer's gradient) it falls back to a loop about 8× slower. Re-registering the
 * kernel so that it transposes first (a cheap Transpose kernel) and then multiplies untransposed
 * gives the same numbers by another route (to float rounding): 1.5–1.6× training samples per CPU
 * second here (bench/README.md). loadTf applies it on the wasm backend unless
 * PIPEWISE_TF_WASM_MATMUL=plain.
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { Tf } from './backendState';

interface DisposingBackend {
  disposeData(dataId: object): void;
}

export function transposeFirstBatchMatMul(tf: Tf): void {
  const original = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!original || !transpose) throw new Error('the wasm backend has no BatchMatMul or Transpose kernel');
  const orig = original.kernelFunc;
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const a = inputs.a as TensorInfo;
    const b = inputs.b as TensorInfo;
    const at = attrs as NamedAttrMap & { transposeA: boolean; transposeB: boolean };
    if (!at.transposeA && !at.transposeB) return orig({ inputs, backend, attrs });
    const swapLast = (t: TensorInfo): TensorInfo => {
      const perm = t.shape.map((_, i) => i);
      const n = perm.length;
      [perm[n - 2], perm[n - 1]] = [perm[n - 1] as number, perm[n - 2] as number];
      return transpose.kernelFunc({ inputs: { x: t }, backend, attrs: { perm } }) as TensorInfo;
    };
    const a2 = at.transposeA ? swapLast(a) : a;
    const b2 = at.transposeB ? swapLast(b) : b;
    const out = orig({ inputs: { a: a2, b: b2 }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    const be = backend as unknown as DisposingBackend;
    if (a2 !== a) be.disposeData(a2.dataId);
    if (b2 !== b) be.disposeData(b2.dataId);
    return out;
  };
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...(original as KernelConfig), kernelFunc });
}
