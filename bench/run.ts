/**
 * Pipewise's benchmarks: `npm run bench` (about 5 minutes on 2 cores) or `npm run bench -- --quick`
 * (about 1.5). Prints a table and writes bench/results/latest.json. Every figure is the median of
 * several runs after a warm-up and sits beside a baseline measured in the same run; a baseline
 * that is not installed is reported as skipped. See bench/README.md for what each figure means.
 *
 * Options: --quick, --runs N (timed runs per figure, default 3), --only statistics,training,overhead,serving
 * (also: scale; activation, which needs `npm run package` and the browser-test tools, with
 * --baseline-vsix FILE for a before/after pair)
 */
import { existsSync, mkdirSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { statisticsSection } from './statistics';
import { trainingSection } from './training';
import { overheadSection } from './overhead';
import { servingSection } from './serving';
import { TABLE_HEADER, figureRows, formatTable, type Figure } from './lib';
import type { BenchContext } from './context';
import { scaleSection } from './scale';
import { activationSection } from './activation';
import { oraclePython as findOraclePython } from '../test/python';
import { sharedDir } from '../test/sharedDir';
const oraclePython = findOraclePython();

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const runs = Math.max(1, Number(option('--runs') ?? 3));
  const only = new Set((option('--only') ?? 'statistics,training,overhead,serving').split(','));
  const repoRoot = path.resolve(__dirname, '..');
  const cacheDir = path.join(repoRoot, 'bench', '.cache');
  mkdirSync(cacheDir, { recursive: true });
  const started = new Date();
  const t0 = Date.now();
  const ctx: BenchContext = {
    quick,
    runs,
    python: existsSync(oraclePython) ? oraclePython : undefined,
    repoRoot,
    flights: sharedDir('data', 'flights-3m.parquet'),
    cacheDir,
    log: (m) => process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${m}\n`),
  };
  const loadBefore = os.loadavg();
  const figures: Figure[] = [];
  let backend = 'not measured';
  let trainingPeak: number | undefined;
  let statisticsPeak: number | undefined;
  if (only.has('statistics')) figures.push(...(await statisticsSection(ctx)));
  if (only.has('scale')) figures.push(...(await scaleSection(ctx)));
  if (only.has('training')) {
    const t = await trainingSection(ctx);
    figures.push(...t.figures);
    backend = `${t.backend}${t.simd ? ' (SIMD, 1 thread)' : ''}`;
    trainingPeak = t.peakRssMiB;
  }
  if (only.has('overhead')) {
    const o = await overheadSection(ctx);
    figures.push(...o.figures);
    statisticsPeak = o.statisticsPeakMiB;
  }
  if (only.has('overhead') || only.has('statistics')) {
    figures.push({
      section: 'memory',
      name: 'worker peak RSS, exact statistics of flights 3M',
      unit: 'MiB',
      value: statisticsPeak,
      skipped: statisticsPeak === undefined ? 'needs the overhead section, out/worker.js and the flights file' : undefined,
      baselineName: 'pandas process (CSV load + stats)',
      baseline: ctx.pandasPeakMiB,
    });
  }
  if (only.has('training')) {
    figures.push({
      section: 'memory',
      name: 'training process peak RSS, batch 256',
      unit: 'MiB',
      value: trainingPeak,
      skipped: trainingPeak === undefined ? 'not measured' : undefined,
      baselineName: 'sklearn process',
      baseline: ctx.sklearnPeakMiB,
      note: 'the bench trains on a flights sample, not all 3M rows',
    });
  }
  if (only.has('serving')) figures.push(...(await servingSection(ctx)));
  if (only.has('activation')) figures.push(...(await activationSection(ctx, option('--baseline-vsix'))));
  const loadAfter = os.loadavg();
  const cpus = os.cpus();
  const header = [
    `Pipewise bench, ${started.toISOString()}${quick ? ' (--quick)' : ''}`,
    `machine: ${cpus.length} × ${cpus[0]?.model ?? 'CPU'}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.versions.node}`,
    `TF.js backend: ${backend}; load average (1 min) ${loadBefore[0]?.toFixed(1)} before, ${loadAfter[0]?.toFixed(1)} after; took ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    '"vs baseline": how many times better Pipewise is (faster, or less memory); < 1 is worse.',
  ];
  process.stdout.write(`\n${header.join('\n')}\n\n${formatTable(TABLE_HEADER, figureRows(figures))}\n`);
  const resultsDir = path.join(repoRoot, 'bench', 'results');
  await fs.mkdir(resultsDir, { recursive: true });
  const out = path.join(resultsDir, 'latest.json');
  const json = {
    date: started.toISOString(),
    quick,
    runs,
    backend,
    node: process.versions.node,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    loadAverage: { before: loadBefore, after: loadAfter },
    durationS: (Date.now() - t0) / 1000,
    figures,
  };
  await fs.writeFile(`${out}.tmp`, `${JSON.stringify(json, null, 2)}\n`);
  await fs.rename(`${out}.tmp`, out);
  process.stdout.write(`\nwritten: ${path.relative(process.cwd(), out)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
