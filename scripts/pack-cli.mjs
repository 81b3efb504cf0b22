// Packs the `pipewise` CLI as its own npm package, for CI machines and terminals without the editor:
//
//   npm run pack:cli          → pipewise-cli-<version>.tgz in the repository's root
//   npm install -g ./pipewise-cli-<version>.tgz && pipewise run my.pipeline.yaml
//
// The package holds the minified CLI bundle (the engine is inlined), its launcher, README and
// LICENSE; no tests, no webviews, no extension. What the bundle loads at run time from node_modules —
// DuckDB's Node API (whose platform binding npm picks at install), TensorFlow.js and its wasm backend —
// is declared at the exact versions the repository is tested with; esbuild (for TypeScript user
// modules) is optional. tfjs-node is left out: its install downloads libtensorflow; the CLI uses it
// when it is installed beside it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { 'skip-build': { type: 'boolean', default: false }, out: { type: 'string' } } });
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const installedVersion = (name) => JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).version;

export const CLI_PACKAGE_NAME = 'pipewise-cli';
const RUNTIME = ['@duckdb/node-api', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'ydf-training', 'jszip'];
// onnxruntime-node (imported ONNX models, loaded when first needed): optional, because its install
// script fetches CUDA files from outside the npm registry unless ONNXRUNTIME_NODE_INSTALL=skip; without
// it everything but ONNX models works, and using one says how to install it.
const OPTIONAL = ['esbuild', 'onnxruntime-node'];

if (!values['skip-build']) {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [path.join(root, 'src/cli/main.ts')],
    outfile: path.join(root, 'out/cli-package/cli.js'),
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    legalComments: 'none',
    logLevel: 'warning',
    external: ['vscode', '@duckdb/node-api', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs', 'esbuild', 'ydf-training', 'jszip', 'onnxruntime-node'],
  });
}

const stageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-cli-'));
try {
  fs.mkdirSync(path.join(stageDir, 'bin'));
  fs.mkdirSync(path.join(stageDir, 'lib'));
  fs.copyFileSync(path.join(root, 'out/cli-package/cli.js'), path.join(stageDir, 'lib/cli.js'));
  // The browser runtime a web push copies (Pusher target: web): lib/web/, beside cli.js (built by esbuild.mjs).
  fs.mkdirSync(path.join(stageDir, 'lib/web'));
  for (const f of ['pipewise-model.js', 'pipewise-model.external.js', 'pipewise-demo.js', 'pipewise-demo.css', 'pipewise-model.onnx.js', 'ort-wasm-simd-threaded.wasm']) {
    const from = path.join(root, 'out/web', f);
    if (!fs.existsSync(from)) throw new Error(`${from} is missing: run npm run build first`);
    fs.copyFileSync(from, path.join(stageDir, 'lib/web', f));
  }
  fs.writeFileSync(path.join(stageDir, 'bin/pipewise.js'), "#!/usr/bin/env node\n'use strict';\nrequire('../lib/cli.js');\n", { mode: 0o755 });
  fs.copyFileSync(path.join(root, 'LICENSE'), path.join(stageDir, 'LICENSE'));
  fs.writeFileSync(
    path.join(stageDir, 'README.md'),
    `# pipewise-cli\n\nThe command line of [Pipewise](${manifest.homepage ?? ''}): production ML pipelines the TFX way, in TypeScript.\n\n` +
      '```sh\nnpm install -g pipewise-cli\npipewise run my.pipeline.yaml        # run a pipeline (cached stages are reused)\npipewise validate my.pipeline.yaml   # FILE:LINE:COL: error: … and exit 2 on problems\npipewise stats data.csv              # TFDV statistics of a data file\npipewise lineage my.pipeline.yaml    # runs, executions and artifacts\n```\n\n' +
      'Needs Node.js 20 or later. Training runs on TensorFlow.js (wasm); install `@tensorflow/tfjs-node` beside it for the native backend.\n',
  );
  const pkg = {
    name: CLI_PACKAGE_NAME,
    version: manifest.version,
    description: 'Pipewise on the command line: run, validate and inspect TFX-style ML pipelines (DuckDB data validation, TensorFlow.js training).',
    license: manifest.license,
    keywords: manifest.keywords,
    repository: manifest.repository,
    bugs: manifest.bugs,
    homepage: manifest.homepage,
    bin: { pipewise: 'bin/pipewise.js' },
    files: ['bin/', 'lib/', 'README.md', 'LICENSE'],
    engines: { node: '>=20' },
    dependencies: Object.fromEntries(RUNTIME.map((n) => [n, installedVersion(n)])),
    optionalDependencies: Object.fromEntries(OPTIONAL.map((n) => [n, installedVersion(n)])),
  };
  fs.writeFileSync(path.join(stageDir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  const outDir = path.resolve(values.out ?? root);
  const json = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', outDir], { cwd: stageDir, encoding: 'utf8' }));
  const { filename, size, unpackedSize, files } = json[0];
  console.log(`CLI package: ${path.relative(process.cwd(), path.join(outDir, filename)) || filename}, ${(size / 1024).toFixed(0)} kB (${(unpackedSize / 1024).toFixed(0)} kB unpacked), ${files.length} files: ${files.map((f) => f.path).join(', ')}`);
} finally {
  fs.rmSync(stageDir, { recursive: true, force: true });
}
