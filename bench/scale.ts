/**
 * Section `scale` (`npm run bench -- --only scale`; not in the default run: it writes a ~2 GB
 * file and takes minutes): TFDV statistics of a generated 100M-row × 10-column Parquet file in
 * the worker, as the editor asks for them, with the worker's peak RSS (DuckDB within its 1 GB
 * memory_limit, spilling to its temp folder; quantiles from the T-Digest sketch), beside DuckDB's
 * bare SUMMARIZE of the same file. The file is generated once into bench/.cache (never committed).
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { queryRows, quoteLiteral, withConnection } from '../src/engine/duckdb';
import { ComputeStatistics } from '../src/protocol/data';
import { WorkerClient } from '../src/worker/client';
import { msSince, peakRssMiB, type Figure } from './lib';
import type { BenchContext } from './context';

export const SCALE_ROWS = 100_000_000;

/** 6 doubles (uniform, normal, heavy-tailed, with gaps), 2 integers, 2 strings of 5 and 1000 values. */
export function scaleTableSql(rows: number): string {
  const cols = [
    'random() AS u0',
    'random() * 1000 AS u1',
    'sqrt(-2 * ln(random())) * cos(2 * pi() * random()) AS n0',
    'exp(4 * random() * random()) AS h0',
    'CASE WHEN random() < 0.02 THEN NULL ELSE random() END AS g0',
    'random() - 0.5 AS u2',
    'CAST(floor(random() * 100) AS BIGINT) AS i0',
    'CAST(floor(random() * 1000000) AS BIGINT) AS i1',
    "'k' || CAST(floor(random() * 5) AS BIGINT) AS s0",
    "'v' || CAST(floor(random() * random() * 1000) AS BIGINT) AS s1",
  ];
  return `COPY (SELECT ${cols.join(', ')} FROM range(${rows})) TO`;
}

export async function ensureScaleFile(ctx: BenchContext, rows = SCALE_ROWS): Promise<string> {
  const file = path.join(ctx.cacheDir, `gen-${rows / 1e6}m-10.parquet`);
  if (existsSync(file)) return file;
  ctx.log(`generating ${rows / 1e6}M × 10 rows into ${file} (once, cached)`);
  const tmp = `${file}.tmp-${process.pid}`;
  await withConnection(async (c) => {
    await c.run('SELECT setseed(0.15)');
    await c.run(`${scaleTableSql(rows)} ${quoteLiteral(tmp)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)`);
  });
  await fs.rename(tmp, file);
  return file;
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
  ctx.log('scale: SUMMARIZE of 100M × 10');
  let t0 = process.hrtime.bigint();
  await withConnection((c) => queryRows(c, `SUMMARIZE SELECT * FROM read_parquet(${quoteLiteral(file)})`));
  const summarize = msSince(t0);
  ctx.log('scale: full statistics in the worker');
  const w = startWorker(workerPath);
  try {
    await w.initialize();
    t0 = process.hrtime.bigint();
    const result = await w.request(ComputeStatistics, { source: { kind: 'file', path: file } });
    const ms = msSince(t0);
    if (!result.exact) throw new Error('the worker stopped at the sample');
    const peak = w.pid ? peakRssMiB(w.pid) : undefined;
    const rate = (t: number): number => SCALE_ROWS / (t / 1000);
    return [
      {
        section: 'statistics',
        name: 'generated 100M × 10, full statistics (worker)',
        unit: 'rows/s',
        value: rate(ms),
        runs: 1,
        baselineName: 'DuckDB SUMMARIZE',
        baseline: rate(summarize),
        note: `${(ms / 1000).toFixed(0)} s vs ${(summarize / 1000).toFixed(0)} s`,
      },
      { section: 'memory', name: 'worker peak RSS, statistics of 100M × 10', unit: 'MiB', value: peak, skipped: peak === undefined ? 'no /proc' : undefined, note: 'goal < 2048 MiB' },
    ];
  } finally {
    await w.shutdown();
  }
}
