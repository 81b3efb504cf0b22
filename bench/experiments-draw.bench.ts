/**
 * The Experiments panel's draw at 200 runs in a 400 px column (issue 28), in Chromium: the webview
 * bundle alone on a page whose `acquireVsCodeApi` answers the correlation request at once, fed one
 * `view` of 200 synthetic runs (2 changed parameters, 8 metrics with intervals, training curves). Per
 * bundle it reports the median over RUNS fresh pages of the renderer main thread's CPU time (a trace's
 * top-level tasks: steadier than wall time on a shared machine) and the panel's own `data-view-ms`,
 * and each bundle's ratio to the first, measured in the same run: pass the bundle built from the
 * baseline revision first.
 *
 * usage: npm run build && node --import tsx bench/experiments-draw.bench.ts [BASELINE.js …] [--runs 5] [--width 400]
 * (no bundle given: out/webviews/experiments.js alone)
 */
import { chromium } from 'playwright-core';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args.splice(i, 2)[1]) : fallback;
};
const RUNS = option('--runs', 5);
const WIDTH = option('--width', 400);
const bundles = [...args.map((a) => path.resolve(a)), path.join(root, 'out/webviews/experiments.js')];

const METRICS = ['accuracy', 'example_count', 'log_loss', 'macro_f1', 'precision:Adelie', 'recall:Adelie', 'precision:Gentoo', 'recall:Gentoo'];

/** 200 runs as the host sends them: epochs and hidden units changed, every metric with its interval, a loss curve each. */
function view(): unknown {
  const rows = Array.from({ length: 200 }, (_, k) => {
    const metrics = Object.fromEntries(METRICS.map((m, i) => [m, m === 'example_count' ? 69 : 0.8 + ((k * 7 + i) % 30) / 200]));
    const intervals = Object.fromEntries(METRICS.filter((m) => m !== 'example_count').map((m) => [m, [(metrics[m] as number) - 0.03, (metrics[m] as number) + 0.02]]));
    const history = Array.from({ length: 2 + (k % 60) }, (_, e) => ({ epoch: e, loss: 1 / (e + 1), val_loss: 1.1 / (e + 1) }));
    return {
      runId: `20261201-${100000 + k}-000-bench${k}`,
      startedAt: new Date(Date.UTC(2026, 11, 1, 0, k)).toISOString(),
      status: 'succeeded',
      params: { 'train.epochs': String(2 + (k % 60)), 'train.hidden_units': k % 4 === 3 ? '[8]' : '[32, 16]' },
      metrics,
      intervals,
      blessed: k % 3 === 0,
      evaluation: '/tmp/evaluation',
      history,
    };
  });
  return { pipeline: 'penguins', file: '/w/penguins.pipeline.yaml', rows, changedParams: ['train.epochs', 'train.hidden_units'], metricNames: METRICS };
}

function page(bundle: string, dir: string): string {
  const file = path.join(dir, `${path.basename(path.dirname(bundle))}-${Math.random().toString(36).slice(2)}.html`);
  writeFileSync(
    file,
    `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="file://${root}/media/panels.css"></head><body><main id="app"></main><script>
window.__sent = [];
window.acquireVsCodeApi = () => ({ postMessage: (m) => { window.__sent.push(m); if (m.type === 'importance') setTimeout(() => window.postMessage({ type: 'importance', metric: m.metric, runs: m.runs.length, correlations: [{ param: 'train.epochs', spearman: 0.3, pearson: 0.2, runs: m.runs.length }] }, '*'), 0); }, getState: () => undefined, setState: () => {} });
</script><script src="file://${bundle}"></script></body></html>`,
  );
  return file;
}

interface TraceEvent {
  readonly ph: string;
  readonly name: string;
  readonly pid: number;
  readonly tid: number;
  readonly tdur?: number;
  readonly args?: { readonly name?: string };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-bench-experiments-'));
  const browser = await chromium.launch({ executablePath: process.env.PIPEWISE_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--allow-file-access-from-files'] });
  const data = view();
  const results: { bundle: string; cpuMs: number; viewMs: number }[] = [];
  try {
    for (const bundle of bundles) {
      const cpu: number[] = [];
      const wall: number[] = [];
      // One untimed warm-up page, then RUNS timed ones.
      for (let run = 0; run <= RUNS; run++) {
        const p = await browser.newPage({ viewport: { width: WIDTH, height: 900 } });
        await p.goto(`file://${page(bundle, dir)}`);
        const traceFile = path.join(dir, 'trace.json');
        await browser.startTracing(p, { path: traceFile, categories: ['toplevel', 'devtools.timeline'] });
        await p.evaluate((v) => window.postMessage({ type: 'view', view: v }, '*'), data);
        // Drawn whole: the second render (after the correlations); a bundle from before `data-view-ms` reports `data-draw-ms`.
        await p.waitForFunction(() => (window as unknown as { __sent: { type: string }[] }).__sent.filter((m) => m.type === 'rendered').length >= 2, null, { timeout: 120_000 });
        await p.waitForTimeout(300);
        await browser.stopTracing();
        const shown = await p.evaluate(() => Number(document.getElementById('app')?.dataset['viewMs'] ?? document.getElementById('app')?.dataset['drawMs']));
        const events = (JSON.parse(readFileSync(traceFile, 'utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
        const main = events.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
        const ms = events.filter((e) => e.ph === 'X' && e.pid === main?.pid && e.tid === main?.tid && e.name === 'ThreadControllerImpl::RunTask').reduce((a, e) => a + (e.tdur ?? 0) / 1000, 0);
        await p.close();
        if (run === 0) continue;
        cpu.push(ms);
        wall.push(shown);
      }
      results.push({ bundle, cpuMs: median(cpu), viewMs: median(wall) });
    }
  } finally {
    await browser.close();
  }
  const base = results[0] as { cpuMs: number; viewMs: number };
  console.log(`experiments panel, 200 runs at ${WIDTH} px, median of ${RUNS} (load average ${os.loadavg()[0]?.toFixed(1)}):`);
  for (const r of results) console.log(`  ${path.relative(process.cwd(), r.bundle)}: main-thread CPU ${Math.round(r.cpuMs)} ms (${(r.cpuMs / base.cpuMs).toFixed(2)} of the first), drawn in ${Math.round(r.viewMs)} ms (${(r.viewMs / base.viewMs).toFixed(2)})`);
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
