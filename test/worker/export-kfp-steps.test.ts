/**
 * The parts of a Kubeflow step that fail: object-storage inputs where DuckDB's httpfs extension
 * cannot be loaded (this machine cannot download DuckDB extensions, so only the clear error is
 * tested here, never a real s3:// read), and `pipewise execute` given a bad ExecutorInput or stage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './kfp-helpers';

const cli = path.join(repoRoot, 'bin/pipewise.js');

function project(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-kfp-step-'));
  cpSync(path.join(repoRoot, 'examples/penguins'), dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}.pipewise`) });
  return dir;
}

for (const uri of ['s3://pipewise-test-bucket/penguins.csv', 'gs://pipewise-test-bucket/data/*.parquet', 'https://data.example/penguins.csv?v=1']) {
  test(`ExampleGen with input ${uri} fails with a clear error naming the URI and httpfs where the extension cannot be loaded`, () => {
    const dir = project();
    try {
      writeFileSync(path.join(dir, 'remote.pipeline.yaml'), `pipeline: remote\nstages:\n  examples:\n    component: ExampleGen\n    params: { input: "${uri}" }\n`);
      const validate = spawnSync(process.execPath, [cli, 'validate', path.join(dir, 'remote.pipeline.yaml')], { encoding: 'utf8' });
      assert.equal(validate.status, 0, `an object-storage input is a valid parameter: ${validate.stdout}${validate.stderr}`);
      // The extension folder is a plain file: neither LOAD nor INSTALL can succeed, with or without a network.
      const blocker = path.join(dir, 'no-extensions');
      writeFileSync(blocker, '');
      const r = spawnSync(process.execPath, [cli, 'run', path.join(dir, 'remote.pipeline.yaml'), '--json'], {
        encoding: 'utf8',
        env: { ...process.env, PIPEWISE_DUCKDB_EXTENSION_DIR: blocker },
      });
      assert.equal(r.status, 1, r.stderr);
      const stage = JSON.parse(r.stdout).stages[0];
      assert.equal(stage.status, 'failed');
      assert.ok(stage.error.startsWith(`${uri}: cannot read it: DuckDB's httpfs extension`), stage.error);
      assert.match(stage.error, /s3:\/\/, gs:\/\/ and https:\/\//);
      assert.match(stage.error, /PIPEWISE_DUCKDB_EXTENSION_DIR/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('pipewise execute refuses an ExecutorInput that is not JSON, an unknown stage, a missing output path: exit 2, one clear line', () => {
  const dir = project();
  try {
    const file = path.join(dir, 'penguins.pipeline.yaml');
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'execute', file, ...args], { encoding: 'utf8' });
    let r = run('--stage', 'examples', '--executor-input', '{inputs:');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^pipewise: error: executor input is not JSON .*"\{inputs:"\n$/);
    r = run('--stage', 'exampels', '--executor-input', '{}');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no stage 'exampels' in this pipeline \(stages: examples, statistics/);
    r = run('--stage', 'examples', '--executor-input', '{}');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no local path for output 'examples' \(give --output examples PATH\)/);
    r = run('--stage', 'examples', '--executor-input', '{}', '--output', 'examples', path.join(dir, 'out/examples'), '--input', 'x', dir);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /stage 'examples' has no input 'x'/);
    r = run('--stage', 'examples', '--executor-input', '{"inputs":{"parameterValues":{"splits":"half"}}}', '--output', 'examples', path.join(dir, 'out/examples'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /stage 'examples': invalid parameters: splits/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
