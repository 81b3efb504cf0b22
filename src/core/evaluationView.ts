/**
 * An Evaluator artifact → the evaluation view: overall metrics, the slices with their example
 * counts, each threshold check with its reason, the deltas against the baseline, and from the
 * predictions the confusion matrix and the curves (ROC, precision–recall, calibration) or, for a
 * regression, actual against predicted. Pure; unit-tested against scikit-learn.
 */
import type { BaselineDelta, CurveSeries, EvaluationCheck, EvaluationSlice, EvaluationTask, EvaluationView, FairnessRate, FeatureImportanceFile, ImportanceView, PartialDependence, PredictionsFile } from './evaluationTypes';
import { calibrationCurve, oneVsRest, precisionRecallCurve, rocCurve } from './curves';
import { argmax, binaryConfusion, confusionMatrix } from './metrics';

/** What the view reads of metrics.json (the Evaluator's `EvaluationFile`). */
export interface MetricsFile {
  readonly slices: readonly { readonly slice: Readonly<Record<string, string | number | boolean>>; readonly metrics: Readonly<Record<string, number>>; readonly confusionMatrix?: { readonly classes: readonly string[]; readonly matrix: readonly (readonly number[])[] } }[];
  readonly blessed: boolean;
  readonly task?: string;
  readonly label?: string;
  readonly split?: string;
  readonly classes?: readonly string[];
  readonly model?: string;
  readonly baseline?: { readonly model: string; readonly metrics: Readonly<Record<string, number>> } | null;
  readonly thresholds?: readonly EvaluationCheck[];
  readonly failed?: readonly string[];
  readonly excluded?: { readonly missing_label: number; readonly unknown_label: Readonly<Record<string, number>> };
}

const HEADLINE = ['accuracy', 'auc', 'auc_pr', 'precision', 'recall', 'f1', 'precision_macro', 'recall_macro', 'log_loss', 'calibration', 'rmse', 'mae', 'r2', 'mean_label', 'mean_prediction'];
const MAX_POINTS = 5000;

/**
 * Which way a metric is better: higher (accuracy, auc, r2, per-class precision and recall), lower
 * (losses and errors), nearer 1 (calibration: mean prediction over mean label); undefined for
 * descriptions of the data or the predictions (mean_label, mean_prediction), neither good nor bad.
 */
export function metricDirection(metric: string): 'higher' | 'lower' | 'nearOne' | undefined {
  const base = metric.split('/')[0] ?? metric;
  if (['accuracy', 'auc', 'auc_pr', 'precision', 'recall', 'f1', 'precision_macro', 'recall_macro', 'r2'].includes(base)) return 'higher';
  if (['log_loss', 'rmse', 'mse', 'mae', 'brier'].includes(base)) return 'lower';
  if (base === 'calibration') return 'nearOne';
  return undefined;
}

/** Whether `candidate` is better than `baseline` for the metric; undefined when neither is, or the metric has no better. */
export function improvement(metric: string, candidate: number, baseline: number): boolean | undefined {
  const direction = metricDirection(metric);
  const [c, b] = direction === 'nearOne' ? [-Math.abs(candidate - 1), -Math.abs(baseline - 1)] : direction === 'lower' ? [-candidate, -baseline] : [candidate, baseline];
  if (!direction || c === b) return undefined;
  return c > b;
}

export function sliceName(key: Readonly<Record<string, string | number | boolean>>): string {
  const parts = Object.entries(key).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(', ') : 'overall';
}

/** `false_positive_rate@0.5` → its rate and threshold. */
export function parseFairnessName(name: string): { rate: string; threshold: number } | undefined {
  const m = /^((?:false|true)_(?:positive|negative)_rate)@([\d.]+(?:e-?\d+)?)$/.exec(name);
  return m ? { rate: m[1] as string, threshold: Number(m[2]) } : undefined;
}

