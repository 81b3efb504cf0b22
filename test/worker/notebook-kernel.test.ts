/**
 * The notebook kernel's worker side, through a real worker process: SQL on DuckDB (counts checked
 * against pandas), JavaScript/TypeScript cells (console streaming, kept values, displayed values,
 * the user's own stack), stage cells through the engine (live metric points, caching, diagnostics
 * at the cell's line) and interrupt.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, copyFileSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CancellationTokenSource, WorkerClient } from '../../src/worker/client';
import { ExecuteCell, NotebookMime, NotebookStreamNotification, ResetNotebook, type ExecuteCellParams, type NotebookCellKind, type NotebookStreamEvent } from '../../src/protocol/notebook';
import { oraclePython } from '../python';

const workerPath = path.resolve(__dirname, '../../out/worker.js');
const fixtures = path.resolve(__dirname, '../fixtures');

let w: WorkerClient;
let dir: string;
const events: NotebookStreamEvent[] = [];
let seq = 0;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-nb-'));
  copyFileSync(path.join(fixtures, 'penguins.csv'), path.join(dir, 'penguins.csv'));
  copyFileSync(path.join(fixtures, 'notebook/train_fake.mjs'), path.join(dir, 'train_fake.mjs'));
  writeFileSync(path.join(dir, 'p.pipeline.yaml'), 'pipeline: nbtest\nstages:\n  fit:\n    component: ./train_fake.mjs\n    params: { epochs: 2, delay_ms: 10 }\n');
  w = new WorkerClient({ workerPath });
  await w.initialize();
  w.onNotification(NotebookStreamNotification, (e) => events.push(e));
});

after(async () => {
  await w.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

function cell(kind: NotebookCellKind, source: string, extra: Partial<ExecuteCellParams> = {}): ExecuteCellParams {
  seq++;
  return { executionId: `e${seq}`, notebook: { id: 'nb-1', dir, pipeline: path.join(dir, 'p.pipeline.yaml') }, cell: { kind, source, label: `Cell ${seq}` }, ...extra };
}

function itemsOf(r: { outputs: readonly { items: readonly { mime: string }[] }[] }, mime: string): unknown[] {
  return r.outputs.flatMap((o) => o.items.filter((i) => i.mime === mime).map((i) => ('json' in i ? i.json : (i as unknown as { text: string }).text)));
}

test('a SQL cell counts penguins per species as pandas does', async () => {
  const r = await w.request(ExecuteCell, cell('sql', "SELECT species, count(*) AS n\nFROM 'penguins.csv'\nGROUP BY species ORDER BY species"));
  assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
  const table = itemsOf(r, NotebookMime.json)[0] as { rows: { species: string; n: number }[]; rowCount: number };
  const oracle = JSON.parse(
    execFileSync(oraclePython(), ['-c', 'import pandas,sys,json; d=pandas.read_csv(sys.argv[1]); print(json.dumps(d["species"].value_counts().to_dict()))', path.join(dir, 'penguins.csv')], { encoding: 'utf8' }),
  ) as Record<string, number>;
  assert.deepEqual(Object.fromEntries(table.rows.map((x) => [x.species, x.n])), oracle);
  assert.equal(table.rowCount, 3);
  const html = itemsOf(r, NotebookMime.html)[0] as string;
  assert.match(html, /<td>Gentoo<\/td><td style="text-align:right">124<\/td>/);
  // A category and a count: an obvious bar chart.
  const chart = itemsOf(r, NotebookMime.vegaLite)[0] as { mark: { type: string }; data: { values: unknown[] } };
  assert.equal(chart.mark.type, 'bar');
  assert.equal(chart.data.values.length, 3);
});

test('a SQL error is shown with its position in the cell', async () => {
  const r = await w.request(ExecuteCell, cell('sql', "SELECT species,\n  count(nosuch)\nFROM 'penguins.csv' GROUP BY 1"));
  assert.equal(r.status, 'failed');
  assert.match(r.error?.message ?? '', /nosuch/);
  assert.equal(r.diagnostics?.[0]?.line, 2);
  assert.equal(r.diagnostics?.[0]?.col, 9);
});

test('a JavaScript cell streams console output, keeps bare assignments, and displays a returned spec', async () => {
  events.length = 0;
  const first = cell('javascript', "console.log('rows:', 3);\nconsole.error('careful');\nkept = 41;\nreturn { mark: 'bar', data: { values: [{ a: 1 }] }, encoding: { x: { field: 'a' } } };");
  const r = await w.request(ExecuteCell, first);
  assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
  const spec = itemsOf(r, NotebookMime.vegaLite)[0] as { $schema: string; mark: string };
  assert.match(spec.$schema, /vega-lite\/v5/);
  assert.equal(spec.mark, 'bar');
  const mine = events.filter((e) => e.executionId === first.executionId);
  assert.deepEqual(mine.map((e) => [e.kind, 'text' in e ? e.text : '']), [['stdout', 'rows: 3\n'], ['stderr', 'careful\n']]);

  const second = await w.request(ExecuteCell, cell('javascript', 'return kept + 1;'));
  assert.deepEqual(itemsOf(second, NotebookMime.plain), ['42']);
});

test('a JavaScript cell that throws shows the user stack at the cell line, without Pipewise frames', async () => {
  const p = cell('javascript', 'function check(v) {\n  if (v > 1) throw new RangeError(`too big: ${v}`);\n}\ncheck(5);');
  const r = await w.request(ExecuteCell, p);
  assert.equal(r.status, 'failed');
  assert.equal(r.error?.name, 'RangeError');
  assert.equal(r.error?.message, 'too big: 5');
  const stack = r.error?.stack ?? '';
  assert.match(stack, new RegExp(`at check \\(${p.cell.label}\\.js:2:20\\)`));
  assert.match(stack, new RegExp(`at ${p.cell.label}\\.js:4:1`));
  assert.doesNotMatch(stack, /worker\.js|node:internal|notebookCode/);
});

test('a TypeScript cell runs, and its error points at the TypeScript line', async () => {
  const ok = await w.request(ExecuteCell, cell('typescript', 'interface P { n: number }\nconst p: P = { n: 2 };\nreturn p.n * 21 as number;'));
  assert.deepEqual(itemsOf(ok, NotebookMime.plain), ['42']);
  const p = cell('typescript', 'type T = { a: string };\nconst t: T = { a: "x" };\n\nthrow new TypeError(`bad ${t.a}`);');
  const r = await w.request(ExecuteCell, p);
  assert.equal(r.error?.name, 'TypeError');
  assert.match(r.error?.stack ?? '', new RegExp(`at ${p.cell.label}\\.ts:4:7`));
  const syntax = await w.request(ExecuteCell, cell('typescript', 'const a: number = 1;\nconst = 2;'));
  assert.equal(syntax.error?.name, 'SyntaxError');
  assert.match(syntax.error?.stack ?? '', /\.ts:2:/);
});

test('a code cell has tf at hand, and a returned tensor is displayed', async () => {
  const r = await w.request(ExecuteCell, cell('javascript', 'const t = tf.tensor2d([[1, 2], [3, 4]]);\nreturn t.matMul(t);'));
  assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
  const json = itemsOf(r, NotebookMime.json)[0] as { shape: number[]; values: number[][] };
  assert.deepEqual(json.shape, [2, 2]);
  // [[1,2],[3,4]]² computed by hand: [[7,10],[15,22]].
  assert.deepEqual(json.values, [[7, 10], [15, 22]]);
  assert.match(itemsOf(r, NotebookMime.plain)[0] as string, /Tensor/);
});

test('a stage cell runs through the engine, streams a metric point per epoch, and is cached the second time', async () => {
  events.length = 0;
  const p = cell('yaml', 'fit_more:\n  component: ./train_fake.mjs\n  params: { epochs: 4, delay_ms: 20, seed: 1 }\n');
  const r = await w.request(ExecuteCell, p);
  assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
  assert.equal(r.stage?.status, 'succeeded');
  const points = events.filter((e) => e.executionId === p.executionId && e.kind === 'metrics');
  assert.equal(points.length, 4);
  const chart = itemsOf(r, NotebookMime.vegaLite)[0] as { data: { values: { step: number; metric: string; split: string; value: number }[] } };
  // 4 epochs × (loss, val_loss, accuracy).
  assert.equal(chart.data.values.length, 12);
  assert.deepEqual(chart.data.values.find((v) => v.step === 2 && v.metric === 'loss' && v.split === 'eval')?.value, 0.55);

  const again = await w.request(ExecuteCell, { ...p, executionId: 'again' });
  assert.equal(again.stage?.status, 'cached');

  // A code cell sees the stage's artifact.
  const code = await w.request(ExecuteCell, cell('javascript', "return require('node:fs').readFileSync(artifacts.fit_more.model.uri + '/model.json', 'utf8');"));
  assert.deepEqual(JSON.parse(itemsOf(code, NotebookMime.plain)[0] as string), { epochs: 4, seed: 1 });
});

test('a stage cell can read from a stage cell above it, and a broken unrelated cell does not stop it', async () => {
  const earlier = { label: 'Cell A', source: 'base_fit:\n  component: ./train_fake.mjs\n  params: { epochs: 1, delay_ms: 1, seed: 7 }\n' };
  const r0 = await w.request(ExecuteCell, cell('yaml', earlier.source));
  assert.equal(r0.status, 'succeeded');
  const r = await w.request(ExecuteCell, cell('yaml', 'after:\n  component: ./train_fake.mjs\n  inputs: { base: base_fit.model }\n  params: { epochs: 1, delay_ms: 1, seed: 8 }\n', { earlierStages: [earlier, { label: 'Cell B', source: 'unrelated:\n  component: ./train_fake.mjs\n  paramz: {}\n' }] }));
  assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
  const code = await w.request(ExecuteCell, cell('javascript', "const fs = require('node:fs');\nreturn [JSON.parse(fs.readFileSync(artifacts.after.model.uri + '/model.json', 'utf8')).base, artifacts.base_fit.model.uri];"));
  const [base, uri] = JSON.parse(JSON.stringify(itemsOf(code, NotebookMime.json)[0])) as [string, string];
  assert.equal(base, uri);
});

test('a stage cell with an error reports it at the cell line', async () => {
  const r = await w.request(ExecuteCell, cell('yaml', 'broken:\n  component: ./train_fake.mjs\n  paramz: { epochs: 1 }\n'));
  assert.equal(r.status, 'failed');
  const d = r.diagnostics?.[0];
  assert.equal(d?.line, 3);
  assert.equal(d?.col, 3);
  assert.match(d?.message ?? '', /paramz/);
  const missing = await w.request(ExecuteCell, cell('yaml', 'needs:\n  component: ./train_fake.mjs\n  inputs: { examples: nowhere.examples }\n'));
  assert.equal(missing.status, 'failed');
  assert.equal(missing.diagnostics?.[0]?.line, 3);
  const syntax = await w.request(ExecuteCell, cell('yaml', 'x:\n  component: [unclosed\n'));
  assert.equal(syntax.status, 'failed');
  assert.ok((syntax.diagnostics?.length ?? 0) > 0);
});

test('a notebook whose pipeline file is gone fails its stage cells with a clear message', async () => {
  const r = await w.request(ExecuteCell, cell('yaml', 'x:\n  component: ./train_fake.mjs\n', { notebook: { id: 'nb-gone', dir, pipeline: path.join(dir, 'gone.pipeline.yaml') } }));
  assert.equal(r.status, 'failed');
  assert.match(r.error?.message ?? '', /gone\.pipeline\.yaml is gone/);
});

test('interrupt stops a training stage cell', async () => {
  events.length = 0;
  const src = new CancellationTokenSource();
  const p = cell('yaml', 'long_fit:\n  component: ./train_fake.mjs\n  params: { epochs: 200, delay_ms: 50 }\n');
  const pending = w.request(ExecuteCell, p, src.token);
  await new Promise<void>((resolve) => {
    const t = setInterval(() => {
      if (events.some((e) => e.executionId === p.executionId && e.kind === 'metrics')) {
        clearInterval(t);
        resolve();
      }
    }, 20);
  });
  src.cancel();
  const r = await pending;
  assert.equal(r.status, 'cancelled');
  assert.equal(r.stage?.status, 'cancelled');
  assert.ok(events.filter((e) => e.executionId === p.executionId && e.kind === 'metrics').length < 200);
});

test('reset drops the notebook state', async () => {
  await w.request(ExecuteCell, cell('javascript', 'before_reset = 1;'));
  await w.request(ResetNotebook, { id: 'nb-1' });
  const r = await w.request(ExecuteCell, cell('javascript', 'return before_reset;'));
  assert.equal(r.status, 'failed');
  assert.equal(r.error?.name, 'ReferenceError');
});
