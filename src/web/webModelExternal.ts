/**
 * Entry of `pipewise-model.js` without TensorFlow.js (Pusher `tfjs: external`): the page brings its
 * own — a global `tf` (tf.min.js in a script tag) or `load(baseUrl, { tf })` — so a site that
 * already ships TF.js does not download it twice. A decision forest's push uses this module too: it
 * predicts with YDF's wasm and needs no TF.js at all.
 */
import { baseOf, loadWebModel, type TfLike, type WebModel } from './predictor';

export type { WebModel };

export async function load(baseUrl?: string | URL, options: { tf?: TfLike } = {}): Promise<WebModel> {
  // Asked only for a TF.js model: a decision forest predicts with YDF's wasm and needs no TF.js.
  const tfOf = (): TfLike => {
    const tf = options.tf ?? (globalThis as { tf?: TfLike }).tf;
    if (!tf || typeof tf.loadLayersModel !== 'function') {
      throw new Error('pipewise-model.js was pushed without TensorFlow.js (tfjs: external): load tf.min.js first (a global `tf`) or pass load(baseUrl, { tf })');
    }
    return tf;
  };
  return loadWebModel(tfOf, baseOf(baseUrl, import.meta.url));
}
