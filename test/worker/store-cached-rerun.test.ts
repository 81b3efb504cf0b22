/**
 * A cached re-run reads the lineage's execution records once, not once per stage: a re-run of a
 * 10-stage pipeline (ExampleGen + 9 chained Sql stages on penguins) with history in its store counts
 * the reads of executions/*.json. Reading them per stage made a cached re-run's cost grow with the
 * store's history times the number of stages (issue 24: validate + 96 ms, two weeks later + 227 ms).
 * And `pipewise run` finishes a fully cached re-run in its own process, starting the supervised child
 * (src/cli/runSupervisor.ts) only for a run that executes a stage, with no trace of its attempt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs, { copyFileSync, mkdtempSync, promises as fsp, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  const readFileSync = fs.readFileSync;
  try {
    copyFileSync(path.join(root, 'test', 'fixtures', 'penguins.csv'), path.join(dir, 'penguins.csv'));
    const file = path.join(dir, 'p.pipeline.yaml');
    writeFileSync(file, tenStagePipeline());
    for (let r = 0; r < 3; r++) assert.equal((await runPipeline({ file })).status, 'succeeded');
    const executionsDir = path.join(dir, '.pipewise', 'metadata', 'executions');
    const records = readdirSync(executionsDir).length;
    let reads = 0;
    // Every way the engine reads a file, asynchronous or not.
    fsp.readFile = ((p: Parameters<typeof readFile>[0], ...rest: unknown[]) => {
      if (typeof p === 'string' && path.dirname(p) === executionsDir) reads++;
      return (readFile as (...a: unknown[]) => ReturnType<typeof readFile>)(p, ...rest);
    }) as typeof readFile;
    fs.readFileSync = ((p: Parameters<typeof readFileSync>[0], ...rest: unknown[]) => {
      if (typeof p === 'string' && path.dirname(p) === executionsDir) reads++;
      return (readFileSync as (...a: unknown[]) => ReturnType<typeof readFileSync>)(p, ...rest);
    }) as typeof readFileSync;
    const result = await runPipeline({ file });
    fsp.readFile = readFile;
    fs.readFileSync = readFileSync;
    assert.equal(result.status, 'succeeded');
    assert.ok(result.stages.every((s) => s.status === 'cached'), JSON.stringify(result.stages.map((s) => s.status)));
    // Recovery reads and checks each record once; the run's cache lookups use what it read.
    assert.ok(reads > 0, 'the reads of the records were counted');
    assert.ok(reads <= records, `${reads} reads of ${records} execution records in a cached re-run of ${STAGES} stages`);
  } finally {
    fsp.readFile = readFile;
    fs.readFileSync = readFileSync;
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

interface RecordedRun {
  readonly id: string;
  readonly pid: number;
  readonly worker?: { readonly pid: number };
  readonly stages: readonly { readonly name: string; readonly status: string }[];
}

test('pipewise run finishes a cached re-run in its own process; a stage to execute (changed input, damaged cache) goes to the supervised child, with no trace of the attempt', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-cached-rerun-'));
  try {
    copyFileSync(path.join(root, 'test', 'fixtures', 'penguins.csv'), path.join(dir, 'penguins.csv'));
    writeFileSync(
      path.join(dir, 'p.pipeline.yaml'),
      'pipeline: two\nstages:\n  examples:\n    component: ExampleGen\n    params: { input: penguins.csv }\n  kept:\n    component: Sql\n    inputs: { examples: examples.examples }\n    params: { query: "SELECT * FROM examples" }\n',
    );
    const cli = path.join(root, 'bin', 'pipewise.js');
    const run = (): { code: number | null; pid: number; statuses: string[]; stderr: string } => {
      const r = spawnSync(process.execPath, [cli, 'run', 'p.pipeline.yaml', '--json'], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return { code: r.status, pid: r.pid ?? -1, statuses: (JSON.parse(r.stdout) as { stages: { status: string }[] }).stages.map((s) => s.status), stderr: r.stderr };
    };
    const runsDir = path.join(dir, '.pipewise', 'metadata', 'runs');
    const executionsDir = path.join(dir, '.pipewise', 'metadata', 'executions');
    const runs = (): RecordedRun[] => readdirSync(runsDir).sort().map((f) => JSON.parse(readFileSync(path.join(runsDir, f), 'utf8')) as RecordedRun);
    const newest = (): RecordedRun => runs().at(-1) as RecordedRun;

    const first = run();
    assert.deepEqual(first.statuses, ['succeeded', 'succeeded']);
    assert.equal(newest().pid, first.pid, 'the records name the process the user started');
    assert.ok(newest().worker, 'stages that execute run in the supervised child (the records name it as worker)');

    const cached = run();
    assert.deepEqual(cached.statuses, ['cached', 'cached']);
    assert.equal(newest().pid, cached.pid);
    assert.equal(newest().worker, undefined, 'a fully cached re-run is finished by the process the user started, with no child');
    assert.equal(runs().length, 2);
    assert.equal(readdirSync(executionsDir).length, 4);

    // A flipped byte in the second stage's cached output: the check still catches it, and the repair runs supervised.
    const kept = readdirSync(path.join(dir, '.pipewise', 'artifacts', 'kept'));
    const split = path.join(dir, '.pipewise', 'artifacts', 'kept', kept[0] as string, 'examples', 'Split-train');
    const data = path.join(split, readdirSync(split)[0] as string);
    const bytes = readFileSync(data);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
    writeFileSync(data, bytes);
    const repaired = run();
    assert.deepEqual(repaired.statuses, ['cached', 'succeeded']);
    assert.match(repaired.stderr, /damaged/, 'the damaged output is reported once, by the run that repairs it');
    assert.equal(runs().length, 3, 'the attempt that handed over left no run record');
    assert.equal(readdirSync(executionsDir).length, 6, 'nor an execution record');
    assert.ok(newest().worker, 'the stage that executes runs in the supervised child');

    // A changed input: both stages execute, supervised.
    writeFileSync(path.join(dir, 'penguins.csv'), readFileSync(path.join(dir, 'penguins.csv'), 'utf8').replace('Adelie', 'Adelie '));
    const changed = run();
    assert.deepEqual(changed.statuses, ['succeeded', 'succeeded']);
    assert.ok(newest().worker);
    assert.equal(runs().length, 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
