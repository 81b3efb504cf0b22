/**
 * Importer (TFX's name): brings a file or folder from the pipeline's folder into the store as the
 * artifact `artifact_type` names. The source is confined to the pipeline's folder (`resolvePath`:
 * no `..`, no absolute path outside, no symbolic link out — also none inside a source folder), and
 * its content hash is the stage's external fingerprint, so an edited file runs the stages after it
 * again while an unchanged one is reused from the cache.
 *
 * - Model: an `.onnx` file, checked and bound at import (onnxModel.ts): a malformed file, an input
 *   the mapping does not fit or an element type Pipewise cannot feed fails here, naming the input.
 *   The artifact is `model/model.onnx` (the file as it came) and `signature.json` (`modelFormat: onnx`),
 *   which every consumer reads through `loadServingModel`. With `feed: transform` the model's inputs
 *   are the features of the `transform_graph` input, checked against them here, and its
 *   `transform.json` is saved beside the model so that serving still takes raw rows. A folder with
 *   a `signature.json` is a Model artifact Pipewise wrote (a pushed version) and is copied as it
 *   is, after loading it once.
 * - Schema: a schema.json or schema.yaml (TFMD), checked as SchemaGen checks a curated one.
 * - Examples: a folder of `Split-<name>/data.parquet`.
 */
import { createHash } from 'node:crypto';
import { lstatSync, promises as fs } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import type { Importer } from '../../core/components/importComponents';
import { PipewiseError } from '../../core/errors';
import { pathEscape } from '../../core/paths';
import type { ComponentContext, ComponentExecutor } from '../component';
import { loadServingModel } from '../model/serving';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../model/files';
import { bindOnnxModel, loadOnnxRuntime, ONNX_MODEL_FILE, onnxGraphOf, openOnnxSession, servableOnnxBytes } from '../model/onnxModel';
import type { ModelSignature } from '../model/signature';
import type { TransformSpec } from '../transform/transformSpec';
import { protoJson } from '../../core/tfdv';
import { readSchemaFile, SCHEMA_FILE } from './schemaGen';
import { fingerprintArtifact, hashFile } from '../store';

export type ImporterParams = z.output<typeof Importer.params>;

/** Every file under a source folder, each checked not to lead out of the pipeline's folder. */
async function confinedFiles(pipelineDir: string, dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const r = rel ? path.join(rel, e.name) : e.name;
    const abs = path.join(dir, r);
    const why = pathEscape(pipelineDir, path.relative(pipelineDir, abs));
    if (why) throw new PipewiseError(`parameter 'source': ${path.relative(pipelineDir, abs)} is refused: ${why}`, { code: 'path-escape', file: abs });
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) {
      const target = await fs.stat(abs);
      if (target.isDirectory()) out.push(...(await confinedFiles(pipelineDir, dir, r)));
      else if (target.isFile()) out.push(r);
    } else if (e.isDirectory()) out.push(...(await confinedFiles(pipelineDir, dir, r)));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

/** A source folder copied file by file (links followed only inside the pipeline's folder). */
async function copyFolder(pipelineDir: string, source: string, dest: string): Promise<number> {
  const files = await confinedFiles(pipelineDir, source);
  for (const rel of files) {
    await fs.mkdir(path.dirname(path.join(dest, rel)), { recursive: true });
    await fs.copyFile(path.join(source, rel), path.join(dest, rel));
  }
  return files.length;
}

/** `feed: transform`: the transform_graph input's transform.json; the two must come together. */
async function feedingTransform(ctx: ComponentContext<ImporterParams>): Promise<TransformSpec | undefined> {
  const graph = ctx.inputs.transform_graph;
  if (ctx.params.feed !== 'transform') {
    if (graph) throw new PipewiseError(`input 'transform_graph' is given, but 'feed' is raw: set feed: transform for the Transform's features to feed the model, or drop the input`);
    return undefined;
  }
  if (!graph) throw new PipewiseError(`feed: transform needs the Transform as input 'transform_graph' (inputs: { transform_graph: <transform stage>.transform_graph })`);
  if (ctx.params.artifact_type !== 'Model') throw new PipewiseError(`feed: transform applies to an imported Model only, not to ${ctx.params.artifact_type}`);
  return readJson<TransformSpec>(path.join(graph.uri, 'transform.json'), 'transform.json of the transform_graph input');
}

async function importOnnx(ctx: ComponentContext<ImporterParams>, file: string, out: string): Promise<void> {
  const { params } = ctx;
  const what = `the ONNX model ${path.relative(ctx.pipelineDir, file)}`;
  const transform = await feedingTransform(ctx);
  const bytes = new Uint8Array(await fs.readFile(file));
  const graph = onnxGraphOf(bytes, what);
  const session = await openOnnxSession(bytes, what);
  let bound: ReturnType<typeof bindOnnxModel>;
  try {
    bound = bindOnnxModel(graph, session, { label: params.label ?? '', task: params.task, classes: params.classes, inputs: params.inputs, output: params.output, transform }, what);
  } finally {
    await session.release();
  }
  // The bytes that will be served load (a bypassed ZipMap's input made an output).
  const servable = await openOnnxSession(servableOnnxBytes(bytes, bound.binding), what);
  await servable.release();
  const ort = loadOnnxRuntime();
  const signature: ModelSignature = {
    task: bound.task,
    label: params.label ?? '',
    ...(bound.classes ? { classes: bound.classes } : {}),
    inputs: bound.inputs,
    backend: `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common}`,
    modelFormat: 'onnx',
    onnx: bound.binding,
    hyperparameters: {},
    imported: {
      source: path.relative(ctx.pipelineDir, file).split(path.sep).join('/'),
      sha256: createHash('sha256').update(bytes).digest('hex'),
      irVersion: graph.irVersion,
      opsets: Object.fromEntries(graph.opsets.map((o) => [o.domain || 'ai.onnx', o.version])),
    },
  };
  await writeFileAtomic(path.join(out, 'model', ONNX_MODEL_FILE), bytes);
  // The transform serving applies to raw rows before the model (loadOnnxServingModel reads it).
  if (transform) await writeJsonAtomic(path.join(out, 'transform.json'), transform);
  // Last: a signature.json means the rest of the artifact is there.
  await writeJsonAtomic(path.join(out, 'signature.json'), signature);
  ctx.setProperties('result', { format: 'onnx', task: signature.task, inputs: signature.inputs.length, ...(signature.classes ? { classes: signature.classes.length } : {}) });
  const feeds = bound.binding.feeds.map((f) => `${f.input} ← ${transform ? 'transformed ' : ''}${f.columns.join(', ')}`).join('; ');
  ctx.log('info', `imported ${what}: ${signature.task}${signature.classes ? ` (${signature.classes.join(', ')})` : ''}, inputs ${feeds}, output ${bound.binding.output}`);
}

