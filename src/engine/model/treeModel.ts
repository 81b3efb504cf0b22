/**
 * Decision forests (gradient-boosted trees, random forests) trained with Yggdrasil Decision
 * Forests, behind the same Model artifact and ServingModel interface as the TF.js models.
 *
 * How trees meet Transform — the decision: a tree reads the very per-feature values the Transform
 * writes into transformed_examples (`transformRow`), recovered losslessly from the model input
 * vector every model family is trained and served on: a scaled numeric feature is one NUMERICAL
 * column (z-scoring is monotone, so the splits are those of the raw value), a bucketized feature its
 * bucket index (NUMERICAL, ordered), and a vocabulary, hash or cross its index as a CATEGORICAL
 * column (native categorical splits, not one-hot). Serving runs the same `applyTransform` on the raw
 * request and the same vector → columns step, so there is no second feature pipeline that could
 * drift from training: no train/serving skew, and a request carries only raw values. The price:
 * missing values are filled by the Transform (as for every model) instead of YDF's own handling.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { PipewiseError } from '../../core/errors';
import { errorMessage } from '../../protocol/errors';
import { applyTransform, type RawRow } from '../transform/applyTransform';
import type { TransformSpec } from '../transform/transformSpec';
import { decodePredictions } from './decodePredictions';
import { readJson, writeFileAtomic, writeJsonAtomic } from './files';
import type { Dataset, EpochLogs } from './fitModel';
import { mulberry32 } from './random';
import type { PreparedData } from './trainModel';
import type { ModelSignature, Prediction, ServingModel, Task } from './signature';
import { rowLoss } from './trainStep';
import { loadYdf, loadYdfModel, numberOfTrees, parseVariableImportances, saveYdfModel, ydfCall, type YdfColumns, type YdfModel } from './ydf';
import { TREE_FAMILIES, isTreeFamily, type TreeFamily } from './builtinModels';
import { TREE_MODEL_INFO, TREE_MODEL_ZIP, toSignatureOrder, treeColumns, type TreeModelInfo } from './treeColumns';

export { TREE_FAMILIES, isTreeFamily, type TreeFamily };
export { TREE_MODEL_INFO, TREE_MODEL_ZIP, treeColumns, type TreeModelInfo };

/** YDF's wasm heap can grow to 2 GiB: `getHeapMax()` in ydf-training 0.0.1's Emscripten glue. */
export const YDF_HEAP_BYTES = 2 ** 31;

/**
 * Wasm heap bytes per training value (rows × (features + label)), with headroom: gradient-boosted
 * trees on 100,000 rows × 21 values took the heap from 16 to 48 MiB, about 16 bytes a value
 * (bench/trees-memory.ts, 2026-12-06; a random forest on 200,000 rows about 10), taken as 24.
 */
export const YDF_BYTES_PER_VALUE = 24;

/**
 * The rows a forest trains on: every fit row, or the most whose values take at most half of YDF's
 * heap (the other half for the trees being grown, the served models and the library itself).
 */
export function treeRowBudget(rows: number, features: number): number {
  return Math.min(rows, Math.floor(YDF_HEAP_BYTES / 2 / (YDF_BYTES_PER_VALUE * (features + 1))));
}

/** A seeded sample of `k` rows of `d` without repeats, in their original order (`d` itself when k ≥ n). */
export function sampleTreeRows(d: Dataset, k: number, seed: number): Dataset {
  if (k >= d.n) return d;
  const order = Int32Array.from({ length: d.n }, (_, i) => i);
  const rand = mulberry32(seed * 7919 + 17);
  // A partial Fisher–Yates shuffle: the first k places hold the sample.
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (d.n - i));
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  const picked = order.subarray(0, k).sort();
  const x = new Float32Array(k * d.width);
  const y = new Float32Array(k * d.outDim);
  picked.forEach((r, i) => {
    x.set(d.x.subarray(r * d.width, (r + 1) * d.width), i * d.width);
    y.set(d.y.subarray(r * d.outDim, (r + 1) * d.outDim), i * d.outDim);
  });
  return { x, y, n: k, width: d.width, outDim: d.outDim };
}

export interface TrainedTrees {
  readonly kind: 'trees';
  readonly family: TreeFamily;
  readonly model: YdfModel;
  readonly info: TreeModelInfo;
  /** Validation rows (`val_*`) and the eval split (`eval_*`), in label units for regression, as scoreModel reports a TF.js model. */
  readonly scores: EpochLogs;
  /** Per-row validation losses, for the paired comparison of `model: auto`. */
  readonly validationLosses: Float64Array;
  readonly description: string;
}

