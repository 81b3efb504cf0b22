/**
 * Pure helpers of the benchmark suite: medians, ratios, the table. Kept free of I/O so that
 * test/unit/bench-lib.test.ts can check them.
 */
import { readFileSync } from 'node:fs';

/** Median of the values (mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** What a figure measures: a duration (lower is better), a rate (higher is better) or memory (lower is better). */
export type Unit = 'ms' | 'rows/s' | 'samples/s' | 'samples/CPU-s' | 'MiB' | 'requests/s';

export function lowerIsBetter(unit: Unit): boolean {
  return unit === 'ms' || unit === 'MiB';
}

/**
 * How many times better Pipewise is than the baseline: > 1 means better (faster, or less
 * memory), < 1 worse. Same direction for every unit, so the column reads the same way.
 */
export function advantage(unit: Unit, ours: number, baseline: number): number {
  if (!(ours > 0) || !(baseline > 0)) return Number.NaN;
  return lowerIsBetter(unit) ? baseline / ours : ours / baseline;
}

/** `2.40× better`, `0.31× (worse)`: two significant digits are all a noisy machine supports. */
export function formatAdvantage(x: number): string {
  if (!Number.isFinite(x)) return '—';
  // 0.997 prints as 1.0×, not as a "worse" 1.00×: within rounding is not worse.
  const digits = x >= 9.95 ? 0 : x >= 0.995 ? 1 : 2;
  return `${x.toFixed(digits)}×${x < 0.995 ? ' (worse)' : ''}`;
}

/** A value with thousands separators and a precision suited to its size. */
export function formatValue(unit: Unit, v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  const digits = unit === 'ms' && v < 10 ? 1 : 0;
  const s = v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return `${s} ${unit}`;
}

/** One line of the result table (and of latest.json). */
export interface Figure {
  readonly section: 'statistics' | 'training' | 'overhead' | 'memory' | 'serving';
  readonly name: string;
  readonly unit: Unit;
  /** Median of `runs` runs; undefined when skipped. */
  readonly value?: number;
  readonly runs?: number;
  /** Every run's measurement, for the JSON. */
  readonly samples?: readonly number[];
  readonly baselineName?: string;
  readonly baseline?: number;
  readonly baselineSamples?: readonly number[];
  /** Why it was not measured (baseline not installed, data absent …). */
  readonly skipped?: string;
  readonly note?: string;
}

/** A plain-text table: columns padded, numbers right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 || i === 2 || i === 5 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function figureRows(figures: readonly Figure[]): string[][] {
  return figures.map((f) => [
    `${f.section}: ${f.name}`,
    f.skipped && f.value === undefined ? 'skipped' : formatValue(f.unit, f.value),
    f.baselineName ?? '',
    f.baselineName ? (f.baseline === undefined ? 'skipped' : formatValue(f.unit, f.baseline)) : '',
    f.value !== undefined && f.baseline !== undefined ? formatAdvantage(advantage(f.unit, f.value, f.baseline)) : '',
    [f.runs ? `n=${f.runs}` : '', f.skipped ?? '', f.note ?? ''].filter(Boolean).join('; '),
  ]);
}

export const TABLE_HEADER = ['figure', 'Pipewise', 'baseline', 'baseline value', 'vs baseline', 'notes'] as const;

/** Peak resident memory (VmHWM) of a live process, in MiB; undefined where /proc is absent. */
export function peakRssMiB(pid: number | 'self'): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Milliseconds since `t0` (from process.hrtime.bigint()). */
export function msSince(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Runs `fn` `warmup` times untimed, then `runs` times timed; every duration in ms. */
export async function timeRuns(fn: () => Promise<unknown>, runs: number, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    out.push(msSince(t0));
  }
  return out;
}
