/**
 * From transformed examples to a trained model: reading the splits, encoding the label for the
 * task, building the model (built-in or the user's module), and the training loop. Shared by
 * Trainer (one model, saved) and Tuner (one model per trial, scored).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { PipewiseError } from '../../core/errors';
import { classIndexOfStored, vectorizeRows } from '../transform/applyTransform';
import { queryRows, splitTable, withDuckDb, type Row } from '../transform/examplesIo';
import type { TransformSpec } from '../transform/transformSpec';
import type { LoadedTf } from '../tf/loadTf';
import { buildBuiltinModel, foldLabelScaling, outputUnits, type Hyperparameters } from './builtinModels';
import { checkFitsInMemory, fitModel, type Dataset, type EpochLogs, type FitResult } from './fitModel';
import type { Task } from './servingModel';
import { stepConfig } from './trainStep';
import { buildUserModel, type UserModelModule } from './userModel';

export type RequestedTask = Task | 'auto';

export function resolveTask(spec: TransformSpec, requested: RequestedTask): Task {
  const { label } = spec;
  const classes = label.classes ?? [];
  const listed = classes.slice(0, 6).join(', ') + (classes.length > 6 ? ', …' : '');
  if (requested === 'auto') return label.classes ? (classes.length === 2 ? 'binary' : 'multiclass') : 'regression';
  if (requested === 'regression') {
    if (label.rawType !== 'number') throw new PipewiseError(`task 'regression' needs a numeric label; '${label.name}' holds strings (${listed})`);
    return 'regression';
  }
  if (!label.classes) {
    throw new PipewiseError(`task '${requested}' needs a label with few classes; '${label.name}' is numeric with ${label.numDistinct} distinct values (use task: regression)`);
  }
  if (requested === 'binary' && classes.length !== 2) {
    throw new PipewiseError(`task 'binary' needs a label with exactly 2 classes; '${label.name}' has ${classes.length} (${listed}): use task multiclass`);
  }
  return requested;
}

export interface PreparedData {
  readonly task: Task;
  readonly classes?: readonly string[];
  readonly train: Dataset;
  readonly eval: Dataset;
}

function encode(spec: TransformSpec, task: Task, rows: readonly Row[], split: string, scaleLabel: boolean): Dataset {
  const classes = spec.label.classes ?? [];
  const outDim = task === 'multiclass' ? classes.length : 1;
  const y = new Float32Array(rows.length * outDim);
  const mean = scaleLabel ? (spec.label.mean ?? 0) : 0;
  const std = scaleLabel && spec.label.std && spec.label.std > 0 ? spec.label.std : 1;
  rows.forEach((r, i) => {
    const raw = r[spec.label.name];
    const stored = typeof raw === 'bigint' ? Number(raw) : typeof raw === 'number' ? raw : NaN;
    if (!Number.isFinite(stored)) throw new PipewiseError(`the label '${spec.label.name}' is missing in row ${i + 1} of the transformed ${split} split`);
    if (task === 'regression') {
      y[i] = (stored - mean) / std;
      return;
    }
    const c = classIndexOfStored(spec.label, stored);
    if (c === null) {
      throw new PipewiseError(
        `the ${split} split has label value ${spec.label.rawType === 'string' ? `#${stored}` : stored} of '${spec.label.name}' that the train split never has (classes: ${classes.join(', ')})`,
      );
    }
    if (task === 'multiclass') y[i * outDim + c] = 1;
    else y[i] = c;
  });
  let x: Float32Array;
  try {
    x = vectorizeRows(spec, rows);
  } catch (e) {
    throw new PipewiseError(`the transformed ${split} split does not match its transform: ${(e as Error).message}`);
  }
  return { x, y, n: rows.length, width: spec.width, outDim };
}

export async function prepareData(
  loaded: LoadedTf,
  spec: TransformSpec,
  examplesUri: string,
  o: {
    readonly task: RequestedTask;
    readonly trainSplit: string;
    readonly evalSplit: string;
    readonly batchSize: number;
    /** Built-in regression trains on the standardised label (a user's module gets it as it is). */
    readonly scaleRegressionLabel: boolean;
  },
): Promise<PreparedData> {
  const task = resolveTask(spec, o.task);
  const { trainRows, evalRows } = await withDuckDb(async (conn) => {
    const count = async (split: string): Promise<number> =>
      Number((await queryRows(conn, `SELECT count(*) AS n FROM ${await splitTable(examplesUri, split)}`))[0]?.n ?? 0);
    const nTrain = await count(o.trainSplit);
    const nEval = await count(o.evalSplit);
    // Refuse before reading: reading a table too large for memory is the crash to avoid.
    const outDim = task === 'multiclass' ? (spec.label.classes?.length ?? 1) : 1;
    checkFitsInMemory(
      loaded.backend,
      [
        { name: o.trainSplit, n: nTrain, width: spec.width, outDim },
        { name: o.evalSplit, n: nEval, width: spec.width, outDim },
      ],
      o.batchSize,
    );
    if (nTrain === 0) throw new PipewiseError(`the ${o.trainSplit} split is empty`);
    if (nEval === 0) throw new PipewiseError(`the ${o.evalSplit} split is empty: early stopping and metrics need eval examples`);
    return {
      trainRows: await queryRows(conn, `SELECT * FROM ${await splitTable(examplesUri, o.trainSplit)}`),
      evalRows: await queryRows(conn, `SELECT * FROM ${await splitTable(examplesUri, o.evalSplit)}`),
    };
  });
  return { task, classes: task === 'regression' ? undefined : spec.label.classes, train: encode(spec, task, trainRows, o.trainSplit, o.scaleRegressionLabel),
    eval: encode(spec, task, evalRows, o.evalSplit, o.scaleRegressionLabel),
  };
}

