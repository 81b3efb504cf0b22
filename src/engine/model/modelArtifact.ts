/**
 * Writing a Model artifact (docs/ARCHITECTURE.md, "Contracts": artifact files): `model/` (TF.js layers format), `transform.json` (the
 * transform it was trained behind), `signature.json` (raw inputs, task, classes, backend …) and
 * `history.json` (per-epoch metrics).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import path from 'node:path';
import type { TransformSpec } from '../transform/transformSpec';
import type { Tf } from '../tf/loadTf';
import { writeJsonAtomic } from './files';
import type { EpochLogs } from './fitModel';
import { saveLayersModel } from './modelIo';
import type { ModelSignature } from './signature';

/** The raw columns a model reads: its features and the sources of its crosses. */
export function rawInputs(spec: TransformSpec): ModelSignature['inputs'] {
  const inputs = new Map<string, 'number' | 'string'>();
  for (const f of spec.features) inputs.set(f.name, f.rawType);
  for (const c of spec.crosses) for (const n of c.features) if (!inputs.has(n)) inputs.set(n, 'string');
  return [...inputs].map(([name, type]) => ({ name, type }));
}

export async function writeModelArtifact(
  tf: Tf,
  dir: string,
  model: tfTypes.LayersModel,
  spec: TransformSpec,
  signature: ModelSignature,
  history: readonly EpochLogs[],
): Promise<void> {
  await saveLayersModel(tf, model, path.join(dir, 'model'));
  await writeJsonAtomic(path.join(dir, 'transform.json'), spec);
  await writeJsonAtomic(path.join(dir, 'history.json'), history.map((logs, i) => ({ epoch: i + 1, ...logs })));
  // Last: a signature.json means the rest of the artifact is there.
  await writeJsonAtomic(path.join(dir, 'signature.json'), signature);
}

/** The rest of a tree model's artifact (its `model/` is written by saveTrees): no epochs, so an empty history. */
export async function writeTreeArtifact(dir: string, spec: TransformSpec, signature: ModelSignature): Promise<void> {
  await writeJsonAtomic(path.join(dir, 'transform.json'), spec);
  await writeJsonAtomic(path.join(dir, 'history.json'), []);
  await writeJsonAtomic(path.join(dir, 'signature.json'), signature);
}
