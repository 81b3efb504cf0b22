/**
 * Loading a Model artifact as a ServingModel, and predicting many rows in batches that check for
 * cancellation between them.
 */
import { CancelledError, PipewiseError } from '../../core/errors';
import type { Prediction, ServingModel } from '../model/servingModel';
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
