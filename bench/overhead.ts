/**
 * Section 3 (overhead) and the worker half of section 4 (memory):
 * - a 10-stage pipeline (ExampleGen + 9 chained Sql stages on penguins), first run in a fresh
 *   store, then the same run with every stage cached (the baseline of the cached run is the first);
 * - the worker (out/worker.js, forked as the extension forks it): fork → `initialize` answered,
 *   fork → first statistics of penguins.csv, and for the flights file the time to the panel's
 *   first (sampled) statistics and to the exact ones, with the worker's peak RSS for the latter.
 */
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPipeline } from '../src/engine/orchestrator';
import { WorkerClient, CancellationTokenSource } from '../src/worker/client';
import { ComputeStatistics, StatisticsProgress, type StatisticsResult } from '../src/protocol/data';
import { median, msSince, peakRssMiB, type Figure } from './lib';
import type { BenchContext } from './context';

function tenStagePipeline(): string {
  const lines = ['pipeline: bench_cached', 'stages:', '  s0:', '    component: ExampleGen', '    params: { input: penguins.csv }'];
  for (let i = 1; i < 10; i++) {
    lines.push(`  s${i}:`, '    component: Sql', `    inputs: { examples: s${i - 1}.examples }`, `    params: { query: "SELECT * FROM examples WHERE body_mass_g IS NULL OR body_mass_g > ${i}" }`);
  }
  return `${lines.join('\n')}\n`;
}

