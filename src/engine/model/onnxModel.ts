/**
 * Imported ONNX models (the Importer's `artifact_type: Model` with a `.onnx` source) behind the same
 * Model artifact and ServingModel interface as the TF.js and tree models: `model/model.onnx` plus a
 * `signature.json` whose `onnx` binding says which raw columns feed which model input and which
 * output holds the prediction. Run with onnxruntime-node (its CPU binaries ship in the npm package),
 * loaded on first use so that a pipeline without an imported model never loads it.
 *
 * Binding (`bindOnnxModel`), from the model's own metadata (onnxruntime's inputMetadata, and the
 * graph's nodes read by onnxProto.ts for what the runtime does not tell):
 * - inputs: the stage's `inputs:` map each model input to one column (an [N] or [N, 1] tensor) or to
 *   a list of columns (one [N, k] tensor, in that order); unmapped, an input is the column of its name.
 *   With `feed: transform` the columns are the Transform's features (a model trained elsewhere on
 *   transformed_examples), computed from raw rows with the transform.json saved beside the model;
 * - output: a classifier's float probabilities (the ZipMap's input when the model ends in a ZipMap,
 *   which onnxruntime's JavaScript API cannot return), else the one float output;
 * - classes: the stage's `classes:`, else the ZipMap's or classifier node's `classlabels_*`;
 * - task: the stage's `task:`, else classification when there are class labels, regression otherwise.
 * A mismatch (an input not mapped to a column of the table, columns on a fixed-width input of another
 * width, an element type Pipewise cannot feed) is refused here, at the Importer, naming the input.
 */
import { createRequire } from 'node:module';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type * as OrtTypes from 'onnxruntime-node';
import { PipewiseError, errorMessage } from '../../core/errors';
import type { TransformSpec } from '../transform/transformSpec';
import { readJson } from './files';
import { checkMissingAnswered, onnxFeeds, onnxPredictions, servableOnnxBytes, transformedRows } from './onnxFeeds';

export { servableOnnxBytes };
import { classLabelsOf, OnnxFormatError, readOnnxGraph, type OnnxGraph } from './onnxProto';
import type { ModelSignature, OnnxBinding, OnnxElementType, OnnxFeed, Prediction, ServingModel, Task } from './signature';

type Ort = typeof OrtTypes;

/** The file name of an imported model inside the Model artifact's `model/` folder. */
export const ONNX_MODEL_FILE = 'model.onnx';

let runtime: Ort | undefined;

/** onnxruntime-node, required on first use (a native module: esbuild keeps it external). */
export function loadOnnxRuntime(): Ort {
  if (runtime) return runtime;
  try {
    runtime = createRequire(__filename)('onnxruntime-node') as Ort;
  } catch (e) {
    // Absent: the CLI's optional dependency not installed, or a VSIX for a platform ONNX Runtime has no build for.
    throw new PipewiseError(
      `ONNX Runtime (onnxruntime-node) cannot be loaded on ${process.platform}-${process.arch}: ${errorMessage(e).split('\n')[0]}. It ships for Linux (glibc) x64/arm64, macOS arm64 and Windows x64/arm64; for the CLI install it with ONNXRUNTIME_NODE_INSTALL=skip npm install -g onnxruntime-node (the variable skips its CUDA download)`,
    );
  }
  return runtime;
}

/** What the stage's parameters say about an imported model (the Importer's params). */
export interface OnnxImportOptions {
  readonly label: string;
  readonly task?: Task | 'classification';
  readonly classes?: readonly (string | number)[];
  /** Model input → a column, or a list of columns in order. */
  readonly inputs?: Readonly<Record<string, string | readonly string[]>>;
  readonly output?: string;
  /** `feed: transform`: the Transform whose features feed the model (the Importer's transform_graph). */
  readonly transform?: TransformSpec;
}

const FEEDABLE: readonly OnnxElementType[] = ['float32', 'float64', 'int64', 'int32', 'string', 'bool'];

/** Opens a session on the bytes; a malformed file is a PipewiseError naming `what`. */
export async function openOnnxSession(bytes: Uint8Array, what: string): Promise<OrtTypes.InferenceSession> {
  const ort = loadOnnxRuntime();
  try {
    return await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
  } catch (e) {
    throw new PipewiseError(`${what}: ONNX Runtime cannot load the model: ${errorMessage(e)}`);
  }
}

