/**
 * What the Experiments panel computes from the table, pure so the unit tests check it and the webview
 * only draws: the rows as shown (text filter, per-axis brush ranges of the parallel coordinates, sort),
 * the CSV of exactly those rows, each axis' normalisation, whether a difference is within noise (the
 * runs' bootstrap intervals from metrics.json overlap), an honest chart domain, and the correlation of
 * each changed parameter with a metric.
 */
import { metricDirection } from './evaluationView';
import type { ExperimentRow, ExperimentsView } from './experimentsTypes';

export interface TableColumn {
  /** `startedAt`, `status`, `param:<stage.param>` or a metric name. */
  readonly key: string;
  readonly label: string;
}

export interface TableSort {
  readonly key: string;
  /** 1 ascending, −1 descending. */
  readonly dir: 1 | -1;
}

/** A brush on one parallel-coordinates axis, in the axis' normalised units (0 = its lowest value, 1 = its highest). */
export interface AxisRange {
  readonly axis: string;
  readonly low: number;
  readonly high: number;
}

export interface TableQuery {
  readonly filter: string;
  readonly sort: TableSort;
  readonly ranges: readonly AxisRange[];
}

export function tableColumns(view: ExperimentsView): TableColumn[] {
  return [
    { key: 'startedAt', label: 'Run' },
    { key: 'status', label: 'Status' },
    ...view.changedParams.map((p) => ({ key: `param:${p}`, label: p })),
    ...view.metricNames.map((m) => ({ key: m, label: m })),
  ];
}

export function cellValue(r: ExperimentRow, key: string): string | number | undefined {
  if (key === 'startedAt') return r.startedAt;
  if (key === 'status') return r.status;
  if (key.startsWith('param:')) return r.params[key.slice(6)];
  return r.metrics[key];
}

/**
 * An axis of the parallel coordinates: a metric or a changed parameter. Numeric when every value it
 * has reads as a finite number (epochs, learning rates), else categorical (model kinds, unit lists),
 * its values spread evenly in sorted order.
 */
export interface ParallelAxis {
  readonly key: string;
  readonly label: string;
  readonly kind: 'numeric' | 'categorical';
  readonly min: number;
  readonly max: number;
  readonly categories: readonly string[];
  /** The row's position on this axis, 0…1; undefined when the row has no value. */
  norm(r: ExperimentRow): number | undefined;
}

