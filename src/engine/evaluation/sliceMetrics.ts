/**
 * Turns a model's predictions on the eval rows into TFMA-style metrics per slice. Labels are
 * encoded against the model's own classes (signature.json), so the Evaluator scores exactly what
 * the model was trained to predict.
 */
import {
  binaryClassificationMetrics,
  binaryConfusion,
  type MetricValues,
  multiclassMetrics,
  regressionMetrics,
} from '../../core/metrics';
import { PipewiseError } from '../../core/errors';
import type { ModelSignature, Prediction } from '../model/servingModel';

/** What scoring needs of a model's signature (monitoring scores logged predictions with only these). */
export type LabelledTask = Pick<ModelSignature, 'task' | 'classes'>;
import type { RawValue } from './examples';
import { PredictionColumn } from './predict';
import type { Slice, SliceKey } from './slicing';
import { type BootstrapOptions, bootstrapIntervals, type MetricIntervals } from './bootstrap';

export interface ConfusionMatrixJson {
  readonly classes: readonly string[];
  /** `matrix[true][predicted]`. */
  readonly matrix: readonly (readonly number[])[];
}

export interface SliceResult {
  readonly slice: SliceKey;
  readonly metrics: MetricValues;
  /** 95% bootstrap intervals of the metrics (src/engine/evaluation/bootstrap.ts), when asked for. */
  readonly intervals?: MetricIntervals;
  readonly confusionMatrix?: ConfusionMatrixJson;
}

export interface EncodedLabels {
  /** Binary: 0/1; multiclass: class index (−1 for a class the model never saw); regression: the value. */
  readonly y: Float64Array;
  /** Rows that take part in the metrics. */
  readonly usable: readonly boolean[];
  readonly missing: number;
  /** Label values the model does not know, with their counts. */
  readonly unknown: Readonly<Record<string, number>>;
}

function isMissing(v: RawValue | undefined): boolean {
  return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) || v === '';
}

/**
 * Encodes raw label values. Missing labels (null, NaN, empty) never count. A value outside the
 * model's classes cannot be scored in a binary model and is left out; in a multiclass model it
 * counts as a miss (index −1), so accuracy is not flattered by classes the model never saw.
 */
export function encodeLabels(signature: LabelledTask, raw: readonly (RawValue | undefined)[]): EncodedLabels {
  const encoder = new LabelEncoder(signature, raw.length);
  encoder.add(raw);
  return encoder.result();
}

/**
 * `encodeLabels` a chunk at a time, for the Evaluator's streamed pass: the labels of `capacity` rows
 * in typed arrays, never the rows themselves.
 */
export class LabelEncoder {
  private readonly y: Float64Array;
  private readonly usable: Uint8Array;
  private readonly unknown: Record<string, number> = {};
  private readonly classIndex: Map<string, number>;
  private missing = 0;
  private next = 0;

  constructor(
    private readonly signature: LabelledTask,
    capacity: number,
  ) {
    this.y = new Float64Array(capacity);
    this.usable = new Uint8Array(capacity);
    this.classIndex = new Map((signature.classes ?? []).map((c, i) => [c, i]));
  }

  /** The labels of the next rows, in order. */
  add(raw: readonly (RawValue | undefined)[]): void {
    if (this.next + raw.length > this.y.length) throw new PipewiseError(`the eval split has more than the ${this.y.length} rows counted when it was opened`);
    for (const v of raw) this.encode(v, this.next++);
  }

  private encode(v: RawValue | undefined, i: number): void {
    const { y, usable, unknown } = this;
    if (isMissing(v)) {
      this.missing++;
      return;
    }
    if (this.signature.task === 'regression') {
      const n = typeof v === 'number' ? v : Number(v);
      if (!Number.isFinite(n)) {
        unknown[String(v)] = (unknown[String(v)] ?? 0) + 1;
        return;
      }
      y[i] = n;
      usable[i] = 1;
      return;
    }
    const k = this.classIndex.get(String(v));
    if (k === undefined) {
      unknown[String(v)] = (unknown[String(v)] ?? 0) + 1;
      if (this.signature.task === 'multiclass') {
        y[i] = -1;
        usable[i] = 1;
      }
      return;
    }
    y[i] = k;
    usable[i] = 1;
  }

