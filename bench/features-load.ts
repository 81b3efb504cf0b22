/**
 * What loading the extension's features costs the extension host right after activation, and what
 * splitting them into files would change (issue 26: "load each feature's code when first used"). In
 * one script, each figure a fresh Node process with a stand-in `vscode` module, minified bundles as the
 * VSIX ships them, the variants interleaved so they meet the same load:
 * - **shipped**: this build's out/features.js built with `--production` (one CommonJS bundle; the
 *   late features' modules are in it but evaluated only when first used, src/extension/featureLoader.ts);
 * - **split**: the same source built as ES modules split by esbuild into an index, shared chunks and
 *   one chunk per late feature, in a temporary folder: the eager part is loaded, and then each late
 *   chunk alone on top (what its first use would read);
 * - with `--baseline DIR` (a checkout from before the late features, built with `--production`): its
 *   out/production/features.js, every feature in one bundle, evaluated at once.
 * Medians of RUNS starts each: wall and CPU time (the process's user + system, which a loaded machine
 * disturbs less) of the load inside the process (the process's own start is the same for all and left
 * out), and the bytes read.
 *   node --import tsx bench/features-load.ts [RUNS] [--baseline DIR]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { median } from './lib';

const repoRoot = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const baselineAt = argv.indexOf('--baseline');
const baselineDir = baselineAt >= 0 ? argv[baselineAt + 1] : undefined;
const runs = Number(argv.find((a, i) => /^\d+$/.test(a) && argv[i - 1] !== '--baseline') ?? 9);

/** Loads FILE (and then, if given, CHUNK) with a stand-in `vscode`; prints [wall ms, CPU ms, CHUNK's wall ms]. */
const PROBE = `
const Module = require('node:module');
const { pathToFileURL } = require('node:url');
const standIn = () => new Proxy(function () {}, { get: (_, k) => (k === 'prototype' ? {} : k === Symbol.toPrimitive ? () => '' : standIn()), apply: () => standIn(), construct: () => standIn() });
const vscode = Object.create(new Proxy({}, { get: (_, k) => (typeof k === 'symbol' ? undefined : standIn()) }));
const load = Module._load;
Module._load = function (request, ...rest) { return request === 'vscode' ? vscode : load.call(this, request, ...rest); };
const [file, chunk] = process.argv.slice(1);
const importOf = (f) => (f.endsWith('.mjs') ? import(pathToFileURL(f).href) : Promise.resolve(require(f)));
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
(async () => {
  const t0 = performance.now(), c0 = cpu();
  const m = await importOf(file);
  if (typeof m.activateFeatures !== 'function') throw new Error(file + ' exports no activateFeatures');
  const t1 = performance.now(), c1 = cpu();
  if (chunk) await importOf(chunk);
  process.stdout.write(JSON.stringify([t1 - t0, c1 - c0, performance.now() - t1]));
})().catch((e) => { console.error(e); process.exit(1); });
`;

function probe(file: string, chunk?: string): [number, number, number] {
  return JSON.parse(execFileSync(process.execPath, ['-e', PROBE, file, ...(chunk ? [chunk] : [])], { encoding: 'utf8' })) as [number, number, number];
}

/** The split variant: ES modules, `vscode` required through each chunk's own `require` (ES modules cannot import it). */
async function buildSplit(outdir: string): Promise<void> {
  const vscodeThroughRequire: esbuild.Plugin = {
    name: 'vscode-through-require',
    setup(build) {
      build.onResolve({ filter: /^vscode$/ }, (args) => (args.namespace === 'vscode-cjs' ? { path: 'vscode', external: true } : { path: 'vscode', namespace: 'vscode-cjs' }));
      build.onLoad({ filter: /.*/, namespace: 'vscode-cjs' }, () => ({ contents: "module.exports = require('vscode');", loader: 'js' }));
    },
  };
  await esbuild.build({
    absWorkingDir: repoRoot,
    entryPoints: { index: 'src/extension/features.ts' },
    bundle: true,
    minify: true,
    legalComments: 'none',
    outdir,
    outExtension: { '.js': '.mjs' },
    platform: 'node',
    format: 'esm',
    splitting: true,
    target: 'node20',
    external: ['vscode'],
    plugins: [vscodeThroughRequire],
    banner: { js: "import { createRequire as __pipewiseCreateRequire } from 'node:module';\nconst require = __pipewiseCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}

async function main(): Promise<void> {
  const shipped = path.join(repoRoot, 'out', 'production', 'features.js');
  if (!existsSync(shipped)) throw new Error(`${shipped} is missing: node esbuild.mjs --production`);
  const baseline = baselineDir ? path.join(path.resolve(baselineDir), 'out', 'production', 'features.js') : undefined;
  if (baseline && !existsSync(baseline)) throw new Error(`${baseline} is missing: build the baseline with node esbuild.mjs --production`);
  const splitDir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-features-split-'));
  try {
    await buildSplit(splitDir);
    const files = readdirSync(splitDir).filter((f) => f.endsWith('.mjs'));
    const late = files.filter((f) => !f.startsWith('index') && !f.startsWith('chunk-'));
    const bytes = (names: readonly string[]): number => names.reduce((sum, f) => sum + statSync(path.join(splitDir, f)).size, 0);
    const index = path.join(splitDir, 'index.mjs');

    const samples = { shipped: [] as [number, number][], split: [] as [number, number][], baseline: [] as [number, number][] };
    const lateMs = new Map<string, number[]>(late.map((f) => [f, []]));
    for (let i = 0; i < runs; i++) {
      samples.shipped.push(probe(shipped).slice(0, 2) as [number, number]);
      samples.split.push(probe(index).slice(0, 2) as [number, number]);
      if (baseline) samples.baseline.push(probe(baseline).slice(0, 2) as [number, number]);
      for (const f of late) lateMs.get(f)?.push(probe(index, path.join(splitDir, f))[2]);
    }
    const wall = (xs: readonly [number, number][]): number => median(xs.map((x) => x[0]));
    const cpu = (xs: readonly [number, number][]): number => median(xs.map((x) => x[1]));
    const kb = (n: number): string => `${(n / 1024).toFixed(0)} kB`;
    const fmt = (n: number): string => `${n.toFixed(1)} ms`;
    const line = (name: string, xs: readonly [number, number][], size: number): string =>
      `  ${name} (${kb(size)}): wall ${fmt(wall(xs))}, CPU ${fmt(cpu(xs))}; ratio to shipped: wall ${(wall(xs) / wall(samples.shipped)).toFixed(2)}, CPU ${(cpu(xs) / cpu(samples.shipped)).toFixed(2)}`;
    console.log(`features load after activation, ${runs} starts each (medians; minified; stand-in vscode)`);
    console.log(line('shipped: one CommonJS bundle, late features evaluated when first used', samples.shipped, statSync(shipped).size));
    console.log(line(`split: ES modules, eager part (index + ${files.length - late.length - 1} shared chunks)`, samples.split, bytes(files) - bytes(late)));
    if (baseline) console.log(line(`baseline: ${path.relative(process.cwd(), baseline)}, every feature evaluated at once`, samples.baseline, statSync(baseline).size));
    for (const [f, ms] of lateMs) console.log(`  split: first use of ${f.replace(/-[A-Z0-9]+\.mjs$/, '')} reads its chunk: + ${fmt(median(ms))} (${kb(statSync(path.join(splitDir, f)).size)})`);
  } finally {
    rmSync(splitDir, { recursive: true, force: true });
  }
}

void main();
