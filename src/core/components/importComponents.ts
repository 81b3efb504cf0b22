import * as z from 'zod';
import type { ArtifactType } from '../artifacts';
import { declareComponent } from '../component';

/** What the Importer can bring in; its `result` output is of this type (`stageDeclaration`, catalogue.ts). */
export const IMPORTABLE_TYPES = ['Model', 'Schema', 'Examples'] as const satisfies readonly ArtifactType[];

const columns = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const Importer = declareComponent({
  name: 'Importer',
  version: '1',
  description:
    'Brings a file or folder from the pipeline\'s folder into the store as an artifact of the declared type (TFX\'s Importer), with lineage and a content fingerprint, so a changed file runs what follows again. A Model from an `.onnx` file (scikit-learn through skl2onnx, XGBoost or LightGBM through onnxmltools, PyTorch through torch.onnx) is read for its inputs and outputs and then evaluated, validated, served, monitored and pushed like a trained one; a Schema from a schema.json/schema.yaml; Examples from a folder of Split-<name>/data.parquet.',
  inputs: {
    transform_graph: {
      type: 'TransformGraph',
      description: 'Model with `feed: transform`: the Transform whose features (as in its transformed_examples) feed the model; requests and examples stay raw.',
      optional: true,
    },
  },
  outputs: { result: { type: 'Model', description: 'The imported artifact, of the type `artifact_type` names.' } },
  params: z.strictObject({
    source: z.string().min(1).describe('The file or folder to import, relative to the pipeline file; it may not leave the pipeline\'s folder (nor through a symbolic link).'),
    artifact_type: z.enum(IMPORTABLE_TYPES).default('Model').describe('The artifact type of `result`: Model (an `.onnx` file), Schema (schema.json or schema.yaml) or Examples (a folder of Split-<name>/data.parquet).'),
    label: z.string().min(1).optional().describe('Model: the label column of the examples the model predicts (the Evaluator scores against it). Required for a Model.'),
    task: z
      .enum(['binary', 'multiclass', 'regression', 'classification'])
      .optional()
      .describe('Model: what the model predicts. Default: classification when the model or `classes` gives class labels (binary for two), else regression.'),
    classes: z
      .array(z.union([z.string(), z.number()]))
      .min(2)
      .optional()
      .describe('Model: the class labels in the order of the model\'s probability output, where the model carries none (no ZipMap or classifier labels, e.g. a network ending in Softmax or Sigmoid).'),
    inputs: z
      .record(z.string(), columns)
      .optional()
      .describe('Model: model input → the raw column that feeds it (an [N] or [N, 1] tensor), or a list of columns in order (one [N, k] tensor). Default: each input is the column of its name. Raw columns feed the model (an imported model brings its own preprocessing: skl2onnx exports a whole scikit-learn Pipeline), or with `feed: transform` the Transform\'s features.'),
    feed: z
      .enum(['raw', 'transform'])
      .default('raw')
      .describe('Model: what feeds the model\'s inputs. `raw`: the raw columns. `transform`: the features of the Transform given as input `transform_graph` (a model trained elsewhere on its transformed_examples), computed from each raw row with the same transform as training and serving, so requests and examples stay raw.'),
    output: z.string().min(1).optional().describe('Model: the output that holds the prediction (class probabilities, or the regression value). Default: the classifier\'s probabilities (the ZipMap\'s input), or the one float output.'),
  }).superRefine((p, ctx) => {
    // Reported at the parameter's own line: a Model needs its label; the model keys mean nothing for other types.
    if (p.artifact_type === 'Model' && !p.label) ctx.addIssue({ code: 'custom', path: ['label'], message: 'a Model needs `label`: the column of the examples it predicts' });
    if (p.artifact_type !== 'Model') {
      for (const key of ['label', 'task', 'classes', 'inputs', 'output'] as const) {
        if (p[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `'${key}' applies to an imported Model only, not to ${p.artifact_type}` });
      }
      if (p.feed === 'transform') ctx.addIssue({ code: 'custom', path: ['feed'], message: `'feed' applies to an imported Model only, not to ${p.artifact_type}` });
    }
  }),
  pathParams: ['source'],
  // The importer checks the same pairing at run time (feedingTransform); validation finds it first.
  wiring: (p, wired) => {
    if (p.feed === 'transform') return wired.has('transform_graph') ? [] : [{ param: ['feed'], needs: 'transform_graph', subject: 'feed: transform' }];
    if (!wired.has('transform_graph')) return [];
    const message =
      p.artifact_type === 'Model'
        ? "input 'transform_graph' is wired, but 'feed' is raw (the default): set feed: transform for the Transform's features to feed the model, or drop the input"
        : `input 'transform_graph' applies to an imported Model with feed: transform, not to ${p.artifact_type}: drop the input`;
    return [{ input: 'transform_graph', message }];
  },
});
