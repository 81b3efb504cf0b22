/**
 * Weight quantization as tfjs-converter does it (src/engine/model/quantize.ts), checked against
 * independent oracles: numpy's float16 conversion (Debian's python3) for the half-float bits, and
 * for uint8 the dequantized weights recomputed by hand from the raw bytes (min + q·scale) and by
 * TensorFlow.js's own loader (io.decodeWeights), against the original float32 values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { affineRange, quantizeWeights, toFloat16Bits, type WeightEntry } from '../../src/engine/model/quantize';
import { oraclePython } from '../python';

/** A reproducible mix: normal-ish weights, exact zeros, ties, tiny and huge values. */
function sample(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rnd() - 0.3) * 4;
  out.set([0, -0, 1e-8, -3e-6, 6.1e-5, 65504, 70000, -1e9, 0.5 + 2 ** -11, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 2.0000001], 0);
  return out;
}

test('float16 bits equal numpy.float16 for every value (round to nearest even, subnormals, overflow)', () => {
  const values = sample(2000, 7);
  const py = spawnSync(oraclePython(), ['-c', 'import sys, numpy as np; a = np.frombuffer(sys.stdin.buffer.read(), dtype="<f4"); sys.stdout.buffer.write(a.astype(np.float16).tobytes())'], {
    input: Buffer.from(values.buffer),
    maxBuffer: 1 << 20,
  });
  assert.equal(py.status, 0, py.stderr?.toString());
  const want = new Uint16Array(new Uint8Array(py.stdout).buffer);
  assert.equal(want.length, values.length);
  const bad = [...values].map((v, i) => [v, toFloat16Bits(v), want[i]] as const).filter(([, got, w]) => got !== w);
  assert.deepEqual(bad.slice(0, 5), [], `${bad.length} values differ from numpy`);
});

test('uint8: the bytes dequantize (by hand and by TF.js) to within half a step of the float32 weights; 0 stays exact', () => {
  const a = sample(300, 1);
  const b = new Float32Array([0.25, 0.5, 0.75, 1]); // all positive: the range is widened to 0
  const c = new Float32Array([3, 3, 3]); // constant: scale 1, every byte 0
  const steps = new Int32Array([42]);
  const weights: WeightEntry[] = [
    { name: 'a', shape: [300], dtype: 'float32' },
    { name: 'b', shape: [2, 2], dtype: 'float32' },
    { name: 'c', shape: [3], dtype: 'float32' },
    { name: 'steps', shape: [1], dtype: 'int32' },
  ];
  const raw = new Uint8Array(4 * (300 + 4 + 3 + 1));
  raw.set(new Uint8Array(a.buffer), 0);
  raw.set(new Uint8Array(b.buffer), 1200);
  raw.set(new Uint8Array(c.buffer), 1216);
  raw.set(new Uint8Array(steps.buffer), 1228);
  const q = quantizeWeights(weights, raw, 'uint8');
  assert.equal(q.data.byteLength, 300 + 4 + 3 + 4, 'one byte per float32 weight; int32 kept as it is');

  // By hand from the raw bytes.
  let at = 0;
  for (const [i, original] of [a, b, c].entries()) {
    const meta = q.weights[i]?.quantization as { dtype: string; min: number; scale: number };
    assert.equal(meta.dtype, 'uint8');
    original.forEach((v, k) => {
      const byte = q.data[at + k] as number;
      const deq = meta.min + byte * meta.scale;
      assert.ok(Math.abs(deq - v) <= meta.scale / 2 + 1e-6 * Math.abs(v), `${q.weights[i]?.name}[${k}]: ${v} → byte ${byte} → ${deq} (scale ${meta.scale})`);
    });
    at += original.length;
  }
  const zeroByte = q.data[1]; // a[1] is -0
  const ma = q.weights[0]?.quantization as { min: number; scale: number };
  assert.equal(ma.min + (zeroByte as number) * ma.scale === 0 || Math.abs(ma.min + (zeroByte as number) * ma.scale) < 1e-12, true, '0 is a level of the range');
  assert.deepEqual(affineRange(0.25, 1), { scale: 1 / 255, min: 0 });
  assert.deepEqual([...new Int32Array(q.data.slice(at, at + 4).buffer)], [42]);

  // By TensorFlow.js's loader, which a pushed model goes through in Node and in the browser.
  const decoded = tf.io.decodeWeights(q.data.slice().buffer as ArrayBuffer, q.weights as tf.io.WeightsManifestEntry[]);
  const mb = q.weights[1]?.quantization as { min: number; scale: number };
  const handB = [...b].map((_, k) => mb.min + (q.data[300 + k] as number) * mb.scale);
  const tfB = [...(decoded.b as tf.Tensor).dataSync()];
  handB.forEach((h, k) => assert.ok(Math.abs(h - (tfB[k] as number)) < 1e-6, `b[${k}]: by hand ${h}, TF.js ${tfB[k]}`));
  assert.deepEqual([...(decoded.c as tf.Tensor).dataSync()], [3, 3, 3]);
  assert.deepEqual([...(decoded.steps as tf.Tensor).dataSync()], [42]);
});

test('float16: TF.js decodes the halves back to the float32 weights within half precision', () => {
  const a = sample(500, 3).map((v) => Math.max(-1000, Math.min(1000, v)));
  const q = quantizeWeights([{ name: 'a', shape: [500], dtype: 'float32' }], new Uint8Array(a.buffer), 'float16');
  assert.equal(q.data.byteLength, 1000);
  const decoded = tf.io.decodeWeights(q.data.slice().buffer as ArrayBuffer, q.weights as tf.io.WeightsManifestEntry[]);
  const back = (decoded.a as tf.Tensor).dataSync();
  a.forEach((v, i) => assert.ok(Math.abs((back[i] as number) - v) <= Math.max(Math.abs(v) * 2 ** -11, 2 ** -25), `a[${i}]: ${v} → ${back[i]}`));
});

test('a weights file that does not match its manifest is refused, naming the weight', () => {
  assert.throws(() => quantizeWeights([{ name: 'dense/kernel', shape: [4], dtype: 'float32' }], new Uint8Array(8), 'uint8'), /weight 'dense\/kernel' runs past the end/);
  assert.throws(() => quantizeWeights([{ name: 'w', shape: [1], dtype: 'float32' }], new Uint8Array(8), 'uint8'), /4 bytes no weight describes/);
});
