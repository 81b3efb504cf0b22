/**
 * What loading the extension's features costs the extension host, right after activation (issue 26:
 * "load each feature's code when first used"). In one script, each figure a fresh Node process with a
 * stand-in `vscode` module, the production bundles (`node esbuild.mjs --production`, what the VSIX
 * ships), interleaved so both builds meet the same load:
 * - this build: importing out/production/features/index.mjs — the eager features (editor, Models
 *   view) and the chunks they share, which is what runs after every activation;
 * - this build, then each late feature's chunk alone on top (what its first use adds);
 * - with `--baseline DIR` (a checkout from before the split, built with `--production`): requiring its
 *   out/production/features.js, every feature in one bundle.
 * Medians of RUNS starts each, wall time of the load inside the process (the process's own start is the
 * same for both and left out), and the bytes read.
 *   node --import tsx bench/features-load.ts [RUNS] [--baseline DIR]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { median } from './lib';

const repoRoot = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const baselineAt = argv.indexOf('--baseline');
const baselineDir = baselineAt >= 0 ? argv[baselineAt + 1] : undefined;
const runs = Number(argv.find((a, i) => /^\d+$/.test(a) && argv[i - 1] !== '--baseline') ?? 9);

/** Loads FILE (and then, if given, the late chunk CHUNK) with a stand-in `vscode`; prints the two times in ms. */
const PROBE = `
const Module = require('node:module');
const { pathToFileURL } = require('node:url');
const standIn = () => new Proxy(function () {}, { get: (_, k) => (k === 'prototype' ? {} : k === Symbol.toPrimitive ? () => '' : standIn()), apply: () => standIn(), construct: () => standIn() });
const vscode = Object.create(new Proxy({}, { get: (_, k) => (typeof k === 'symbol' ? undefined : standIn()) }));
const load = Module._load;
Module._load = function (request, ...rest) { return request === 'vscode' ? vscode : load.call(this, request, ...rest); };
const [file, chunk] = process.argv.slice(1);
const importOf = (f) => (f.endsWith('.mjs') ? import(pathToFileURL(f).href) : Promise.resolve(require(f)));
(async () => {
  const t0 = performance.now();
  const m = await importOf(file);
  if (typeof m.activateFeatures !== 'function') throw new Error(file + ' exports no activateFeatures');
  const t1 = performance.now();
  if (chunk) await importOf(chunk);
  process.stdout.write(JSON.stringify([t1 - t0, performance.now() - t1]));
})().catch((e) => { console.error(e); process.exit(1); });
`;

function probe(file: string, chunk?: string): [number, number] {
  return JSON.parse(execFileSync(process.execPath, ['-e', PROBE, file, ...(chunk ? [chunk] : [])], { encoding: 'utf8' })) as [number, number];
}

const dir = path.join(repoRoot, 'out', 'production', 'features');
const index = path.join(dir, 'index.mjs');
if (!existsSync(index)) throw new Error(`${index} is missing: node esbuild.mjs --production`);
const files = readdirSync(dir).filter((f) => f.endsWith('.mjs'));
const late = files.filter((f) => !f.startsWith('index') && !f.startsWith('chunk-'));
const bytes = (names: readonly string[]): number => names.reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);
const baseline = baselineDir ? path.join(path.resolve(baselineDir), 'out', 'production', 'features.js') : undefined;
if (baseline && !existsSync(baseline)) throw new Error(`${baseline} is missing: build the baseline with node esbuild.mjs --production`);

const ours: number[] = [];
const theirs: number[] = [];
const lateMs = new Map<string, number[]>(late.map((f) => [f, []]));
for (let i = 0; i < runs; i++) {
  ours.push(probe(index)[0]);
  if (baseline) theirs.push(probe(baseline)[0]);
  for (const f of late) lateMs.get(f)?.push(probe(index, path.join(dir, f))[1]);
}

const kb = (n: number): string => `${(n / 1024).toFixed(0)} kB`;
const fmt = (n: number): string => `${n.toFixed(1)} ms`;
console.log(`features load, ${runs} starts each (median; production bundles, stand-in vscode)`);
console.log(`  this build, eager (index + shared chunks): ${fmt(median(ours))}; all chunks ${kb(bytes(files))}, of which late features ${kb(bytes(late))}`);
if (baseline) {
  console.log(`  baseline, one bundle (${path.relative(process.cwd(), baseline)}, ${kb(statSync(baseline).size)}): ${fmt(median(theirs))}`);
  console.log(`  ratio this/baseline: ${(median(ours) / median(theirs)).toFixed(2)}`);
}
for (const [f, ms] of lateMs) console.log(`  first use of ${f.replace(/-[A-Z0-9]+\.mjs$/, '')}: + ${fmt(median(ms))} (${kb(statSync(path.join(dir, f)).size)})`);
