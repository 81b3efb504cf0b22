/**
 * Records what a process that died of a signal mid-run could not: its running stages failed with
 * the signal (their half-written outputs removed, as for any failed stage) and its run failed. One
 * place for the two watchers (src/protocol/supervision.ts): `pipewise run`'s supervisor
 * (src/cli/runSupervisor.ts) and a fresh editor worker asked by the client of the one that died
 * (src/worker/handlers/runs.ts, RecordRunDeath). The caller holds (or owns) the store's lock.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ExecutionRecord, RunRecord } from './lineage';
import type { StageResult } from '../protocol/runEvents';
import { CRASH_SIGNALS, type DeadRun } from '../protocol/supervision';
import { ArtifactStore, STORE_ID, writeFileAtomic } from './store';

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
export function deathReason(signal: string, components: readonly string[]): string {
  if (!CRASH_SIGNALS.has(signal)) return `the process was killed by ${signal} (out of memory, or killed by another process)`;
  const libraries = [...new Set(components.map((c) => NATIVE_LIBRARY[c]).filter((l): l is string => !!l))];
  const inside = libraries.length === 1 ? `${libraries[0]}'s native code` : 'native code (DuckDB, TensorFlow.js, or a native module the component loads)';
  return `crashed: the process died of ${signal}, a fault inside ${inside}`;
}

/** The reason for the stages `run` was running. */
export function deathReasonOf(run: DeadRun, signal: string): string {
  return deathReason(signal, run.running.map((r) => run.components[r.stage] ?? ''));
}

async function readRecord<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/**
 * Marks `run`'s running executions and its run record failed with `reason`, where they are still
 * recorded `running` by the dead process (`pid`, as its records name it); a finished one is left as
 * it is. Each step is tried on its own, so one that fails (a record already gone) does not keep the
 * others from being written; the next run's recovery treats whatever is left as abandoned work.
 */
export async function recordRunDeath(run: DeadRun, pid: number, reason: string): Promise<void> {
  if (!run.store) return;
  const store = new ArtifactStore(run.store);
  const finishedAt = new Date().toISOString();
  const failedStages: StageResult[] = [];
  for (const { executionId, stage } of run.running) {
    if (!STORE_ID.test(executionId)) continue; // the dead process named ids the store made; anything else is not ours to touch
    const file = store.owned(path.join('metadata', 'executions', `${executionId}.json`));
    const e = await readRecord<ExecutionRecord>(file);
    if (e?.state !== 'running' || e.stage !== stage || e.pid !== pid) continue;
    await store.discard(executionId, stage).catch(() => undefined);
    const durationMs = Date.now() - Date.parse(e.startedAt);
    await writeFileAtomic(file, JSON.stringify({ ...e, state: 'failed', finishedAt, durationMs, error: reason }, null, 1)).catch(() => undefined);
    failedStages.push({ name: stage, component: e.component, status: 'failed', durationMs, artifacts: {}, executionId, error: reason });
  }
  if (run.runId && STORE_ID.test(run.runId)) {
    const file = store.owned(path.join('metadata', 'runs', `${run.runId}.json`));
    const r = await readRecord<RunRecord>(file);
    if (r?.status === 'running' && r.pid === pid) {
      const stages = [...r.stages.filter((s) => !failedStages.some((f) => f.name === s.name)), ...failedStages];
      const record: RunRecord = { ...r, status: 'failed', finishedAt, durationMs: Date.now() - Date.parse(r.startedAt), stages };
      await writeFileAtomic(file, JSON.stringify(record, null, 1)).catch(() => undefined);
    }
  }
}
