/**
 * Issue 18's security edges through the CLI (and the worker's validation request, which the
 * editor's diagnostics use): reading a pipeline never runs its user modules, paths are confined by
 * their real path (symbolic links resolved), `store:` is checked where it is written, a closed
 * stdout ends the CLI quietly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ValidatePipeline } from '../../src/protocol/worker';
import { WorkerClient } from '../../src/worker/client';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'bin/pipewise.js');

function pipewise(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'pipewise-sec-'));
}

/** A user component whose module writes `marker` when it is loaded (its top-level code runs). */
function markerComponent(dir: string, marker: string): void {
  mkdirSync(path.join(dir, 'components'), { recursive: true });
  writeFileSync(
    path.join(dir, 'components/my_step.js'),
    `'use strict';
const fs = require('node:fs');
const path = require('node:path');
fs.writeFileSync(${JSON.stringify(marker)}, 'the module ran');
exports.declaration = {
  name: 'MyStep', // a comment, and a string with a brace: "}"
  version: '1',
  inputs: {},
  outputs: { examples: { type: 'Examples', description: 'numbers.json' } },
};
exports.run = async (ctx) => {
  fs.writeFileSync(path.join(ctx.outputs.examples, 'numbers.json'), JSON.stringify([ctx.params.n]));
};
`,
  );
  writeFileSync(path.join(dir, 'my.pipeline.yaml'), 'pipeline: mine\nstages:\n  step:\n    component: ./components/my_step.js\n    params: { n: 7 }\n');
}