export interface TrainOnceOptions {
  readonly hp: Hyperparameters;
  readonly seed: number;
  readonly earlyStopping: { readonly patience: number; readonly monitor: string } | null;
  readonly signal: AbortSignal;
  readonly userModule?: UserModelModule;
  readonly onEpoch?: (epoch: number, logs: EpochLogs) => void;
  readonly onBatch?: (epoch: number, batch: number, logs: EpochLogs) => void;
}

export interface Trained {
  readonly model: tfTypes.LayersModel;
  readonly fit: FitResult;
}

export async function trainOnce(loaded: LoadedTf, spec: TransformSpec, data: PreparedData, o: TrainOnceOptions): Promise<Trained> {
  const { tf } = loaded;
  const numClasses = data.classes?.length ?? 1;
  const units = outputUnits(data.task, numClasses);
  // TF.js's own random ops (initialisers without a seed in a user's model) draw from Math.random;
  // seeding ours is what we can do for built-in models, which take explicit seeds.
  const builtIn = !o.userModule;
  const model = o.userModule
    ? await buildUserModel(o.userModule, { tf, inputShape: [spec.width], numClasses, task: data.task, hyperparameters: { ...o.hp } }, units)
    : buildBuiltinModel(tf, { width: spec.width, task: data.task, numClasses, hp: o.hp, seed: o.seed });
  if (!model.optimizer) {
    throw new PipewiseError(`model module ${o.userModule?.file ?? ''}: buildModel must return a compiled model (call model.compile({ optimizer, loss }))`, {
      file: o.userModule?.file,
      code: 'user-model',
    });
  }
  // Regression trains on the standardised label; report errors in the label's own units too.
  const std = spec.label.std && spec.label.std > 0 ? spec.label.std : 1;
  const derive =
    data.task === 'regression' && builtIn
      ? (l: EpochLogs): EpochLogs => ({ rmse: Math.sqrt(l.loss ?? NaN) * std, val_rmse: Math.sqrt(l.val_loss ?? NaN) * std })
      : undefined;
  try {
    const fit = await fitModel(tf, model, data.train, data.eval, {
      epochs: o.hp.epochs,
      batchSize: o.hp.batch_size,
      seed: o.seed,
      earlyStopping: o.earlyStopping,
      signal: o.signal,
      derive,
      onEpoch: o.onEpoch,
      onBatch: o.onBatch,
      step: builtIn ? stepConfig(data.task, o.hp, o.seed) : undefined,
    });
    if (data.task === 'regression' && builtIn) foldLabelScaling(tf, model, spec.label.mean ?? 0, std);
    return { model, fit };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

