import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { effectiveJobs, scheduleStages, type StageCost } from '../../src/engine/scheduler';

/** a → b, a → c, a → d, b → e; c and d hold the same exclusive resource. */
const UP: Record<string, string[]> = { a: [], b: ['a'], c: ['a'], d: ['a'], e: ['b'] };

async function simulate(jobs: number, cost: (n: string) => StageCost, budget?: number): Promise<{ log: string[]; peak: number; together: string[][] }> {
  const log: string[] = [];
  const running = new Set<string>();
  const together: string[][] = [];
  let peak = 0;
  await scheduleStages({
    order: ['a', 'b', 'c', 'd', 'e'],
    upstream: (n) => UP[n] ?? [],
    jobs,
    cost,
    memoryBudget: budget,
    run: async (n) => {
      for (const u of UP[n] ?? []) assert.ok(log.includes(`end ${u}`), `${n} started before its upstream ${u} ended`);
      running.add(n);
      together.push([...running].sort());
      peak = Math.max(peak, running.size);
      log.push(`start ${n}`);
      await new Promise((r) => setTimeout(r, 5));
      running.delete(n);
      log.push(`end ${n}`);
    },
  });
  return { log, peak, together };
}

test('jobs 1 is the sequential topological order', async () => {
  const { log, peak } = await simulate(1, () => ({ memory: 1 }));
  assert.deepEqual(log, ['a', 'b', 'c', 'd', 'e'].flatMap((n) => [`start ${n}`, `end ${n}`]));
  assert.equal(peak, 1);
});

test('more jobs overlap independent stages, bounded by cores, exclusives and the memory budget', async () => {
  const cores = os.availableParallelism();
  assert.equal(effectiveJobs(64), cores);
  assert.equal(effectiveJobs(undefined), 1);
  const free = await simulate(3, () => ({ memory: 1 }));
  assert.equal(free.peak, Math.min(3, cores));
  const exclusive = await simulate(3, (n) => (n === 'c' || n === 'd' ? { memory: 1, exclusive: 'tf' } : { memory: 1 }));
  assert.ok(!exclusive.together.some((s) => s.includes('c') && s.includes('d')), 'c and d never together');
  const tight = await simulate(3, () => ({ memory: 10 }), 15);
  assert.equal(tight.peak, 1, 'two stages do not fit the budget');
});