/** The graph of the file's bytes, or a PipewiseError naming `what`. */
export function onnxGraphOf(bytes: Uint8Array, what: string): OnnxGraph {
  try {
    return readOnnxGraph(bytes);
  } catch (e) {
    throw new PipewiseError(`${what} is not a valid ONNX model: ${e instanceof OnnxFormatError ? e.message : errorMessage(e)}`);
  }
}

/**
 * The binding and the signature's task, classes and raw inputs for an ONNX model, checked against
 * the table's columns (`columns`: name → number | string, the raw types of the examples, when known).
 */
export function bindOnnxModel(
  graph: OnnxGraph,
  session: Pick<OrtTypes.InferenceSession, 'inputMetadata' | 'outputMetadata'>,
  options: OnnxImportOptions,
  what: string,
): Pick<ModelSignature, 'task' | 'classes' | 'inputs'> & { binding: OnnxBinding } {
  const refuse = (message: string): PipewiseError => new PipewiseError(`${what}: ${message}`);
  const modelInputs = session.inputMetadata.map((m) => m.name);
  const spec = options.transform;
  // feed: transform — what each transformed feature is: a scaled number, or an index (one-hot slot).
  const transformed = new Map<string, 'scaled' | 'index'>();
  for (const f of spec?.features ?? []) transformed.set(f.name, f.kind === 'zscore' || f.kind === 'minmax' || f.kind === 'identity' ? 'scaled' : 'index');
  for (const c of spec?.crosses ?? []) transformed.set(c.name, 'index');
  for (const name of Object.keys(options.inputs ?? {})) {
    if (!modelInputs.includes(name)) throw refuse(`'inputs' maps '${name}', but the model has no input of that name (its inputs: ${modelInputs.join(', ')})`);
  }
  const feeds: OnnxFeed[] = session.inputMetadata.map((m) => {
    if (!m.isTensor) throw refuse(`model input '${m.name}' is not a tensor (a sequence or map), which Pipewise cannot feed from table columns`);
    const elementType = m.type as OnnxElementType;
    if (!FEEDABLE.includes(elementType)) throw refuse(`model input '${m.name}' has element type ${m.type}; Pipewise feeds ${FEEDABLE.join(', ')}`);
    const mapped = options.inputs?.[m.name] ?? m.name;
    const columns = typeof mapped === 'string' ? [mapped] : [...mapped];
    if (columns.length === 0) throw refuse(`model input '${m.name}' is mapped to no column`);
    const shape = m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : null));
    if (shape.length === 0 || shape.length > 2) throw refuse(`model input '${m.name}' has rank ${shape.length} (shape [${shape.map((d) => d ?? '?').join(', ')}]); Pipewise feeds [N] or [N, columns] tensors`);
    const width = shape.length === 2 ? shape[1] : 1;
    if (width !== null && width !== undefined && width !== columns.length) {
      throw refuse(`model input '${m.name}' takes ${width} value${width === 1 ? '' : 's'} per row (shape [${shape.map((d) => d ?? 'N').join(', ')}]), but ${columns.length} column${columns.length === 1 ? ' is' : 's are'} mapped to it (${columns.join(', ')})`);
    }
    if (shape.length === 1 && columns.length !== 1) throw refuse(`model input '${m.name}' is one value per row (shape [N]), but ${columns.length} columns are mapped to it (${columns.join(', ')})`);
    if (spec) {
      const unknown = columns.filter((c) => !transformed.has(c));
      if (unknown.length) {
        throw refuse(`model input '${m.name}' is fed by the Transform (feed: transform), which has no feature${unknown.length === 1 ? '' : 's'} ${unknown.map((c) => `'${c}'`).join(', ')} (its features: ${[...transformed.keys()].join(', ')}${spec.label.name ? `; '${spec.label.name}' is its label` : ''})`);
      }
      if (elementType === 'string' || elementType === 'bool') throw refuse(`model input '${m.name}' takes ${elementType} values, but the Transform's features are numbers (feed: transform)`);
      const scaled = columns.filter((c) => transformed.get(c) === 'scaled');
      if ((elementType === 'int64' || elementType === 'int32') && scaled.length) {
        throw refuse(`model input '${m.name}' takes ${elementType} values, but the Transform's feature${scaled.length === 1 ? '' : 's'} ${scaled.map((c) => `'${c}'`).join(', ')} ${scaled.length === 1 ? 'is a scaled number' : 'are scaled numbers'}, not an index`);
      }
    }
    return { input: m.name, columns, elementType, shape };
  });

  const zipMap = graph.nodes.find((n) => n.opType === 'ZipMap');
  const classifier = graph.nodes.find((n) => /Classifier$/.test(n.opType) && n.domain === 'ai.onnx.ml');
  const carried = (zipMap && classLabelsOf(zipMap)) ?? (classifier && classLabelsOf(classifier));
  const classes = options.classes?.map(String) ?? carried;

  const tensorOutputs = session.outputMetadata.filter((m): m is OrtTypes.InferenceSession.TensorValueMetadata => m.isTensor);
  const floats = tensorOutputs.filter((m) => m.type === 'float32' || m.type === 'float64');
  let output: string;
  let exposeOutput = false;
  if (options.output) {
    const declared = session.outputMetadata.find((m) => m.name === options.output);
    if (!declared) throw refuse(`'output' names '${options.output}', but the model's outputs are ${session.outputMetadata.map((m) => m.name).join(', ')}`);
    if (!declared.isTensor || (declared.type !== 'float32' && declared.type !== 'float64')) throw refuse(`model output '${options.output}' is not a float tensor`);
    output = options.output;
  } else if (zipMap && zipMap.inputs[0]) {
    // The ZipMap's input is the classifier's probability tensor: read it instead of the maps.
    output = zipMap.inputs[0];
    exposeOutput = !session.outputMetadata.some((m) => m.name === output);
  } else if (classifier && classifier.outputs[1] && floats.some((m) => m.name === classifier.outputs[1])) {
    output = classifier.outputs[1];
  } else if (floats.length === 1 && floats[0]) {
    output = floats[0].name;
  } else {
    throw refuse(`cannot tell which output is the prediction (float outputs: ${floats.map((m) => m.name).join(', ') || 'none'}): name it with 'output'`);
  }

  const outMeta = floats.find((m) => m.name === output);
  // Unknown for a bypassed ZipMap's input (not an output of the file): checked at the first prediction.
  const outWidth = outMeta ? (outMeta.shape.length >= 2 ? outMeta.shape[outMeta.shape.length - 1] : 1) : undefined;
  let task: Task;
  if (options.task === 'regression' || (!options.task && !classes)) task = 'regression';
  else if (options.task === 'binary' || options.task === 'multiclass') task = options.task;
  else task = (classes?.length ?? (typeof outWidth === 'number' ? outWidth : 0)) === 2 ? 'binary' : 'multiclass';
  if (task !== 'regression') {
    if (!classes || classes.length < 2) {
      throw refuse(`a ${task} model needs its class labels, and the model carries none (no ZipMap or classifier labels): give them with 'classes', in the order of output '${output}'`);
    }
    if (task === 'binary' && classes.length !== 2) throw refuse(`a binary model has 2 classes, got ${classes.length} (${classes.join(', ')})`);
    if (typeof outWidth === 'number' && outWidth !== classes.length && !(task === 'binary' && outWidth === 1)) {
      throw refuse(`model output '${output}' gives ${outWidth} values per row, but ${classes.length} classes are named (${classes.join(', ')})`);
    }
  } else if (typeof outWidth === 'number' && outWidth !== 1) {
    throw refuse(`a regression model gives one value per row, but output '${output}' gives ${outWidth}`);
  }

  // The raw columns a request carries: the mapped columns, or the raw features behind the transformed ones.
  const inputs = new Map<string, 'number' | 'string'>();
  if (spec) {
    const rawType = new Map(spec.features.map((f) => [f.name, f.rawType] as const));
    for (const f of feeds) {
      for (const c of f.columns) for (const raw of spec.crosses.find((x) => x.name === c)?.features ?? [c]) inputs.set(raw, rawType.get(raw) ?? 'string');
    }
  } else {
    for (const f of feeds) for (const c of f.columns) inputs.set(c, f.elementType === 'string' ? 'string' : 'number');
  }
  if (inputs.has(options.label)) throw refuse(`the label column '${options.label}' is mapped to a model input`);
  return {
    task,
    ...(task === 'regression' ? {} : { classes }),
    inputs: [...inputs].map(([name, type]) => ({ name, type })),
    binding: { file: ONNX_MODEL_FILE, feeds, output, ...(spec ? { feed: 'transform' as const } : {}), ...(exposeOutput ? { exposeOutput } : {}) },
  };
}

