/**
 * The contract between training and everything that uses a trained model (Evaluator, BulkInferrer,
 * InfraValidator, Pusher, notebooks): a Model artifact holds `model/` (TF.js layers format),
 * `transform.json` and `signature.json`, and `loadServingModel` turns it back into something that
 * predicts from raw rows, applying the very transform training used (no training/serving skew).
 */

import type { ModelSignature, Prediction } from './signature';

export type { ModelSignature, Prediction, Task } from './signature';

export interface ServingModel {
  readonly signature: ModelSignature;
  /** Predicts raw rows (column → value as read from Parquet/CSV; missing = null). */
  predict(rows: readonly Readonly<Record<string, unknown>>[]): Promise<Prediction[]>;
  dispose(): void;
}

/**
 * Loads a Model artifact folder (`model/`, `transform.json`, `signature.json`) for prediction from
 * raw rows. Loads TensorFlow.js on first use.
 */
export { loadServingModel } from './serving';