test('validate and lineage never run a user module; run does, and works', () => {
  const dir = tempDir();
  const marker = path.join(dir, 'MARKER');
  try {
    markerComponent(dir, marker);
    const file = path.join(dir, 'my.pipeline.yaml');
    const v = pipewise(['validate', file]);
    assert.equal(v.code, 0, v.stderr + v.stdout);
    assert.ok(!existsSync(marker), 'validate ran the module (the marker file appeared)');
    const l = pipewise(['lineage', file]);
    assert.equal(l.code, 0, l.stderr);
    assert.ok(!existsSync(marker), 'lineage ran the module');
    const r = pipewise(['run', file, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(marker), 'run loads the module to run its stage');
    const out = JSON.parse(r.stdout) as { stages: { status: string; artifacts: Record<string, string> }[] };
    assert.equal(out.stages[0]?.status, 'succeeded');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the worker's ValidatePipeline (the editor's diagnostics) never runs a user module", async () => {
  const dir = tempDir();
  const marker = path.join(dir, 'MARKER');
  const worker = new WorkerClient({ workerPath: path.join(root, 'out/worker.js') });
  try {
    markerComponent(dir, marker);
    const file = path.join(dir, 'my.pipeline.yaml');
    // An unknown parameter is still found: the declaration was read (statically).
    const text = 'pipeline: mine\nstages:\n  step:\n    component: ./components/my_step.js\n    inputs: { nope: step.examples }\n';
    const diagnostics = await worker.request(ValidatePipeline, { file, text });
    assert.ok(diagnostics.some((d) => /MyStep has no input 'nope'/.test(d.message)), JSON.stringify(diagnostics));
    assert.ok(!existsSync(marker), 'validation in the worker ran the module');
  } finally {
    worker.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The penguin example in a temp folder, with `outside` a folder beside it (not inside). */
function penguins(): { dir: string; file: string; outside: string; cleanup: () => void } {
  const top = tempDir();
  const dir = path.join(top, 'project');
  const outside = path.join(top, 'outside');
  mkdirSync(outside);
  cpSync(path.join(root, 'examples/penguins'), dir, { recursive: true, filter: (s) => !s.includes('.pipewise') });
  return { dir, file: path.join(dir, 'penguins.pipeline.yaml'), outside, cleanup: () => rmSync(top, { recursive: true, force: true }) };
}

test('a symlinked data file is refused at its position by validate, and with a clear error by run', () => {
  const p = penguins();
  try {
    writeFileSync(path.join(p.outside, 'secret.csv'), 'a,b\n1,2\n3,4\n');
    symlinkSync(path.join(p.outside, 'secret.csv'), path.join(p.dir, 'data/link.csv'));
    writeFileSync(p.file, 'pipeline: p\nstages:\n  examples:\n    component: ExampleGen\n    params: { input: data/link.csv }\n');
    const v = pipewise(['validate', p.file]);
    assert.equal(v.code, 2);
    assert.match(v.stdout, /penguins\.pipeline\.yaml:5:22: error: stage 'examples': parameter 'input': path "data\/link\.csv" is refused: it leads through a symbolic link to .*outside\/secret\.csv, outside the pipeline's folder/);
    const r = pipewise(['run', p.file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /:5:22: error: .*symbolic link/);
    assert.ok(!existsSync(path.join(p.dir, '.pipewise/artifacts')) || !readdirSync(path.join(p.dir, '.pipewise/artifacts')).length);
  } finally {
    p.cleanup();
  }
});

test('a symlinked folder under a glob is refused by validate and by the reader when the glob is matched', () => {
  const p = penguins();
  try {
    mkdirSync(path.join(p.dir, 'data/2024'));
    cpSync(path.join(p.dir, 'data/penguins.csv'), path.join(p.dir, 'data/2024/part.csv'));
    mkdirSync(path.join(p.outside, 'stolen'));
    cpSync(path.join(p.dir, 'data/penguins.csv'), path.join(p.outside, 'stolen/part.csv'));
    symlinkSync(path.join(p.outside, 'stolen'), path.join(p.dir, 'data/2025'));
    writeFileSync(p.file, 'pipeline: p\nstages:\n  examples:\n    component: ExampleGen\n    params:\n      input: data/*/part.csv\n');
    const v = pipewise(['validate', p.file]);
    assert.equal(v.code, 2, v.stdout);
    assert.match(v.stdout, /:6:14: error: stage 'examples': parameter 'input': path "data\/\*\/part\.csv" is refused: data\/2025: it leads through a symbolic link to .*outside\/stolen/);
  } finally {
    p.cleanup();
  }
});

test('store: outside the folder (../, absolute, a symlink) is reported by validate at its position', () => {
  const p = penguins();
  try {
    const head = 'pipeline: p\nstore: ';
    const tail = '\nstages:\n  examples:\n    component: ExampleGen\n    params: { input: data/penguins.csv }\n';
    for (const [store, why] of [
      ['../elsewhere', /leaves the pipeline's folder through \.\./],
      [path.join(p.outside, 'store'), /absolute path outside/],
    ] as const) {
      writeFileSync(p.file, head + store + tail);
      const v = pipewise(['validate', p.file]);
      assert.equal(v.code, 2, v.stdout + v.stderr);
      assert.match(v.stdout, new RegExp(`penguins\\.pipeline\\.yaml:2:8: error: store ${JSON.stringify(store).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is refused: .*${why.source}`));
    }
    symlinkSync(p.outside, path.join(p.dir, 'linked-store'));
    writeFileSync(p.file, head + 'linked-store' + tail);
    const v = pipewise(['validate', p.file]);
    assert.equal(v.code, 2);
    assert.match(v.stdout, /:2:8: error: store "linked-store" is refused: it leads through a symbolic link/);
    const r = pipewise(['run', p.file]);
    assert.equal(r.code, 2);
    assert.deepEqual(readdirSync(p.outside), [], 'run wrote into the linked store');
  } finally {
    p.cleanup();
  }
});

test('a closed stdout (pipewise … | head -1) ends the CLI quietly', async () => {
  const dir = tempDir();
  try {
    markerComponent(dir, path.join(dir, 'MARKER'));
    const file = path.join(dir, 'my.pipeline.yaml');
    for (let i = 0; i < 2; i++) assert.equal(pipewise(['run', file, '--force']).code, 0);
    for (const args of [['lineage', file], ['validate', file], ['run', file, '--json']]) {
      const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy(); // the reader went away before the first line
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.doesNotMatch(stderr, /EPIPE|Error:|at /, `${args[0]}: ${stderr}`);
      assert.notEqual(code, null);
      assert.ok(code === 0, `${args[0]} exited ${code}: ${stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