async function importModel(ctx: ComponentContext<ImporterParams>, source: string, out: string): Promise<void> {
  const st = await fs.stat(source);
  if (st.isFile()) return importOnnx(ctx, source, out);
  // A Pipewise Model folder carries its own transform.json: a Transform fed to it would not be used.
  if (ctx.params.feed === 'transform' || ctx.inputs.transform_graph) throw new PipewiseError(`parameter 'feed': feed: transform applies to an .onnx file; ${path.relative(ctx.pipelineDir, source)} is a Pipewise Model folder, which carries its own transform`, { file: source });
  const signature = path.join(source, 'signature.json');
  if (!(await fs.stat(signature).catch(() => undefined))?.isFile()) {
    throw new PipewiseError(`parameter 'source': a Model is an .onnx file, or a Pipewise Model folder with signature.json; ${path.relative(ctx.pipelineDir, source)} is a folder without one`, { file: source });
  }
  const n = await copyFolder(ctx.pipelineDir, source, out);
  const model = await loadServingModel(out); // the copy loads, or the import fails here
  model.dispose();
  ctx.setProperties('result', { format: model.signature.modelFormat ?? 'tfjs', task: model.signature.task, files: n });
  ctx.log('info', `imported the Model folder ${path.relative(ctx.pipelineDir, source)} (${n} files)`);
}

async function importSchema(ctx: ComponentContext<ImporterParams>, source: string, out: string): Promise<void> {
  const schema = await readSchemaFile(source);
  await writeFileAtomic(path.join(out, SCHEMA_FILE), protoJson(schema));
  await writeFileAtomic(path.join(out, 'schema.yaml'), YAML.stringify(schema));
  ctx.setProperties('result', { features: schema.feature.length, source: 'imported' });
  ctx.log('info', `imported a schema of ${schema.feature.length} features`);
}

async function importExamples(ctx: ComponentContext<ImporterParams>, source: string, out: string): Promise<void> {
  const st = await fs.stat(source);
  const where = path.relative(ctx.pipelineDir, source);
  if (!st.isDirectory()) throw new PipewiseError(`parameter 'source': Examples are a folder of Split-<name>/data.parquet; ${where} is a file`, { file: source });
  const splits = (await fs.readdir(source)).filter((d) => /^Split-[A-Za-z0-9_-]+$/.test(d)).sort();
  if (splits.length === 0) throw new PipewiseError(`parameter 'source': ${where} has no Split-<name> folder (Examples are Split-<name>/data.parquet)`, { file: source });
  for (const s of splits) {
    if (!(await fs.stat(path.join(source, s, 'data.parquet')).catch(() => undefined))?.isFile()) {
      throw new PipewiseError(`parameter 'source': ${where}/${s} has no data.parquet`, { file: path.join(source, s) });
    }
  }
  await copyFolder(ctx.pipelineDir, source, out);
  ctx.setProperties('result', { splits: splits.map((s) => s.slice('Split-'.length)) });
  ctx.log('info', `imported Examples with splits ${splits.join(', ')}`);
}

export const importer: ComponentExecutor<ImporterParams> = {
  name: 'Importer',

  async run(ctx) {
    const out = ctx.outputs.result;
    if (!out) throw new Error('Importer: no `result` output folder');
    const source = ctx.resolvePath(ctx.params.source, 'source');
    if (!(await fs.stat(source).catch(() => undefined))) {
      throw new PipewiseError(`parameter 'source': ${JSON.stringify(ctx.params.source)} does not exist (${source})`, { file: source, code: 'file-not-found' });
    }
    if (ctx.params.artifact_type !== 'Model' && ctx.inputs.transform_graph) throw new PipewiseError(`input 'transform_graph' applies to an imported Model (feed: transform), not to ${ctx.params.artifact_type}`);
    if (ctx.params.artifact_type === 'Model') await importModel(ctx, source, out);
    else if (ctx.params.artifact_type === 'Schema') await importSchema(ctx, source, out);
    else await importExamples(ctx, source, out);
  },

  /** The source's content (a folder: every file's path and content), so an edited source runs the stage again. */
  async externalFingerprint(params, resolvePath) {
    const source = resolvePath(params.source, 'source');
    const st = await fs.stat(source).catch(() => undefined);
    if (!st) return 'missing';
    if (st.isFile()) return hashFile(source);
    return (await fingerprintArtifact(source)).fingerprint;
  },
};
