/**
 * Runs a DAG's stages with up to `jobs` at once (`pipewise run --jobs N`), never more than the
 * machine's cores, within a memory budget, and with at most one stage at a time holding an
 * exclusive resource (TensorFlow.js is one engine per process: two trainings would interleave on
 * its global state and random generator). A stage starts only when all its upstream stages have
 * finished; among the ready ones, the first in topological order goes first, so `jobs: 1` is
 * exactly the sequential order.
 */
import os from 'node:os';

export interface StageCost {
  /** Bytes the stage may hold at its peak (an estimate, reserved against the budget). */
  readonly memory: number;
  /** A resource only one stage may hold at a time. */
  readonly exclusive?: string;
}

export interface ScheduleOptions {
  /** Stage names in topological order. */
  readonly order: readonly string[];
  readonly upstream: (name: string) => Iterable<string>;
  readonly jobs: number;
  readonly cost: (name: string) => StageCost;
  /** Runs one stage; resolves when it finished (whatever its status). */
  readonly run: (name: string) => Promise<void>;
  /** Bytes stages may reserve in all (default: half the machine's memory). */
  readonly memoryBudget?: number;
}

/** The number of stages that may run at once: what was asked, bounded by the cores. */
export function effectiveJobs(asked: number | undefined): number {
  return Math.max(1, Math.min(asked ?? 1, os.availableParallelism()));
}

export async function scheduleStages(o: ScheduleOptions): Promise<void> {
  const jobs = effectiveJobs(o.jobs);
  const budget = o.memoryBudget ?? os.totalmem() / 2;
  const done = new Set<string>();
  const pending = [...o.order];
  const running = new Map<string, Promise<string>>();
  const held = new Set<string>();
  let reserved = 0;
  while (pending.length || running.size) {
    for (let i = 0; i < pending.length && running.size < jobs; ) {
      const name = pending[i] as string;
      const ready = [...o.upstream(name)].every((u) => done.has(u) || !o.order.includes(u));
      const c = o.cost(name);
      const fits = running.size === 0 || (reserved + c.memory <= budget && !(c.exclusive && held.has(c.exclusive)));
      if (!ready || !fits) {
        i++;
        continue;
      }
      pending.splice(i, 1);
      reserved += c.memory;
      if (c.exclusive) held.add(c.exclusive);
      running.set(
        name,
        o.run(name).then(
          () => name,
          () => name,
        ).finally(() => {
          reserved -= c.memory;
          if (c.exclusive) held.delete(c.exclusive);
        }),
      );
      i = 0; // a start can change nothing for earlier ones, but keep the topological preference simple
    }
    if (!running.size) break; // nothing runnable (cannot happen for a DAG in topological order)
    const finished = await Promise.race(running.values());
    running.delete(finished);
    done.add(finished);
  }
}
