/**
 * Entry of `pipewise-model.js` for an imported ONNX model (the Pusher picks it by the signature's
 * `modelFormat`), with onnxruntime-web's wasm build bundled; its `.wasm` is loaded from the pushed
 * folder. The same `load()` as the TF.js runtime:
 *
 *   import { load } from './pipewise-model.js';
 *   const model = await load();
 *   const [p] = await model.predict([{ bill_length_mm: 48.1, … }]);
 */
import * as ort from 'onnxruntime-web/wasm';
import { loadOnnxWebModel } from './onnxPredictor';
import { baseOf, type WebModel } from './predictor';

export type { WebModel };

export async function load(baseUrl?: string | URL): Promise<WebModel> {
  return loadOnnxWebModel(ort, baseOf(baseUrl, import.meta.url));
}
