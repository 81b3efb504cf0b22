/**
 * Loading a Model artifact as a ServingModel, and predicting many rows in batches that check for
 * cancellation between them.
 */
import { CancelledError, PipewiseError } from '../../core/errors';
import type { Prediction, ServingModel, Task } from '../model/servingModel';
import type { RawRow } from './examples';

export type ModelLoader = (modelUri: string) => Promise<ServingModel>;

/**
 * The Trainer's `loadServingModel`, looked up when first needed so that these components build
 * (and their logic is testable with a model made in the test) independently of the training code.
 */
export const loadModel: ModelLoader = async (modelUri) => {
  const mod = (await import('../model/servingModel')) as { loadServingModel?: ModelLoader };
  if (typeof mod.loadServingModel !== 'function') {
    throw new PipewiseError(`cannot load the model ${modelUri}: this build has no model loader (loadServingModel)`);
  }
  return mod.loadServingModel(modelUri);
};

export const PREDICT_BATCH = 512;

export async function predictAll(
  model: ServingModel,
  rows: readonly RawRow[],
  signal: AbortSignal,
  onProgress?: (done: number) => void,
): Promise<Prediction[]> {
  const out: Prediction[] = [];
  for (let start = 0; start < rows.length; start += PREDICT_BATCH) {
    if (signal.aborted) throw new CancelledError();
    const batch = rows.slice(start, start + PREDICT_BATCH);
    const predictions = await model.predict(batch);
    if (predictions.length !== batch.length) {
      throw new PipewiseError(`the model returned ${predictions.length} predictions for ${batch.length} rows`);
    }
    out.push(...predictions);
    onProgress?.(out.length);
  }
  return out;
}

export type PredictedNumbers = Pick<Prediction, 'score' | 'scores'> & { readonly prediction?: number };

/**
 * A model's predictions on every eval row, kept as numbers in typed arrays instead of one object
 * per row: what the metrics read (binary: the score; multiclass: the class probabilities;
 * regression: the value). `get(i)` gives row `i` back as a Prediction.
 */
export class PredictionColumn {
  private readonly values: Float64Array;
  private next = 0;

  constructor(
    private readonly task: Task,
    /** Class probabilities per row (multiclass), else 1. */
    private readonly width: number,
    readonly length: number,
  ) {
    this.values = new Float64Array(length * width);
  }

  /** The predictions of the next rows, in order; one the metrics cannot read is an error naming its row. */
  add(predictions: readonly Prediction[]): void {
    if (this.next + predictions.length > this.length) throw new PipewiseError(`more predictions than the ${this.length} eval rows`);
    for (const p of predictions) {
      const row = this.next++;
      const at = row * this.width;
      if (this.task === 'binary') {
        if (typeof p.score !== 'number' || !Number.isFinite(p.score)) throw new PipewiseError(`the model returned no probability (score) for row ${row}: ${JSON.stringify(p)}`);
        this.values[at] = p.score;
      } else if (this.task === 'multiclass') {
        if (!p.scores || p.scores.length !== this.width) {
          throw new PipewiseError(`the model returned ${p.scores ? p.scores.length : 'no'} class probabilities for row ${row}; its signature lists ${this.width} classes`);
        }
        this.values.set(p.scores, at);
      } else {
        const v = Number(p.prediction);
        if (!Number.isFinite(v)) throw new PipewiseError(`the model returned a prediction that is not a number for row ${row}: ${JSON.stringify(p)}`);
        this.values[at] = v;
      }
    }
  }

  /** Row `i`'s numbers (the predicted class name is not kept: no metric reads it). */
  get(i: number): PredictedNumbers {
    const at = i * this.width;
    if (this.task === 'binary') return { score: this.values[at] as number };
    if (this.task === 'multiclass') return { scores: Array.from(this.values.subarray(at, at + this.width)) };
    return { prediction: this.values[at] as number };
  }
}
