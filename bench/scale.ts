/**
 * Section `scale` (`npm run bench -- --only scale`; not in the default run: it writes a ~2 GB
 * file and takes minutes): TFDV statistics of a generated 100M-row × 10-column Parquet file in
 * the worker, as the editor asks for them, with the worker's peak RSS (DuckDB within its 1 GB
 * memory_limit, spilling to its temp folder; quantiles from the T-Digest sketch), beside DuckDB's
 * bare SUMMARIZE of the same file. The file is generated once into bench/.cache (never committed).
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { queryRows, quoteLiteral, withConnection } from '../src/engine/duckdb';
import { ComputeStatistics, StatisticsProgress } from '../src/protocol/data';
import { WorkerClient } from '../src/worker/client';
import { ensureGenerated, scaleColumns } from './generate';
import { msSince, peakRssMiB, type Figure } from './lib';
import type { BenchContext } from './context';

export const SCALE_ROWS = 100_000_000;

/** The 100M × 10 file (bench/generate.ts: hash-derived, parallel, deterministic), generated once into bench/.cache. */
export async function ensureScaleFile(ctx: BenchContext, rows = SCALE_ROWS): Promise<string> {
  const file = path.join(ctx.cacheDir, `scale-${rows / 1e6}m-10.parquet`);
  if (existsSync(file)) return file;
  ctx.log(`generating ${rows / 1e6}M × 10 rows into ${file} (once, cached)`);
  const t0 = process.hrtime.bigint();
  await ensureGenerated(file, scaleColumns(), rows, (sql) => withConnection((c) => c.run(sql)));
  ctx.log(`generated in ${(msSince(t0) / 1000).toFixed(0)} s`);
  return file;
}

/** The 1-minute load average, for the note beside a figure (the CPU may be shared). */
function load(): string {
  return os.loadavg()[0]?.toFixed(1) ?? '?';
}

function startWorker(workerPath: string): WorkerClient {
  const saved = process.execArgv;
  process.execArgv = [];
  try {
    return new WorkerClient({ workerPath });
  } finally {
    process.execArgv = saved;
  }
}

export async function scaleSection(ctx: BenchContext): Promise<Figure[]> {
  const workerPath = path.join(ctx.repoRoot, 'out', 'worker.js');
  if (!existsSync(workerPath)) return [{ section: 'statistics', name: '100M × 10 statistics', unit: 'rows/s', skipped: 'out/worker.js absent: run `npm run build`' }];
  const file = await ensureScaleFile(ctx);
  const loads: string[] = [load()];
  ctx.log(`scale: SUMMARIZE of 100M × 10 (load ${loads[0]})`);
  let t0 = process.hrtime.bigint();
  await withConnection((c) => queryRows(c, `SUMMARIZE SELECT * FROM read_parquet(${quoteLiteral(file)})`));
  const summarize = msSince(t0);
  loads.push(load());
  ctx.log(`scale: full statistics in the worker, as the editor asks (a sample first, then every row; load ${loads[1]})`);
  const w = startWorker(workerPath);
  try {
    await w.initialize();
    let sampleMs: number | undefined;
    w.connection.onNotification(StatisticsProgress, (p) => {
      if (p.phase === 'sample') sampleMs = p.elapsedMs;
    });
    t0 = process.hrtime.bigint();
    const result = await w.request(ComputeStatistics, { source: { kind: 'file', path: file }, progressId: 'bench' });
    const ms = msSince(t0);
    loads.push(load());
    if (!result.exact) throw new Error('the worker stopped at the sample');
    if (result.rows !== SCALE_ROWS) throw new Error(`the worker counted ${result.rows} rows`);
    const peak = w.pid ? peakRssMiB(w.pid) : undefined;
    const rate = (t: number): number => SCALE_ROWS / (t / 1000);
    const loadNote = `load average ${loads.join(' → ')} on ${os.cpus().length} cores`;
    return [
      {
        section: 'statistics',
        name: 'generated 100M × 10, full statistics (worker)',
        unit: 'rows/s',
        value: rate(ms),
        runs: 1,
        baselineName: 'DuckDB SUMMARIZE',
        baseline: rate(summarize),
        note: `${(ms / 1000).toFixed(0)} s vs ${(summarize / 1000).toFixed(0)} s; sampled figures after ${sampleMs === undefined ? '?' : (sampleMs / 1000).toFixed(1)} s; ${loadNote}`,
      },
      {
        section: 'memory',
        name: 'worker peak RSS, statistics of 100M × 10',
        unit: 'MiB',
        value: peak,
        skipped: peak === undefined ? 'no /proc' : undefined,
        note: `goal < 2048 MiB; DuckDB memory_limit ${process.env.PIPEWISE_DUCKDB_MEMORY_LIMIT ?? '1GB'}`,
      },
    ];
  } finally {
    await w.shutdown();
  }
}
