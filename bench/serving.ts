/**
 * Section 5 (serving): `pipewise serve` answering :predict for a penguin model trained here, against
 * the floor — a bare `node:http` server in its own process that reads the body and answers a fixed
 * JSON object — driven by the same load generator in the same run: requests/s and p50/p99 latency at
 * concurrency 1 and 16, with 1-row and 100-row bodies; at concurrency 16 also the same server
 * logging every request (`--log-dir`) against itself without the log; a gradient-boosted-trees
 * model (YDF's wasm) of the same data against the same floor; and a canary server
 * (`--split champion=50,2=50` over two versions: a request id generated and hashed per request, the
 * alias file followed) against the plain one. Traffic goes to 127.0.0.1
 * only and every measurement is bounded in requests and in time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { runPipeline } from '../src/engine/orchestrator';
import { median, type Figure } from './lib';
import type { BenchContext } from './context';

const PIPELINE = `pipeline: bench_serving
stages:
  examples: { component: ExampleGen, params: { input: penguins.csv } }
  statistics: { component: StatisticsGen, inputs: { examples: examples.examples } }
  schema: { component: SchemaGen, inputs: { statistics: statistics.statistics } }
  transform: { component: Transform, inputs: { examples: examples.examples, schema: schema.schema }, params: { label: species } }
  train:
    component: Trainer
    inputs: { examples: transform.transformed_examples, transform_graph: transform.transform_graph }
    params: { model: dnn, hidden_units: [32, 16], epochs: 5 }
  trees:
    component: Trainer
    inputs: { examples: transform.transformed_examples, transform_graph: transform.transform_graph }
    params: { model: gradient_boosted_trees }
`;

const FLOOR = `
const http = require('node:http');
const body = JSON.stringify({ predictions: [{ scores: [0.01, 0.02, 0.97], prediction: 'Gentoo', classes: ['Adelie', 'Chinstrap', 'Gentoo'] }] });
const s = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); res.end(body); });
});
s.listen(0, '127.0.0.1', () => process.stdout.write('http://127.0.0.1:' + s.address().port + '\\n'));
process.on('SIGTERM', () => s.close(() => process.exit(0)));
`;

const ROW = { island: 'Biscoe', bill_length_mm: 46.1, bill_depth_mm: 13.2, flipper_length_mm: 211, body_mass_g: 4500, sex: 'female', year: 2007 };

interface Load {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))] ?? Number.NaN;
}

/** `count` POSTs (at most `maxMs`) with `concurrency` in flight over keep-alive sockets. */
async function drive(url: string, body: string, concurrency: number, count: number, maxMs: number): Promise<Load> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(url);
  const latencies: number[] = [];
  let started = 0;
  const t0 = process.hrtime.bigint();
  const deadline = Date.now() + maxMs;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = process.hrtime.bigint();
      const req = http.request({ host: '127.0.0.1', port: target.port, path: target.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode} from ${url}`));
          latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
          resolve();
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  const worker = async (): Promise<void> => {
    while (started < count && Date.now() < deadline) {
      started++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  agent.destroy();
  const sorted = [...latencies].sort((a, b) => a - b);
  return { rps: latencies.length / seconds, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
}

function firstLine(proc: ChildProcess, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^(http:\/\/\S+)\n/.exec(out);
      if (m) resolve(m[1] as string);
    });
    proc.on('exit', (code) => reject(new Error(`${what} exited ${code}: ${err}`)));
  });
}

async function waitAvailable(url: string): Promise<void> {
  const end = Date.now() + 120_000;
  while (Date.now() < end) {
    const r = await fetch(`${url}/v1/models/bench`).catch(() => undefined);
    if (r?.status === 200 && JSON.stringify(await r.json()).includes('AVAILABLE')) return;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error('the model server did not make its version AVAILABLE within 120 s');
}

export async function servingSection(ctx: BenchContext): Promise<Figure[]> {
  const cli = path.join(ctx.repoRoot, 'bin', 'pipewise.js');
  if (!existsSync(path.join(ctx.repoRoot, 'out', 'cli.js'))) {
    return [{ section: 'serving', name: 'predict requests/s', unit: 'requests/s', skipped: 'needs out/cli.js (npm run build)' }];
  }
  ctx.log('serving: training a penguin model to serve');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pipewise-bench-serving-'));
  const procs: ChildProcess[] = [];
  try {
    await fs.copyFile(path.join(ctx.repoRoot, 'test', 'fixtures', 'penguins.csv'), path.join(dir, 'penguins.csv'));
    await fs.writeFile(path.join(dir, 'bench.pipeline.yaml'), PIPELINE);
    const run = await runPipeline({ file: path.join(dir, 'bench.pipeline.yaml') });
    const model = run.stages.find((s) => s.name === 'train')?.artifacts.model;
    if (run.status !== 'succeeded' || !model) throw new Error(`training the bench model ${run.status}`);
    await fs.cp(model, path.join(dir, 'serving', 'bench', '1'), { recursive: true });
    const treeModel = run.stages.find((s) => s.name === 'trees')?.artifacts.model;
    if (!treeModel) throw new Error('training the bench tree model made no model');
    await fs.cp(treeModel, path.join(dir, 'serving-trees', 'bench', '1'), { recursive: true });

    const server = spawn(process.execPath, [cli, 'serve', path.join(dir, 'serving', 'bench'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const floor = spawn(process.execPath, ['-e', FLOOR], { stdio: ['ignore', 'pipe', 'pipe'] });
    // The same model with its request log on: what logging every request costs at concurrency 16.
    const logged = spawn(process.execPath, [cli, 'serve', path.join(dir, 'serving', 'bench'), '--port', '0', '--log-dir', path.join(dir, 'request-log')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const trees = spawn(process.execPath, [cli, 'serve', path.join(dir, 'serving-trees', 'bench'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Two versions of the same model, half the traffic each by request id: what the canary split costs.
    const canaryBase = path.join(dir, 'serving-canary', 'bench');
    for (const v of ['1', '2']) await fs.cp(model, path.join(canaryBase, v), { recursive: true });
    const { changeAlias } = await import('../src/engine/serving/aliases');
    await changeAlias(canaryBase, 'champion', 1, 'bench');
    const canary = spawn(process.execPath, [cli, 'serve', canaryBase, '--port', '0', '--split', 'champion=50,2=50'], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(server, floor, logged, trees, canary);
    const [serverUrl, floorUrl, loggedUrl, treesUrl, canaryUrl] = await Promise.all([
      firstLine(server, 'pipewise serve'),
      firstLine(floor, 'the node:http floor'),
      firstLine(logged, 'pipewise serve --log-dir'),
      firstLine(trees, 'pipewise serve (trees)'),
      firstLine(canary, 'pipewise serve --split'),
    ]);
    await waitAvailable(serverUrl);
    await waitAvailable(loggedUrl);
    await waitAvailable(treesUrl);
    await waitAvailable(canaryUrl);
    const canaryPredictUrl = `${canaryUrl}/v1/models/bench:predict`;
    const predictUrl = `${serverUrl}/v1/models/bench:predict`;
    const loggedPredictUrl = `${loggedUrl}/v1/models/bench:predict`;
    const treesPredictUrl = `${treesUrl}/v1/models/bench:predict`;

    const figures: Figure[] = [];
    for (const rows of [1, 100]) {
      const body = JSON.stringify({ instances: Array(rows).fill(ROW) });
      for (const concurrency of [1, 16]) {
        const count = (rows === 1 ? 2000 : 300) / (ctx.quick ? 4 : 1);
        const maxMs = ctx.quick ? 4000 : 10_000;
        ctx.log(`serving: ${rows}-row bodies, concurrency ${concurrency} (${ctx.runs} runs of ≤ ${count} requests, ≤ ${maxMs / 1000} s each)`);
        await drive(predictUrl, body, concurrency, Math.min(100, count), maxMs); // warm-up
        await drive(floorUrl, body, concurrency, Math.min(100, count), maxMs);
        const ours: Load[] = [];
        const base: Load[] = [];
        const withLog: Load[] = [];
        const forest: Load[] = [];
        const withSplit: Load[] = [];
        if (concurrency === 16) await drive(loggedPredictUrl, body, concurrency, Math.min(100, count), maxMs);
        if (concurrency === 16 && rows === 1) await drive(canaryPredictUrl, body, concurrency, Math.min(100, count), maxMs);
        await drive(treesPredictUrl, body, concurrency, Math.min(100, count), maxMs);
        for (let r = 0; r < ctx.runs; r++) {
          ours.push(await drive(predictUrl, body, concurrency, count, maxMs));
          base.push(await drive(floorUrl, body, concurrency, count, maxMs));
          forest.push(await drive(treesPredictUrl, body, concurrency, count, maxMs));
          if (concurrency === 16) withLog.push(await drive(loggedPredictUrl, body, concurrency, count, maxMs));
          if (concurrency === 16 && rows === 1) withSplit.push(await drive(canaryPredictUrl, body, concurrency, count, maxMs));
        }
        const name = `${rows}-row predict, concurrency ${concurrency}`;
        const pick = (l: Load[], k: keyof Load): number[] => l.map((x) => x[k]);
        figures.push(
          { section: 'serving', name: `${name}: requests/s`, unit: 'requests/s', value: median(pick(ours, 'rps')), samples: pick(ours, 'rps'), runs: ctx.runs, baselineName: 'bare node:http, fixed JSON', baseline: median(pick(base, 'rps')), baselineSamples: pick(base, 'rps') },
          { section: 'serving', name: `${name}: p50 latency`, unit: 'ms', value: median(pick(ours, 'p50')), runs: ctx.runs, baselineName: 'bare node:http, fixed JSON', baseline: median(pick(base, 'p50')) },
          { section: 'serving', name: `${name}: p99 latency`, unit: 'ms', value: median(pick(ours, 'p99')), runs: ctx.runs, baselineName: 'bare node:http, fixed JSON', baseline: median(pick(base, 'p99')) },
        );
        figures.push(
          { section: 'serving', name: `gradient_boosted_trees, ${name}: requests/s`, unit: 'requests/s', value: median(pick(forest, 'rps')), samples: pick(forest, 'rps'), runs: ctx.runs, baselineName: 'bare node:http, fixed JSON', baseline: median(pick(base, 'rps')), baselineSamples: pick(base, 'rps') },
          { section: 'serving', name: `gradient_boosted_trees, ${name}: p99 latency`, unit: 'ms', value: median(pick(forest, 'p99')), runs: ctx.runs, baselineName: 'bare node:http, fixed JSON', baseline: median(pick(base, 'p99')) },
        );
        if (withLog.length) {
          figures.push({ section: 'serving', name: `${name}, every request logged: requests/s`, unit: 'requests/s', value: median(pick(withLog, 'rps')), samples: pick(withLog, 'rps'), runs: ctx.runs, baselineName: 'pipewise serve without --log-dir', baseline: median(pick(ours, 'rps')), baselineSamples: pick(ours, 'rps') });
        }
        if (withSplit.length) {
          figures.push({ section: 'serving', name: `${name}, canary split 50/50 of two versions: requests/s`, unit: 'requests/s', value: median(pick(withSplit, 'rps')), samples: pick(withSplit, 'rps'), runs: ctx.runs, baselineName: 'pipewise serve, one version', baseline: median(pick(ours, 'rps')), baselineSamples: pick(ours, 'rps') });
        }
      }
    }
    return figures;
  } finally {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => (p.exitCode === null ? new Promise((r) => p.on('exit', r)) : undefined)));
    await fs.rm(dir, { recursive: true, force: true });
  }
}
