/**
 * The batched statistics pass against main's unbatched one (imported from another checkout, given
 * as argv[2]) on the bench's generated 10M × 20 table, alternating in one process: the ratio of
 * medians says whether batching costs a narrow table anything. Not part of `npm run bench`.
 *   node --import tsx bench/statistics-batches.ts /work/main [runs]
 */
import path from 'node:path';
import os from 'node:os';
import { computeStatistics } from '../src/engine/stats/computeStatistics';
import { withConnection } from '../src/engine/duckdb';
import { ensureGenerated, wideColumns } from './generate';
import { median } from './lib';

async function main(): Promise<void> {
  const baseline = process.argv[2];
  if (!baseline) throw new Error('usage: statistics-batches.ts BASELINE_CHECKOUT [runs]');
  const runs = Number(process.argv[3] ?? 2);
  const before = (await import(path.join(path.resolve(baseline), 'src/engine/stats/computeStatistics'))) as { computeStatistics: typeof computeStatistics };
  const file = path.join(os.tmpdir(), 'pipewise-bench-wide-10m-20-hash.parquet');
  await ensureGenerated(file, wideColumns(), 10_000_000, (sql) => withConnection((c) => c.run(sql)));
  const times: { before: number[]; after: number[] } = { before: [], after: [] };
  for (let i = 0; i < runs; i++) {
    for (const [which, fn] of [['before', before.computeStatistics], ['after', computeStatistics]] as const) {
      const t0 = performance.now();
      await fn(file);
      times[which].push(performance.now() - t0);
      console.log(which, Math.round(performance.now() - t0), 'ms');
    }
  }
  console.log(`after / before (median of ${runs}): ${(median(times.after) / median(times.before)).toFixed(3)}`);
}

void main();
