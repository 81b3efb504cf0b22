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
import type { RawValue } from './examples';
import type { Slice, SliceKey } from './slicing';

export interface ConfusionMatrixJson {
  readonly classes: readonly string[];
  /** `matrix[true][predicted]`. */
  readonly matrix: readonly (readonly number[])[];
}

export interface SliceResult {
  readonly slice: SliceKey;
  readonly metrics: MetricValues;
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
export function encodeLabels(signature: ModelSignature, raw: readonly (RawValue | undefined)[]): EncodedLabels {
  const y = new Float64Array(raw.length);
  const usable: boolean[] = new Array<boolean>(raw.length).fill(false);
  let missing = 0;
  const unknown: Record<string, number> = {};
  const classIndex = new Map((signature.classes ?? []).map((c, i) => [c, i]));
  raw.forEach((v, i) => {
    if (isMissing(v)) {
      missing++;
      return;
    }
    if (signature.task === 'regression') {
      const n = typeof v === 'number' ? v : Number(v);
      if (!Number.isFinite(n)) {
        unknown[String(v)] = (unknown[String(v)] ?? 0) + 1;
        return;
      }
      y[i] = n;
      usable[i] = true;
      return;
    }
    const k = classIndex.get(String(v));
    if (k === undefined) {
      unknown[String(v)] = (unknown[String(v)] ?? 0) + 1;
      if (signature.task === 'multiclass') {
        y[i] = -1;
        usable[i] = true;
      }
      return;
    }
    y[i] = k;
    usable[i] = true;
  });
  return { y, usable, missing, unknown };
}

function requireClasses(signature: ModelSignature): readonly string[] {
  const classes = signature.classes;
  const need = signature.task === 'binary' ? 2 : 1;
  if (!classes || classes.length < need || (signature.task === 'binary' && classes.length !== 2)) {
    throw new PipewiseError(`the model's signature.json lists classes ${JSON.stringify(classes ?? null)}, which a ${signature.task} model cannot use`, {
      code: 'bad-signature',
    });
  }
  return classes;
}

function scoreOf(p: Prediction, row: number): number {
  if (typeof p.score !== 'number' || !Number.isFinite(p.score)) throw new PipewiseError(`the model returned no probability (score) for row ${row}: ${JSON.stringify(p)}`);
  return p.score;
}

/** Metrics of every slice. `predictions[i]` belongs to row `i`. */
export function computeSliceMetrics(
  signature: ModelSignature,
  labels: EncodedLabels,
  predictions: readonly Prediction[],
  slices: readonly Slice[],
  fairnessThresholds: readonly number[],
): SliceResult[] {
  return slices.map((slice) => {
    const rows = slice.rows.filter((i) => labels.usable[i]);
    const y = rows.map((i) => labels.y[i] as number);
    switch (signature.task) {
      case 'binary': {
        const classes = requireClasses(signature);
        const scores = rows.map((i) => scoreOf(predictions[i] as Prediction, i));
        // At the 0.5 threshold the metrics use; class index 1 is the positive class.
        const c = binaryConfusion(y, scores, 0.5);
        const confusionMatrix = { classes, matrix: [[c.tn, c.fp], [c.fn, c.tp]] };
        return { slice: slice.key, metrics: binaryClassificationMetrics(y, scores, fairnessThresholds), confusionMatrix };
      }
      case 'multiclass': {
        const classes = requireClasses(signature);
        const probabilities = rows.map((i) => {
          const s = predictions[i]?.scores;
          if (!s || s.length !== classes.length) {
            throw new PipewiseError(`the model returned ${s ? s.length : 'no'} class probabilities for row ${i}; its signature lists ${classes.length} classes`);
          }
          return s;
        });
        const r = multiclassMetrics(y, probabilities, classes);
        return { slice: slice.key, metrics: r.metrics, confusionMatrix: r.confusionMatrix };
      }
      case 'regression': {
        const values = rows.map((i) => {
          const v = Number(predictions[i]?.prediction);
          if (!Number.isFinite(v)) throw new PipewiseError(`the model returned a prediction that is not a number for row ${i}: ${JSON.stringify(predictions[i])}`);
          return v;
        });
        return { slice: slice.key, metrics: regressionMetrics(y, values) };
      }
    }
  });
}
