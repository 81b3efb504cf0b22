/**
 * Crash consistency on the real penguin pipeline (a copy of examples/penguins): the CLI runner is SIGKILLed at 30 moments drawn from a seeded generator over
 * the length of a forced run; after each, `pipewise run` succeeds and the store is clean
 * (`examineStore`, what `pipewise doctor` runs; the CLI's doctor is checked at the end).
 * PIPEWISE_CRASH_KILLS overrides the number of kills (30 by default).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { examineStore } from '../../src/engine/doctor';
import { Lineage } from '../../src/engine/lineage';
import { mulberry32 } from '../../src/engine/model/fitModel';
import { ArtifactStore } from '../../src/engine/store';
import type { RunResult } from '../../src/protocol/runEvents';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'bin/pipewise.js');
const KILLS = Number(process.env.PIPEWISE_CRASH_KILLS ?? 30);

function runJson(file: string, extra: string[] = []): { code: number | null; result: RunResult; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'run', file, '--json', ...extra], { encoding: 'utf8', timeout: 300_000 });
  try {
    return { code: r.status, result: JSON.parse(r.stdout) as RunResult, stderr: r.stderr };
  } catch {
    throw new Error(`stdout is not one JSON object (exit ${r.status}):\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}

/** Starts a forced run and SIGKILLs it after `ms`; resolves with the stage it was in (from its progress). */
function killAfter(file: string, ms: number): Promise<{ stage: string; exitedFirst: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'run', file, '--force'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    let exitedFirst = true;
    let timer: NodeJS.Timeout | undefined;
    // The clock starts when the run starts (the CLI's start-up is not the pipeline).
    child.stderr?.on('data', () => {
      if (timer || !/running penguins/.test(err)) return;
      timer = setTimeout(() => {
        exitedFirst = false;
        child.kill('SIGKILL');
      }, ms);
    });
    child.on('exit', () => {
      if (timer) clearTimeout(timer);
      const started = [...err.matchAll(/\] (\w+): running/g)].map((m) => m[1]);
      resolve({ stage: started.at(-1) ?? '(before the first stage)', exitedFirst });
    });
  });
}

test(`SIGKILL at ${KILLS} seeded moments of the penguin pipeline: every next run succeeds and the store stays clean`, { timeout: 60 * 60_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-crash-'));
  try {
    cpSync(path.join(root, 'examples/penguins'), dir, { recursive: true, filter: (src) => !/[\\/](\.pipewise|serving)([\\/]|$)/.test(src) });
    const file = path.join(dir, 'penguins.pipeline.yaml');
    // The example's own epochs: the model must be blessed and pushed for the last check (training takes about a second).
    const store = new ArtifactStore(path.join(dir, '.pipewise'));
    const lineage = new Lineage(store.metadataDir);

    const first = runJson(file);
    assert.equal(first.code, 0, first.stderr);
    const forced = runJson(file, ['--force']);
    const span = forced.result.durationMs;
    assert.equal(forced.code, 0, forced.stderr);

    const random = mulberry32(15);
    const hit = new Map<string, number>();
    for (let i = 0; i < KILLS; i++) {
      const ms = Math.round(random() * span);
      const killed = await killAfter(file, ms);
      hit.set(killed.stage, (hit.get(killed.stage) ?? 0) + 1);
      const next = runJson(file);
      const where = `kill #${i + 1} after ${ms} ms (in ${killed.stage})`;
      assert.equal(next.code, 0, `${where}: the next run failed:\n${next.stderr}`);
      assert.ok(next.result.stages.every((s) => s.status === 'succeeded' || s.status === 'cached'), where);
      const report = await examineStore(store, lineage, { verifyArtifacts: true });
      assert.deepEqual(report.problems, [], `${where}: the store is not clean`);
    }
    process.stderr.write(`kills by stage: ${JSON.stringify(Object.fromEntries(hit))} over a ${span} ms run\n`);
    // The moments reached into the pipeline, not only its start-up.
    assert.ok(hit.size >= 3, `the kills landed in too few places: ${JSON.stringify(Object.fromEntries(hit))}`);
    const doctor = spawnSync(process.execPath, [cli, 'doctor', file], { encoding: 'utf8' });
    assert.equal(doctor.status, 0, doctor.stdout + doctor.stderr);
    assert.match(doctor.stderr, /clean/);
    assert.ok(existsSync(path.join(dir, 'serving/penguins')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
