/**
 * Two runs of one pipeline, as real processes: the CLI (`node bin/pipewise.js`) and the editor's
 * worker. The second is refused with a message naming the holder (pid, since when), or with
 * `--wait` queues behind it; a lock left by a SIGKILLed run is taken over; the store stays clean
 * (`pipewise doctor` exits 0) whatever the interleaving.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunPipeline } from '../../src/protocol/worker';
import { WorkerClient } from '../../src/worker/client';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'bin/pipewise.js');
const fixtures = path.join(root, 'test/fixtures/engine');

/** `numbers` waits until the file `release` exists, so the test decides how long its run holds the lock. */
const PIPELINE = (release: string): string => `pipeline: tiny
stages:
  numbers:
    component: ./components/emit_numbers.js
    params: { count: 4, wait_for: ${release} }
  scaled:
    component: ./components/scale_numbers.js
    inputs: { examples: numbers.examples }
    params: { factor: 10 }
`;

function project(release = 'release'): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-lock-'));
  mkdirSync(path.join(dir, 'components'));
  for (const f of readdirSync(fixtures)) cpSync(path.join(fixtures, f), path.join(dir, 'components', f));
  const file = path.join(dir, 'tiny.pipeline.yaml');
  writeFileSync(file, PIPELINE(release));
  return { dir, file };
}

function pipewise(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Running {
  readonly child: ChildProcess;
  readonly exit: Promise<number | null>;
  stderr(): string;
}

function start(args: string[]): Running {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout?.resume();
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exit, stderr: () => err };
}

async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The run holds the lock and its first stage is waiting for the release file. */
async function holding(dir: string, run: Running): Promise<void> {
  const tmp = path.join(dir, '.pipewise/tmp');
  await until(`the first run to start its stage (stderr: ${run.stderr()})`, () => existsSync(tmp) && readdirSync(tmp).some((id) => existsSync(path.join(tmp, id, 'examples/partial.txt'))));
}

const lockOf = (dir: string): { pid: number; since: string } => JSON.parse(readFileSync(path.join(dir, '.pipewise/lock'), 'utf8')) as { pid: number; since: string };

test('a second CLI run is refused naming the holder; with --wait it queues and then succeeds', async () => {
  const { dir, file } = project();
  const a = start(['run', file]);
  try {
    await holding(dir, a);
    const holder = lockOf(dir);
    assert.equal(holder.pid, a.child.pid);
    const runsBefore = readdirSync(path.join(dir, '.pipewise/metadata/runs'));

    const b = pipewise(['run', file, '--json']);
    assert.equal(b.code, 1, b.stderr);
    assert.equal(b.stdout, '');
    assert.ok(b.stderr.includes(`in use by "pipewise run tiny.pipeline.yaml" (pid ${a.child.pid}, since ${holder.since})`), b.stderr);
    assert.match(b.stderr, /--wait/);
    assert.deepEqual(readdirSync(path.join(dir, '.pipewise/metadata/runs')), runsBefore, 'the refused run wrote nothing');
    // doctor and gc respect the lock as well (they would take a live run's work for leftovers).
    const d = pipewise(['doctor', file]);
    assert.equal(d.code, 1);
    assert.match(d.stderr, new RegExp(`pid ${a.child.pid}`));

    const c = start(['run', file, '--wait']);
    await until('the queued run to say it waits', () => c.stderr().includes(`waiting for "pipewise run tiny.pipeline.yaml" (pid ${a.child.pid}`));
    assert.equal(c.child.exitCode, null, 'it is still waiting');
    writeFileSync(path.join(dir, 'release'), '');
    assert.equal(await a.exit, 0, a.stderr());
    assert.equal(await c.exit, 0, c.stderr());
    assert.match(c.stderr(), /numbers cached/);
    assert.equal(existsSync(path.join(dir, '.pipewise/lock')), false, 'released');
    const doctor = pipewise(['doctor', file]);
    assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
  } finally {
    a.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lock left by a SIGKILLed run is taken over; two waiting runs take it one after the other', async () => {
  const { dir, file } = project();
  const a = start(['run', file]);
  try {
    await holding(dir, a);
    const dead = a.child.pid as number;
    // Two runs queue behind it; then the holder dies without releasing.
    const b = start(['run', file, '--wait', '--json']);
    const c = start(['run', file, '--wait', '--json']);
    await until('both to wait', () => b.stderr().includes(`pid ${dead}`) && c.stderr().includes(`pid ${dead}`));
    writeFileSync(path.join(dir, 'release'), '');
    a.child.kill('SIGKILL');
    await a.exit;
    const [cb, cc] = await Promise.all([b.exit, c.exit]);
    assert.equal(cb, 0, b.stderr());
    assert.equal(cc, 0, c.stderr());
    // The killed run's execution was recovered by whichever came first, exactly once.
    const execs = readdirSync(path.join(dir, '.pipewise/metadata/executions')).map(
      (f) => JSON.parse(readFileSync(path.join(dir, '.pipewise/metadata/executions', f), 'utf8')) as { state: string; pid: number; error?: string },
    );
    const killed = execs.filter((e) => e.pid === dead);
    assert.deepEqual(killed.map((e) => e.state), ['failed']);
    assert.match(killed[0]?.error ?? '', /abandoned/);
    assert.equal(execs.filter((e) => e.state === 'running').length, 0);
    const doctor = pipewise(['doctor', file]);
    assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
  } finally {
    a.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the editor (worker RunPipeline) is refused while a CLI run holds the store, naming it', async () => {
  const { dir, file } = project();
  const a = start(['run', file]);
  const worker = new WorkerClient({ workerPath: path.join(root, 'out/worker.js') });
  try {
    await holding(dir, a);
    await assert.rejects(worker.request(RunPipeline, { file }), (e: unknown) => {
      const message = (e as Error).message;
      return message.includes(`in use by "pipewise run tiny.pipeline.yaml" (pid ${a.child.pid}, since ${lockOf(dir).since})`);
    });
    writeFileSync(path.join(dir, 'release'), '');
    assert.equal(await a.exit, 0, a.stderr());
    const r = await worker.request(RunPipeline, { file });
    assert.equal(r.status, 'succeeded');
  } finally {
    a.child.kill('SIGKILL');
    await worker.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
});
