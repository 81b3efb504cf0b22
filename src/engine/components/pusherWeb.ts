/**
 * Pusher `target: web`: a self-contained folder that predicts in the browser, with no server —
 * `model/` (TF.js layers format, weights quantized when asked), `transform.json`, `signature.json`,
 * `pipewise-model.js` (the browser runtime built by esbuild into out/web/: the same transform,
 * input validation and output decoding as training and serving), and `index.html`, a form
 * generated from the model's raw features (vocabularies as drop-downs) that predicts in the page,
 * under a strict Content-Security-Policy (no inline script or style, nothing remote). A decision
 * forest's push holds YDF's zip in `model/` and YDF's own wasm build in `ydf/` instead of TF.js
 * (src/web/ydfWeb.ts), and its page's policy adds 'wasm-unsafe-eval' to compile it.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { PipewiseError } from '../../core/errors';
import type { ModelSignature } from '../model/servingModel';
import { quantizeModelFolder, type QuantizedSize } from '../model/quantizeModel';
import type { QuantizeDtype } from '../model/quantize';
import type { FittedFeature, TransformSpec } from '../transform/transformSpec';
import type { ArtifactRef } from '../../core/artifacts';
import { queryRows, quoteLiteral, withConnection } from '../duckdb';
import { Lineage, type Provenance } from '../lineage';
import { ArtifactStore } from '../store';
import { ydfBrowserFiles } from '../model/ydf';
import { YDF_WEB_DIR } from '../model/treeColumns';

export type TfjsMode = 'bundled' | 'external';

/** The files esbuild.mjs builds into out/web/, copied into every web push. */
export const WEB_RUNTIME_FILES = {
  bundled: 'pipewise-model.js',
  external: 'pipewise-model.external.js',
  demo: 'pipewise-demo.js',
  style: 'pipewise-demo.css',
  /** An imported ONNX model's runtime (onnxruntime-web) and its wasm binary, loaded from the pushed folder. */
  onnx: 'pipewise-model.onnx.js',
  onnxWasm: 'ort-wasm-simd-threaded.wasm',
} as const;

/**
 * The folder holding the built runtime: `web/` beside the running bundle (out/ in the repository
 * and the VSIX, lib/ in the CLI's npm package), or out/web/ of the repository when run from source.
 */
export function webRuntimeDir(): string {
  const candidates = [process.env.PIPEWISE_WEB_RUNTIME, path.join(__dirname, 'web'), path.resolve(__dirname, '../../../out/web')].filter((c): c is string => !!c);
  const found = candidates.find((c) => existsSync(path.join(c, WEB_RUNTIME_FILES.bundled)));
  if (!found) throw new PipewiseError(`the browser runtime (${WEB_RUNTIME_FILES.bundled}) is not built: looked in ${candidates.join(', ')}; run \`npm run build\``);
  return found;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A real row to start the form from, and where it comes from ("row 1 of the eval split"). */
export interface ExampleRow {
  readonly row: Readonly<Record<string, unknown>>;
  readonly where: string;
}

/**
 * The row the Try panel starts from (src/extension/models/tryPanel.ts): row 1 of the eval split
 * (else the train split) of the raw examples — ExampleGen's, found upstream of the model through
 * lineage. Undefined when lineage does not lead there (the form then starts from training means).
 */
export async function exampleRowOf(model: ArtifactRef, storeDir: string, signal?: AbortSignal): Promise<ExampleRow | undefined> {
  const provenance = await new Lineage(new ArtifactStore(storeDir).metadataDir).producerOf(model.id);
  const queue: Provenance[] = provenance ? [provenance] : [];
  let examples: string | undefined;
  while (queue.length && !examples) {
    const p = queue.shift() as Provenance;
    if (p.artifact.type === 'Examples' && p.execution?.component === 'ExampleGen') examples = p.artifact.uri;
    queue.push(...p.inputs);
  }
  if (!examples) return undefined;
  for (const split of ['eval', 'train']) {
    const file = path.join(examples, `Split-${split}`, 'data.parquet');
    if (!existsSync(file)) continue;
    const [row] = await withConnection((conn) => queryRows(conn, `SELECT * FROM read_parquet(${quoteLiteral(file)}) LIMIT 1`), signal);
    if (row) return { row, where: `row 1 of the ${split} split` };
  }
  return undefined;
}

/** A form field's text for a value of the example row ('' for a missing value). */
function fieldText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'bigint') return String(Number(v));
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** A readable default for a numeric field when no example row is found: the training mean (z-score) or the fill value. */
function defaultOf(f: FittedFeature | undefined): string {
  if (!f || f.rawType !== 'number' || !('fill' in f)) return '';
  const v = f.kind === 'zscore' ? f.mean : f.fill;
  return String(Number(v.toPrecision(4)));
}

