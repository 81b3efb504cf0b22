/**
 * Post-training weight quantization as tfjs-converter does it (`--quantize_uint8`,
 * `--quantize_float16`): each float32 weight tensor of a layers model's weights manifest is stored
 * as uint8 with a per-tensor affine map (value ≈ min + q·scale, the range nudged so 0 is exact) or
 * as IEEE half floats; the manifest entry gets a `quantization` field, which TF.js's loader
 * (`io.decodeWeights`) reads back into float32. Pure: no I/O, no TensorFlow.js.
 */

export type QuantizeDtype = 'float16' | 'uint8';

/** A weights-manifest entry (tfjs `io.WeightsManifestEntry`, the fields used here). */
export interface WeightEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization?: { readonly dtype: string; readonly min?: number; readonly scale?: number };
}

/** The uint8 affine range of tfjs-converter: [min, max] widened to hold 0, min nudged so 0 is a level. */
export function affineRange(min: number, max: number): { scale: number; min: number } {
  const lo = Math.min(0, min);
  const hi = Math.max(0, max);
  const scale = (hi - lo) / 255;
  const zeroPoint = Math.round(-lo / scale);
  return { scale, min: -zeroPoint * scale };
}

/** float32 → IEEE 754 half (round to nearest even), as bits. */
export function toFloat16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → Inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  if ((half & 0x7c00) === 0x7c00) e = 0x1f; // rounded up into Inf
  return sign | half;
}

export interface QuantizedWeights {
  readonly weights: WeightEntry[];
  readonly data: Uint8Array;
}

/**
 * Quantizes the float32 tensors of `weights` (laid out one after another in `data`); other dtypes
 * (int32 step counters …) are copied as they are.
 */
export function quantizeWeights(weights: readonly WeightEntry[], data: Uint8Array, dtype: QuantizeDtype): QuantizedWeights {
  const parts: Uint8Array[] = [];
  const entries: WeightEntry[] = [];
  let offset = 0;
  for (const w of weights) {
    if (w.quantization) throw new Error(`weight '${w.name}' is already quantized (${w.quantization.dtype})`);
    const size = w.shape.reduce((a, b) => a * b, 1);
    const bytes = size * 4; // float32 and int32 both take 4 bytes
    if (offset + bytes > data.byteLength) throw new Error(`weight '${w.name}' runs past the end of the weights data (${data.byteLength} bytes)`);
    const chunk = data.slice(offset, offset + bytes);
    offset += bytes;
    if (w.dtype !== 'float32') {
      parts.push(chunk);
      entries.push({ ...w });
      continue;
    }
    const values = new Float32Array(chunk.buffer, chunk.byteOffset, size);
    if (dtype === 'float16') {
      const half = new Uint16Array(size);
      for (let i = 0; i < size; i++) half[i] = toFloat16Bits(values[i] as number);
      parts.push(new Uint8Array(half.buffer));
      entries.push({ ...w, quantization: { dtype: 'float16' } });
      continue;
    }
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const q = new Uint8Array(size);
    if (size === 0 || min === max) {
      entries.push({ ...w, quantization: { dtype: 'uint8', min: size ? min : 0, scale: 1 } });
    } else {
      const r = affineRange(min, max);
      const hi = r.min + 255 * r.scale;
      for (let i = 0; i < size; i++) {
        const v = Math.min(hi, Math.max(r.min, values[i] as number));
        q[i] = Math.min(255, Math.max(0, Math.round((v - r.min) / r.scale)));
      }
      entries.push({ ...w, quantization: { dtype: 'uint8', min: r.min, scale: r.scale } });
    }
    parts.push(q);
  }
  if (offset !== data.byteLength) throw new Error(`the weights data has ${data.byteLength - offset} bytes no weight describes`);
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return { weights: entries, data: out };
}
