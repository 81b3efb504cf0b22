/**
 * How many rows × columns YDF can train on (issue 25, "limits stated and measured"): YDF trains
 * in one wasm32 instance whose heap can grow to 2 GiB (getHeapMax() in its glue). Each size trains gradient-boosted trees
 * (YDF's defaults, regression) from columns, as the Trainer does (treeModel.ts), in a fresh
 * process, and reports the wasm heap's high-water mark (Emscripten's heap only grows) and the
 * wall time. The bytes per value fitted over the sizes give the largest table that fits.
 *
 *   node --import tsx bench/trees-memory.ts [rows…] [--columns 20]
 */
import { spawnSync } from 'node:child_process';

const CHILD = `
const { loadYdf, ydfCall } = require('./src/engine/model/ydf');
(async () => {
  const [n, c] = process.argv.slice(-2).map(Number);
  const ydf = await loadYdf();
  // A seeded generator: the same table for every run of a size.
  let s = 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const cols = {};
  const y = new Array(n).fill(0);
  for (let j = 0; j < c; j++) {
    const v = new Array(n);
    for (let i = 0; i < n; i++) { v[i] = rand() * 10; y[i] += (j % 3 === 0 ? Math.sin(v[i]) : 0.1 * v[i]); }
    cols['f' + j] = v;
  }
  cols.label = y.map((v) => v + rand());
  const before = ydf.HEAPU8.length;
  const t0 = process.hrtime.bigint();
  const model = ydfCall('bench', () => new ydf.GradientBoostedTreesLearner('label', 'REGRESSION').train(cols));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  model.unload();
  process.stdout.write(JSON.stringify({ rows: n, columns: c, heapBefore: before, heapPeak: ydf.HEAPU8.length, seconds }) + '\\n');
})();
`;

const args = process.argv.slice(2);
const columnsAt = args.indexOf('--columns');
const columns = columnsAt >= 0 ? Number(args[columnsAt + 1]) : 20;
const sizes = args.filter((a, i) => /^\d+$/.test(a) && i !== columnsAt + 1).map(Number);
const rowsList = sizes.length ? sizes : [25_000, 100_000, 400_000];

const results: { rows: number; columns: number; heapBefore: number; heapPeak: number; seconds: number }[] = [];
for (const rows of rowsList) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', CHILD, String(rows), String(columns)], { encoding: 'utf8', cwd: `${__dirname}/..`, timeout: 1_800_000 });
  if (r.status !== 0) {
    console.log(`${rows} × ${columns}: failed (${r.status}): ${r.stderr.slice(-500)}`);
    continue;
  }
  const line = r.stdout.trim().split('\n').pop() ?? '{}';
  const m = JSON.parse(line) as (typeof results)[number];
  results.push(m);
  console.log(`${rows} rows × ${columns} columns: wasm heap ${(m.heapBefore / 2 ** 20).toFixed(0)} → ${(m.heapPeak / 2 ** 20).toFixed(0)} MiB, ${m.seconds.toFixed(1)} s`);
}
if (results.length >= 2) {
  const a = results[0] as (typeof results)[number];
  const b = results[results.length - 1] as (typeof results)[number];
  const perValue = (b.heapPeak - a.heapPeak) / ((b.rows - a.rows) * (b.columns + 1));
  const fixed = a.heapPeak - perValue * a.rows * (a.columns + 1);
  console.log(`≈ ${perValue.toFixed(1)} bytes of wasm heap per value (rows × (columns + label)), ${(fixed / 2 ** 20).toFixed(0)} MiB fixed: 2 GiB holds ≈ ${((2 ** 31 - fixed) / perValue / 1e6).toFixed(0)} M values`);
}
