/**
 * Saving and loading TF.js layers models in a local folder without tfjs-node (whose `file://`
 * handler is absent on the wasm and cpu backends): `model.json` (topology + weights manifest) and
 * `weights.bin`, the files `tf.loadLayersModel('file://…/model.json')` and the browser's
 * `tf.loadLayersModel(url)` read. Weights are written before model.json, each atomically, so a
 * model.json on disk always has its weights.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from '../tf/loadTf';
import { readJson, writeFileAtomic, writeJsonAtomic } from './files';

const WEIGHTS_FILE = 'weights.bin';

export async function saveLayersModel(tf: Tf, model: tfTypes.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      await writeFileAtomic(path.join(dir, WEIGHTS_FILE), new Uint8Array(weights));
      const json: tfTypes.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
      };
      await writeJsonAtomic(path.join(dir, 'model.json'), json);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

/** The load handler matching saveLayersModel (any single- or multi-file weights manifest). */
export function folderLoadHandler(tf: Tf, dir: string): tfTypes.io.IOHandler {
  return {
    load: async () => {
      const json = await readJson<tfTypes.io.ModelJSON>(path.join(dir, 'model.json'), 'model.json');
      const specs: tfTypes.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of json.weightsManifest ?? []) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          const b = await fs.readFile(path.join(dir, p));
          buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
        }
      }
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        trainingConfig: json.trainingConfig,
        weightSpecs: specs,
        weightData: tf.io.concatenateArrayBuffers(buffers),
      };
    },
  };
}

export async function loadLayersModel(tf: Tf, dir: string): Promise<tfTypes.LayersModel> {
  return tf.loadLayersModel(folderLoadHandler(tf, dir));
}
