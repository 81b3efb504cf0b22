/**
 * Slicing as TFMA does it: a spec `[]` is the overall slice, `[island]` makes one slice per value of
 * `island`, `[island, sex]` one per combination present in the data. An example whose value is
 * missing for a spec's feature belongs to none of that spec's slices (TFMA skips it too).
 */
import { PipewiseError } from '../../core/errors';
import type { RawRow, RawValue } from './examples';

export type SliceKey = Readonly<Record<string, string | number | boolean>>;

export interface Slice {
  readonly key: SliceKey;
  /** Row indices of the examples in the slice. */
  readonly rows: readonly number[];
}

function compareValues(a: RawValue, b: RawValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Slices of `rows` for each spec, in spec order; within a spec, by value. Duplicate specs appear once. */
export function sliceRows(rows: readonly RawRow[], specs: readonly (readonly string[])[], columns: readonly string[]): Slice[] {
  const grouper = new SliceGrouper(specs, columns);
  grouper.add(rows);
  return grouper.result();
}

/**
 * `sliceRows` a chunk of rows at a time, for the Evaluator's streamed pass: it keeps each slice's row
 * indices, never the rows.
 */
export class SliceGrouper {
  /** Per distinct spec: null for the overall slice, else its groups by the JSON of their values. */
  private readonly specs: { readonly spec: readonly string[]; readonly groups: Map<string, { values: RawValue[]; rows: number[] }> | null }[] = [];
  private next = 0;

  constructor(specs: readonly (readonly string[])[], columns: readonly string[]) {
    const seen = new Set<string>();
    for (const spec of specs) {
      const canonical = JSON.stringify([...spec].sort());
      if (seen.has(canonical)) continue;
      seen.add(canonical);
      for (const f of spec) {
        if (!columns.includes(f)) throw new PipewiseError(`slice feature '${f}' is not a column of the examples; columns: ${columns.join(', ')}`, { code: 'slice-feature' });
      }
      this.specs.push({ spec, groups: spec.length === 0 ? null : new Map() });
    }
  }

  /** The next rows, in order. */
  add(rows: readonly RawRow[]): void {
    for (const { spec, groups } of this.specs) {
      if (!groups) continue;
      rows.forEach((row, k) => {
        const values = spec.map((f) => row[f] ?? null);
        if (values.some((v) => v === null || (typeof v === 'number' && Number.isNaN(v)))) return;
        const id = JSON.stringify(values);
        let g = groups.get(id);
        if (!g) groups.set(id, (g = { values, rows: [] }));
        g.rows.push(this.next + k);
      });
    }
    this.next += rows.length;
  }

  result(): Slice[] {
    const out: Slice[] = [];
    for (const { spec, groups } of this.specs) {
      if (!groups) {
        out.push({ key: {}, rows: Array.from({ length: this.next }, (_, i) => i) });
        continue;
      }
      const sorted = [...groups.values()].sort((a, b) => {
        for (let k = 0; k < spec.length; k++) {
          const c = compareValues(a.values[k] ?? null, b.values[k] ?? null);
          if (c !== 0) return c;
        }
        return 0;
      });
      for (const g of sorted) {
        const key: Record<string, string | number | boolean> = {};
        spec.forEach((f, k) => (key[f] = g.values[k] as string | number | boolean));
        out.push({ key, rows: g.rows });
      }
    }
    return out;
  }
}

/** `island=Biscoe, sex=male`, or `overall`. */
export function describeSlice(key: SliceKey): string {
  const parts = Object.entries(key).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(', ') : 'overall';
}
