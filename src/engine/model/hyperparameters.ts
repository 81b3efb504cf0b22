/**
 * Hyperparameters between Tuner and Trainer: the Tuner writes `best_hyperparameters.json` (a flat
 * object of the tuned values), the Trainer lets it override its own params.
 */
import path from 'node:path';
import { PipewiseError, errorMessage } from '../../core/errors';
import type { ArtifactRef } from '../../core/artifacts';
import { readJson } from './files';
import { TUNABLE, type Hyperparameters, type OptimizerName } from './builtinModels';

export const BEST_HYPERPARAMETERS_FILE = 'best_hyperparameters.json';

const FAMILIES: readonly Hyperparameters['model'][] = ['auto', 'linear', 'dnn', 'wide_and_deep', 'gradient_boosted_trees', 'random_forest'];
const OPTIMIZERS: readonly OptimizerName[] = ['adam', 'sgd', 'rmsprop', 'adagrad'];

/** Checks and applies tuned values over base hyperparameters; `where` names the source in errors. */
export function applyHyperparameters(base: Hyperparameters, values: Readonly<Record<string, unknown>>, where: string): Hyperparameters {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(values)) {
    if (!(TUNABLE as readonly string[]).includes(k)) throw new PipewiseError(`${where}: '${k}' is not a hyperparameter (tunable: ${TUNABLE.join(', ')})`);
    const bad = (want: string): PipewiseError => new PipewiseError(`${where}: ${k} must be ${want}, not ${JSON.stringify(v)}`);
    switch (k) {
      case 'model':
        if (!FAMILIES.includes(v as Hyperparameters['model'])) throw bad(`one of ${FAMILIES.join(', ')}`);
        break;
      case 'optimizer':
        if (!OPTIMIZERS.includes(v as OptimizerName)) throw bad(`one of ${OPTIMIZERS.join(', ')}`);
        break;
      case 'hidden_units':
        if (!Array.isArray(v) || !v.every((u) => Number.isInteger(u) && u > 0)) throw bad('a list of positive integers');
        break;
      case 'batch_size':
      case 'epochs':
        if (!Number.isInteger(v) || (v as number) <= 0) throw bad('a positive integer');
        break;
      case 'learning_rate':
        if (typeof v !== 'number' || !(v > 0)) throw bad('a positive number');
        break;
      case 'dropout':
        if (typeof v !== 'number' || v < 0 || v > 0.9) throw bad('a number from 0 to 0.9');
        break;
      case 'l2':
        if (typeof v !== 'number' || v < 0) throw bad('a number ≥ 0');
        break;
    }
    out[k] = v;
  }
  return out as unknown as Hyperparameters;
}

export async function readBestHyperparameters(ref: ArtifactRef | undefined): Promise<Record<string, unknown> | undefined> {
  if (!ref) return undefined;
  const file = path.join(ref.uri, BEST_HYPERPARAMETERS_FILE);
  try {
    return await readJson<Record<string, unknown>>(file, BEST_HYPERPARAMETERS_FILE);
  } catch (e) {
    throw new PipewiseError(`the hyperparameters input: ${errorMessage(e)}`, { file });
  }
}

/** The hyperparameters a Trainer's or Tuner's params fix, before a Tuner's best values apply. */
export function hyperparametersFromParams(p: Hyperparameters): Hyperparameters {
  return {
    model: p.model,
    hidden_units: p.hidden_units,
    dropout: p.dropout,
    learning_rate: p.learning_rate,
    optimizer: p.optimizer,
    l2: p.l2,
    batch_size: p.batch_size,
    epochs: p.epochs,
  };
}