/**
 * Predicts raw rows with an open session: the feeds (through the Transform's features when the
 * binding says `feed: transform`), one run, the output decoded.
 */
export async function predictOnnx(ort: Ort, session: OrtTypes.InferenceSession, signature: ModelSignature, rows: readonly Readonly<Record<string, unknown>>[], spec?: TransformSpec, firstRow = 0): Promise<Prediction[]> {
  const binding = signature.onnx;
  if (!binding) throw new PipewiseError('signature.json has no onnx binding');
  if (rows.length === 0) return [];
  if (binding.feed === 'transform' && !spec) throw new PipewiseError('the model is fed by the Transform (feed: transform), but no transform.json was loaded with it');
  const feeds: Record<string, OrtTypes.Tensor> = {};
  for (const f of onnxFeeds(binding, spec ? transformedRows(binding, spec, rows) : rows, firstRow)) feeds[f.input] = new ort.Tensor(f.type, f.data, f.dims);
  let result: OrtTypes.InferenceSession.OnnxValueMapType;
  try {
    result = await session.run(feeds, [binding.output]);
  } catch (e) {
    throw new PipewiseError(`ONNX Runtime failed on ${rows.length} row${rows.length === 1 ? '' : 's'} (inputs ${binding.feeds.map((f) => `'${f.input}' ${f.elementType} [${f.columns.join(', ')}]`).join('; ')}): ${errorMessage(e)}`);
  }
  const out = result[binding.output] as OrtTypes.Tensor | undefined;
  if (!out) throw new PipewiseError(`ONNX Runtime returned no output '${binding.output}'`);
  const data = out.data as Float32Array | Float64Array;
  const predictions = onnxPredictions(signature, data, out.dims, rows.length);
  for (const t of Object.values(feeds)) t.dispose();
  out.dispose();
  checkMissingAnswered(binding, rows, predictions, firstRow);
  return predictions;
}

