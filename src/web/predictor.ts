/**
 * The browser runtime of a web push (`pipewise-model.js`): loads the pushed folder (`model/`,
 * `transform.json`, `signature.json`) over HTTP and predicts raw instances with the very code the
 * model server runs — the same raw-instance validation (serving/requests.ts), the same transform
 * (transform/applyTransform.ts) and the same output decoding (model/decodePredictions.ts).
 * TensorFlow.js is passed in: bundled (webModel.ts) or the page's own (webModelExternal.ts); a
 * decision forest predicts with YDF's wasm from the pushed folder instead (ydfWeb.ts).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { decodePredictions } from '../engine/model/decodePredictions';
import type { ModelSignature, Prediction } from '../engine/model/signature';
import { rowOf } from '../engine/serving/requests';
import { applyTransform, type RawRow } from '../engine/transform/applyTransform';
import { loadTreePredictor } from './ydfWeb';
import type { TransformSpec } from '../engine/transform/transformSpec';
import { errorMessage } from '../core/errors';

/** The part of TensorFlow.js the runtime uses (tfjs-core + tfjs-layers). */
export interface TfLike {
  loadLayersModel(url: string): Promise<tfTypes.LayersModel>;
  tensor2d(values: Float32Array, shape: [number, number]): tfTypes.Tensor2D;
  tidy<T extends tfTypes.TensorContainer>(fn: () => T): T;
}

export interface WebModel {
  readonly signature: ModelSignature;
  /** The fitted transform; for an imported ONNX model (onnxPredictor.ts) only with `feed: transform`. */
  readonly transform?: TransformSpec;
  /** Raw feature objects, as in the training data (`null` for a missing value) → predictions. */
  predict(instances: readonly unknown[]): Promise<Prediction[]>;
  dispose(): void;
}

async function fetchJson<T>(url: URL, what: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`cannot fetch ${what} from ${url.href}: ${errorMessage(e)}`);
  }
  if (!res.ok) throw new Error(`cannot fetch ${what} from ${url.href}: HTTP ${res.status}`);
  try {
    return (await res.json()) as T;
  } catch (e) {
    throw new Error(`${what} at ${url.href} is not valid JSON: ${errorMessage(e)}`);
  }
}

/** Raw instances → checked rows (a TypeError naming the instance and feature). */
function rowsOf(signature: ModelSignature, instances: readonly unknown[]): RawRow[] {
  if (!Array.isArray(instances)) throw new TypeError(`predict takes a list of instances ({feature: value} objects), got ${JSON.stringify(instances)?.slice(0, 80)}`);
  try {
    return instances.map((x, i) => rowOf(signature, x, `instances[${i}]`));
  } catch (e) {
    throw new TypeError(errorMessage(e));
  }
}

/**
 * Loads the pushed model whose folder is `base` (a URL ending in '/'). `tfOf` gives TensorFlow.js,
 * asked only for a TF.js model: a decision forest predicts with YDF's wasm from the folder (ydfWeb.ts).
 */
export async function loadWebModel(tfOf: () => TfLike, base: URL): Promise<WebModel> {
  const [signature, transform] = await Promise.all([
    fetchJson<ModelSignature>(new URL('signature.json', base), 'signature.json'),
    fetchJson<TransformSpec>(new URL('transform.json', base), 'transform.json'),
  ]);
  if (signature.modelFormat === 'ydf') {
    const trees = await loadTreePredictor(base, signature, transform);
    return {
      signature,
      transform,
      async predict(instances: readonly unknown[]): Promise<Prediction[]> {
        const rows = rowsOf(signature, instances);
        return rows.length === 0 ? [] : trees.predict(rows);
      },
      dispose: () => trees.dispose(),
    };
  }
  const tf = tfOf();
  const model = await tf.loadLayersModel(new URL('model/model.json', base).href);
  return {
    signature,
    transform,
    async predict(instances: readonly unknown[]): Promise<Prediction[]> {
      const rows = rowsOf(signature, instances);
      if (rows.length === 0) return [];
      const x = applyTransform(transform, rows);
      const y = tf.tidy(() => model.predict(tf.tensor2d(x, [rows.length, transform.width])) as tfTypes.Tensor);
      try {
        const values = await y.data();
        return decodePredictions(signature, values as Float32Array, y.shape[1] ?? 1, rows.length);
      } finally {
        y.dispose();
      }
    },
    dispose(): void {
      model.dispose();
    },
  };
}

/** The folder URL: `baseUrl` (relative to the page) or, by default, the module's own folder. */
export function baseOf(baseUrl: string | URL | undefined, moduleUrl: string): URL {
  const where = typeof document !== 'undefined' ? document.baseURI : moduleUrl;
  const u = baseUrl === undefined ? new URL('./', moduleUrl) : new URL(String(baseUrl), where);
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u;
}