export function parallelAxis(view: ExperimentsView, key: string): ParallelAxis {
  const label = key.startsWith('param:') ? key.slice(6) : key;
  const raw = view.rows.map((r) => cellValue(r, key)).filter((v): v is string | number => v !== undefined && v !== '');
  const numbers = raw.map((v) => (typeof v === 'number' ? v : Number(v)));
  if (raw.length > 0 && numbers.every((n) => Number.isFinite(n))) {
    const min = Math.min(...numbers);
    const max = Math.max(...numbers);
    return {
      key,
      label,
      kind: 'numeric',
      min,
      max,
      categories: [],
      norm: (r) => {
        const v = cellValue(r, key);
        if (v === undefined || v === '') return undefined;
        const n = typeof v === 'number' ? v : Number(v);
        // One value on the axis: the middle, not 0, so its lines do not hug the bottom edge.
        return max === min ? 0.5 : (n - min) / (max - min);
      },
    };
  }
  const categories = [...new Set(raw.map(String))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  return {
    key,
    label,
    kind: 'categorical',
    min: 0,
    max: categories.length - 1,
    categories,
    norm: (r) => {
      const v = cellValue(r, key);
      if (v === undefined || v === '') return undefined;
      const i = categories.indexOf(String(v));
      return categories.length <= 1 ? 0.5 : i / (categories.length - 1);
    },
  };
}

/** The axes of the parallel coordinates: the changed parameters, then `metrics`. */
export function parallelAxes(view: ExperimentsView, metrics: readonly string[] = view.metricNames): ParallelAxis[] {
  return [...view.changedParams.map((p) => `param:${p}`), ...metrics].map((k) => parallelAxis(view, k));
}

/** Whether a row passes every brush: a row without a value on a brushed axis does not. */
export function inRanges(view: ExperimentsView, ranges: readonly AxisRange[]): (r: ExperimentRow) => boolean {
  const checks = ranges.map((b) => ({ b, axis: parallelAxis(view, b.axis) }));
  return (r) =>
    checks.every(({ b, axis }) => {
      const n = axis.norm(r);
      // A hair of slack: a brush dragged exactly onto a line's end keeps that line.
      return n !== undefined && n >= Math.min(b.low, b.high) - 1e-9 && n <= Math.max(b.low, b.high) + 1e-9;
    });
}

/** The rows as the table shows them: the text filter over every shown cell, the brushes, the sort (missing values last). */
export function visibleRows(view: ExperimentsView, query: TableQuery, label: (r: ExperimentRow) => string = (r) => r.startedAt): ExperimentRow[] {
  const columns = tableColumns(view);
  const needle = query.filter.trim().toLowerCase();
  const brushed = inRanges(view, query.ranges);
  const text = (r: ExperimentRow, key: string): string => String((key === 'startedAt' ? label(r) : cellValue(r, key)) ?? '');
  return view.rows
    .filter((r) => !needle || columns.some((c) => text(r, c.key).toLowerCase().includes(needle)) || r.runId.toLowerCase().includes(needle))
    .filter(brushed)
    .sort((a, b) => {
      const x = cellValue(a, query.sort.key);
      const y = cellValue(b, query.sort.key);
      if (x === undefined && y === undefined) return 0;
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      const nx = typeof x === 'number' ? x : Number(x);
      const ny = typeof y === 'number' ? y : Number(y);
      // Parameters are text ('40', '8'); compare them as numbers when both are, so 8 < 40.
      const order = Number.isFinite(nx) && Number.isFinite(ny) && x !== '' && y !== '' ? nx - ny : String(x).localeCompare(String(y));
      return order * query.sort.dir;
    });
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * The table as shown, as CSV: the rows in their order, the run's id first, its annotations
 * (`starred` true or false — empty on a Tuner trial, which has none of its own — `name`, `note`, the
 * note's line breaks kept inside its quoted field), then every column the table shows, and for each
 * metric with intervals its 95% bounds (`<metric> low`, `<metric> high`).
 * Numbers are written in full (not as the table rounds them), so the file can be analysed.
 */
export function experimentsCsv(view: ExperimentsView, rows: readonly ExperimentRow[]): string {
  const columns = tableColumns(view);
  const withIntervals = view.metricNames.filter((m) => rows.some((r) => r.intervals?.[m]));
  const header = ['run', 'starred', 'name', 'note', ...columns.map((c) => (c.key === 'startedAt' ? 'started' : c.key.startsWith('param:') ? c.label : c.key)), ...withIntervals.flatMap((m) => [`${m} low`, `${m} high`])];
  const lines = [header.map(csvField).join(',')];
  for (const r of rows) {
    const a = r.annotations;
    const annotations = [r.trial ? '' : String(!!a?.starred), a?.name ?? '', a?.note ?? ''];
    const cells = [r.runId, ...annotations, ...columns.map((c) => String(cellValue(r, c.key) ?? '')), ...withIntervals.flatMap((m) => (r.intervals?.[m] ?? ['', '']).map(String))];
    lines.push(cells.map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Whether a metric's run is the best shown, within the noise of the best, or clearly behind it. */
export type NoiseVerdict = 'best' | 'within-noise' | 'behind';

/**
 * For one metric across `rows`: the best run (by the metric's direction) and, for every other run
 * whose metric has an interval, whether its interval overlaps the best run's — a difference smaller
 * than the evaluation's own noise. Metrics without a better direction (example_count, mean_label)
 * and runs without intervals get no verdict.
 */
export function noiseVerdicts(metric: string, rows: readonly ExperimentRow[]): Map<string, NoiseVerdict> {
  const out = new Map<string, NoiseVerdict>();
  const direction = metricDirection(metric);
  if (!direction) return out;
  const score = (v: number): number => (direction === 'lower' ? -v : direction === 'nearOne' ? -Math.abs(v - 1) : v);
  const withValue = rows.filter((r) => r.metrics[metric] !== undefined);
  if (withValue.length < 2) return out;
  const best = withValue.reduce((a, b) => (score(b.metrics[metric] as number) > score(a.metrics[metric] as number) ? b : a));
  const bestInterval = best.intervals?.[metric];
  if (!bestInterval) return out;
  out.set(best.runId, 'best');
  for (const r of withValue) {
    if (r === best) continue;
    const i = r.intervals?.[metric];
    if (!i) continue;
    out.set(r.runId, i[0] <= bestInterval[1] && bestInterval[0] <= i[1] ? 'within-noise' : 'behind');
  }
  return out;
}

/**
 * The metric-across-runs chart's domain: every value and every interval bound, padded by a tenth of
 * the span — and never narrower than the widest interval, so runs whose differences sit inside their
 * noise are drawn as overlapping, not spread across the width.
 */
export function honestDomain(points: readonly { readonly value: number; readonly low?: number; readonly high?: number }[]): [number, number] | undefined {
  if (points.length === 0) return undefined;
  const lows = points.map((p) => Math.min(p.value, p.low ?? p.value));
  const highs = points.map((p) => Math.max(p.value, p.high ?? p.value));
  let lo = Math.min(...lows);
  let hi = Math.max(...highs);
  const widest = Math.max(0, ...points.map((p) => (p.high ?? p.value) - (p.low ?? p.value)));
  if (hi - lo < widest) {
    const mid = (lo + hi) / 2;
    lo = mid - widest / 2;
    hi = mid + widest / 2;
  }
  const pad = (hi - lo) / 10 || Math.abs(hi) / 100 || 1;
  return [lo - pad, hi + pad];
}

/** Pearson's r of paired values; undefined with fewer than three pairs or no variance. */
export function pearson(x: readonly number[], y: readonly number[]): number | undefined {
  const n = x.length;
  if (n < 3 || y.length !== n) return undefined;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return undefined;
  return sxy / Math.sqrt(sxx * syy);
}

/** Ranks 1…n, ties given their average rank (as `scipy.stats.rankdata`). */
export function ranks(x: readonly number[]): number[] {
  const order = x.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const out = new Array<number>(x.length);
  for (let k = 0; k < order.length; ) {
    let j = k;
    while (j + 1 < order.length && (order[j + 1] as { v: number }).v === (order[k] as { v: number }).v) j++;
    const rank = (k + j) / 2 + 1;
    for (let t = k; t <= j; t++) out[(order[t] as { i: number }).i] = rank;
    k = j + 1;
  }
  return out;
}

/** Spearman's ρ: Pearson's r of the ranks (as `scipy.stats.spearmanr`). */
export function spearman(x: readonly number[], y: readonly number[]): number | undefined {
  return pearson(ranks(x), ranks(y));
}

export interface ParameterCorrelation {
  readonly param: string;
  /** Spearman's ρ between the parameter (its axis position: numbers, or categories in sorted order) and the metric. */
  readonly spearman?: number;
  /** Pearson's r, for numeric parameters. */
  readonly pearson?: number;
  /** Runs with both values. */
  readonly runs: number;
}

/**
 * How each changed parameter moves with `metric` over `rows`, strongest |ρ| first. Spearman's rank
 * correlation is the headline (a monotone but curved effect, like epochs on accuracy, still scores
 * high; a categorical parameter is ranked by its sorted categories, so treat its sign as arbitrary).
 */
export function parameterCorrelations(view: ExperimentsView, rows: readonly ExperimentRow[], metric: string): ParameterCorrelation[] {
  const out: ParameterCorrelation[] = [];
  for (const p of view.changedParams) {
    const axis = parallelAxis(view, `param:${p}`);
    const pairs = rows.flatMap((r) => {
      const x = axis.norm(r);
      const y = r.metrics[metric];
      return x === undefined || y === undefined ? [] : [[x, y] as const];
    });
    const xs = pairs.map(([x]) => x);
    const ys = pairs.map(([, y]) => y);
    const rho = spearman(xs, ys);
    const r = axis.kind === 'numeric' ? pearson(xs, ys) : undefined;
    out.push({ param: p, runs: pairs.length, ...(rho !== undefined ? { spearman: rho } : {}), ...(r !== undefined ? { pearson: r } : {}) });
  }
  return out.sort((a, b) => Math.abs(b.spearman ?? 0) - Math.abs(a.spearman ?? 0));
}

/**
 * Runs needed before the forest-based importance is computed. Measured (YDF's random forest with its
 * defaults, which ydf-training 0.0.1 cannot change: a node needs 5 rows, so a tree splits only with
 * 10 or more): on 20 synthetic searches where the metric peaks inside the learning rate's range,
 * 8 runs never split (every importance 0), 10 runs ranked the learning rate first in 16–18 of 20, 12
 * runs in 20 of 20. Below this the chart shows the correlation alone.
 */
export const FOREST_MIN_RUNS = 12;

/** What the forest is fitted on: the changed parameters of the runs that have `metric`, → that metric. */
export interface ForestInput {
  readonly metric: string;
  /** The parameters that vary over these runs, in the order of `columns`. */
  readonly params: readonly string[];
  /** One column per parameter: numbers (NaN where a run has none) for numeric ones, text for categorical ones. */
  readonly columns: readonly (readonly number[] | readonly string[])[];
  readonly metricValues: readonly number[];
}

/** The forest's input over `rows`, or undefined when fewer than FOREST_MIN_RUNS have the metric or no parameter varies. */
export function forestInput(view: ExperimentsView, rows: readonly ExperimentRow[], metric: string): ForestInput | undefined {
  const withMetric = rows.filter((r) => Number.isFinite(r.metrics[metric]));
  if (withMetric.length < FOREST_MIN_RUNS) return undefined;
  const params: string[] = [];
  const columns: (number[] | string[])[] = [];
  for (const p of view.changedParams) {
    const axis = parallelAxis(view, `param:${p}`);
    const raw = withMetric.map((r) => r.params[p]);
    // A parameter constant over these runs (brushed or filtered to one value) explains nothing.
    if (new Set(raw).size < 2) continue;
    params.push(p);
    // Missing stays missing: NaN is YDF's missing number; a categorical gap is a category of its own.
    columns.push(axis.kind === 'numeric' ? raw.map((v) => (v === undefined || v === '' ? NaN : Number(v))) : raw.map((v) => v ?? '(none)'));
  }
  if (!params.length) return undefined;
  return { metric, params, columns, metricValues: withMetric.map((r) => r.metrics[metric] as number) };
}
