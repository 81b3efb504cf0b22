/**
 * From transformed examples to a trained model: reading the splits, encoding the label for the
 * task, building the model (built-in or the user's module), and the training loop. Shared by
 * Trainer (one model, saved) and Tuner (one model per trial, scored).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { PipewiseError, errorMessage } from '../../core/errors';
import { classIndexOfStored, vectorizeRows } from '../transform/applyTransform';
import { queryRows, splitTable, withDuckDb, type Row } from '../transform/examplesIo';
import type { TransformSpec } from '../transform/transformSpec';
import { loadFullTf, type LoadedTf } from '../tf/loadTf';
import { buildBuiltinModel, foldLabelScaling, outputUnits, type Hyperparameters } from './builtinModels';
import { checkFitsInMemory, evaluateSet, fitModel, predictAll, type Dataset, type EpochLogs, type FitResult } from './fitModel';
import type { Task } from './signature';
import { mulberry32 } from './random';
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
  /** The rows training fits on: the train split less the validation rows. */
  readonly train: Dataset;
  /**
   * Carved out of the train split (a seeded fifth), never the eval split: early stopping, the
   * automatic model choice and the Tuner's trials are judged on it.
   */
  readonly validation: Dataset;
  readonly eval: Dataset;
  /** Regression: the targets are (t(label) − labelMean) / labelStd, t = identity or log (0 and 1 otherwise). */
  readonly labelMean: number;
  readonly labelStd: number;
  readonly labelTransform: 'none' | 'log';
  /** Regression: the label's own std over train, the unit validation losses are compared in. */
  readonly labelScale?: number;
}

/** Fraction of the train split kept aside for validation. */
export const VALIDATION_FRACTION = 0.2;

function pick(d: Dataset, idx: Int32Array): Dataset {
  const x = new Float32Array(idx.length * d.width);
  const y = new Float32Array(idx.length * d.outDim);
  idx.forEach((r, i) => {
    x.set(d.x.subarray(r * d.width, (r + 1) * d.width), i * d.width);
    y.set(d.y.subarray(r * d.outDim, (r + 1) * d.outDim), i * d.outDim);
  });
  return { x, y, n: idx.length, width: d.width, outDim: d.outDim };
}

/** Splits the train split into fit and validation rows, by a seeded shuffle (rows keep their order). */
export function carveValidation(all: Dataset, seed: number): { train: Dataset; validation: Dataset } {
  const nVal = Math.round(all.n * VALIDATION_FRACTION);
  if (all.n < 10 || nVal < 2) return { train: all, validation: all };
  const order = Array.from({ length: all.n }, (_, i) => i);
  const rand = mulberry32(seed * 31 + 7);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const val = Int32Array.from(order.slice(0, nVal)).sort();
  const fit = Int32Array.from(order.slice(nVal)).sort();
  return { train: pick(all, fit), validation: pick(all, val) };
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
    throw new PipewiseError(`the transformed ${split} split does not match its transform: ${errorMessage(e)}`);
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
    /** Seeds the validation rows carved out of the train split. */
    readonly seed: number;
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
    return { trainRows: await readTransformedSplit(conn, examplesUri, o.trainSplit), evalRows: await readTransformedSplit(conn, examplesUri, o.evalSplit) };
  });
  const all = encode(spec, task, trainRows, o.trainSplit, o.scaleRegressionLabel);
  trainRows.length = 0; // the row objects are the large copy: let them go before the next one
  const evalSet = encode(spec, task, evalRows, o.evalSplit, o.scaleRegressionLabel);
  evalRows.length = 0;
  const { train, validation } = carveValidation(all, o.seed);
  const scaled = task === 'regression' && o.scaleRegressionLabel;
  return {
    task,
    classes: task === 'regression' ? undefined : spec.label.classes,
    train,
    validation,
    eval: evalSet,
    labelMean: scaled ? (spec.label.mean ?? 0) : 0,
    labelStd: scaled && spec.label.std && spec.label.std > 0 ? spec.label.std : 1,
    labelTransform: 'none',
    labelScale: scaled && spec.label.std && spec.label.std > 0 ? spec.label.std : 1,
  };
}

