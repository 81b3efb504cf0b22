/**
 * The evaluation view's Vega-Lite specs, from the view model (no DOM): confusion matrix, ROC,
 * precision–recall, calibration, actual vs predicted and residuals, fairness rates per slice.
 * Colours come from the theme config `renderVegaLite` applies.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { CurveSeries, EvaluationView, ImportanceView } from '../../src/protocol/evaluation';
import { axisLabelExpr, formatCount, formatNumber } from '../../src/core/format';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

export interface NamedChart {
  /** Stable id (`roc`, `confusion`, …), for tests and the `rendered` acknowledgement. */
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  readonly spec: TopLevelSpec;
}

function points(series: readonly CurveSeries[], xName: string, yName: string): Record<string, unknown>[] {
  return series.flatMap((s) => s.x.map((x, i) => ({ series: s.series, [xName]: x, [yName]: s.y[i], order: i, ...(s.n ? { n: s.n[i] } : {}) })));
}

function curveChart(series: readonly CurveSeries[], x: { field: string; title: string }, y: { field: string; title: string }, diagonal: 'up' | 'none', extra: Record<string, unknown> = {}): TopLevelSpec {
  const layers: unknown[] = [];
  if (diagonal === 'up') {
    layers.push({
      data: { values: [{ [x.field]: 0, [y.field]: 0 }, { [x.field]: 1, [y.field]: 1 }] },
      mark: { type: 'line', strokeDash: [4, 4], opacity: 0.5, color: 'gray' },
      encoding: { x: { field: x.field, type: 'quantitative' }, y: { field: y.field, type: 'quantitative' } },
    });
  }
  layers.push({
    data: { values: points(series, x.field, y.field) },
    mark: { type: 'line', interpolate: 'linear', ...extra },
    encoding: {
      x: { field: x.field, type: 'quantitative', title: x.title, scale: { domain: [0, 1] } },
      y: { field: y.field, type: 'quantitative', title: y.title, scale: { domain: [0, 1] } },
      order: { field: 'order', type: 'quantitative' },
      color: { field: 'series', type: 'nominal', title: null, legend: series.length > 1 ? { orient: 'bottom' } : null },
      tooltip: [{ field: 'series' }, { field: x.field, format: '.3f' }, { field: y.field, format: '.3f' }],
    },
  });
  return { $schema: SCHEMA, width: 'container', height: 220, layer: layers } as unknown as TopLevelSpec;
}

/** Pixels a chart cell gives the fairness chart's slice labels, axis and padding beside its bars. */
const FAIRNESS_BESIDE_BARS = 150;

