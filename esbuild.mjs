// Builds every bundle: the extension (CJS, `vscode` external), the worker and the CLI (Node, native
// and wasm modules external so they load from node_modules), the webviews and the notebook renderer
// (browser). `--watch` rebuilds on change; `--production` minifies into out/production/ (what the VSIX
// ships: scripts/package.mjs stages that folder as the VSIX's out/), so packaging never rewrites the
// development bundles that tests running meanwhile load from out/.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const outRoot = production ? 'out/production' : 'out';

// Loaded from node_modules at run time: native binaries, wasm files (TF.js's backend, YDF's decision
// forests, whose training.js reads training.wasm beside itself), and the optional tfjs-node.
const nodeExternals = ['vscode', '@duckdb/node-api', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-cpu', 'esbuild', 'ydf-training', 'jszip', 'onnxruntime-node'];

const common = { bundle: true, sourcemap: true, minify: production, logLevel: 'info', legalComments: 'none' };

const nodeEntries = {
  // The extension's entry (a few kB: command stubs) and its features, loaded after activation.
  extension: 'src/extension/extension.ts',
  features: 'src/extension/features.ts',
  worker: 'src/worker/main.ts',
  cli: 'src/cli/main.ts',
  // The `pipewise` command's entry: decides whether `run` is supervised before the CLI is loaded.
  launch: 'src/cli/launch.ts',
};

/** @type {esbuild.BuildOptions[]} */
const builds = [
  {
    ...common,
    entryPoints: Object.fromEntries(Object.entries(nodeEntries).filter(([, p]) => existsSync(p))),
    outdir: outRoot,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternals,
  },
];

// Each folder webviews/<name>/ with an index.ts is one browser bundle: out/webviews/<name>.js (+ .css).
// The notebook renderer must be an ES module; the webview panels are classic scripts.
const webviewDirs = existsSync('webviews')
  ? readdirSync('webviews', { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(path.join('webviews', d.name, 'index.ts')))
  : [];
for (const d of webviewDirs) {
  builds.push({
    ...common,
    entryPoints: { [d.name]: path.join('webviews', d.name, 'index.ts') },
    outdir: `${outRoot}/webviews`,
    platform: 'browser',
    format: d.name === 'renderer' ? 'esm' : 'iife',
    target: 'es2022',
    loader: { '.css': 'css', '.svg': 'text' },
  });
}

// The browser runtime of a web push (src/web/): out/web/pipewise-model.js (TensorFlow.js bundled),
// pipewise-model.external.js (the page's own TF.js), and the demo page's script and style. The
// Pusher (`target: web`) copies them beside the model. ES modules, always minified.
if (existsSync('src/web/webModel.ts')) {
  builds.push({
    ...common,
    minify: true,
    entryPoints: {
      'pipewise-model': 'src/web/webModel.ts',
      'pipewise-model.external': 'src/web/webModelExternal.ts',
      'pipewise-demo': 'src/web/demo.ts',
      // An imported ONNX model's runtime (onnxruntime-web's wasm build; its .wasm is copied below).
      'pipewise-model.onnx': 'src/web/webModelOnnx.ts',
    },
    outdir: `${outRoot}/web`,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: false,
  });
  builds.push({ ...common, minify: true, sourcemap: false, entryPoints: { 'pipewise-demo': 'src/web/demo.css' }, outdir: `${outRoot}/web` });
}

// Host tests (mocha inside VS Code): the entry test/host/index.ts and every suite
// test/host/suite/*.test.ts, each its own bundle; the entry finds the suites in out/test/host/suite/.
if (!production && existsSync('test/host/index.ts')) {
  const hostSuites = existsSync('test/host/suite')
    ? readdirSync('test/host/suite').filter((f) => f.endsWith('.test.ts')).map((f) => [`test/host/suite/${f.slice(0, -3)}`, `test/host/suite/${f}`])
    : [];
  builds.push({
    ...common,
    entryPoints: { 'test/host/index': 'test/host/index.ts', ...Object.fromEntries(hostSuites) },
    outdir: 'out',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: [...nodeExternals, 'mocha'],
  });
}

/**
 * onnxruntime-web's wasm binary beside pipewise-model.onnx.js: a web push of an ONNX model copies it
 * into the pushed folder, so the page loads it from there and nothing remote.
 */
function copyOnnxWasm() {
  const wasm = 'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm';
  if (!existsSync(wasm) || !existsSync(`${outRoot}/web`)) return;
  const target = `${outRoot}/web/ort-wasm-simd-threaded.wasm`;
  if (existsSync(target) && statSync(target).size === statSync(wasm).size) return;
  copyFileSync(wasm, target);
}

if (watch) {
  copyOnnxWasm();
  for (const b of builds) {
    const ctx = await esbuild.context(b);
    await ctx.watch();
  }
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  copyOnnxWasm();
}

// The pipeline files' JSON Schema (contributes.yamlValidation), generated from the zod declarations:
// src/core/jsonSchema.ts is bundled in memory and evaluated, so no script file is left behind.
{
  const { outputFiles } = await esbuild.build({ entryPoints: ['src/core/jsonSchema.ts'], bundle: true, write: false, platform: 'node', format: 'esm', logLevel: 'warning' });
  const { pipelineJsonSchema } = await import(`data:text/javascript;base64,${Buffer.from(outputFiles[0].text).toString('base64')}`);
  const { mkdirSync, writeFileSync } = await import('node:fs');
  mkdirSync(outRoot, { recursive: true });
  writeFileSync(`${outRoot}/pipeline.schema.json`, `${JSON.stringify(pipelineJsonSchema(), null, 2)}\n`);
}
