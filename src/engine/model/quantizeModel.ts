/**
 * Quantizes a saved layers model folder (`model.json` + weights files) into another folder, as
 * tfjs-converter's `--quantize_float16` / `--quantize_uint8` do: one `weights.bin` with each float32
 * tensor quantized, and `quantization` fields in the weights manifest. Both the Node loader
 * (modelIo.ts) and the browser's `tf.loadLayersModel(url)` read the result back into float32.
 */
import { existsSync, promises as fs } from 'node:fs';
import { PipewiseError } from '../../core/errors';
import path from 'node:path';
import { readJson, writeFileAtomic, writeJsonAtomic } from './files';
import { quantizeWeights, type QuantizeDtype, type WeightEntry } from './quantize';
import { TREE_MODEL_INFO } from './treeModel';

/** onnxModel.ts's file name, repeated so this module does not load onnxruntime's binding code. */
const ONNX_MODEL_FILE = 'model.onnx';

interface ModelJson {
  weightsManifest?: { paths: string[]; weights: WeightEntry[] }[];
  [k: string]: unknown;
}

export interface QuantizedSize {
  readonly dtype: QuantizeDtype;
  /** Weight bytes before and after. */
  readonly bytesBefore: number;
  readonly bytesAfter: number;
}

/** Writes the quantized copy of the model in `srcDir` to `dstDir`; returns the weight sizes. */
export async function quantizeModelFolder(srcDir: string, dstDir: string, dtype: QuantizeDtype): Promise<QuantizedSize> {
  if (existsSync(path.join(srcDir, TREE_MODEL_INFO))) {
    throw new PipewiseError(`quantize: ${dtype} applies to TF.js models' weights; the model in ${path.dirname(srcDir)} is a decision forest (Yggdrasil Decision Forests), whose thresholds and leaf values are not quantized: leave out quantize`, { file: srcDir });
  }
  if (existsSync(path.join(srcDir, ONNX_MODEL_FILE))) {
    throw new PipewiseError(`quantize: ${dtype} applies to TF.js models' weights; the model in ${path.dirname(srcDir)} is an imported ONNX model, served as it was imported: leave out quantize (quantize it with ONNX's own tools before importing)`, { file: srcDir });
  }
  const json = await readJson<ModelJson>(path.join(srcDir, 'model.json'), 'model.json');
  const weights: WeightEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest ?? []) {
    weights.push(...group.weights);
    for (const p of group.paths) buffers.push(await fs.readFile(path.join(srcDir, p)));
  }
  const data = Buffer.concat(buffers);
  const q = quantizeWeights(weights, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), dtype);
  await writeFileAtomic(path.join(dstDir, 'weights.bin'), q.data);
  await writeJsonAtomic(path.join(dstDir, 'model.json'), { ...json, weightsManifest: [{ paths: ['./weights.bin'], weights: q.weights }] });
  return { dtype, bytesBefore: data.byteLength, bytesAfter: q.data.byteLength };
}

/** Copies a Model artifact (`model/`, `transform.json`, `signature.json`, …) with its weights quantized. */
export async function quantizeModelArtifact(srcUri: string, dstUri: string, dtype: QuantizeDtype): Promise<QuantizedSize> {
  await fs.mkdir(dstUri, { recursive: true });
  for (const e of await fs.readdir(srcUri, { withFileTypes: true })) {
    if (e.name === 'model') continue;
    await fs.cp(path.join(srcUri, e.name), path.join(dstUri, e.name), { recursive: true });
  }
  return quantizeModelFolder(path.join(srcUri, 'model'), path.join(dstUri, 'model'), dtype);
}
