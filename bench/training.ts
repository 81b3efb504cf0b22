/**
 * Section 2: training throughput (samples per second) of a 2×64 DNN at batch 256 and 1024 on the
 * TF.js backend in use, against scikit-learn's MLPClassifier with the same layers, batch size,
 * optimizer and number of epochs, on the same float32 matrix (a sample of the flights data, or
 * random data when that file is absent). Each side runs in a child process; only fitting is timed.
 * In full mode it also measures the variants behind the speed-up investigation (README).
 */
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { queryRows, quoteLiteral, withConnection } from '../src/engine/duckdb';
import { median, type Figure } from './lib';
import type { BenchContext } from './context';

const run = promisify(execFile);
export const WIDTH = 10;

/**
 * Ten standardised features of a flight (distance, its log, hour / weekday as sine and cosine,
 * month, day, minute, the origin's traffic) and a 3-class label: early, up to 15 min late, later.
 */
function flightsFeaturesSql(flights: string, n: number): string {
  const z = (e: string): string => `((${e}) - avg(${e}) OVER ()) / nullif(stddev_pop(${e}) OVER (), 0)`;
  return `WITH s AS (SELECT * FROM read_parquet(${quoteLiteral(flights)}) USING SAMPLE reservoir(${n} ROWS) REPEATABLE (7)),
    f AS (SELECT *, count(*) OVER (PARTITION BY origin) AS traffic FROM s)
    SELECT ${z('distance')} AS f0, ${z('ln(distance + 1)')} AS f1,
      sin(2 * pi() * hour(date) / 24) AS f2, cos(2 * pi() * hour(date) / 24) AS f3,
      sin(2 * pi() * dayofweek(date) / 7) AS f4, cos(2 * pi() * dayofweek(date) / 7) AS f5,
      ${z('month(date)')} AS f6, ${z('day(date)')} AS f7, ${z('minute(date)')} AS f8, ${z('traffic')} AS f9,
      CASE WHEN delay <= 0 THEN 0 WHEN delay <= 15 THEN 1 ELSE 2 END AS label
    FROM f`;
}

/** DATA.bin: n rows × WIDTH float32 features, then n float32 labels (0, 1, 2). */
async function trainingData(ctx: BenchContext, n: number): Promise<{ file: string; source: string }> {
  const fromFlights = existsSync(ctx.flights);
  const file = path.join(ctx.cacheDir, `train-${fromFlights ? 'flights' : 'random'}-${n}.bin`);
  const source = fromFlights ? `a ${n.toLocaleString('en-US')}-row sample of flights (10 features, 3 classes)` : `${n} random rows (flights absent)`;
  if (existsSync(file)) return { file, source };
  const out = new Float32Array(n * (WIDTH + 1));
  if (fromFlights) {
    const rows = await withConnection((c) => queryRows(c, flightsFeaturesSql(ctx.flights, n)));
    rows.forEach((r, i) => {
      for (let j = 0; j < WIDTH; j++) out[i * WIDTH + j] = Number(r[`f${j}`] ?? 0);
      out[n * WIDTH + i] = Number(r.label);
    });
  } else {
    for (let i = 0; i < n * WIDTH; i++) out[i] = Math.random() * 2 - 1;
    for (let i = 0; i < n; i++) out[n * WIDTH + i] = Math.floor(Math.random() * 3);
  }
  const tmp = `${file}.tmp-${process.pid}`;
  await fs.writeFile(tmp, out);
  await fs.rename(tmp, file);
  return { file, source };
}

interface TfRun {
  readonly backend: string;
  /** `wasm (SIMD, N threads)` when the threaded build ran. */
  readonly label?: string;
  readonly simd?: boolean;
  readonly ms: number[];
  readonly cpuMs: number[];
  readonly samples: number;
  readonly peakRssMiB?: number;
}

/**
 * The TF.js side runs bundled, as the worker runs (out/worker.js), not through tsx: tsx's loader
 * and source maps add ~80 MB of resident memory that no Pipewise process carries.
 */
