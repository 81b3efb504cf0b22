/**
 * A cached re-run reads the lineage's execution records once, not once per stage: a re-run of a
 * 10-stage pipeline (ExampleGen + 9 chained Sql stages on penguins) with history in its store counts
 * the reads of executions/*.json. Reading them per stage made a cached re-run's cost grow with the
 * store's history times the number of stages (issue 24: validate + 96 ms, two weeks later + 227 ms).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, promises as fsp, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPipeline } from '../../src/engine/orchestrator';

const root = path.resolve(__dirname, '../..');
const STAGES = 10;

function tenStagePipeline(): string {
  const lines = ['pipeline: cached_rerun', 'stages:', '  s0:', '    component: ExampleGen', '    params: { input: penguins.csv }'];
  for (let i = 1; i < STAGES; i++) {
    lines.push(`  s${i}:`, '    component: Sql', `    inputs: { examples: s${i - 1}.examples }`, `    params: { query: "SELECT * FROM examples WHERE body_mass_g IS NULL OR body_mass_g > ${i}" }`);
  }
  return `${lines.join('\n')}\n`;
}

test('a cached re-run reads each execution record once, whatever the number of stages', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-cached-rerun-'));
  const readFile = fsp.readFile;
  try {
    copyFileSync(path.join(root, 'test', 'fixtures', 'penguins.csv'), path.join(dir, 'penguins.csv'));
    const file = path.join(dir, 'p.pipeline.yaml');
    writeFileSync(file, tenStagePipeline());
    for (let r = 0; r < 3; r++) assert.equal((await runPipeline({ file })).status, 'succeeded');
    const executionsDir = path.join(dir, '.pipewise', 'metadata', 'executions');
    const records = readdirSync(executionsDir).length;
    let reads = 0;
    fsp.readFile = ((p: Parameters<typeof readFile>[0], ...rest: unknown[]) => {
      if (typeof p === 'string' && path.dirname(p) === executionsDir) reads++;
      return (readFile as (...a: unknown[]) => ReturnType<typeof readFile>)(p, ...rest);
    }) as typeof readFile;
    const result = await runPipeline({ file });
    fsp.readFile = readFile;
    assert.equal(result.status, 'succeeded');
    assert.ok(result.stages.every((s) => s.status === 'cached'), JSON.stringify(result.stages.map((s) => s.status)));
    // Recovery reads the records too (it checks them); the run's cache lookups must not read them again per stage.
    assert.ok(reads <= 2 * records + STAGES, `${reads} reads of ${records} execution records in a cached re-run of ${STAGES} stages`);
  } finally {
    fsp.readFile = readFile;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a cached re-run of a plain input file never loads DuckDB (its native module costs ~90 ms of the start)', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-cached-rerun-'));
  try {
    copyFileSync(path.join(root, 'test', 'fixtures', 'penguins.csv'), path.join(dir, 'penguins.csv'));
    writeFileSync(path.join(dir, 'p.pipeline.yaml'), 'pipeline: plain_input\nstages:\n  examples:\n    component: ExampleGen\n    params: { input: penguins.csv }\n');
    const cli = path.join(root, 'bin', 'pipewise.js');
    const first = spawnSync(process.execPath, [cli, 'run', 'p.pipeline.yaml'], { cwd: dir, encoding: 'utf8' });
    assert.equal(first.status, 0, first.stderr);
    // Node names every module it resolves under NODE_DEBUG=module: the observation needs no hook in the code.
    const again = spawnSync(process.execPath, [cli, 'run', 'p.pipeline.yaml', '--json'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_DEBUG: 'module' } });
    assert.equal(again.status, 0, again.stderr.slice(-2000));
    const result = JSON.parse(again.stdout) as { stages: { status: string }[] };
    assert.deepEqual(result.stages.map((s) => s.status), ['cached']);
    assert.match(again.stderr, /MODULE/, 'NODE_DEBUG=module traced the modules loaded');
    assert.doesNotMatch(again.stderr, /@duckdb/, 'the cached re-run loaded DuckDB');
    // An edit of the file still runs the stage again: the check is not weakened.
    writeFileSync(path.join(dir, 'penguins.csv'), readFileSync(path.join(dir, 'penguins.csv'), 'utf8').replace('Adelie', 'Adelie '));
    const edited = spawnSync(process.execPath, [cli, 'run', 'p.pipeline.yaml', '--json'], { cwd: dir, encoding: 'utf8' });
    assert.equal(edited.status, 0, edited.stderr);
    assert.deepEqual((JSON.parse(edited.stdout) as { stages: { status: string }[] }).stages.map((s) => s.status), ['succeeded']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