  result(): EncodedLabels {
    if (this.next !== this.y.length) throw new PipewiseError(`the eval split has ${this.next} rows, not the ${this.y.length} counted when it was opened`);
    return { y: this.y, usable: Array.from(this.usable, Boolean), missing: this.missing, unknown: this.unknown };
  }
}

function requireClasses(signature: LabelledTask): readonly string[] {
  const classes = signature.classes;
  const need = signature.task === 'binary' ? 2 : 1;
  if (!classes || classes.length < need || (signature.task === 'binary' && classes.length !== 2)) {
    throw new PipewiseError(`the model's signature.json lists classes ${JSON.stringify(classes ?? null)}, which a ${signature.task} model cannot use`, {
      code: 'bad-signature',
    });
  }
  return classes;
}

function scoreOf(p: Pick<Prediction, 'score'>, row: number): number {
  if (typeof p.score !== 'number' || !Number.isFinite(p.score)) throw new PipewiseError(`the model returned no probability (score) for row ${row}: ${JSON.stringify(p)}`);
  return p.score;
}

/**
 * Metrics of every slice. `predictions[i]` (or `.get(i)`) belongs to row `i`. With `bootstrap`, each
 * slice also gets the confidence intervals of its metrics, resampled from the same rows.
 */
export function computeSliceMetrics(
  signature: LabelledTask,
  labels: EncodedLabels,
  predictions: readonly Prediction[] | PredictionColumn,
  slices: readonly Slice[],
  fairnessThresholds: readonly number[],
  bootstrap?: BootstrapOptions,
): SliceResult[] {
  const at = (i: number): Pick<Prediction, 'score' | 'scores'> & { readonly prediction?: string | number } | undefined => (predictions instanceof PredictionColumn ? predictions.get(i) : predictions[i]);
  // One resample's metrics: the same function as the slice's, on the rows at `picked`.
  const withIntervals = (result: Omit<SliceResult, 'intervals'>, n: number, metricsOf: (picked: Int32Array) => MetricValues): SliceResult =>
    bootstrap ? { slice: result.slice, metrics: result.metrics, intervals: bootstrapIntervals(n, result.metrics, metricsOf, bootstrap), ...(result.confusionMatrix ? { confusionMatrix: result.confusionMatrix } : {}) } : result;
  const pick = <T>(a: readonly T[], picked: Int32Array): T[] => Array.from(picked, (i) => a[i] as T);
  return slices.map((slice) => {
    const rows = slice.rows.filter((i) => labels.usable[i]);
    const y = rows.map((i) => labels.y[i] as number);
    switch (signature.task) {
      case 'binary': {
        const classes = requireClasses(signature);
        const scores = rows.map((i) => scoreOf(at(i) ?? {}, i));
        // At the 0.5 threshold the metrics use; class index 1 is the positive class.
        const c = binaryConfusion(y, scores, 0.5);
        const confusionMatrix = { classes, matrix: [[c.tn, c.fp], [c.fn, c.tp]] };
        const result = { slice: slice.key, metrics: binaryClassificationMetrics(y, scores, fairnessThresholds), confusionMatrix };
        return withIntervals(result, rows.length, (picked) => binaryClassificationMetrics(pick(y, picked), pick(scores, picked), fairnessThresholds));
      }
      case 'multiclass': {
        const classes = requireClasses(signature);
        const probabilities = rows.map((i) => {
          const s = at(i)?.scores;
          if (!s || s.length !== classes.length) {
            throw new PipewiseError(`the model returned ${s ? s.length : 'no'} class probabilities for row ${i}; its signature lists ${classes.length} classes`);
          }
          return s;
        });
        const r = multiclassMetrics(y, probabilities, classes);
        const result = { slice: slice.key, metrics: r.metrics, confusionMatrix: r.confusionMatrix };
        return withIntervals(result, rows.length, (picked) => multiclassMetrics(pick(y, picked), pick(probabilities, picked), classes).metrics);
      }
      case 'regression': {
        const values = rows.map((i) => {
          const p = at(i);
          const v = Number(p?.prediction);
          if (!Number.isFinite(v)) throw new PipewiseError(`the model returned a prediction that is not a number for row ${i}: ${JSON.stringify(p)}`);
          return v;
        });
        const result = { slice: slice.key, metrics: regressionMetrics(y, values) };
        return withIntervals(result, rows.length, (picked) => regressionMetrics(pick(y, picked), pick(values, picked)));
      }
    }
  });
}