/** The charts of `v`, for chart cells `cellWidth` pixels wide (a facet cannot fill its container by itself). */
export function evaluationCharts(v: EvaluationView, cellWidth = 340): NamedChart[] {
  const charts: NamedChart[] = [];
  if (v.confusion) {
    const values = v.confusion.matrix.flatMap((row, t) => row.map((count, p) => ({ actual: v.confusion?.classes[t] ?? String(t), predicted: v.confusion?.classes[p] ?? String(p), count })));
    const classes = [...v.confusion.classes];
    charts.push({
      id: 'confusion',
      title: 'Confusion matrix',
      caption: v.task === 'binary' ? 'Overall slice, at threshold 0.5: rows are the true class.' : 'Overall slice: rows are the true class, columns the predicted one.',
      spec: {
        $schema: SCHEMA,
        width: 'container',
        height: Math.max(120, 40 * classes.length),
        data: { values },
        encoding: {
          x: { field: 'predicted', type: 'nominal', sort: classes, title: 'predicted', axis: { labelAngle: 0 } },
          y: { field: 'actual', type: 'nominal', sort: classes, title: 'actual' },
        },
        layer: [
          { mark: { type: 'rect' }, encoding: { color: { field: 'count', type: 'quantitative', legend: null, scale: { scheme: 'blues' } }, tooltip: [{ field: 'actual' }, { field: 'predicted' }, { field: 'count' }] } },
          { mark: { type: 'text', fontSize: 13, fontWeight: 'bold' }, encoding: { text: { field: 'count', type: 'quantitative' }, color: { value: 'black' } } },
        ],
      } as unknown as TopLevelSpec,
    });
  }
  if (v.roc?.length) charts.push({ id: 'roc', title: 'ROC curve', caption: v.task === 'multiclass' ? 'One class against the rest.' : `Positive class: ${v.classes?.[1] ?? '1'}. AUC ${formatNumber(v.overall.auc)}.`, spec: curveChart(v.roc, { field: 'fpr', title: 'false positive rate' }, { field: 'tpr', title: 'true positive rate' }, 'up') });
  if (v.pr?.length) charts.push({ id: 'pr', title: 'Precision–recall curve', caption: v.task === 'multiclass' ? 'One class against the rest.' : `Average precision ${formatNumber(v.overall.auc_pr)}.`, spec: curveChart(v.pr, { field: 'recall', title: 'recall' }, { field: 'precision', title: 'precision' }, 'none', { interpolate: 'step-before' }) });
  if (v.calibration?.length) {
    charts.push({
      id: 'calibration',
      title: 'Calibration',
      caption: 'Mean predicted probability against the share of positives, in 10 equal bins; the diagonal is perfect calibration.',
      spec: curveChart(v.calibration, { field: 'predicted', title: 'mean predicted probability' }, { field: 'observed', title: 'share of positives' }, 'up', { point: true }),
    });
  }
  if (v.regression) {
    const rows = v.regression.actual.map((a, i) => ({ actual: a, predicted: v.regression?.predicted[i] ?? 0, residual: a - (v.regression?.predicted[i] ?? 0) }));
    const lo = Math.min(...rows.map((r) => Math.min(r.actual, r.predicted)));
    const hi = Math.max(...rows.map((r) => Math.max(r.actual, r.predicted)));
    const shown = rows.length < v.regression.total ? ` (${formatCount(rows.length)} of ${formatCount(v.regression.total)} examples)` : '';
    charts.push({
      id: 'predicted-actual',
      title: 'Predicted against actual',
      caption: `${v.label}: each point an example${shown}; the diagonal is a perfect prediction. RMSE ${formatNumber(v.overall.rmse)}, R² ${formatNumber(v.overall.r2)}.`,
      spec: {
        $schema: SCHEMA,
        width: 'container',
        height: 240,
        layer: [
          { data: { values: [{ actual: lo, predicted: lo }, { actual: hi, predicted: hi }] }, mark: { type: 'line', strokeDash: [4, 4], opacity: 0.5, color: 'gray' }, encoding: { x: { field: 'actual', type: 'quantitative' }, y: { field: 'predicted', type: 'quantitative' } } },
          { data: { values: rows }, mark: { type: 'point', filled: true, opacity: 0.5, size: 16 }, encoding: { x: { field: 'actual', type: 'quantitative', title: `actual ${v.label}`, scale: { zero: false }, axis: { labelExpr: axisLabelExpr } }, y: { field: 'predicted', type: 'quantitative', title: 'predicted', scale: { zero: false }, axis: { labelExpr: axisLabelExpr } }, tooltip: [{ field: 'actual', format: '.3~f' }, { field: 'predicted', format: '.3~f' }] } },
        ],
      } as unknown as TopLevelSpec,
    });
    charts.push({
      id: 'residuals',
      title: 'Residuals',
      caption: 'Actual − predicted: centred on 0 when the model is unbiased.',
      spec: {
        $schema: SCHEMA,
        width: 'container',
        height: 180,
        data: { values: rows },
        mark: { type: 'bar' },
        encoding: { x: { field: 'residual', type: 'quantitative', bin: { maxbins: 40 }, title: 'residual (actual − predicted)' }, y: { aggregate: 'count', type: 'quantitative', title: 'examples' } },
      } as unknown as TopLevelSpec,
    });
  }
  if (v.fairness.length) {
    const values = v.fairness.map((f) => ({ ...f, at: `${f.rate.replace(/_/g, ' ')} @ ${f.threshold}` }));
    charts.push({
      id: 'fairness',
      title: 'Fairness rates per slice',
      caption: 'Each rate at each configured threshold, per slice (Fairness Indicators).',
      spec: {
        $schema: SCHEMA,
        data: { values },
        // Each rate's name above its bars (not beside them), and bars as wide as the cell leaves
        // after the slice labels: a fixed 260 px beside a row header overflowed a 340 px cell.
        facet: { row: { field: 'at', type: 'nominal', title: null, header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top' } } },
        spec: {
          width: Math.max(100, Math.min(320, cellWidth - FAIRNESS_BESIDE_BARS)),
          height: { step: 14 },
          mark: { type: 'bar' },
          encoding: {
            y: { field: 'slice', type: 'nominal', title: null, axis: { labelLimit: 110 } },
            x: { field: 'value', type: 'quantitative', title: 'rate', scale: { domain: [0, 1] } },
            tooltip: [{ field: 'slice' }, { field: 'rate' }, { field: 'threshold' }, { field: 'value', format: '.4f' }],
          },
        },
      } as unknown as TopLevelSpec,
    });
  }
  return charts;
}

/** Most features drawn in an importance chart; the rest are in feature_importance.json. */
export const MAX_IMPORTANCE_BARS = 25;

const METRIC_NAMES: Readonly<Record<ImportanceView['metric'], string>> = { auc: 'AUC', accuracy: 'accuracy', r2: 'R²' };

/**
 * Feature importance: permutation importance as sorted horizontal bars (mean drop) with error bars
 * (± one standard deviation over the repeats), and the model's own importances when it has them.
 * One row per feature, so the chart fits a 400 px column and grows downwards.
 */
export function importanceCharts(v: EvaluationView): NamedChart[] {
  const imp = v.importance;
  if (!imp) return [];
  const charts: NamedChart[] = [];
  const shown = imp.features.slice(0, MAX_IMPORTANCE_BARS);
  const order = shown.map((f) => f.feature);
  const values = shown.map((f) => ({ feature: f.feature, mean: f.mean, std: f.std, lo: f.mean - f.std, hi: f.mean + f.std }));
  const metric = METRIC_NAMES[imp.metric] ?? imp.metric;
  const rows = imp.sampled ? `${formatNumber(imp.rows)} of ${formatNumber(imp.usableRows)} eval rows (sampled)` : `${formatNumber(imp.rows)} eval rows`;
  const more = imp.features.length > shown.length ? ` The top ${shown.length} of ${imp.features.length} features.` : '';
  charts.push({
    id: 'importance',
    title: 'Permutation feature importance',
    caption: `Drop of ${metric} (${formatNumber(imp.baseline)} unshuffled) when each feature is shuffled: mean ± std over ${imp.repeats} repeats on ${rows}.${more}`,
    spec: {
      $schema: SCHEMA,
      width: 'container',
      height: { step: 20 },
      data: { values },
      encoding: { y: { field: 'feature', type: 'nominal', sort: order, title: null, axis: { labelLimit: 140 } } },
      layer: [
        {
          mark: { type: 'bar', height: { band: 0.7 } },
          encoding: {
            x: { field: 'mean', type: 'quantitative', title: `drop of ${metric}` },
            tooltip: [{ field: 'feature' }, { field: 'mean', title: 'mean drop', format: '.4f' }, { field: 'std', format: '.4f' }],
          },
        },
        { mark: { type: 'rule', color: 'gray' }, encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } } },
        { mark: { type: 'tick', orient: 'vertical', color: 'gray', thickness: 1, size: 8 }, encoding: { x: { field: 'lo', type: 'quantitative' } } },
        { mark: { type: 'tick', orient: 'vertical', color: 'gray', thickness: 1, size: 8 }, encoding: { x: { field: 'hi', type: 'quantitative' } } },
      ],
    } as unknown as TopLevelSpec,
  });
  // The model's own measure (e.g. YDF's), the first type it lists: a different scale, its own chart.
  const own = imp.model ? Object.entries(imp.model.importances)[0] : undefined;
  if (imp.model && own) {
    const [type, list] = own;
    const sorted = [...list].sort((a, b) => b.importance - a.importance).slice(0, MAX_IMPORTANCE_BARS);
    charts.push({
      id: 'model-importance',
      title: `The model's own importances (${imp.model.source})`,
      caption: `${type}, as the model reports it${list.length > sorted.length ? `; the top ${sorted.length} of ${list.length}` : ''}.`,
      spec: {
        $schema: SCHEMA,
        width: 'container',
        height: { step: 20 },
        data: { values: sorted },
        mark: { type: 'bar', height: { band: 0.7 } },
        encoding: {
          y: { field: 'feature', type: 'nominal', sort: sorted.map((x) => x.feature), title: null, axis: { labelLimit: 140 } },
          x: { field: 'importance', type: 'quantitative', title: type },
          tooltip: [{ field: 'feature' }, { field: 'importance', format: '.4~f' }],
        },
      } as unknown as TopLevelSpec,
    });
  }
  charts.push(...partialDependenceCharts(v, imp));
  return charts;
}

