/**
 * `pipewise run`, supervised: the process the user started (src/cli/launch.ts loads this module alone
 * for `run`, not the whole CLI, so that supervising costs one bare process start) runs the command
 * in a child (src/cli/supervise.ts) and waits. The child's records and the store lock name this
 * process (the pid a user sees and kills) with the child as their `worker`.
 *
 * When the child dies of a signal while this process lives — a fault in native code (SIGSEGV,
 * SIGFPE, SIGABRT, SIGBUS…), or a kill of the child alone (the kernel's OOM killer) — nothing in it
 * could record why. This process does: each stage it was running is recorded failed with the
 * signal (its half-written output removed, as for any failed stage), the run's record says failed,
 * the lock the child held for this process is released, and the message names the stage and the
 * signal, with exit code 1. A SIGKILL of this process takes the child with it (its IPC channel
 * closes) and leaves the store to the next run's recovery, as for a single process.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ExecutionRecord, RunRecord } from '../engine/lineage';
import type { StageResult } from '../protocol/runEvents';
import { errorMessage } from '../core/errors';
import { ArtifactStore, STORE_ID, writeFileAtomic } from '../engine/store';
import { CRASH_SIGNALS, runChild, signalExitCode, type ChildMessage } from './supervise';

/** What the child has told about its run, as it goes. */
interface ChildRun {
  store?: string;
  runId?: string;
  components: Readonly<Record<string, string>>;
  /** Executions running now: id → stage. */
  readonly running: Map<string, string>;
}

/** The native library a built-in component's crash most likely comes from (only those with one). */
const NATIVE_LIBRARY: Readonly<Record<string, string>> = {
  ExampleGen: 'DuckDB',
  StatisticsGen: 'DuckDB',
  SchemaGen: 'DuckDB',
  ExampleValidator: 'DuckDB',
  Sql: 'DuckDB',
  Trainer: 'TensorFlow.js or YDF',
  Tuner: 'TensorFlow.js or YDF',
};

/** Why the stages died, as the records and the message say it. */
function deathReason(signal: NodeJS.Signals, components: readonly string[]): string {
  if (!CRASH_SIGNALS.has(signal)) return `the process was killed by ${signal} (out of memory, or killed by another process)`;
  const libraries = [...new Set(components.map((c) => NATIVE_LIBRARY[c]).filter((l): l is string => !!l))];
  const inside = libraries.length === 1 ? `${libraries[0]}'s native code` : 'native code (DuckDB, TensorFlow.js, or a native module the component loads)';
  return `crashed: the process died of ${signal}, a fault inside ${inside}`;
}

async function readRecord<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/**
 * Records what a child that died of a signal could not: its running stages failed (outputs
 * discarded), its run failed, its lock released. Each step is tried on its own, so one that fails
 * (a record already gone) does not keep the others from being written; the next run's recovery
 * treats whatever is left as any abandoned work.
 */
async function recordDeath(run: ChildRun, reason: string): Promise<void> {
  if (!run.store) return;
  const store = new ArtifactStore(run.store);
  const finishedAt = new Date().toISOString();
  const failedStages: StageResult[] = [];
  for (const [executionId, stage] of run.running) {
    if (!STORE_ID.test(executionId)) continue; // the child names ids the store made; anything else is not ours to touch
    const file = store.owned(path.join('metadata', 'executions', `${executionId}.json`));
    const e = await readRecord<ExecutionRecord>(file);
    // Only an execution still recorded running, by this run's child, is the dead one's: a finished one is left as it is.
    if (e?.state !== 'running' || e.stage !== stage || e.pid !== process.pid) continue;
    await store.discard(executionId, stage).catch(() => undefined);
    const durationMs = Date.now() - Date.parse(e.startedAt);
    await writeFileAtomic(file, JSON.stringify({ ...e, state: 'failed', finishedAt, durationMs, error: reason }, null, 1)).catch(() => undefined);
    failedStages.push({ name: stage, component: e.component, status: 'failed', durationMs, artifacts: {}, executionId, error: reason });
  }
  if (run.runId && STORE_ID.test(run.runId)) {
    const file = store.owned(path.join('metadata', 'runs', `${run.runId}.json`));
    const r = await readRecord<RunRecord>(file);
    if (r?.status === 'running') {
      const stages = [...r.stages.filter((s) => !failedStages.some((f) => f.name === s.name)), ...failedStages];
      const record: RunRecord = { ...r, status: 'failed', finishedAt, durationMs: Date.now() - Date.parse(r.startedAt), stages };
      await writeFileAtomic(file, JSON.stringify(record, null, 1)).catch(() => undefined);
    }
  }
  // The lock names this process (the child took it on its behalf, src/engine/lineage.ts runOwner); storeLock.ts's file.
  const lock = store.owned('lock');
  const holder = await readRecord<{ pid?: unknown }>(lock);
  if (holder?.pid === process.pid) await fs.rm(lock, { force: true });
}

/** Runs `pipewise ARGV` (a `run`) in a supervised child; resolves with the command's exit code. */
export async function superviseRun(script: string, argv: readonly string[]): Promise<number> {
  const run: ChildRun = { components: {}, running: new Map() };
  const hear = (m: ChildMessage): void => {
    if ('pipewiseStore' in m) run.store = m.pipewiseStore;
    else if ('pipewiseRun' in m) {
      run.runId = m.pipewiseRun;
      run.components = m.components;
    } else if ('pipewiseStageEnded' in m) run.running.delete(m.pipewiseStageEnded);
    else if (m.executionId) run.running.set(m.executionId, m.pipewiseStage);
  };
  const { code, signal } = await runChild(script, argv, hear);
  if (!signal) return code ?? 1;
  const stages = [...run.running.values()];
  const reason = deathReason(signal, stages.map((s) => run.components[s] ?? ''));
  await recordDeath(run, reason).catch((e: unknown) => {
    process.stderr.write(`pipewise: warning: the run's records could not be updated (${errorMessage(e)}); the next run recovers them\n`);
  });
  const where = stages.length ? `stage${stages.length > 1 ? 's' : ''} ${stages.map((s) => `'${s}'${run.components[s] ? ` (${run.components[s]})` : ''}`).join(', ')}` : 'the run';
  process.stderr.write(`pipewise: error: ${where} failed: ${reason}; the run is recorded failed, nothing the stage was writing is kept, and the next run starts it again\n`);
  return CRASH_SIGNALS.has(signal) ? 1 : signalExitCode(signal);
}
