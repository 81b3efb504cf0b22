/**
 * The browser runtime of a web push of an imported ONNX model: loads the pushed folder
 * (`model/model.onnx`, `signature.json`) over HTTP and predicts raw instances with onnxruntime-web
 * (wasm, loaded from the pushed folder: nothing remote), through the very code the model server
 * runs — the same raw-instance validation (serving/requests.ts), the same feeds and output decoding
 * (model/onnxFeeds.ts), the same Transform features with `feed: transform` (transform.json beside the
 * model) and the same ZipMap bypass (model/onnxProto.ts).
 */
import type * as OrtWeb from 'onnxruntime-web/wasm';
import { checkMissingAnswered, onnxFeeds, onnxPredictions, servableOnnxBytes, transformedRows } from '../engine/model/onnxFeeds';
import type { TransformSpec } from '../engine/transform/transformSpec';
import type { ModelSignature, Prediction } from '../engine/model/signature';
import { rowOf } from '../engine/serving/requests';
import { errorMessage } from '../core/errors';
import type { WebModel } from './predictor';

/** onnxruntime-web's wasm binary, copied beside the model by the Pusher (esbuild.mjs puts it in out/web/). */
export const ONNX_WASM_FILE = 'ort-wasm-simd-threaded.wasm';

async function fetchOk(url: URL, what: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`cannot fetch ${what} from ${url.href}: ${errorMessage(e)}`);
  }
  if (!res.ok) throw new Error(`cannot fetch ${what} from ${url.href}: HTTP ${res.status}`);
  return res;
}

/** Loads the pushed ONNX model whose folder is `base` (a URL ending in '/'). */
export async function loadOnnxWebModel(ort: typeof OrtWeb, base: URL): Promise<WebModel> {
  // Single-threaded: threads need a cross-origin-isolated page, which a plain static folder is not.
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = { wasm: new URL(ONNX_WASM_FILE, base).href };
  const signature = (await (await fetchOk(new URL('signature.json', base), 'signature.json')).json()) as ModelSignature;
  const binding = signature.onnx;
  if (signature.modelFormat !== 'onnx' || !binding) throw new Error('signature.json does not describe an ONNX model (modelFormat: onnx with an onnx binding)');
  const bytes = new Uint8Array(await (await fetchOk(new URL(`model/${binding.file}`, base), binding.file)).arrayBuffer());
  const transform = binding.feed === 'transform' ? ((await (await fetchOk(new URL('transform.json', base), 'transform.json')).json()) as TransformSpec) : undefined;
  const session = await ort.InferenceSession.create(servableOnnxBytes(bytes, binding), { executionProviders: ['wasm'] });
  return {
    signature,
    ...(transform ? { transform } : {}),
    async predict(instances: readonly unknown[]): Promise<Prediction[]> {
      if (!Array.isArray(instances)) throw new TypeError(`predict takes a list of instances ({feature: value} objects), got ${JSON.stringify(instances)?.slice(0, 80)}`);
      if (instances.length === 0) return [];
      let rows;
      try {
        rows = instances.map((x, i) => rowOf(signature, x, `instances[${i}]`));
      } catch (e) {
        throw new TypeError(errorMessage(e));
      }
      const feeds: Record<string, OrtWeb.Tensor> = {};
      for (const f of onnxFeeds(binding, transform ? transformedRows(binding, transform, rows) : rows)) feeds[f.input] = new ort.Tensor(f.type, f.data, f.dims);
      const result = await session.run(feeds, [binding.output]);
      const out = result[binding.output];
      if (!out) throw new Error(`ONNX Runtime returned no output '${binding.output}'`);
      const predictions = onnxPredictions(signature, out.data as Float32Array, out.dims, rows.length);
      checkMissingAnswered(binding, rows, predictions);
      return predictions;
    },
    dispose(): void {
      void session.release();
    },
  };
}
