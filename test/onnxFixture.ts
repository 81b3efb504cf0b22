/**
 * The ONNX fixture of the bring-your-own-model tests (worker, host and browser layers): the models
 * test/worker/onnx_models.py builds with onnx.helper from the penguins (linear.onnx, a
 * LinearClassifier ending in a ZipMap; trees.onnx, a TreeEnsembleRegressor; mlp.onnx, an MLP of
 * standard operators; scaled.onnx, trained on the Transform's features), NumPy's predictions from
 * the same parameters (the oracle), and the pipeline stages that import them. The repository root is
 * passed in: the host suite runs bundled, where it is the extension's path.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { oraclePython } from './python';

/** The raw numeric columns the models read. */
export const ONNX_FEATURES: readonly string[] = ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g'];
/** What the oracle is sent of a row: the features and island (scaled.onnx reads its vocabulary index). */
export const ONNX_RAW: readonly string[] = [...ONNX_FEATURES, 'island'];

export type OnnxModelName = 'linear' | 'trees' | 'mlp' | 'scaled';

/** NumPy's outputs for a model: class probabilities, or one value a row. */
export interface OnnxPrediction {
  readonly probabilities?: number[][];
  readonly values?: number[];
}

function script(root: string): string {
  return path.join(root, 'test', 'worker', 'onnx_models.py');
}

/** Builds the four .onnx files into `modelsDir` from the penguins CSV. */
export function buildOnnxModels(root: string, modelsDir: string, penguinsCsv: string): void {
  execFileSync(oraclePython(), [script(root), 'build', modelsDir, penguinsCsv]);
}

/**
 * A temporary project folder (`prefix` + random): data/penguins.csv (the fixture) and models/, the
 * models built into it unless `build` is false (no oracle Python: the tests that need them skip).
 */
export function onnxProject(root: string, prefix: string, build = true): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  mkdirSync(path.join(dir, 'data'));
  mkdirSync(path.join(dir, 'models'));
  cpSync(path.join(root, 'test', 'fixtures', 'penguins.csv'), path.join(dir, 'data', 'penguins.csv'));
  if (build) buildOnnxModels(root, path.join(dir, 'models'), path.join(dir, 'data', 'penguins.csv'));
  return dir;
}

/** Rows as the oracle takes them: the raw columns only, a missing one null. */
export function onnxRawRows(rows: readonly Readonly<Record<string, unknown>>[]): Record<string, unknown>[] {
  return rows.map((r) => Object.fromEntries(ONNX_RAW.map((f) => [f, r[f] ?? null])));
}

/** NumPy's outputs (onnx_models.py predict) for `rows` as given; `train`: the raw train split `scaled` refits its Transform from. */
export function onnxOracle(root: string, modelsDir: string, model: OnnxModelName, rows: readonly unknown[], train?: readonly unknown[]): OnnxPrediction {
  const out = execFileSync(oraclePython(), [script(root), 'predict', modelsDir], {
    input: JSON.stringify({ model, rows, ...(train ? { train } : {}) }),
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out.toString()) as OnnxPrediction;
}

/**
 * The examples the imported models are checked on: rows with every feature and sex present (Sql
 * over the raw ExampleGen stage `raw`), plus body_mass_kg, the label trees.onnx and scaled.onnx predict.
 */
export const ONNX_EXAMPLES_STAGE = `  examples:
    component: Sql
    inputs: { examples: raw.examples }
    params: { query: "SELECT *, body_mass_g / 1000.0 AS body_mass_kg FROM examples WHERE bill_length_mm IS NOT NULL AND bill_depth_mm IS NOT NULL AND flipper_length_mm IS NOT NULL AND body_mass_g IS NOT NULL AND sex IS NOT NULL" }
`;

/** The params of each raw-fed model's Importer (flow style): its source, label and input mapping. */
export const ONNX_IMPORT_PARAMS: Readonly<Record<Exclude<OnnxModelName, 'scaled'>, string>> = {
  linear: '{ source: models/linear.onnx, label: species, inputs: { features: [bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g] } }',
  trees: '{ source: models/trees.onnx, label: body_mass_kg, inputs: { flipper: flipper_length_mm, bill: bill_length_mm } }',
  mlp: '{ source: models/mlp.onnx, label: sex, classes: [female, male], inputs: { x: [bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g] } }',
};

/** One line: the stage `name` importing a raw-fed model. */
export function onnxImporterStage(model: Exclude<OnnxModelName, 'scaled'>, name: string = model): string {
  return `  ${name}: { component: Importer, params: ${ONNX_IMPORT_PARAMS[model]} }\n`;
}

/**
 * The Transform of `examples` (statistics, schema, transform) and `scaled`, the model trained
 * elsewhere on its features, imported with `feed: transform`.
 */
export const ONNX_TRANSFORM_STAGES = `  stats: { component: StatisticsGen, inputs: { examples: examples.examples } }
  schema: { component: SchemaGen, inputs: { statistics: stats.statistics } }
  transform: { component: Transform, inputs: { examples: examples.examples, schema: schema.schema }, params: { label: body_mass_kg, exclude: [body_mass_g] } }
  scaled:
    component: Importer
    inputs: { transform_graph: transform.transform_graph }
    params: { source: models/scaled.onnx, label: body_mass_kg, feed: transform, inputs: { x: [bill_length_mm, bill_depth_mm, flipper_length_mm], island: island } }
`;
