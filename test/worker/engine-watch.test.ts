/**
 * `pipewise run --watch` as a user runs it: one run at start, another when a new span folder
 * arrives (ExampleGen reads it: not cached), none for what runs write themselves, and Ctrl-C ends
 * it with exit 0. Each run is supervised: a native crash of one is its stage's failure, and the watch goes on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunResult } from '../../src/protocol/runEvents';
import { engineProject, jsonRuns, startPipewise } from './cli-helpers';
import { waitFor } from './serve-helpers';
import { exampleGenStage, pipelineText, statisticsGenStage } from '../pipelineText';

const PIPELINE = pipelineText('watched', exampleGenStage('data/span-{SPAN}/*.csv', 'block'), statisticsGenStage());

test('run --watch runs again on a new span, not on its own outputs, and ends cleanly on SIGINT', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-watch-'));
  mkdirSync(path.join(dir, 'data/span-1'), { recursive: true });
  writeFileSync(path.join(dir, 'data/span-1/a.csv'), 'x,y\n1,a\n2,b\n3,c\n');
  const file = path.join(dir, 'w.pipeline.yaml');
  writeFileSync(file, PIPELINE);
  const { child: p, exit: exited, stdout, stderr } = startPipewise(['run', file, '--watch', '--json']);
  const runs = (): RunResult[] => jsonRuns(stdout());
  try {
    await waitFor('the first run', () => (runs().length >= 1 && /watching for changes/.test(stderr()) ? true : undefined));
    assert.equal(runs()[0]?.stages.find((s) => s.name === 'examples')?.status, 'succeeded');
    mkdirSync(path.join(dir, 'data/span-2'));
    writeFileSync(path.join(dir, 'data/span-2/a.csv'), 'x,y\n4,d\n5,e\n6,f\n');
    await waitFor('a run for span 2', () => (runs().length >= 2 && /watching for changes[\s\S]*watching for changes/.test(stderr()) ? true : undefined));
    const second = runs()[1] as RunResult;
    assert.equal(second.stages.find((s) => s.name === 'examples')?.status, 'succeeded', 'the new span is read, not taken from the cache');
    assert.equal(second.stages.find((s) => s.name === 'statistics')?.status, 'succeeded');
    assert.equal(runs().length, 2, `exactly two runs so far:\n${stderr()}`);
    p.kill('SIGINT');
    assert.equal(await exited, 0, stderr());
    assert.equal(runs().length, 2, 'its own outputs (the store) started no run');
  } finally {
    if (p.exitCode === null) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run --watch: a native crash (SIGSEGV) of a run is its stage\'s failure with the signal, recorded; the watch goes on and runs the fixed pipeline', { timeout: 300_000 }, async () => {
  const pipeline = (extra: string): string => `pipeline: watched_crash\nstages:\n  numbers:\n    component: ./components/emit_numbers.js\n    params: { count: 3${extra} }\n`;
  const { dir, file } = engineProject('pipewise-watch-', pipeline(', crash_signal: SIGSEGV'));
  const { child: p, exit: exited, stdout, stderr } = startPipewise(['run', file, '--watch', '--json']);
  const runs = (): RunResult[] => jsonRuns(stdout());
  try {
    await waitFor('the crashed run reported, and the watch going on', () => (/stage 'numbers'.*SIGSEGV[\s\S]*watching for changes/.test(stderr()) ? true : undefined), 120_000);
    const runsDir = path.join(dir, '.pipewise/metadata/runs');
    const [crashed] = readdirSync(runsDir).map((f) => JSON.parse(readFileSync(path.join(runsDir, f), 'utf8')) as { status: string; stages: { name: string; error?: string }[] });
    assert.equal(crashed?.status, 'failed');
    assert.match(crashed?.stages.find((s) => s.name === 'numbers')?.error ?? '', /SIGSEGV/);
    assert.equal(existsSync(path.join(dir, '.pipewise/lock')), false, 'the lock of the crashed run is released');
    // Ctrl-C the moment the fixed run's result arrives: its child is still exiting, and the watch has
    // not re-armed its file watchers yet. A CI run hung there (watchers armed after the stop).
    let interruptedAt = 0;
    p.stdout?.on('data', () => {
      if (interruptedAt || !/"status":"succeeded"/.test(stdout())) return;
      interruptedAt = Date.now();
      p.kill('SIGINT');
    });
    writeFileSync(file, pipeline(''));
    await waitFor('a run of the fixed pipeline', () => (runs().some((r) => r.status === 'succeeded') ? true : undefined), 120_000);
    assert.deepEqual(runs().at(-1)?.stages.map((s) => s.status), ['succeeded']);
    const alive = new Promise<'alive'>((r) => setTimeout(() => r('alive'), 30_000).unref());
    assert.equal(await Promise.race([exited, alive]), 0, `the watch ends on Ctrl-C, with nothing left open (exit code 0 within 30 s):\n${stderr()}`);
    assert.ok(interruptedAt, 'Ctrl-C was sent as the fixed run\'s result arrived');
  } finally {
    if (p.exitCode === null) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
