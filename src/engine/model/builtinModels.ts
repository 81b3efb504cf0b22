/**
 * The built-in model families, as TFX's canned estimators offer them: linear, DNN, and
 * wide-and-deep, for binary classification (one sigmoid unit, binary cross-entropy), multiclass
 * (softmax, categorical cross-entropy) and regression (one linear unit, mean squared error). Every
 * family ends in one Dense output layer (regression folds its label scaling into it after training).
 * Initialisers and dropout take seeds derived from the run's seed, so a run is reproducible.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from '../tf/loadTf';
import type { Task } from './signature';

import type { TreeFamily } from './treeColumns';

export { TREE_FAMILIES, isTreeFamily, type TreeFamily } from './treeColumns';

export type ModelFamily = 'linear' | 'dnn' | 'wide_and_deep';
export type OptimizerName = 'adam' | 'sgd' | 'rmsprop' | 'adagrad';

/** The hyperparameters a built-in model and its training take (Trainer params, Tuner space). */
export interface Hyperparameters {
  /** `auto`: linear, DNN (and wide-and-deep), then gradient-boosted trees are trained and the best on the validation rows kept. */
  readonly model: ModelFamily | TreeFamily | 'auto';
  readonly hidden_units: readonly number[];
  readonly dropout: number;
  readonly learning_rate: number;
  readonly optimizer: OptimizerName;
  readonly l2: number;
  readonly batch_size: number;
  readonly epochs: number;
}

/** Names a Tuner's space may vary. */
export const TUNABLE = ['model', 'hidden_units', 'dropout', 'learning_rate', 'optimizer', 'l2', 'batch_size', 'epochs'] as const;

export function outputUnits(task: Task, numClasses: number): number {
  return task === 'multiclass' ? numClasses : 1;
}

export function buildBuiltinModel(tf: Tf, o: { readonly width: number; readonly task: Task; readonly numClasses: number; readonly hp: Hyperparameters; readonly seed: number }): tfTypes.LayersModel {
  const { hp, seed } = o;
  if (hp.model === 'auto' || hp.model === 'gradient_boosted_trees' || hp.model === 'random_forest') throw new Error(`buildBuiltinModel needs a TF.js model family, not ${hp.model}`);
  let layerSeed = seed;
  const init = (): ReturnType<Tf['initializers']['glorotUniform']> => tf.initializers.glorotUniform({ seed: layerSeed++ });
  const regularizer = hp.l2 > 0 ? tf.regularizers.l2({ l2: hp.l2 }) : undefined;
  const input = tf.input({ shape: [o.width], name: 'features' });

  const deep = (): tfTypes.SymbolicTensor => {
    let h: tfTypes.SymbolicTensor = input;
    hp.hidden_units.forEach((units, i) => {
      h = tf.layers
        .dense({ units, activation: 'relu', kernelInitializer: init(), kernelRegularizer: regularizer, name: `hidden_${i}` })
        .apply(h) as tfTypes.SymbolicTensor;
      if (hp.dropout > 0) h = tf.layers.dropout({ rate: hp.dropout, seed: layerSeed++, name: `dropout_${i}` }).apply(h) as tfTypes.SymbolicTensor;
    });
    return h;
  };

  let last: tfTypes.SymbolicTensor;
  if (hp.model === 'linear' || hp.hidden_units.length === 0) last = input;
  else if (hp.model === 'dnn') last = deep();
  // Wide and deep: the output unit sees the raw (one-hot and crossed) inputs and the deep tower.
  else last = tf.layers.concatenate({ name: 'wide_and_deep' }).apply([input, deep()]) as tfTypes.SymbolicTensor;

  const activation = o.task === 'binary' ? 'sigmoid' : o.task === 'multiclass' ? 'softmax' : 'linear';
  const output = tf.layers
    .dense({ units: outputUnits(o.task, o.numClasses), activation, kernelInitializer: init(), kernelRegularizer: regularizer, name: 'output' })
    .apply(last) as tfTypes.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output, name: `pipewise_${hp.model}` });
  compileFor(tf, model, o.task, hp);
  return model;
}

export function compileFor(tf: Tf, model: tfTypes.LayersModel, task: Task, hp: Pick<Hyperparameters, 'optimizer' | 'learning_rate'>): void {
  const optimizer =
    hp.optimizer === 'sgd'
      ? tf.train.sgd(hp.learning_rate)
      : hp.optimizer === 'rmsprop'
        ? tf.train.rmsprop(hp.learning_rate)
        : hp.optimizer === 'adagrad'
          ? tf.train.adagrad(hp.learning_rate)
          : tf.train.adam(hp.learning_rate);
  model.compile({
    optimizer,
    loss: task === 'binary' ? 'binaryCrossentropy' : task === 'multiclass' ? 'categoricalCrossentropy' : 'meanSquaredError',
    metrics: task === 'regression' ? [] : ['accuracy'],
  });
}

/**
 * Regression trains on the standardised label; folding `y = mean + std·ŷ` into the output layer
 * makes the saved model predict in the label's own units, for any reader of model.json.
 */
export function foldLabelScaling(tf: Tf, model: tfTypes.LayersModel, mean: number, std: number): void {
  const out = model.getLayer('output');
  const [kernel, bias] = out.getWeights();
  if (!kernel || !bias) throw new Error('the output layer has no kernel and bias to fold the label scaling into');
  const scaled = tf.tidy(() => [tf.mul(kernel, std), tf.add(tf.mul(bias, std), mean)]);
  out.setWeights(scaled);
  tf.dispose(scaled);
}