function taskOf(m: MetricsFile): EvaluationTask {
  if (m.task === 'binary' || m.task === 'multiclass' || m.task === 'regression') return m.task;
  throw new Error(`metrics.json names no task the view knows (${JSON.stringify(m.task ?? null)}): binary, multiclass or regression`);
}

/** feature_importance.json → what the panel draws; a file that is not one is an error naming it. */
export function buildImportanceView(file: string, f: FeatureImportanceFile): ImportanceView {
  if (f?.method !== 'permutation' || !Array.isArray(f.features) || !f.features.every((x) => typeof x?.feature === 'string' && Number.isFinite(x.mean) && Number.isFinite(x.std))) {
    throw new Error(`${file}: not a permutation importance file (expected { method: "permutation", features: [{ feature, mean, std }] })`);
  }
  const features = [...f.features].sort((a, b) => b.mean - a.mean).map((x) => ({ feature: x.feature, mean: x.mean, std: x.std }));
  const partial = f.partial_dependence;
  if (partial !== undefined && !(Array.isArray(partial) && partial.every(isPartialDependence))) {
    throw new Error(`${file}: partial_dependence is not a list of { feature, kind, grid, outputs, average } with one average per output and one value per grid point`);
  }
  return {
    metric: f.metric,
    baseline: f.baseline,
    repeats: f.repeats,
    rows: f.rows,
    usableRows: f.usable_rows,
    sampled: f.sampled,
    features,
    ...(f.model ? { model: f.model } : {}),
    ...(partial?.length ? { partialDependence: partial } : {}),
  };
}

function isPartialDependence(p: PartialDependence): boolean {
  return (
    typeof p?.feature === 'string' &&
    (p.kind === 'numeric' || p.kind === 'categorical') &&
    Array.isArray(p.grid) &&
    Array.isArray(p.outputs) &&
    Array.isArray(p.average) &&
    p.average.length === p.outputs.length &&
    p.average.every((line) => Array.isArray(line) && line.length === p.grid.length && line.every((v) => typeof v === 'number' || v === null)) // null: NaN as JSON writes it
  );
}