/** What training trees needs of PreparedData (a type import: naming it loads no TF.js). */
export type TreeData = Pick<PreparedData, 'task' | 'classes' | 'train' | 'validation' | 'eval' | 'labelMean' | 'labelStd' | 'labelTransform' | 'labelScale'>;

/** The label column YDF trains on: class names, or the regression label in its own units. */
function labelColumn(data: TreeData, d: Dataset): string[] | number[] {
  if (data.task === 'regression') return Array.from({ length: d.n }, (_, i) => (d.y[i] as number) * data.labelStd + data.labelMean);
  const classes = data.classes ?? [];
  if (data.task === 'binary') return Array.from({ length: d.n }, (_, i) => classes[(d.y[i] as number) >= 0.5 ? 1 : 0] as string);
  const k = d.outDim;
  return Array.from({ length: d.n }, (_, i) => {
    let best = 0;
    for (let c = 1; c < k; c++) if ((d.y[i * k + c] as number) > (d.y[i * k + best] as number)) best = c;
    return classes[best] as string;
  });
}

/** Predictions in signature order for a dataset's input vectors. */
function predictDataset(model: YdfModel, spec: TransformSpec, task: Task, classes: readonly string[] | undefined, ydfClasses: readonly string[] | undefined, d: Dataset): Float32Array {
  const raw = ydfCall('predicting with the tree model', () => model.predict(treeColumns(spec, d.x, d.n)));
  return toSignatureOrder(task, raw, d.n, classes, ydfClasses);
}

/** Per-row losses: regression squared error in label units over the label's variance; classification cross-entropy. */
function perRowLosses(data: TreeData, d: Dataset, p: Float32Array): Float64Array {
  const out = new Float64Array(d.n);
  const k = d.outDim;
  for (let i = 0; i < d.n; i++) {
    if (data.task === 'regression') {
      const truth = (d.y[i] as number) * data.labelStd + data.labelMean;
      out[i] = (truth - (p[i] as number)) ** 2 / (data.labelScale ?? 1) ** 2;
    } else {
      out[i] = rowLoss(data.task, d.y.subarray(i * k, (i + 1) * k), p.subarray(i * k, (i + 1) * k), 1);
    }
  }
  return out;
}

function scoreSet(data: TreeData, d: Dataset, p: Float32Array, losses: Float64Array, prefix: string): EpochLogs {
  const n = Math.max(1, d.n);
  const loss = losses.reduce((a, b) => a + b, 0) / n;
  if (data.task === 'regression') return { [`${prefix}_loss`]: loss, [`${prefix}_rmse`]: Math.sqrt(loss) * (data.labelScale ?? 1) };
  let correct = 0;
  const k = d.outDim;
  for (let i = 0; i < d.n; i++) {
    if (data.task === 'binary') correct += (p[i] as number) >= 0.5 === (d.y[i] as number) >= 0.5 ? 1 : 0;
    else {
      let best = 0;
      for (let c = 1; c < k; c++) if ((p[i * k + c] as number) > (p[i * k + best] as number)) best = c;
      correct += (d.y[i * k + best] as number) === 1 ? 1 : 0;
    }
  }
  return { [`${prefix}_loss`]: loss, [`${prefix}_accuracy`]: correct / n };
}

/**
 * Trains a forest on the fit rows (the train split less the validation rows) with YDF's defaults;
 * gradient-boosted trees stop early on the share of those rows YDF holds out itself (10%, its
 * default), since this build takes no validation set. Scored on the validation rows and eval split.
 */
