import * as z from 'zod';
import { declareComponent } from '../component';

const relPath = z.string().min(1).describe('A path relative to the pipeline file; it may not leave the pipeline\'s folder.');

const featureTransform = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('zscore'), fill: z.number().optional() }),
  z.strictObject({ kind: z.literal('minmax'), fill: z.number().optional() }),
  z.strictObject({ kind: z.literal('identity'), fill: z.number().optional() }),
  z.strictObject({ kind: z.literal('bucketize'), buckets: z.number().int().min(2).default(10) }),
  z.strictObject({
    kind: z.literal('vocabulary'),
    top_k: z.number().int().positive().optional(),
    num_oov_buckets: z.number().int().min(1).default(1),
  }),
  z.strictObject({ kind: z.literal('hash'), buckets: z.number().int().min(2).default(100) }),
  z.strictObject({ kind: z.literal('drop') }),
]);

export const Transform = declareComponent({
  name: 'Transform',
  version: '1',
  description:
    'Fits full-pass analyzers with DuckDB over the train split (mean/std, min/max, vocabularies, quantile buckets) and applies the same transform to every split. Numeric features default to z-score, strings to a vocabulary of their 100 most frequent values with one out-of-vocabulary bucket; missing values are filled (numbers with the train mean).',
  inputs: {
    examples: { type: 'Examples', description: 'Raw examples.' },
    schema: { type: 'Schema', description: 'The schema (types and domains).' },
  },
  outputs: {
    transform_graph: { type: 'TransformGraph', description: 'The fitted transform, applied identically in training, evaluation and serving.' },
    transformed_examples: { type: 'Examples', description: 'The transformed examples, per split.' },
  },
  params: z.strictObject({
    label: z.string().describe('The label column; it is kept, not transformed as a feature (strings become class indices).'),
    features: z
      .record(z.string(), featureTransform)
      .default({})
      .describe('Feature → transform. Unnamed features get defaults: numeric → zscore, string → vocabulary (top_k 100). Columns of other types (dates, timestamps) are left out unless named.'),
    crosses: z
      .array(z.strictObject({ features: z.array(z.string()).min(2), buckets: z.number().int().min(2).default(100) }))
      .default([])
      .describe('Hashed feature crosses, for wide models.'),
    exclude: z.array(z.string()).default([]).describe('Columns that are not features (ids, timestamps).'),
  }),
});

const hyper = {
  model: z
    .enum(['auto', 'linear', 'dnn', 'wide_and_deep', 'gradient_boosted_trees', 'random_forest'])
    .default('auto')
    .describe(
      'Built-in model family. `auto` trains linear and DNN (and wide-and-deep when the input is mostly one-hot categories), then gradient-boosted trees, and keeps the simplest unless a more complex one is better by more than 2 standard errors on validation rows carved out of the train split. `gradient_boosted_trees` and `random_forest` are decision forests (Yggdrasil Decision Forests, YDF\'s default hyperparameters; the network parameters below do not apply to them) on the transformed features, with categorical features split natively.',
    ),
  task: z
    .enum(['auto', 'binary', 'multiclass', 'regression'])
    .default('auto')
    .describe('`auto` picks regression for a numeric label with many values, else classification.'),
  hidden_units: z.array(z.number().int().positive()).default([64, 32]).describe('Units per hidden layer of the DNN.'),
  dropout: z.number().min(0).max(0.9).default(0.1),
  learning_rate: z.number().positive().default(0.01),
  optimizer: z.enum(['adam', 'sgd', 'rmsprop', 'adagrad']).default('adam'),
  l2: z.number().min(0).default(0.001).describe('L2 penalty on every kernel (l2 · Σw², added to the mean loss).'),
};

