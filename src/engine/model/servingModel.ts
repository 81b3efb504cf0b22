/**
 * The contract between training and everything that uses a trained model (Evaluator, BulkInferrer,
 * InfraValidator, Pusher, notebooks): a Model artifact holds `model/` (TF.js layers format),
 * `transform.json` and `signature.json`, and `loadServingModel` turns it back into something that
 * predicts from raw rows, applying the very transform training used (no training/serving skew).
 */

export type { ModelSignature, Prediction, ServingModel, Task } from './signature';

/**
 * Loads a Model artifact folder (`model/`, `transform.json`, `signature.json`) for prediction from
 * raw rows. Loads TensorFlow.js on first use.
 */
export { loadServingModel } from './serving';