/**
 * Every read of the Transform's output (transformed_examples) goes through here: one split's rows.
 * When the Transform's artifact format changes (e.g. to batches), this is the one place to follow.
 */
export async function readTransformedSplit(conn: Parameters<Parameters<typeof withDuckDb>[0]>[0], examplesUri: string, split: string): Promise<Row[]> {
  return queryRows(conn, `SELECT * FROM ${await splitTable(examplesUri, split)}`);
}

export interface TrainOnceOptions {
  readonly hp: Hyperparameters;
  readonly seed: number;
  readonly earlyStopping: { readonly patience: number; readonly monitor: string } | null;
  readonly signal: AbortSignal;
  readonly userModule?: UserModelModule;
  /** `model: auto` leaves decision forests out, naming why (a downstream stage cannot take one). */
  readonly withoutTrees?: string;
  readonly onEpoch?: (epoch: number, logs: EpochLogs) => void;
  readonly onBatch?: (epoch: number, batch: number, logs: EpochLogs) => void;
}

export interface Trained {
  readonly model: tfTypes.LayersModel;
  readonly fit: FitResult;
  /** Built-in models: the kept model scored on the validation rows (`val_*`) and the eval split (`eval_*`), in label units for regression. */
  readonly scores: EpochLogs;
}

export async function trainOnce(loaded: LoadedTf, spec: TransformSpec, data: PreparedData, o: TrainOnceOptions): Promise<Trained> {
  const { tf } = loaded;
  const numClasses = data.classes?.length ?? 1;
  const units = outputUnits(data.task, numClasses);
  // TF.js's own random ops (initialisers without a seed in a user's model) draw from Math.random;
  // seeding ours is what we can do for built-in models, which take explicit seeds.
  const builtIn = !o.userModule;
  if (builtIn && o.hp.model === 'auto') throw new Error('trainOnce needs a model family; chooseModel resolves auto');
  if (o.userModule) loadFullTf();
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
  const std = data.labelStd;
  const derive =
    data.task === 'regression' && builtIn && data.labelTransform === 'none'
      ? (l: EpochLogs): EpochLogs => ({ rmse: Math.sqrt(l.loss ?? NaN) * std, val_rmse: Math.sqrt(l.val_loss ?? NaN) * std })
      : undefined;
  try {
    const fit = await fitModel(tf, model, data.train, data.validation, {
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
    if (data.task === 'regression' && builtIn) foldLabelScaling(tf, model, data.labelMean, std);
    const scores = builtIn ? { ...scoreModel(tf, model, data, data.validation, 'val'), ...scoreModel(tf, model, data, data.eval, 'eval') } : {};
    return { model, fit, scores };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * A trained built-in model's loss (and accuracy or RMSE) on a dataset. Regression is scored in the
 * label's own units, whatever the training target was (standardised, or log then standardised):
 * `loss` is the mean squared error over the label's variance, comparable across targets.
 */
export function scoreModel(tf: LoadedTf['tf'], model: tfTypes.LayersModel, data: PreparedData, d: Dataset, prefix: string): EpochLogs {
  if (data.task !== 'regression') {
    const r = evaluateSet(tf, model, data.task, d);
    return { [`${prefix}_loss`]: r.loss, ...(r.accuracy === undefined ? {} : { [`${prefix}_accuracy`]: r.accuracy }) };
  }
  const p = predictAll(tf, model, d, 1);
  let se = 0;
  for (let i = 0; i < d.n; i++) {
    const truth = labelUnits(data, (d.y[i] as number) * data.labelStd + data.labelMean);
    const pred = labelUnits(data, p[i] as number);
    se += (truth - pred) ** 2;
  }
  const mse = se / Math.max(1, d.n);
  const variance = (data.labelScale ?? 1) ** 2;
  return { [`${prefix}_loss`]: mse / variance, [`${prefix}_rmse`]: Math.sqrt(mse) };
}

function labelUnits(data: PreparedData, target: number): number {
  return data.labelTransform === 'log' ? Math.exp(target) : target;
}
