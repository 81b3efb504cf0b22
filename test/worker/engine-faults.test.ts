/**
 * Faults outside the pipeline's control, caused for real: a full disk under the store's lineage
 * records (a small tmpfs mounted over `.pipewise/metadata`, filled up to a chosen number of free
 * pages), and a run killed with SIGKILL. Runs the built CLI (`npm run test:worker` builds it).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { engineProject, pipewiseSync, startPipewise, TINY_PIPELINE } from './cli-helpers';

const PIPELINE = TINY_PIPELINE;

function project(pipeline = PIPELINE): { dir: string; file: string } {
  return engineProject('pipewise-faults-', pipeline);
}

function pipewise(args: string[]): { code: number | null; stdout: string; stderr: string } {
  return pipewiseSync(args, { timeoutMs: 120_000 });
}

const readJson = (p: string): unknown => JSON.parse(readFileSync(p, 'utf8'));
const PAGE = 4096;

/**
 * Mounts a 256 KiB tmpfs at `dir` and fills it with one file, leaving exactly `freePages` pages:
 * each small record the store writes takes one. Undefined when this machine cannot mount (not root).
 */
function fullTmpfs(dir: string, freePages: number): { filler: string; unmount: () => void } | undefined {
  mkdirSync(dir, { recursive: true });
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir], { encoding: 'utf8' });
  if (m.status !== 0) return undefined;
  const filler = path.join(dir, 'filler');
  const fd = openSync(filler, 'w');
  let size = 0;
  const chunk = Buffer.alloc(PAGE, 1);
  try {
    for (;;) size += writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  }
  ftruncateSync(fd, size - freePages * PAGE);
  closeSync(fd);
  return { filler, unmount: () => void spawnSync('umount', ['-l', dir]) };
}

function runIds(dir: string): { status: string; id: string }[] {
  const runs = path.join(dir, '.pipewise/metadata/runs');
  return readdirSync(runs)
    .filter((f) => f.endsWith('.json'))
    .map((f) => readJson(path.join(runs, f)) as { status: string; id: string });
}

for (const freePages of [1, 2]) {
  // 1 free page: the run's record fits, the stage's first record does not. 2: the stage runs, its
  // completion cannot be recorded (nor its failure, nor the run's end).
  test(`out of disk in the store's own writes (${freePages} free page${freePages > 1 ? 's' : ''}): the stage and path are named, the summary printed, the run ends failed`, (t: TestContext) => {
    const { dir, file } = project();
    const fs = fullTmpfs(path.join(dir, '.pipewise/metadata'), freePages);
    if (!fs) {
      t.skip('cannot mount a tmpfs here (needs root)');
      rmSync(dir, { recursive: true, force: true });
      return;
    }
    try {
      const r = pipewise(['run', file]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /no space left on device \(ENOSPC\)/);
      // The stage that could not record itself, and the file it was writing.
      assert.match(r.stderr, /numbers failed .*\.pipewise\/metadata\/executions\/[^ ]+\.json: cannot write: no space left on device/);
      assert.match(r.stderr, /scaled skipped/);
      assert.match(r.stderr, /pipewise: failed in .* — 1 failed, 1 skipped/);
      assert.match(r.stderr, /pipewise: error: the run's record could not be written: .*\.pipewise\/metadata\/runs\/.*\.json: cannot write: no space left on device/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.match(r.stdout, /numbers/, 'the per-stage summary on stdout');
      // Its record still says running (the disk was full): lineage tells it was interrupted.
      const listed = pipewise(['lineage', file, '--json']);
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual((JSON.parse(listed.stdout) as { runs: { status: string }[] }).runs.map((x) => x.status), ['interrupted']);

      // Room again: the next start marks the run (and an execution left running) failed, and runs.
      rmSync(fs.filler);
      const next = pipewise(['run', file, '--json']);
      assert.equal(next.code, 0, next.stderr);
      const statuses = runIds(dir).sort((a, b) => (a.id < b.id ? -1 : 1)).map((x) => x.status);
      assert.deepEqual(statuses, ['failed', 'succeeded']);
      const execs = path.join(dir, '.pipewise/metadata/executions');
      const states = readdirSync(execs).map((f) => (readJson(path.join(execs, f)) as { state: string }).state);
      assert.ok(!states.includes('running'), states.join(', '));
    } finally {
      fs.unmount();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('SIGKILL: lineage reports the run interrupted (its process is gone), not running', async () => {
  const { dir, file } = project(PIPELINE.replace('data/numbers.txt', 'data/numbers.txt, sleep_ms: 600'));
  try {
    const { child, exit } = startPipewise(['run', file]);
    const tmp = path.join(dir, '.pipewise/tmp');
    let started = false;
    for (let i = 0; i < 2400 && !started; i++) {
      started = existsSync(tmp) && readdirSync(tmp).some((id) => existsSync(path.join(tmp, id, 'examples/partial.txt')));
      if (!started) await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    await exit;
    assert.ok(started, 'the slow stage never started');
    // The record on disk says running, with the pid and start time of the killed process.
    const [record] = runIds(dir) as { status: string; pid?: number; processStart?: number }[];
    assert.equal(record?.status, 'running');
    assert.equal(record?.pid, child.pid);
    assert.equal(typeof record?.processStart, 'number');

    const text = pipewise(['lineage', file]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /interrupted/);
    assert.doesNotMatch(text.stdout, /running/);
    const json = JSON.parse(pipewise(['lineage', file, '--json']).stdout) as { runs: { status: string }[] };
    assert.deepEqual(json.runs.map((r) => r.status), ['interrupted']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
