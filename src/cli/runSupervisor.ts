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
import { errorMessage } from '../core/errors';
import { deathReasonOf, recordRunDeath } from '../engine/runDeath';
import { ArtifactStore } from '../engine/store';
import { CRASH_SIGNALS, SupervisedRun, type DeadRun } from '../protocol/supervision';
import { runChild, signalExitCode, type ChildOptions } from './supervise';

/**
 * Records what a child that died of a signal could not (src/engine/runDeath.ts, shared with the
 * editor's worker), then releases the lock it held for this process.
 */
async function recordDeath(run: DeadRun, reason: string): Promise<void> {
  if (!run.store) return;
  await recordRunDeath(run, process.pid, reason);
  // The lock names this process (the child took it on its behalf, src/engine/lineage.ts runOwner); storeLock.ts's file.
  const lock = new ArtifactStore(run.store).owned('lock');
  const holder = await fs
    .readFile(lock, 'utf8')
    .then((t) => JSON.parse(t) as { pid?: unknown })
    .catch(() => undefined);
  if (holder?.pid === process.pid) await fs.rm(lock, { force: true });
}

/** Runs `pipewise ARGV` (a `run`) in a supervised child; resolves with the command's exit code (a watch's run: cancelled by `options.signal`). */
export async function superviseRun(script: string, argv: readonly string[], options: ChildOptions = {}): Promise<number> {
  const work = new SupervisedRun();
  const { code, signal } = await runChild(script, argv, (m) => work.hear(m), options);
  if (!signal) return code ?? 1;
  const run = work.snapshot();
  const stages = run.running.map((r) => r.stage);
  const reason = deathReasonOf(run, signal);
  await recordDeath(run, reason).catch((e: unknown) => {
    process.stderr.write(`pipewise: warning: the run's records could not be updated (${errorMessage(e)}); the next run recovers them\n`);
  });
  const where = stages.length ? `stage${stages.length > 1 ? 's' : ''} ${stages.map((s) => `'${s}'${run.components[s] ? ` (${run.components[s]})` : ''}`).join(', ')}` : 'the run';
  process.stderr.write(`pipewise: error: ${where} failed: ${reason}; the run is recorded failed, nothing the stage was writing is kept, and the next run starts it again\n`);
  return CRASH_SIGNALS.has(signal) ? 1 : signalExitCode(signal);
}
