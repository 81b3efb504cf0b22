/**
 * Applying a fitted transform: the one implementation that Transform (for transformed_examples),
 * the Trainer and every user of a trained model (serving, Evaluator, BulkInferrer) share, so the
 * same raw row always becomes the same vector. Pure: no I/O, no TensorFlow.js.
 *
 * Two steps, so transformed examples stay readable: `transformRow` gives one number per feature
 * (a scaled value, or a bucket/class index), and `vectorize` expands those into the model's input
 * vector (one-hot for indices). `applyTransform` does both.
 */
import type { FittedCross, FittedFeature, FittedLabel, TransformSpec } from './transformSpec';

export type RawValue = number | string | null;
export type RawRow = Readonly<Record<string, unknown>>;
/** Feature (or cross) name → transformed value: a scaled number or an integer index. */
export type TransformedRow = Record<string, number>;

/** A raw cell as read from Parquet/CSV/JSON: bigint → number, NaN/undefined → missing. */
export function normalizeRaw(v: unknown): RawValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isNaN(v) ? null : v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

/** A numeric cell; strings that hold numbers count (JSON from a client may send "3.5"). */
function numericOrNull(v: unknown): number | null {
  const r = normalizeRaw(v);
  if (r === null) return null;
  if (typeof r === 'number') return Number.isFinite(r) ? r : null;
  if (r.trim() === '') return null;
  const n = Number(r);
  return Number.isFinite(n) ? n : null;
}

/** The string a categorical value is known by in vocabularies, hashes and class lists. */
export function categoryKey(v: unknown): string | null {
  const r = normalizeRaw(v);
  return r === null ? null : String(r);
}

/** 32-bit FNV-1a over the string's UTF-16 code units: stable across platforms and runs. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Index of the bucket holding x: how many boundaries are <= x. */
function bucketOf(boundaries: readonly number[], x: number): number {
  let lo = 0;
  let hi = boundaries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((boundaries[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const vocabularyIndex = new WeakMap<FittedFeature, Map<string, number>>();

function lookup(f: Extract<FittedFeature, { kind: 'vocabulary' }>): Map<string, number> {
  let m = vocabularyIndex.get(f);
  if (!m) {
    m = new Map(f.vocabulary.map((v, i) => [v, i]));
    vocabularyIndex.set(f, m);
  }
  return m;
}

/** One feature's transformed value: a scaled number, or an integer index for one-hot slots. */
export function transformValue(f: FittedFeature, raw: unknown): number {
  switch (f.kind) {
    case 'zscore': {
      const x = numericOrNull(raw) ?? f.fill;
      return f.std > 0 ? (x - f.mean) / f.std : x - f.mean;
    }
    case 'minmax': {
      const x = numericOrNull(raw) ?? f.fill;
      const range = f.max - f.min;
      return range > 0 ? (x - f.min) / range : 0;
    }
    case 'identity':
      return numericOrNull(raw) ?? f.fill;
    case 'bucketize':
      return bucketOf(f.boundaries, numericOrNull(raw) ?? f.fill);
    case 'vocabulary': {
      const key = categoryKey(raw) ?? '';
      const i = lookup(f).get(key);
      return i ?? f.vocabulary.length + (fnv1a(key) % f.numOovBuckets);
    }
    case 'hash':
      return fnv1a(categoryKey(raw) ?? '') % f.buckets;
  }
}

export function crossValue(c: FittedCross, row: RawRow): number {
  return fnv1a(c.features.map((n) => categoryKey(row[n]) ?? '').join('\u001f')) % c.buckets;
}

/** Raw row → one transformed value per feature and cross (what transformed_examples holds). */
export function transformRow(spec: TransformSpec, row: RawRow): TransformedRow {
  const out: TransformedRow = {};
  for (const f of spec.features) out[f.name] = transformValue(f, row[f.name]);
  for (const c of spec.crosses) out[c.name] = crossValue(c, row);
  return out;
}

const scalarSlotsOf = new WeakMap<TransformSpec, Set<string>>();

/** Names of the features that take one scaled slot (the others are one-hot indices). */
function scalarSlots(spec: TransformSpec): Set<string> {
  let s = scalarSlotsOf.get(spec);
  if (!s) {
    s = new Set(spec.features.filter((f) => f.kind === 'zscore' || f.kind === 'minmax' || f.kind === 'identity').map((f) => f.name));
    scalarSlotsOf.set(spec, s);
  }
  return s;
}

/** Writes a transformed row's input vector into `out` at `offset` (the slots must be zeroed). */
export function vectorize(spec: TransformSpec, t: Readonly<Record<string, unknown>>, out: Float32Array, offset: number): void {
  const scalar = scalarSlots(spec);
  for (const slot of spec.layout) {
    const v = numericOrNull(t[slot.name]);
    if (v === null) throw new Error(`transformed feature '${slot.name}' is missing`);
    if (scalar.has(slot.name)) {
      out[offset + slot.offset] = v;
    } else {
      if (!Number.isInteger(v) || v < 0 || v >= slot.size) throw new Error(`transformed feature '${slot.name}' has index ${v}, outside 0..${slot.size - 1}`);
      out[offset + slot.offset + v] = 1;
    }
  }
}

/** Raw rows → the model's input matrix, row-major (rows.length × spec.width). */
export function applyTransform(spec: TransformSpec, rows: readonly RawRow[]): Float32Array {
  const out = new Float32Array(rows.length * spec.width);
  rows.forEach((row, i) => vectorize(spec, transformRow(spec, row), out, i * spec.width));
  return out;
}

/** Transformed rows (as transformed_examples holds them) → the input matrix. */
export function vectorizeRows(spec: TransformSpec, rows: readonly Readonly<Record<string, unknown>>[]): Float32Array {
  const out = new Float32Array(rows.length * spec.width);
  rows.forEach((row, i) => vectorize(spec, row, out, i * spec.width));
  return out;
}

/**
 * The label as transformed_examples stores it: a string label becomes its class index, a numeric
 * label stays a number (the Trainer decides between classes and regression). Missing → null.
 */
export function transformLabel(label: FittedLabel, raw: unknown): number | null {
  if (label.rawType === 'string') {
    const key = categoryKey(raw);
    if (key === null) return null;
    const i = label.classes?.indexOf(key) ?? -1;
    return i >= 0 ? i : null;
  }
  return numericOrNull(raw);
}

/** A stored label value → its class index (classification), or null when it is not a known class. */
export function classIndexOfStored(label: FittedLabel, stored: number): number | null {
  if (label.rawType === 'string') return Number.isInteger(stored) && stored >= 0 && stored < (label.classes?.length ?? 0) ? stored : null;
  const i = label.classes?.indexOf(String(stored)) ?? -1;
  return i >= 0 ? i : null;
}