async function pipelineFigures(ctx: BenchContext): Promise<Figure[]> {
  ctx.log(`overhead: 10-stage pipeline (${ctx.runs} runs)`);
  const first: number[] = [];
  const cached: number[] = [];
  for (let r = 0; r <= ctx.runs; r++) {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pipewise-bench-'));
    try {
      await fs.copyFile(path.join(ctx.repoRoot, 'test', 'fixtures', 'penguins.csv'), path.join(dir, 'penguins.csv'));
      const file = path.join(dir, 'bench.pipeline.yaml');
      await fs.writeFile(file, tenStagePipeline());
      let t0 = process.hrtime.bigint();
      const a = await runPipeline({ file });
      const firstMs = msSince(t0);
      if (a.status !== 'succeeded') throw new Error(`the 10-stage pipeline ${a.status}: ${a.stages.map((s) => s.error).filter(Boolean).join('; ')}`);
      t0 = process.hrtime.bigint();
      const b = await runPipeline({ file });
      const cachedMs = msSince(t0);
      const notCached = b.stages.filter((s) => s.status !== 'cached').map((s) => `${s.name}: ${s.status}`);
      if (notCached.length) throw new Error(`the second run did not take every stage from the cache (${notCached.join(', ')})`);
      if (r > 0) {
        // Run 0 is the warm-up (module loading, the DuckDB instance).
        first.push(firstMs);
        cached.push(cachedMs);
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }
  return [
    {
      section: 'overhead',
      name: '10-stage pipeline, every stage cached',
      unit: 'ms',
      value: median(cached),
      runs: ctx.runs,
      samples: cached,
      baselineName: 'first run (nothing cached)',
      baseline: median(first),
      baselineSamples: first,
      note: `cached/first = ${(median(cached) / median(first)).toFixed(3)}`,
    },
  ];
}

/**
 * A worker as the extension starts it. fork() passes the parent's execArgv on, and this bench
 * runs under `--import tsx`: inherited, that loader alone adds ~0.4 s to the worker's start, which
 * the extension host does not pay. So the bench forks with an empty execArgv.
 */
function startWorker(workerPath: string): WorkerClient {
  const saved = process.execArgv;
  process.execArgv = [];
  try {
    return new WorkerClient({ workerPath });
  } finally {
    process.execArgv = saved;
  }
}

interface WorkerTimes {
  initialize: number;
  firstStatistics: number;
}

async function workerStart(workerPath: string, penguins: string): Promise<WorkerTimes> {
  const t0 = process.hrtime.bigint();
  const w = startWorker(workerPath);
  try {
    await w.initialize();
    const initialize = msSince(t0);
    await w.request(ComputeStatistics, { source: { kind: 'file', path: penguins } });
    return { initialize, firstStatistics: msSince(t0) };
  } finally {
    await w.shutdown();
  }
}

interface FlightsTimes {
  /** Request → the sampled statistics (the panel's first picture). */
  sample: number;
  /** Request → the exact statistics; undefined when the run stopped at the sample. */
  exact?: number;
  peakMiB?: number;
}

async function flightsThroughWorker(workerPath: string, flights: string, exact: boolean): Promise<FlightsTimes> {
  const w = startWorker(workerPath);
  try {
    await w.initialize();
    const cts = new CancellationTokenSource();
    let sample: number | undefined;
    const t0 = process.hrtime.bigint();
    const gotSample = new Promise<void>((resolve) => {
      w.onNotification(StatisticsProgress, (p) => {
        if (p.phase === 'sample' && p.statistics && sample === undefined) {
          sample = msSince(t0);
          resolve();
        }
      });
    });
    const done = w.request(ComputeStatistics, { source: { kind: 'file', path: flights }, progressId: 'bench' }, cts.token);
    const result = await Promise.race([gotSample.then(() => undefined), done]);
    if (!exact) {
      cts.cancel();
      await done.catch(() => undefined);
      return { sample: sample ?? msSince(t0) };
    }
    const final: StatisticsResult = result ?? (await done);
    const exactMs = msSince(t0);
    if (!final.exact) throw new Error('the worker did not compute exact statistics');
    return { sample: sample ?? exactMs, exact: exactMs, peakMiB: w.pid ? peakRssMiB(w.pid) : undefined };
  } finally {
    await w.shutdown();
  }
}

export interface OverheadOutcome {
  readonly figures: Figure[];
  readonly statisticsPeakMiB?: number;
}

export async function overheadSection(ctx: BenchContext): Promise<OverheadOutcome> {
  const figures = await pipelineFigures(ctx);
  const workerPath = path.join(ctx.repoRoot, 'out', 'worker.js');
  if (!existsSync(workerPath)) {
    figures.push({ section: 'overhead', name: 'worker start', unit: 'ms', skipped: 'out/worker.js absent: run `npm run build`' });
    return { figures };
  }
  ctx.log(`overhead: worker start (${ctx.runs} runs)`);
  const penguins = path.join(ctx.repoRoot, 'test', 'fixtures', 'penguins.csv');
  await workerStart(workerPath, penguins); // warm-up: the OS file cache of node, the bundle, DuckDB's library
  const starts: WorkerTimes[] = [];
  for (let r = 0; r < ctx.runs; r++) starts.push(await workerStart(workerPath, penguins));
  const init = starts.map((s) => s.initialize);
  const firstStats = starts.map((s) => s.firstStatistics);
  figures.push(
    { section: 'overhead', name: 'worker: fork → initialize answered', unit: 'ms', value: median(init), runs: ctx.runs, samples: init },
    { section: 'overhead', name: 'worker: fork → first statistics (penguins.csv)', unit: 'ms', value: median(firstStats), runs: ctx.runs, samples: firstStats },
  );
  if (!existsSync(ctx.flights)) {
    figures.push({ section: 'overhead', name: 'flights: first statistics in the panel', unit: 'ms', skipped: `absent: ${ctx.flights}` });
    return { figures };
  }
  ctx.log(`overhead: flights statistics through the worker (${ctx.runs} runs)`);
  // Sampled first pictures (cancelled after the sample), then one complete run for the exact time and the peak RSS.
  await flightsThroughWorker(workerPath, ctx.flights, false);
  const samples: number[] = [];
  for (let r = 0; r < ctx.runs; r++) samples.push((await flightsThroughWorker(workerPath, ctx.flights, false)).sample);
  const full = await flightsThroughWorker(workerPath, ctx.flights, true);
  figures.push({
    section: 'overhead',
    name: 'flights: request → first (sampled) statistics, worker',
    unit: 'ms',
    value: median(samples),
    runs: ctx.runs,
    samples,
    baselineName: 'exact statistics, worker',
    baseline: full.exact,
    note: 'sample of 100,000 rows, as the panel asks',
  });
  return { figures, statisticsPeakMiB: full.peakMiB };
}