export async function trainTrees(family: TreeFamily, spec: TransformSpec, data: TreeData, log: (line: string) => void, seed = 0): Promise<TrainedTrees> {
  if (data.labelTransform !== 'none') throw new Error('trees train on the label in its own units');
  const ydf = await loadYdf();
  const label = spec.label.name;
  const budget = treeRowBudget(data.train.n, spec.layout.length);
  const fit = sampleTreeRows(data.train, budget, seed);
  if (fit !== data.train) {
    log(
      `trained on a seeded sample of ${fit.n} of the ${data.train.n} fit rows: ${data.train.n} rows × ${spec.layout.length + 1} values need about ${((data.train.n * (spec.layout.length + 1) * YDF_BYTES_PER_VALUE) / 2 ** 30).toFixed(1)} GiB of YDF's wasm heap, which is at most ${YDF_HEAP_BYTES / 2 ** 30} GiB`,
    );
  }
  const columns: YdfColumns = { ...treeColumns(spec, fit.x, fit.n), [label]: labelColumn(data, fit) as string[] };
  const Learner = family === 'gradient_boosted_trees' ? ydf.GradientBoostedTreesLearner : ydf.RandomForestLearner;
  const task = data.task === 'regression' ? 'REGRESSION' : 'CLASSIFICATION';
  const model = ydfCall(`training ${family} on ${fit.n} rows × ${spec.layout.length} features`, () => new Learner(label, task).train(columns), log);
  try {
    const ydfClasses = data.task === 'regression' ? undefined : model.getLabelClasses();
    if (ydfClasses && data.classes && data.classes.some((c) => !ydfClasses.includes(c))) {
      // A class absent from the fit rows cannot be predicted; its probability is 0.
      log(`classes not in the rows the trees were fitted on: ${data.classes.filter((c) => !ydfClasses.includes(c)).join(', ')}`);
    }
    const description = ydfCall('describing the tree model', () => model.describe());
    const pv = predictDataset(model, spec, data.task, data.classes, ydfClasses, data.validation);
    const pe = predictDataset(model, spec, data.task, data.classes, ydfClasses, data.eval);
    const validationLosses = perRowLosses(data, data.validation, pv);
    const scores = { ...scoreSet(data, data.validation, pv, validationLosses, 'val'), ...scoreSet(data, data.eval, pe, perRowLosses(data, data.eval, pe), 'eval') };
    const numTrees = numberOfTrees(description);
    const sampled = fit === data.train ? {} : { trainedRows: fit.n, fitRows: data.train.n };
    return { kind: 'trees', family, model, info: { format: 'ydf', family, ...(numTrees === undefined ? {} : { numTrees }), ...(ydfClasses ? { ydfClasses } : {}), ...sampled }, scores, validationLosses, description };
  } catch (e) {
    model.unload();
    throw e;
  }
}

/** Writes `model/ydf_model.zip`, `model/trees.json` and the Model artifact's folder-level `variable_importances.json`. */
export async function saveTrees(trained: TrainedTrees, artifactDir: string): Promise<void> {
  const dir = path.join(artifactDir, 'model');
  await fs.mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, TREE_MODEL_ZIP), await saveYdfModel(trained.model));
  await writeJsonAtomic(path.join(dir, TREE_MODEL_INFO), trained.info);
  await writeJsonAtomic(path.join(artifactDir, 'variable_importances.json'), { source: 'ydf', importances: parseVariableImportances(trained.description) });
}

/** A saved tree model as a ServingModel: raw rows → applyTransform → columns → YDF. */
export async function loadTreeServingModel(modelArtifactUri: string, signature: ModelSignature, spec: TransformSpec): Promise<ServingModel> {
  const dir = path.join(modelArtifactUri, 'model');
  let info: TreeModelInfo;
  let zip: Buffer;
  try {
    info = await readJson<TreeModelInfo>(path.join(dir, TREE_MODEL_INFO), TREE_MODEL_INFO);
    zip = await fs.readFile(path.join(dir, TREE_MODEL_ZIP));
  } catch (e) {
    throw new PipewiseError(`cannot load the model at ${modelArtifactUri}: ${errorMessage(e)}`, { file: modelArtifactUri });
  }
  let model: YdfModel | undefined = await loadYdfModel(new Uint8Array(zip), `the model at ${modelArtifactUri}`);
  return {
    signature,
    async predict(rows: readonly RawRow[]): Promise<Prediction[]> {
      if (!model) throw new PipewiseError('the tree model was disposed');
      if (rows.length === 0) return [];
      const m = model;
      const x = applyTransform(spec, rows);
      const raw = ydfCall('predicting with the tree model', () => m.predict(treeColumns(spec, x, rows.length)));
      const values = toSignatureOrder(signature.task, raw, rows.length, signature.classes, info.ydfClasses);
      const units = signature.task === 'multiclass' ? (signature.classes?.length ?? 1) : 1;
      return decodePredictions(signature, values, units, rows.length);
    },
    dispose(): void {
      model?.unload();
      model = undefined;
    },
  };
}
