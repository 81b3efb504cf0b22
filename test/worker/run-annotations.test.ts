/**
 * A run's name, note and star (issue 28): written by the worker beside the run record, atomically,
 * validated on read (an error naming the file and the value), printed by `pipewise lineage`, and
 * kept by `pipewise gc` — a starred run's artifacts survive `--keep 1`, an unstarred one's go.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkerClient } from '../../src/worker/client';
import { AnnotateRunRequest } from '../../src/protocol/store';
import { Lineage } from '../../src/engine/lineage';
import { PipewiseError } from '../../src/core/errors';
import type { RunResult } from '../../src/protocol/runEvents';
import { tinyPipeline, writeTinyProject } from './store-helpers';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'bin/pipewise.js');

function pipewise(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the tiny pipeline with the `scaled` stage's factor set, so each run makes its own `scaled` artifact. */
function runWithFactor(file: string, factor: number): RunResult {
  writeFileSync(file, tinyPipeline().replace('factor: 10', `factor: ${factor}`));
  const r = pipewise(['run', file, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as RunResult;
}

test('a run is renamed, noted and starred through the worker; lineage prints it; gc keeps the starred run and collects the unstarred one', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-annotations-'));
  const file = writeTinyProject(dir);
  const worker = new WorkerClient({ workerPath: path.join(root, 'out/worker.js') });
  try {
    const starred = runWithFactor(file, 10);
    const plain = runWithFactor(file, 20);
    runWithFactor(file, 30);
    const scaledOf = (r: RunResult): string => {
      const folder = r.stages.find((s) => s.name === 'scaled')?.artifacts.examples;
      assert.ok(folder, `run ${r.runId} made no scaled.examples`);
      return folder;
    };
    await worker.initialize();
    await worker.request(AnnotateRunRequest, { pipelineFile: file, runId: starred.runId, change: { name: 'baseline ×10', starred: true } });
    const stored = await worker.request(AnnotateRunRequest, { pipelineFile: file, runId: starred.runId, change: { note: 'first try\nfactor 10' } });
    assert.deepEqual(stored, { name: 'baseline ×10', note: 'first try\nfactor 10', starred: true });
    // Written atomically: the file alone, no temporary left beside it, and it parses to what was stored.
    const annotationsDir = path.join(dir, '.pipewise/metadata/annotations');
    assert.deepEqual(readdirSync(annotationsDir), [`${starred.runId}.json`]);
    assert.deepEqual(JSON.parse(readFileSync(path.join(annotationsDir, `${starred.runId}.json`), 'utf8')), stored);
    // '' removes a field; a run that does not exist is refused, naming it.
    await worker.request(AnnotateRunRequest, { pipelineFile: file, runId: plain.runId, change: { name: 'temp' } });
    assert.deepEqual(await worker.request(AnnotateRunRequest, { pipelineFile: file, runId: plain.runId, change: { name: '' } }), {});
    await assert.rejects(worker.request(AnnotateRunRequest, { pipelineFile: file, runId: '20990101-000000-000-abcdef', change: { starred: true } }), /no run "20990101-000000-000-abcdef"/);

    const listed = pipewise(['lineage', file]);
    assert.equal(listed.code, 0, listed.stderr);
    const line = listed.stdout.split('\n').find((l) => l.includes(starred.runId)) ?? '';
    assert.match(line, /^★ /);
    assert.match(line, /"baseline ×10"/);
    assert.match(listed.stdout, /note: first try\n\s+note: factor 10/);
    assert.doesNotMatch(listed.stdout.split('\n').find((l) => l.includes(plain.runId)) ?? '', /★|"/);

    const gc = pipewise(['gc', file, '--keep', '1', '--json']);
    assert.equal(gc.code, 0, gc.stderr);
    const report = JSON.parse(gc.stdout) as { kept: { id: string; why: string }[]; removed: { uri: string }[] };
    assert.ok(existsSync(scaledOf(starred)), 'the starred run’s artifact was collected');
    assert.ok(!existsSync(scaledOf(plain)), 'the unstarred old run’s artifact was kept');
    assert.ok(report.removed.some((r) => r.uri === scaledOf(plain)));
    assert.ok(report.kept.some((k) => k.why === `starred run ${starred.runId} (baseline ×10)`), JSON.stringify(report.kept));
  } finally {
    await worker.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('damaged annotations are an error naming the file and the value, from the engine and from pipewise lineage', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-annotations-bad-'));
  const file = writeTinyProject(dir);
  try {
    const run = runWithFactor(file, 10);
    const bad = path.join(dir, '.pipewise/metadata/annotations', `${run.runId}.json`);
    const lineage = new Lineage(path.join(dir, '.pipewise/metadata'));
    await lineage.annotateRun(run.runId, { starred: true });
    writeFileSync(bad, JSON.stringify({ starred: 'yes' }));
    await assert.rejects(lineage.runAnnotations(run.runId), (e: unknown) => e instanceof PipewiseError && e.message.includes(bad) && e.message.includes('"yes"'));
    // A refused change leaves the file as it was.
    await assert.rejects(lineage.annotateRun(run.runId, { note: 'x' }), PipewiseError);
    assert.equal(readFileSync(bad, 'utf8'), JSON.stringify({ starred: 'yes' }));
    writeFileSync(bad, '{"name": "unterminated');
    const listed = pipewise(['lineage', file]);
    assert.notEqual(listed.code, 0);
    assert.match(listed.stderr, new RegExp(`${run.runId}\\.json`));
    assert.match(listed.stderr, /not JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
