/**
 * Vega-Lite specs for notebook outputs, built from plain data so the extension (live training
 * curves) and the worker (SQL and evaluation charts) draw the same way. Data is inline in the
 * spec, so a saved notebook shows the chart in JupyterLab too. Pure functions, no `vscode`.
 */
import type { MetricsPoint } from './runEvents';

/** A Vega-Lite spec as JSON (kept loose: the renderer compiles it, JupyterLab reads it). */
export type VegaLiteSpec = { readonly $schema: string } & Record<string, unknown>;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** The named dataset of the training chart: the renderer updates it in place while training runs. */
export const METRICS_DATASET = 'metrics';

export interface MetricsRow {
  readonly step: number;
  /** The metric without its `val_` prefix: `loss`, `accuracy` … */
  readonly metric: string;
  /** `train`, or `eval` for Keras' `val_` metrics. */
  readonly split: 'train' | 'eval';
  readonly value: number;
}

/** Per-epoch points as long-form rows (batch points only when there are no epoch points yet). */
export function metricsRows(points: readonly MetricsPoint[]): MetricsRow[] {
  const epochs = points.filter((p) => p.scope === 'epoch');
  const use = epochs.length > 0 ? epochs : points.filter((p) => p.scope === 'batch');
  const rows: MetricsRow[] = [];
  use.forEach((p, i) => {
    // The Trainer numbers epochs from 1, as Keras' progress does; batches within an epoch from 0.
    const step = p.scope === 'epoch' ? (p.epoch ?? i + 1) : (p.batch ?? i) + 1;
    for (const [name, value] of Object.entries(p.values)) {
      if (!Number.isFinite(value)) continue;
      const isEval = name.startsWith('val_');
      rows.push({ step, metric: isEval ? name.slice(4) : name, split: isEval ? 'eval' : 'train', value });
    }
  });
  return rows;
}

/** Loss and metric curves, one panel per metric, train and eval as colours. */
export function metricsChartSpec(points: readonly MetricsPoint[], opts: { title?: string; live?: boolean } = {}): VegaLiteSpec {
  const rows = metricsRows(points);
  const byEpoch = points.some((p) => p.scope === 'epoch');
  const metrics = [...new Set(rows.map((r) => r.metric))];
  return {
    $schema: SCHEMA,
    ...(opts.title ? { title: opts.title } : {}),
    data: { name: METRICS_DATASET, values: rows },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: metrics } },
    spec: {
      width: 220,
      height: 140,
      mark: { type: 'line', point: rows.length <= 120, tooltip: true },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: byEpoch ? 'epoch' : 'batch', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'split', type: 'nominal', title: null, scale: { domain: ['train', 'eval'] } },
      },
    },
    resolve: { scale: { y: 'independent' } },
    usermeta: { pipewise: { kind: 'metrics', live: !!opts.live } },
  };
}

export type ColumnKind = 'number' | 'string' | 'temporal' | 'other';

/**
 * A chart when a query result has an obvious one: a category and a number (bar), a time and a
 * number (line), two numbers (scatter). Undefined otherwise: a table says enough.
 */
export function obviousChartSpec(columns: readonly { name: string; kind: ColumnKind }[], rows: readonly Record<string, unknown>[]): VegaLiteSpec | undefined {
  if (columns.length !== 2 || rows.length < 2) return undefined;
  const [a, b] = columns as [{ name: string; kind: ColumnKind }, { name: string; kind: ColumnKind }];
  const base = { $schema: SCHEMA, data: { values: rows }, width: 360 };
  if (a.kind === 'string' && b.kind === 'number' && rows.length <= 60) {
    return {
      ...base,
      mark: { type: 'bar', tooltip: true },
      encoding: {
        y: { field: a.name, type: 'nominal', sort: '-x' },
        x: { field: b.name, type: 'quantitative' },
      },
    };
  }
  if (a.kind === 'temporal' && b.kind === 'number') {
    return {
      ...base,
      height: 200,
      mark: { type: 'line', tooltip: true },
      encoding: { x: { field: a.name, type: 'temporal' }, y: { field: b.name, type: 'quantitative' } },
    };
  }
  if (a.kind === 'number' && b.kind === 'number' && rows.length <= 5000) {
    return {
      ...base,
      height: 240,
      mark: { type: 'point', tooltip: true },
      encoding: {
        x: { field: a.name, type: 'quantitative', scale: { zero: false } },
        y: { field: b.name, type: 'quantitative', scale: { zero: false } },
      },
    };
  }
  return undefined;
}

/** Evaluation metrics per slice: one bar panel per metric. */
export function evaluationChartSpec(slices: readonly { slice: string; metrics: Readonly<Record<string, number>> }[]): VegaLiteSpec | undefined {
  const rows = slices.flatMap((s) => Object.entries(s.metrics).filter(([, v]) => Number.isFinite(v)).map(([metric, value]) => ({ slice: s.slice, metric, value })));
  if (rows.length === 0) return undefined;
  return {
    $schema: SCHEMA,
    data: { values: rows },
    facet: { column: { field: 'metric', type: 'nominal', title: null } },
    spec: {
      width: 160,
      mark: { type: 'bar', tooltip: true },
      encoding: {
        y: { field: 'slice', type: 'nominal', title: null },
        x: { field: 'value', type: 'quantitative', title: null },
      },
    },
    resolve: { scale: { x: 'independent' } },
  };
}