/**
 * Partial dependence of the top features (feature_importance.json's `partial_dependence`): one
 * small line chart each, the mean prediction against the value the feature was set to, one line
 * per output (each class's probability for a multiclass model).
 */
function partialDependenceCharts(v: EvaluationView, imp: ImportanceView): NamedChart[] {
  const rows = imp.sampled ? `${formatNumber(imp.rows)} sampled eval rows` : `${formatNumber(imp.rows)} eval rows`;
  return (imp.partialDependence ?? []).map((p, i) => {
    const values = p.outputs.flatMap((output, k) => p.grid.map((x, g) => ({ x, output, mean: p.average[k]?.[g] ?? null, order: g })));
    const yTitle = v.task === 'regression' ? 'mean prediction' : v.task === 'binary' ? `mean P(${p.outputs[0] ?? 'positive'})` : 'mean probability';
    const numeric = p.kind === 'numeric';
    return {
      id: `partial-dependence-${i}`,
      title: `Partial dependence: ${p.feature}`,
      caption: `${v.task === 'regression' ? 'The prediction' : v.task === 'binary' ? `P(${p.outputs[0] ?? 'positive'})` : "Each class's probability"} averaged over ${rows} with ${p.feature} set to each of ${p.grid.length} ${numeric ? 'values (between its 5th and 95th percentiles)' : 'categories'} in every row.`,
      spec: {
        $schema: SCHEMA,
        width: 'container',
        height: 140,
        data: { values },
        mark: { type: 'line', point: true, ...(numeric ? {} : { strokeDash: [4, 3] }) },
        encoding: {
          x: numeric ? { field: 'x', type: 'quantitative', title: p.feature, scale: { zero: false } } : { field: 'x', type: 'nominal', sort: p.grid.map(String), title: p.feature, axis: { labelAngle: 0, labelLimit: 80 } },
          y: { field: 'mean', type: 'quantitative', title: yTitle, scale: { zero: false } },
          order: { field: 'order', type: 'quantitative' },
          ...(p.outputs.length > 1 ? { color: { field: 'output', type: 'nominal', title: null, legend: { orient: 'bottom' } } } : {}),
          tooltip: [{ field: 'x', title: p.feature }, ...(p.outputs.length > 1 ? [{ field: 'output' }] : []), { field: 'mean', format: '.4f' }],
        },
      } as unknown as TopLevelSpec,
    };
  });
}