export const Trainer = declareComponent({
  name: 'Trainer',
  version: '1',
  description:
    'Trains a model in the background worker: a TensorFlow.js linear, DNN or wide-and-deep model, gradient-boosted trees or a random forest (Yggdrasil Decision Forests), for binary, multiclass or regression, or the user\'s own module. Early stopping on validation rows carved out of the train split (never the eval split); live metrics; the model is saved with its transform and signature.',
  inputs: {
    examples: { type: 'Examples', description: 'Transformed examples (train and eval splits).' },
    transform_graph: { type: 'TransformGraph', description: 'The transform that made them.' },
    hyperparameters: { type: 'HyperParameters', description: 'Best hyperparameters from a Tuner; they override params.', optional: true },
  },
  outputs: { model: { type: 'Model', description: 'TF.js layers model (or YDF decision forest) with transform and signature.' } },
  params: z.strictObject({
    ...hyper,
    epochs: z.number().int().positive().default(50),
    batch_size: z.number().int().positive().default(64),
    early_stopping: z
      .strictObject({ patience: z.number().int().min(1).default(5), monitor: z.string().default('val_loss') })
      .nullable()
      .default({ patience: 5, monitor: 'val_loss' })
      .describe('Stop when the monitored validation metric stops improving; null turns it off.'),
    seed: z.number().int().default(42).describe('Seed for weight initialisation and shuffling.'),
    module: relPath.optional().describe('A .ts/.js module exporting `buildModel(ctx)` that returns a compiled tf.LayersModel.'),
    train_split: z.string().default('train'),
    eval_split: z.string().default('eval'),
  }),
  pathParams: ['module'],
});

export const Tuner = declareComponent({
  name: 'Tuner',
  version: '1',
  description:
    'Random or grid search over a declared hyperparameter space; each trial trains a Trainer model and is scored on the Trainer\'s validation rows (carved out of the train split, never eval). Parameters outside `space` are the fixed values of every trial.',
  inputs: {
    examples: { type: 'Examples', description: 'Transformed examples.' },
    transform_graph: { type: 'TransformGraph', description: 'The transform that made them.' },
  },
  outputs: { best_hyperparameters: { type: 'HyperParameters', description: 'The best trial\'s hyperparameters.' } },
  params: z.strictObject({
    strategy: z.enum(['random', 'grid']).default('random'),
    max_trials: z.number().int().positive().default(10),
    space: z
      .record(z.string(), z.array(z.union([z.number(), z.string(), z.array(z.number())])).min(1))
      .describe('Hyperparameter → candidate values, e.g. { learning_rate: [0.01, 0.001], hidden_units: [[32], [64, 32]] }.'),
    objective: z.string().default('val_loss').describe('Metric to minimise (`val_loss`) or maximise (`val_accuracy`).'),
    ...hyper,
    epochs: z.number().int().positive().default(20),
    batch_size: z.number().int().positive().default(64),
    patience: z.number().int().min(1).default(5).describe('Each trial stops when the objective has not improved for this many epochs.'),
    seed: z.number().int().default(42),
    train_split: z.string().default('train'),
    eval_split: z.string().default('eval'),
  }),
});

export const Evaluator = declareComponent({
  name: 'Evaluator',
  version: '4', // 2: writes evaluation/predictions.json for the evaluation view's curves; 3: feature_importance.json; 4: bootstrap intervals in metrics.json
  description:
    'TFMA-style evaluation on the eval split: metrics overall and per slice, fairness rates per slice, value thresholds and change thresholds against a baseline model, and the blessing.',
  inputs: {
    examples: { type: 'Examples', description: 'Raw examples (the model applies its own transform).' },
    model: { type: 'Model', description: 'The candidate model.' },
    baseline_model: { type: 'Model', description: 'The model to compare with (default: the last blessed one).', optional: true },
  },
  outputs: {
    evaluation: { type: 'ModelEvaluation', description: 'metrics.json, predictions.json and feature_importance.json.' },
    blessing: { type: 'ModelBlessing', description: 'BLESSED or NOT_BLESSED.' },
  },
  params: z.strictObject({
    label: z.string().optional().describe('The label column in the raw examples; by default the label the model was trained on (its signature.json).'),
    split: z.string().default('eval'),
    slices: z
      .array(z.array(z.string()))
      .default([[]])
      .describe('Slicing specs: [] is overall (always computed); [island] slices by island; [island, sex] by both.'),
    thresholds: z
      .record(
        z.string(),
        z.strictObject({
          lower_bound: z.number().optional(),
          upper_bound: z.number().optional(),
          change: z
            .strictObject({ direction: z.enum(['higher_is_better', 'lower_is_better']), absolute: z.number().default(0) })
            .optional(),
        }),
      )
      .default({})
      .describe(
        'Metric → value threshold and/or change threshold against the baseline, checked on the overall slice. Metrics: binary auc, auc_pr, log_loss, accuracy, precision, recall, f1, calibration; multiclass accuracy, log_loss, precision/<class>, recall/<class>; regression rmse, mse, mae, r2.',
      ),
    fairness_thresholds: z.array(z.number().min(0).max(1)).default([0.5]).describe('Decision thresholds for the fairness rates (binary).'),
    compare_with_last_blessed: z.boolean().default(true),
    quantize: z
      .enum(['float16', 'uint8'])
      .optional()
      .describe('Also measure the model with its weights quantized (as the Pusher\'s `quantize` does) on the same rows; blessed only if the quantized model passes the same thresholds too.'),
    feature_importance: z
      .strictObject({
        repeats: z.number().int().min(0).default(5).describe('Shuffles per feature (0: no feature importance).'),
        max_rows: z.number().int().positive().default(5000).describe('Above this many eval rows, a seeded sample of this many is used (the cost is rows × (1 + features × repeats) predictions).'),
        seed: z.number().int().min(0).max(4294967295).default(0).describe('Seed of the shuffles and the sample; the same as scikit-learn\'s `random_state`.'),
      })
      .prefault({})
      .describe('Permutation importance on the eval split: the drop of AUC (binary), accuracy (multiclass) or R² (regression) when each raw feature is shuffled, written to feature_importance.json.'),
  }),
  // A change threshold compares with a baseline model; with neither the input nor the last blessed
  // model to look for, the run would pass it every time as "no baseline yet" (thresholds.ts).
  wiring: (p, wired) =>
    p.compare_with_last_blessed || wired.has('baseline_model')
      ? []
      : Object.entries(p.thresholds)
          .filter(([, t]) => t.change)
          .map(([metric]) => ({
            param: ['thresholds', metric, 'change'],
            needs: 'baseline_model',
            subject: `the change threshold of '${metric}' (with compare_with_last_blessed: false)`,
            orElse: 'drop compare_with_last_blessed: false to compare with the last blessed model',
          })),
});

