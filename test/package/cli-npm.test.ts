/**
 * The CLI as an npm package: `npm run pack:cli` makes pipewise-cli-<version>.tgz; installed globally
 * into an empty prefix (`npm install -g --prefix`), its `pipewise` runs a copy of the penguin pipeline
 * end to end from a folder outside the repository, with nothing of the repository on its module path.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

const root = path.resolve(__dirname, '..', '..');
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-cli-npm-'));
after(() => fs.rmSync(temp, { recursive: true, force: true }));

test('the npm package installs in a clean prefix and runs the penguin pipeline', () => {
  const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version as string;
  execFileSync(process.execPath, ['scripts/pack-cli.mjs', '--out', temp], { cwd: root, stdio: 'inherit' });
  const tgz = path.join(temp, `pipewise-cli-${version}.tgz`);
  const listed = execFileSync('tar', ['tzf', tgz], { encoding: 'utf8' }).trim().split('\n').sort();
  // The ONNX runtime of web pushes of imported models too: pipewise-model.onnx.js and onnxruntime-web's wasm.
  const web = ['ort-wasm-simd-threaded.wasm', 'pipewise-demo.css', 'pipewise-demo.js', 'pipewise-model.external.js', 'pipewise-model.js', 'pipewise-model.onnx.js'].map((f) => `package/lib/web/${f}`);
  assert.deepEqual(listed, ['package/LICENSE', 'package/README.md', 'package/bin/pipewise.js', 'package/lib/cli.js', ...web, 'package/package.json']);

  const prefix = path.join(temp, 'prefix');
  // --prefer-offline: the dependencies are the versions `npm ci` just put in npm's cache.
  // As the README says to install it: onnxruntime-node (optional) without its CUDA download.
  execFileSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', tgz], { stdio: 'inherit', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
  assert.ok(fs.existsSync(path.join(prefix, 'lib', 'node_modules', 'pipewise-cli', 'node_modules', 'onnxruntime-node', 'package.json')), 'onnxruntime-node is installed beside the CLI');
  const bin = path.join(prefix, 'bin', 'pipewise');
  assert.ok(fs.existsSync(bin), `${bin} exists`);

  const work = path.join(temp, 'penguins');
  fs.cpSync(path.join(root, 'examples', 'penguins'), work, { recursive: true, filter: (src) => !src.includes(`${path.sep}.pipewise`) && !src.includes(`${path.sep}serving`) });
  // A web push too (Pusher target: web): the installed CLI finds its browser runtime in lib/web/.
  const pipelineFile = path.join(work, 'penguins.pipeline.yaml');
  fs.appendFileSync(pipelineFile, '  push_web:\n    component: Pusher\n    inputs: { model: train.model, blessing: evaluate.blessing }\n    params: { destination: web/penguins, target: web }\n');
  const env = { PATH: `${path.join(prefix, 'bin')}:${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: temp, NODE_PATH: '' };
  assert.equal(execFileSync('pipewise', ['--version'], { cwd: work, env, encoding: 'utf8' }).trim(), `pipewise ${version}`);
  const r = spawnSync('pipewise', ['run', 'penguins.pipeline.yaml', '--json'], { cwd: work, env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { stages: { name: string; status: string }[] };
  assert.deepEqual(result.stages.map((s) => s.status), result.stages.map(() => 'succeeded'));
  assert.ok(result.stages.some((s) => s.name === 'push'), 'the example pushes a model');
  // Pusher's output is a real model folder under serving/.
  const pushed = fs.readdirSync(path.join(work, 'serving', 'penguins'));
  assert.equal(pushed.length, 1);
  const model = JSON.parse(fs.readFileSync(path.join(work, 'serving', 'penguins', pushed[0]!, 'model', 'model.json'), 'utf8')) as { weightsManifest: unknown[] };
  assert.ok(model.weightsManifest.length > 0, 'the pushed model has weights');
  const [webVersion] = fs.readdirSync(path.join(work, 'web', 'penguins'));
  const webDir = path.join(work, 'web', 'penguins', webVersion!);
  for (const f of ['index.html', 'pipewise-model.js', 'pipewise-demo.js', 'signature.json', 'transform.json', 'model/model.json']) assert.ok(fs.existsSync(path.join(webDir, f)), `the web push has ${f}`);
  assert.ok(fs.readFileSync(path.join(webDir, 'pipewise-model.js')).equals(fs.readFileSync(path.join(root, 'out', 'web', 'pipewise-model.js'))), 'the web push carries the built runtime');
});