let bundled: Promise<string> | undefined;
function tfScript(): Promise<string> {
  bundled ??= (async () => {
    const esbuild = await import('esbuild');
    const out = path.join(__dirname, '.cache', 'tf-backend.bench.js');
    await esbuild.build({
      entryPoints: [path.join(__dirname, 'tf-backend.bench.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: out,
      external: ['@duckdb/node-api', '@tensorflow/*'],
      logLevel: 'warning',
    });
    return out;
  })();
  return bundled;
}

async function tfRun(file: string, n: number, batch: number, epochs: number, runs: number, opts: { mode?: string; env?: NodeJS.ProcessEnv } = {}): Promise<TfRun> {
  const { stdout } = await run(
    process.execPath,
    [await tfScript(), file, String(n), String(WIDTH), String(batch), String(epochs), String(runs), opts.mode ?? 'fitModel'],
    { env: { ...process.env, ...opts.env }, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as TfRun;
}

async function sklearnRun(ctx: BenchContext, file: string, n: number, batch: number, epochs: number, runs: number): Promise<{ ms: number[]; cpuMs: number[]; threads: number | null; peak: number } | string> {
  if (!ctx.python) return 'no /usr/bin/python3';
  try {
    const { stdout } = await run(ctx.python, [path.join(__dirname, 'python', 'sklearn_mlp.py'), file, String(n), String(WIDTH), String(batch), String(epochs), String(runs)], { maxBuffer: 1 << 20 });
    const r = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { fit_ms: number[]; cpu_ms: number[]; threads: number | null; peak_rss_mib: number };
    return { ms: r.fit_ms, cpuMs: r.cpu_ms, threads: r.threads, peak: r.peak_rss_mib };
  } catch (e) {
    const msg = (e as Error).message;
    return /No module named/.test(msg) ? 'scikit-learn not installed' : `scikit-learn failed: ${msg.split('\n').slice(-2).join(' ')}`;
  }
}

let treesBundled: Promise<string> | undefined;
function treesScript(): Promise<string> {
  treesBundled ??= (async () => {
    const esbuild = await import('esbuild');
    const out = path.join(__dirname, '.cache', 'trees.bench.js');
    await esbuild.build({ entryPoints: [path.join(__dirname, 'trees.bench.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: out, external: ['ydf-training', 'jszip'], logLevel: 'warning' });
    return out;
  })();
  return treesBundled;
}

/**
 * Gradient-boosted trees: YDF (its defaults, as the Trainer trains them) against scikit-learn's
 * HistGradientBoostingClassifier (its defaults) on the same matrix, in samples per CPU-second of
 * fitting: YDF's wasm is single-threaded, scikit-learn's OpenMP uses every core, so CPU time is
 * the fair unit on a shared machine (the issue's goal: at most 1.5× scikit-learn's CPU time).
 */
async function treesFigure(ctx: BenchContext, file: string, n: number, source: string): Promise<Figure> {
  const name = `gradient-boosted trees (YDF defaults), ${n.toLocaleString('en-US')} rows`;
  const runs = Math.max(1, Math.min(ctx.runs, 3));
  const { stdout } = await run(process.execPath, [await treesScript(), file, String(n), String(WIDTH), String(runs)], { maxBuffer: 1 << 20 });
  const ours = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { ms: number[]; cpuMs: number[]; heapMiB: number; trees: number };
  const rate = (ms: number): number => n / (ms / 1000);
  const base = { section: 'training' as const, name, unit: 'samples/CPU-s' as const, value: rate(median(ours.cpuMs)), runs, samples: ours.cpuMs };
  if (!ctx.python) return { ...base, skipped: 'no /usr/bin/python3' };
  try {
    const sk = await run(ctx.python, [path.join(__dirname, 'python', 'sklearn_hgb.py'), file, String(n), String(WIDTH), String(runs)], { maxBuffer: 1 << 20 });
    const r = JSON.parse(sk.stdout.trim().split('\n').pop() ?? '{}') as { fit_ms: number[]; cpu_ms: number[]; iterations: number };
    return {
      ...base,
      baselineName: 'sklearn HistGradientBoostingClassifier',
      baseline: rate(median(r.cpu_ms)),
      baselineSamples: r.cpu_ms,
      note: `CPU-s to fit: ${(median(ours.cpuMs) / 1000).toFixed(2)} vs ${(median(r.cpu_ms) / 1000).toFixed(2)}; wall ${(median(ours.ms) / 1000).toFixed(2)} vs ${(median(r.fit_ms) / 1000).toFixed(2)} s; ${ours.trees} trees vs ${r.iterations} iterations × 3 classes; YDF wasm heap ${Math.round(ours.heapMiB)} MiB; ${source}`,
    };
  } catch (e) {
    return { ...base, skipped: `scikit-learn failed: ${(e as Error).message.split('\n').slice(-2).join(' ')}` };
  }
}

export interface TrainingOutcome {
  readonly figures: Figure[];
  readonly backend: string;
  readonly simd?: boolean;
  /** Peak RSS of the training process at batch 256. */
  readonly peakRssMiB?: number;
}

/**
 * The threaded wasm build (PIPEWISE_TF_THREADS; as many threads as cores, 2 to 8) beside the
 * single-threaded run just made on the same data: samples per CPU-second (CPU of every thread of the
 * process) against the single thread's, and wall-clock samples/s in the note.
 */
async function threadedFigure(ctx: BenchContext, file: string, n: number, batch: number, epochs: number, single: TfRun): Promise<Figure> {
  const threads = Math.min(8, Math.max(2, os.cpus().length));
  const name = `batch ${batch}: same, threaded wasm build (${threads} threads asked)`;
  ctx.log(`training: batch ${batch}, threaded wasm (${threads} threads)`);
  const rate = (ms: number): number => (n * epochs) / (ms / 1000);
  try {
    const r = await tfRun(file, n, batch, epochs, ctx.runs, { env: { PIPEWISE_TF_BACKEND: 'wasm', PIPEWISE_TF_THREADS: String(threads) } });
    const wall = (t: TfRun): string => Math.round(rate(median(t.ms))).toLocaleString('en-US');
    return {
      section: 'training',
      name,
      unit: 'samples/CPU-s',
      value: rate(median(r.cpuMs)),
      runs: ctx.runs,
      samples: r.cpuMs,
      baselineName: `single-threaded ${single.label ?? single.backend}${single.simd ? '+SIMD' : ''}, same run`,
      baseline: rate(median(single.cpuMs)),
      baselineSamples: single.cpuMs,
      note: `ran on ${r.label ?? r.backend}; wall ${wall(r)} vs ${wall(single)} samples/s; peak RSS ${Math.round(r.peakRssMiB ?? NaN)} vs ${Math.round(single.peakRssMiB ?? NaN)} MiB`,
    };
  } catch (e) {
    return { section: 'training', name, unit: 'samples/CPU-s', skipped: (e as Error).message.split('\n')[0] };
  }
}

export async function trainingSection(ctx: BenchContext): Promise<TrainingOutcome> {
  const n = ctx.quick ? 20_000 : 50_000;
  const epochs = ctx.quick ? 1 : 2;
  const { file, source } = await trainingData(ctx, n);
  const figures: Figure[] = [];
  let backend = 'unknown';
  let simd: boolean | undefined;
  let peak: number | undefined;
  let reference: number | undefined;
  for (const batch of [256, 1024]) {
    ctx.log(`training: batch ${batch} (${ctx.runs} runs, ${n} samples × ${epochs} epochs)`);
    const ours = await tfRun(file, n, batch, epochs, ctx.runs);
    backend = ours.backend;
    simd = ours.simd;
    if (batch === 256) peak = ours.peakRssMiB;
    const rate = (ms: number): number => (n * epochs) / (ms / 1000);
    const value = rate(median(ours.ms));
    if (batch === 256) reference = value;
    const name = `2×64 DNN, batch ${batch}, ${backend}${simd ? '+SIMD' : ''}`;
    const sk = await sklearnRun(ctx, file, n, batch, epochs, ctx.runs);
    if (typeof sk === 'string') {
      figures.push({ section: 'training', name, unit: 'samples/s', value, runs: ctx.runs, samples: ours.ms, baselineName: 'sklearn MLPClassifier', skipped: sk, note: source });
    } else {
      ctx.sklearnPeakMiB = Math.max(ctx.sklearnPeakMiB ?? 0, sk.peak);
      figures.push({
        section: 'training',
        name,
        unit: 'samples/s',
        value,
        runs: ctx.runs,
        samples: ours.ms,
        baselineName: 'sklearn MLPClassifier (adam)',
        baseline: rate(median(sk.ms)),
        baselineSamples: sk.ms,
        // CPU time tells a single-threaded backend from a multi-threaded BLAS on a shared machine.
        note: `per CPU second: ${Math.round(rate(median(ours.cpuMs))).toLocaleString('en-US')} vs ${Math.round(rate(median(sk.cpuMs))).toLocaleString('en-US')} (BLAS threads: ${sk.threads ?? '?'})${batch === 256 ? `; ${source}` : ''}`,
      });
    }
    if (backend === 'wasm') figures.push(await threadedFigure(ctx, file, n, batch, epochs, ours));
  }
  if (!ctx.quick && reference !== undefined) {
    // The investigation: what SIMD, the backend, TF.js's own model.fit and the transpose-first
    // matmul (src/engine/tf/wasmMatMul.ts, on by default; compared here with wasm's own) change, at batch 256.
    const variants: { name: string; mode?: string; env?: NodeJS.ProcessEnv }[] = [
      { name: 'same, TF.js model.fit instead of fitModel', mode: 'model.fit' },
      { name: 'same, fitModel over TF.js trainOnBatch + tf.train.adam (before the built-in step)', mode: 'trainOnBatch' },
      { name: 'same, wasm without SIMD', env: { PIPEWISE_BENCH_NO_SIMD: '1' } },
      { name: 'same, pure-JS cpu backend', env: { PIPEWISE_TF_BACKEND: 'cpu' } },
      { name: 'same, wasm\'s own BatchMatMul (no transpose-first kernel)', env: { PIPEWISE_TF_WASM_MATMUL: 'plain' } },
    ];
    const vn = 20_000;
    const small = await trainingData(ctx, vn);
    // The reference for the variants, on their smaller set, so both sides see the same data.
    const ref = await tfRun(small.file, vn, 256, 1, ctx.runs);
    // Per CPU second: each variant runs in its own process at another moment, and on a shared
    // machine wall time drifts with the others' load far more than CPU time does.
    const rate = (ms: number): number => vn / (ms / 1000);
    for (const v of variants) {
      ctx.log(`training: ${v.name}`);
      try {
        const r = await tfRun(small.file, vn, 256, 1, ctx.runs, v);
        figures.push({
          section: 'training',
          name: `batch 256: ${v.name}`,
          unit: 'samples/CPU-s',
          value: rate(median(r.cpuMs)),
          runs: ctx.runs,
          samples: r.cpuMs,
          baselineName: `fitModel on ${ref.backend}${ref.simd ? '+SIMD' : ''}`,
          baseline: rate(median(ref.cpuMs)),
          baselineSamples: ref.cpuMs,
          note: `ran on ${r.backend}${r.simd ? '+SIMD' : ''}; wall ${Math.round(rate(median(r.ms))).toLocaleString('en-US')} vs ${Math.round(rate(median(ref.ms))).toLocaleString('en-US')} samples/s`,
        });
      } catch (e) {
        figures.push({ section: 'training', name: `batch 256: ${v.name}`, unit: 'samples/CPU-s', skipped: (e as Error).message.split('\n')[0] });
      }
    }
  }
  ctx.log('training: gradient-boosted trees, YDF against scikit-learn HistGradientBoosting');
  try {
    figures.push(await treesFigure(ctx, file, n, source));
  } catch (e) {
    figures.push({ section: 'training', name: 'gradient-boosted trees (YDF defaults)', unit: 'samples/CPU-s', skipped: (e as Error).message.split('\n')[0] });
  }
  return { figures, backend, simd, peakRssMiB: peak };
}