export const InfraValidator = declareComponent({
  name: 'InfraValidator',
  version: '1',
  description: 'Loads the model in the serving runtime (a local HTTP server on 127.0.0.1) and sends canary requests built from real examples.',
  inputs: {
    model: { type: 'Model', description: 'The model to validate.' },
    examples: { type: 'Examples', description: 'Examples for the canary requests.' },
  },
  outputs: { infra_blessing: { type: 'InfraBlessing', description: 'INFRA_BLESSED or INFRA_NOT_BLESSED.' } },
  params: z.strictObject({ num_requests: z.number().int().positive().default(10), split: z.string().default('eval') }),
});

export const Pusher = declareComponent({
  name: 'Pusher',
  version: '1',
  description: 'Copies a blessed model to `destination/<version>/`, never overwriting a pushed version. A model that is not blessed is not pushed.',
  inputs: {
    model: { type: 'Model', description: 'The model to push.' },
    blessing: { type: 'ModelBlessing', description: 'The Evaluator\'s verdict.' },
    infra_blessing: { type: 'InfraBlessing', description: 'The InfraValidator\'s verdict.', optional: true },
  },
  outputs: { pushed_model: { type: 'PushedModel', description: 'Where and which version was pushed.' } },
  params: z.strictObject({
    destination: relPath.describe('Folder that receives `<version>/`, relative to the pipeline file.'),
    target: z
      .enum(['server', 'web'])
      .optional()
      .describe('server (default): the Model artifact as the model server reads it. web: a folder that predicts in the browser (model, transform, pipewise-model.js, index.html).'),
    quantize: z
      .enum(['float16', 'uint8'])
      .optional()
      .describe('Quantize the weights as tfjs-converter does. Pushed only when the Evaluator measured the model with the same `quantize` and it passed the thresholds.'),
    tfjs: z
      .enum(['bundled', 'external'])
      .optional()
      .describe('web: bundle TensorFlow.js into pipewise-model.js (default), or use the page\'s own (a global `tf`, or load(baseUrl, { tf })).'),
  }),
  pathParams: ['destination'],
  writtenPathParams: ['destination'],
});

export const BulkInferrer = declareComponent({
  name: 'BulkInferrer',
  version: '1',
  description: 'Predicts every example of a split with the model (and its transform), writing predictions.parquet with the input columns plus score and prediction columns.',
  inputs: {
    examples: { type: 'Examples', description: 'Raw examples.' },
    model: { type: 'Model', description: 'The model.' },
    blessing: { type: 'ModelBlessing', description: 'Only infer with a blessed model, when given.', optional: true },
  },
  outputs: { inference_result: { type: 'InferenceResult', description: 'predictions.parquet.' } },
  params: z.strictObject({ split: z.string().default('eval') }),
});