/** index.html: one field per raw feature of the signature, in its order, filled from `example` when there is one. */
export function webPage(signature: ModelSignature, spec: TransformSpec | undefined, title: string, example?: ExampleRow): string {
  const byName = new Map((spec?.features ?? []).map((f) => [f.name, f]));
  const onnx = signature.modelFormat === 'onnx';
  const fields = signature.inputs.map((input) => {
    const f = byName.get(input.name);
    const id = `f-${esc(input.name)}`;
    const label = `<label for="${id}">${esc(input.name)}</label>`;
    const value = example ? fieldText(example.row[input.name]) : undefined;
    if (f?.kind === 'vocabulary') {
      const sel = (v: string): string => (value === v ? ' selected' : '');
      // A value the vocabulary lacks is still the row's value: offered as it is (the model maps it to out-of-vocabulary).
      const extra = value && !f.vocabulary.includes(value) ? [value] : [];
      const options = [...f.vocabulary, ...extra].map((v) => `<option value="${esc(v)}"${sel(v)}>${esc(v)}</option>`).join('');
      return `      ${label}\n      <select id="${id}" name="${esc(input.name)}">${options}<option value=""${sel('')}>(missing)</option></select>`;
    }
    if (input.type === 'number') {
      return `      ${label}\n      <input id="${id}" name="${esc(input.name)}" type="number" step="any" value="${esc(value ?? defaultOf(f))}">`;
    }
    return `      ${label}\n      <input id="${id}" name="${esc(input.name)}" type="text" value="${esc(value ?? '')}">`;
  });
  const what = signature.task === 'regression' ? `predicts ${esc(signature.label)}` : `classifies ${esc(signature.label)} (${(signature.classes ?? []).map(esc).join(', ')})`;
  // A decision forest runs YDF's wasm, which the page compiles: 'wasm-unsafe-eval' (wasm only, never JavaScript eval).
  const trees = signature.modelFormat === 'ydf';
  const runtimeName = trees ? `Yggdrasil Decision Forests (${esc(String(signature.hyperparameters.model))}, wasm)` : 'TensorFlow.js';
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'${trees || onnx ? " 'wasm-unsafe-eval'" : ''}; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${esc(title)}</title>
  <link rel="stylesheet" href="./${WEB_RUNTIME_FILES.style}">
  <script type="module" src="./${WEB_RUNTIME_FILES.demo}"></script>
</head>
<body>
  <header><h1>${esc(title)}</h1><p>A ${esc(signature.task)} model that ${what}, running in this page with ${onnx ? 'ONNX Runtime Web: the imported model as it is served' : `${runtimeName}: the same transform as training and serving`}, no server.${example ? ` The form starts from ${esc(example.where)} of its examples.` : ''}</p></header>
  <main>
    <form id="form" autocomplete="off">
${fields.join('\n')}
      <button id="predict" type="submit" disabled>Predict</button>
    </form>
    <section id="output" aria-live="polite">
      <p id="status">Loading the model…</p>
      <div id="result"></div>
    </section>
  </main>
</body>
</html>
`;
}

export interface WebPushOptions {
  readonly quantize?: QuantizeDtype;
  readonly tfjs: TfjsMode;
  /** The row the form starts from (exampleRowOf). */
  readonly example?: ExampleRow;
}

/** Lays out the web folder for the Model artifact `modelUri` in `dir` (which must be new). */
export async function writeWebFolder(modelUri: string, dir: string, opts: WebPushOptions): Promise<{ quantized?: QuantizedSize }> {
  const signatureText = await fs.readFile(path.join(modelUri, 'signature.json'), 'utf8');
  const signature = JSON.parse(signatureText) as ModelSignature;
  if (signature.modelFormat === 'onnx') return writeOnnxWebFolder(modelUri, dir, signature, signatureText, opts);
  const specText = await fs.readFile(path.join(modelUri, 'transform.json'), 'utf8');
  const spec = JSON.parse(specText) as TransformSpec;
  const trees = signature.modelFormat === 'ydf';
  if (trees && opts.quantize) {
    throw new PipewiseError(`target: web cannot push ${modelUri} with quantize: ${opts.quantize}: it is a decision forest (${String(signature.hyperparameters.model)}), which has no weights to quantize; leave out quantize`, { file: modelUri });
  }
  const runtime = webRuntimeDir();
  await fs.mkdir(dir, { recursive: true });
  let quantized: QuantizedSize | undefined;
  if (opts.quantize) quantized = await quantizeModelFolder(path.join(modelUri, 'model'), path.join(dir, 'model'), opts.quantize);
  else await fs.cp(path.join(modelUri, 'model'), path.join(dir, 'model'), { recursive: true });
  await fs.writeFile(path.join(dir, 'transform.json'), specText);
  await fs.writeFile(path.join(dir, 'signature.json'), signatureText);
  if (trees) {
    // The page predicts with YDF's own wasm from the folder, and needs no TF.js: the module without it.
    await fs.mkdir(path.join(dir, YDF_WEB_DIR));
    for (const [name, from] of Object.entries(ydfBrowserFiles())) await fs.copyFile(from, path.join(dir, YDF_WEB_DIR, name));
  }
  await fs.copyFile(path.join(runtime, WEB_RUNTIME_FILES[trees ? 'external' : opts.tfjs]), path.join(dir, 'pipewise-model.js'));
  await fs.copyFile(path.join(runtime, WEB_RUNTIME_FILES.demo), path.join(dir, WEB_RUNTIME_FILES.demo));
  await fs.copyFile(path.join(runtime, WEB_RUNTIME_FILES.style), path.join(dir, WEB_RUNTIME_FILES.style));
  await fs.writeFile(path.join(dir, 'index.html'), webPage(signature, spec, `Predict ${signature.label}`, opts.example));
  return quantized ? { quantized } : {};
}

/**
 * An imported ONNX model's web folder: `model/model.onnx`, `signature.json`, onnxruntime-web's
 * runtime as `pipewise-model.js` and its wasm binary (the page loads both from the folder), the demo
 * page (its CSP allows compiling wasm: 'wasm-unsafe-eval', still no inline or remote script); with
 * `feed: transform`, the `transform.json` the page applies to the form's raw values before the model.
 */
async function writeOnnxWebFolder(modelUri: string, dir: string, signature: ModelSignature, signatureText: string, opts: WebPushOptions): Promise<{ quantized?: QuantizedSize }> {
  if (opts.quantize) throw new PipewiseError(`target: web cannot quantize ${modelUri}: it is an imported ONNX model, pushed as it was imported; leave out quantize`, { file: modelUri });
  if (opts.tfjs === 'external') throw new PipewiseError(`tfjs: external does not apply to ${modelUri}: it is an imported ONNX model, run by onnxruntime-web bundled in pipewise-model.js`, { file: modelUri });
  const runtime = webRuntimeDir();
  for (const f of [WEB_RUNTIME_FILES.onnx, WEB_RUNTIME_FILES.onnxWasm]) {
    if (!existsSync(path.join(runtime, f))) throw new PipewiseError(`the ONNX browser runtime (${f}) is not built in ${runtime}; run \`npm run build\``);
  }
  await fs.mkdir(dir, { recursive: true });
  await fs.cp(path.join(modelUri, 'model'), path.join(dir, 'model'), { recursive: true });
  await fs.writeFile(path.join(dir, 'signature.json'), signatureText);
  const specText = signature.onnx?.feed === 'transform' ? await fs.readFile(path.join(modelUri, 'transform.json'), 'utf8') : undefined;
  if (specText !== undefined) await fs.writeFile(path.join(dir, 'transform.json'), specText);
  await fs.copyFile(path.join(runtime, WEB_RUNTIME_FILES.onnx), path.join(dir, 'pipewise-model.js'));
  await fs.copyFile(path.join(runtime, WEB_RUNTIME_FILES.onnxWasm), path.join(dir, WEB_RUNTIME_FILES.onnxWasm));
  await fs.copyFile(path.join(runtime, WEB_RUNTIME_FILES.demo), path.join(dir, WEB_RUNTIME_FILES.demo));
  await fs.copyFile(path.join(runtime, WEB_RUNTIME_FILES.style), path.join(dir, WEB_RUNTIME_FILES.style));
  // The transform's vocabularies give the form its choices, as for a trained model.
  const spec = specText === undefined ? undefined : (JSON.parse(specText) as TransformSpec);
  await fs.writeFile(path.join(dir, 'index.html'), webPage(signature, spec, `Predict ${signature.label}`, opts.example));
  return {};
}