export function buildEvaluationView(file: string, metrics: MetricsFile, predictions?: PredictionsFile, importance?: ImportanceView): EvaluationView {
  const task = taskOf(metrics);
  const first = metrics.slices[0];
  if (!first) throw new Error(`${file}: metrics.json has no slices`);
  const overall = (metrics.slices.find((s) => Object.keys(s.slice).length === 0) ?? first).metrics;
  const slices: EvaluationSlice[] = metrics.slices.map((s) => ({ name: sliceName(s.slice), key: s.slice, exampleCount: s.metrics.example_count ?? 0, metrics: s.metrics }));
  const present = new Set(metrics.slices.flatMap((s) => Object.keys(s.metrics)));
  const perClass = [...present].filter((k) => /^(precision|recall)\//.test(k)).sort();
  const metricNames = [...HEADLINE.filter((k) => present.has(k)), ...perClass];
  const fairness: FairnessRate[] = [];
  for (const s of slices) {
    for (const [k, v] of Object.entries(s.metrics)) {
      const f = parseFairnessName(k);
      if (f) fairness.push({ slice: s.name, rate: f.rate, threshold: f.threshold, value: v });
    }
  }
  let baseline: EvaluationView['baseline'] = null;
  if (metrics.baseline) {
    const deltas: BaselineDelta[] = [];
    for (const [metric, b] of Object.entries(metrics.baseline.metrics)) {
      const c = overall[metric];
      if (c === undefined || metric === 'example_count' || parseFairnessName(metric)) continue;
      const improved = improvement(metric, c, b);
      deltas.push({ metric, candidate: c, baseline: b, delta: c - b, ...(improved === undefined ? {} : { improved }) });
    }
    deltas.sort((a, b) => order(a.metric) - order(b.metric) || a.metric.localeCompare(b.metric));
    baseline = { model: metrics.baseline.model, deltas };
  }
  const classes = metrics.classes ?? predictions?.classes;
  const view: EvaluationView = {
    file,
    task,
    label: metrics.label ?? '',
    split: metrics.split ?? '',
    model: metrics.model ?? '',
    blessed: metrics.blessed,
    failed: metrics.failed ?? [],
    checks: metrics.thresholds ?? [],
    overall,
    slices,
    metricNames,
    baseline,
    ...(classes ? { classes } : {}),
    fairness,
    ...(metrics.excluded ? { excluded: metrics.excluded } : {}),
    ...(importance ? { importance } : {}),
    ...(first.confusionMatrix ? { confusion: (metrics.slices.find((s) => Object.keys(s.slice).length === 0) ?? first).confusionMatrix } : {}),
  };
  if (!predictions) return { ...view, curvesMissing: 'This evaluation has no predictions.json (it was written by an older Evaluator): run the Evaluator again for the curves.' };
  // metrics.json's own confusion matrix (multiclass) is the one of record; the binary one is computed.
  return { ...view, ...curves(task, classes, predictions), ...(view.confusion ? { confusion: view.confusion } : {}) };
}

function order(metric: string): number {
  const i = HEADLINE.indexOf(metric);
  return i < 0 ? HEADLINE.length : i;
}

function curves(task: EvaluationTask, classes: readonly string[] | undefined, p: PredictionsFile): Partial<EvaluationView> {
  const y = p.y;
  if (task === 'regression') {
    const predicted = p.prediction ?? [];
    const step = Math.max(1, Math.ceil(y.length / MAX_POINTS));
    const pick = <T>(xs: readonly T[]): T[] => xs.filter((_, i) => i % step === 0);
    // A sampled file (the Evaluator above PREDICTIONS_MAX_ROWS) still says how many rows there were.
    return { regression: { actual: pick(y), predicted: pick(predicted), total: p.sampled_from ?? y.length } };
  }
  const series: { name: string; labels: number[]; scores: number[] }[] = [];
  let confusion: EvaluationView['confusion'];
  if (task === 'binary') {
    const scores = [...(p.score ?? [])];
    series.push({ name: classes?.[1] ?? 'positive', labels: [...y], scores });
    const c = binaryConfusion(y, scores, 0.5);
    confusion = { classes: classes ?? ['0', '1'], matrix: [[c.tn, c.fp], [c.fn, c.tp]] };
  } else {
    const probs = p.scores ?? [];
    const names = classes ?? probs[0]?.map((_, k) => String(k)) ?? [];
    names.forEach((name, k) => series.push({ name, labels: oneVsRest(y, k), scores: probs.map((row) => row[k] as number) }));
    confusion = { classes: names, matrix: confusionMatrix(y.map((v) => (v < 0 ? names.length : v)), probs.map((row) => argmax(row)), names.length) };
  }
  const roc: CurveSeries[] = [];
  const pr: CurveSeries[] = [];
  const calibration: CurveSeries[] = [];
  for (const s of series) {
    const r = rocCurve(s.labels, s.scores);
    if (r) roc.push({ series: s.name, x: thin(r.fpr), y: thin(r.tpr) });
    const q = precisionRecallCurve(s.labels, s.scores);
    if (q) pr.push({ series: s.name, x: thin(q.recall), y: thin(q.precision) });
    const c = calibrationCurve(s.labels, s.scores);
    calibration.push({ series: s.name, x: c.probPred, y: c.probTrue, n: c.counts });
  }
  return { roc, pr, calibration, confusion };
}

/** Curves are drawn, not tabulated: at most 2,000 points each, always keeping both ends. */
function thin(xs: readonly number[]): number[] {
  if (xs.length <= 2000) return [...xs];
  const step = Math.ceil(xs.length / 2000);
  return xs.filter((_, i) => i % step === 0 || i === xs.length - 1);
}
