/**
 * Section 1: full TFDV-parity statistics (computeStatistics, every row) against DuckDB's bare
 * SUMMARIZE on the same file (the engine's floor: one pass, no histograms or top values) and
 * against pandas describe() + value_counts() on a CSV export of the same data.
 */
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { computeStatistics } from '../src/engine/stats/computeStatistics';
import { queryRows, quoteLiteral, withConnection } from '../src/engine/duckdb';
import { median, timeRuns, type Figure } from './lib';
import type { BenchContext } from './context';
import { ensureGenerated, wideColumns } from './generate';

const run = promisify(execFile);

async function ensureFile(file: string, make: (tmp: string) => Promise<void>): Promise<void> {
  if (existsSync(file)) return;
  const tmp = `${file}.tmp-${process.pid}`;
  await make(tmp);
  await fs.rename(tmp, file); // atomic: a half-written cache file is never taken for a whole one
}

async function summarizeMs(file: string): Promise<void> {
  await withConnection((c) => queryRows(c, `SUMMARIZE SELECT * FROM read_parquet(${quoteLiteral(file)})`));
}

async function pandasBaseline(ctx: BenchContext, csv: string, dates: readonly string[]): Promise<{ load: number; compute: number[]; rows: number; peak: number } | string> {
  if (!ctx.python) return 'no /usr/bin/python3';
  try {
    const { stdout } = await run(ctx.python, [path.join(__dirname, 'python', 'pandas_stats.py'), csv, String(ctx.runs), ...dates], { maxBuffer: 1 << 20 });
    const r = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { load_ms: number; compute_ms: number[]; rows: number; peak_rss_mib: number };
    return { load: r.load_ms, compute: r.compute_ms, rows: r.rows, peak: r.peak_rss_mib };
  } catch (e) {
    const msg = (e as Error).message;
    return /No module named/.test(msg) ? 'pandas not installed' : `pandas failed: ${msg.split('\n').slice(-2).join(' ')}`;
  }
}

/** Statistics of one Parquet file: ours, SUMMARIZE, and (optionally) pandas; rows/s. */
async function statisticsOf(ctx: BenchContext, label: string, file: string, rows: number, runs: number, pandas: { csv: string; dates: string[] } | string): Promise<Figure[]> {
  ctx.log(`statistics: ${label} (${runs} runs)`);
  // Warm-up: the DuckDB instance, the OS page cache of the file, the code paths.
  await summarizeMs(file);
  const ours = await timeRuns(() => computeStatistics(file), runs, runs > 1 ? 1 : 0);
  const floor = await timeRuns(() => summarizeMs(file), runs, 0);
  const rate = (ms: number): number => rows / (ms / 1000);
  const out: Figure[] = [
    {
      section: 'statistics',
      name: `${label}, full statistics`,
      unit: 'rows/s',
      value: rate(median(ours)),
      runs,
      samples: ours,
      baselineName: 'DuckDB SUMMARIZE',
      baseline: rate(median(floor)),
      baselineSamples: floor,
      note: `${(median(ours) / 1000).toFixed(1)} s vs ${(median(floor) / 1000).toFixed(1)} s`,
    },
  ];
  if (typeof pandas === 'string') {
    out.push({ section: 'statistics', name: `${label}, full statistics`, unit: 'rows/s', value: rate(median(ours)), runs, baselineName: 'pandas describe+value_counts', skipped: pandas });
    return out;
  }
  const p = await pandasBaseline(ctx, pandas.csv, pandas.dates);
  if (typeof p === 'string') {
    out.push({ section: 'statistics', name: `${label}, full statistics`, unit: 'rows/s', value: rate(median(ours)), runs, baselineName: 'pandas describe+value_counts', skipped: p });
    return out;
  }
  out.push({
    section: 'statistics',
    name: `${label}, full statistics`,
    unit: 'rows/s',
    value: rate(median(ours)),
    runs,
    baselineName: 'pandas describe+value_counts (in memory)',
    baseline: rate(median(p.compute)),
    baselineSamples: p.compute,
    note: 'pandas timed on a loaded DataFrame, CSV load excluded',
  });
  out.push({
    section: 'statistics',
    name: `${label}, full statistics from the file`,
    unit: 'rows/s',
    value: rate(median(ours)),
    runs,
    baselineName: 'pandas read_csv + stats',
    baseline: rate(p.load + median(p.compute)),
    note: `pandas loads CSV (no pyarrow): ${(p.load / 1000).toFixed(1)} s`,
  });
  ctx.pandasPeakMiB = p.peak;
  return out;
}

export async function statisticsSection(ctx: BenchContext): Promise<Figure[]> {
  const figures: Figure[] = [];
  if (!existsSync(ctx.flights)) {
    figures.push({ section: 'statistics', name: 'flights 3M × 5, full statistics', unit: 'rows/s', skipped: `absent: ${ctx.flights}` });
  } else {
    const csv = path.join(ctx.cacheDir, 'flights-3m.csv');
    await ensureFile(csv, (tmp) => withConnection((c) => c.run(`COPY (SELECT * FROM read_parquet(${quoteLiteral(ctx.flights)})) TO ${quoteLiteral(tmp)} (FORMAT csv, HEADER)`)).then(() => undefined));
    figures.push(...(await statisticsOf(ctx, 'flights 3M × 5', ctx.flights, 3_000_000, ctx.runs, { csv, dates: ['date'] })));
  }
  if (ctx.quick) {
    figures.push({ section: 'statistics', name: 'generated 10M × 20, full statistics', unit: 'rows/s', skipped: '--quick' });
  } else {
    const rows = 10_000_000;
    // Generated from hash(row) (bench/generate.ts): parallel, deterministic for a DuckDB version.
    const wide = path.join(ctx.cacheDir, 'wide-10m-20-hash.parquet');
    if (!existsSync(wide)) ctx.log('generating the 10M × 20 table (once, cached)');
    await ensureGenerated(wide, wideColumns(), rows, (sql) => withConnection((c) => c.run(sql)));
    // One run of each: a run takes tens of seconds on 2 shared cores, and the bench must stay near 5 minutes.
    figures.push(...(await statisticsOf(ctx, 'generated 10M × 20', wide, rows, 1, 'a CSV load of 10M × 20 into pandas exceeds the time budget')));
  }
  return figures;
}
