/**
 * Entry of `pipewise-model.js` with TensorFlow.js bundled in (core, layers, the CPU backend):
 *
 *   import { load } from './pipewise-model.js';
 *   const model = await load();            // the folder beside the module, or load('models/penguins/')
 *   const [p] = await model.predict([{ island: 'Biscoe', bill_length_mm: 48.1, … }]);
 *
 * A bad instance (a missing or unknown feature, a value of the wrong type) rejects with a message
 * naming the feature.
 */
import * as tfc from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { baseOf, loadWebModel, type TfLike, type WebModel } from './predictor';

export type { WebModel };

const tf: TfLike = { loadLayersModel: (url) => tfl.loadLayersModel(url), tensor2d: (v, s) => tfc.tensor2d(v, s), tidy: (fn) => tfc.tidy(fn) };

export async function load(baseUrl?: string | URL): Promise<WebModel & { readonly signature: WebModel['signature'] }> {
  await tfc.setBackend('cpu');
  return loadWebModel(() => tf, baseOf(baseUrl, import.meta.url));
}