/** Rows per session.run, so that a large table never becomes one huge tensor. */
const PREDICT_CHUNK = 8192;

/** A Model artifact holding an imported ONNX model, loaded for prediction from raw rows. */
export async function loadOnnxServingModel(modelArtifactUri: string, signature: ModelSignature): Promise<ServingModel> {
  const binding = signature.onnx;
  if (!binding) throw new PipewiseError(`cannot load the model at ${modelArtifactUri}: signature.json says modelFormat onnx but has no onnx binding`, { file: modelArtifactUri });
  const file = path.join(modelArtifactUri, 'model', path.basename(binding.file));
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.readFile(file));
  } catch (e) {
    throw new PipewiseError(`cannot load the model at ${modelArtifactUri}: ${errorMessage(e)}`, { file });
  }
  // feed: transform — the Importer saved the Transform's transform.json beside the model.
  const spec = binding.feed === 'transform' ? await readJson<TransformSpec>(path.join(modelArtifactUri, 'transform.json'), `transform.json of the model at ${modelArtifactUri}`) : undefined;
  const ort = loadOnnxRuntime();
  const session = await openOnnxSession(servableOnnxBytes(bytes, binding), `the model at ${modelArtifactUri}`);
  return {
    signature,
    async predict(rows) {
      const out: Prediction[] = [];
      for (let start = 0; start < rows.length; start += PREDICT_CHUNK) out.push(...(await predictOnnx(ort, session, signature, rows.slice(start, start + PREDICT_CHUNK), spec, start)));
      return out;
    },
    dispose(): void {
      void session.release();
    },
  };
}
