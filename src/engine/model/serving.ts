/**
 * A Model artifact, loaded for prediction from raw rows: the saved transform.json is applied with
 * the same `applyTransform` training used, then the layers model (or, for `modelFormat: ydf`, the
 * decision forest of treeModel.ts) predicts; an imported ONNX model (`modelFormat: onnx`,
 * onnxModel.ts) reads the raw columns its binding names.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import path from 'node:path';
import { PipewiseError, errorMessage } from '../../core/errors';
import { applyTransform, type RawRow } from '../transform/applyTransform';
import type { TransformSpec } from '../transform/transformSpec';
import { loadTf } from '../tf/loadTf';
import { decodePredictions } from './decodePredictions';
import { denseForward } from './denseFastPath';
import { readJson } from './files';
import { loadLayersModel } from './modelIo';
import { loadTreeServingModel } from './treeModel';
import type { ModelSignature, Prediction, ServingModel } from './signature';

/** Rows predicted per tensor, so a large table never becomes one huge tensor. */
const PREDICT_CHUNK = 4096;
/**
 * Up to this many multiply-adds a chunk, a dense model runs in plain JavaScript (denseFastPath.ts):
 * a served request of one to a few hundred rows; larger batches (Evaluator, BulkInferrer) keep
 * TF.js's SIMD kernels.
 */
const FAST_PATH_MACS = 1 << 21;

export async function loadServingModel(modelArtifactUri: string): Promise<ServingModel> {
  let signature: ModelSignature;
  let spec: TransformSpec;
  try {
    signature = await readJson<ModelSignature>(path.join(modelArtifactUri, 'signature.json'), 'signature.json');
  } catch (e) {
    throw new PipewiseError(`cannot load the model at ${modelArtifactUri}: ${errorMessage(e)}`, { file: modelArtifactUri });
  }
  // An imported ONNX model reads raw columns itself: it has no transform.json.
  if (signature.modelFormat === 'onnx') return (await import('./onnxModel')).loadOnnxServingModel(modelArtifactUri, signature);
  try {
    spec = await readJson<TransformSpec>(path.join(modelArtifactUri, 'transform.json'), 'transform.json');
  } catch (e) {
    throw new PipewiseError(`cannot load the model at ${modelArtifactUri}: ${errorMessage(e)}`, { file: modelArtifactUri });
  }
  // The one place that chooses a saved model's runtime: every consumer (Evaluator, BulkInferrer,
  // InfraValidator, the model server, the Try panel) gets the same ServingModel either way.
  if (signature.modelFormat === 'ydf') return loadTreeServingModel(modelArtifactUri, signature, spec);
  const { tf } = await loadTf();
  let model: tfTypes.LayersModel;
  try {
    model = await loadLayersModel(tf, path.join(modelArtifactUri, 'model'));
  } catch (e) {
    throw new PipewiseError(`cannot load the model at ${modelArtifactUri}: ${errorMessage(e)}`, { file: modelArtifactUri });
  }
  const fast = denseForward(model);
  return {
    signature,
    async predict(rows: readonly RawRow[]): Promise<Prediction[]> {
      const out: Prediction[] = [];
      for (let start = 0; start < rows.length; start += PREDICT_CHUNK) {
        const chunk = rows.slice(start, start + PREDICT_CHUNK);
        const x = applyTransform(spec, chunk);
        let values: ArrayLike<number>;
        let units: number;
        if (fast && fast.inputWidth === spec.width && chunk.length * fast.macsPerRow <= FAST_PATH_MACS) {
          values = fast.predict(x, chunk.length);
          units = fast.outputWidth;
        } else {
          // Up to one batch (predict's default of 32 rows), predictOnBatch is the same computation
          // without predict's batching machinery, and reading back synchronously saves a task hop.
          const small = chunk.length <= 32;
          const y = tf.tidy(() => (small ? model.predictOnBatch(tf.tensor2d(x, [chunk.length, spec.width])) : model.predict(tf.tensor2d(x, [chunk.length, spec.width]))) as tfTypes.Tensor);
          values = (small ? y.dataSync() : await y.data()) as Float32Array;
          units = y.shape[1] ?? 1;
          y.dispose();
        }
        out.push(...decodePredictions(signature, values, units, chunk.length));
      }
      return out;
    },
    dispose(): void {
      model.dispose();
    },
  };
}
