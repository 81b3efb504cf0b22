/**
 * Pure parts of the notebook feature: the training chart's rows, the obvious chart of a query,
 * and "Open Pipeline as Notebook" producing valid nbformat 4 (checked with Debian's nbformat when
 * it is installed) with one stage cell per stage in execution order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { metricsChartSpec, metricsRows, obviousChartSpec } from '../../src/protocol/notebookCharts';
import { pipelineNotebook } from '../../src/extension/notebook/pipelineNotebook';
import { parseStageCell } from '../../src/worker/handlers/notebookStage';
import { oraclePython } from '../python';

test('metric points become long rows, val_ metrics as the eval split, batch points only before the first epoch', () => {
  const rows = metricsRows([
    { scope: 'batch', epoch: 1, batch: 0, values: { loss: 9 } },
    { scope: 'epoch', epoch: 1, values: { loss: 0.5, val_loss: 0.6, acc: Number.NaN } },
    { scope: 'epoch', epoch: 2, values: { loss: 0.25, val_loss: 0.3 } },
  ]);
  assert.deepEqual(rows, [
    { step: 1, metric: 'loss', split: 'train', value: 0.5 },
    { step: 1, metric: 'loss', split: 'eval', value: 0.6 },
    { step: 2, metric: 'loss', split: 'train', value: 0.25 },
    { step: 2, metric: 'loss', split: 'eval', value: 0.3 },
  ]);
  const spec = metricsChartSpec([{ scope: 'batch', batch: 4, values: { loss: 1 } }], { live: true });
  assert.deepEqual((spec.data as { name: string; values: unknown[] }).values, [{ step: 5, metric: 'loss', split: 'train', value: 1 }]);
  assert.equal((spec.data as { name: string }).name, 'metrics');
});

test('a category and a number make a bar chart; three columns make none', () => {
  const rows = [{ s: 'a', n: 1 }, { s: 'b', n: 2 }];
  assert.equal((obviousChartSpec([{ name: 's', kind: 'string' }, { name: 'n', kind: 'number' }], rows)?.mark as { type: string }).type, 'bar');
  assert.equal(obviousChartSpec([{ name: 's', kind: 'string' }, { name: 'n', kind: 'number' }, { name: 'm', kind: 'number' }], rows), undefined);
});

test('a stage cell parses as stages with positions of its own', () => {
  assert.deepEqual(parseStageCell('a:\n  component: X\nb:\n  component: Y\n').stages.map((s) => s.name), ['a', 'b']);
  const bad = parseStageCell('just text');
  assert.equal(bad.diagnostics[0]?.code, 'not-a-stage');
  assert.equal(parseStageCell('a:\n  component: [x\n').diagnostics[0]?.code, 'yaml-syntax');
});

test('a pipeline opens as nbformat 4.5: a markdown cell, then its stages in execution order', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-nbfmt-'));
  try {
    const text = [
      'pipeline: demo',
      'description: Two stages, written out of order.',
      'stages:',
      '  stats:',
      '    component: StatisticsGen',
      '    inputs: { examples: examples.examples }   # after examples',
      '  examples:',
      '    component: ExampleGen',
      '    params:',
      '      input: data.csv',
      '',
    ].join('\n');
    const file = path.join(dir, 'demo.pipeline.yaml');
    const nb = pipelineNotebook(text, file, path.join(dir, 'demo.ipynb'));
    assert.equal(nb.cells.length, 3);
    assert.equal(nb.cells[0]?.cell_type, 'markdown');
    assert.match(nb.cells[0]?.source.join('') ?? '', /Two stages, written out of order\./);
    assert.deepEqual(nb.cells[1]?.source, ['examples:\n', '  component: ExampleGen\n', '  params:\n', '    input: data.csv']);
    assert.deepEqual(nb.cells[2]?.source, ['stats:\n', '  component: StatisticsGen\n', '  inputs: { examples: examples.examples }   # after examples']);
    assert.deepEqual(nb.cells[1]?.metadata, { vscode: { languageId: 'yaml' } });
    assert.deepEqual(nb.metadata.pipewise, { pipeline: 'demo.pipeline.yaml' });
    const out = path.join(dir, 'demo.ipynb');
    writeFileSync(out, JSON.stringify(nb));
    let verdict = '';
    try {
      verdict = execFileSync(oraclePython(), ['-c', 'import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4)); print("valid")', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      if (!/No module named|ENOENT/.test(String((e as { stderr?: unknown }).stderr ?? '') + String(e))) throw e;
    }
    if (verdict) assert.equal(verdict.trim(), 'valid');
    assert.equal(JSON.parse(readFileSync(out, 'utf8')).nbformat, 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('notebook tables print fractions rounded to 6 decimals (pandas\' display precision); JSON keeps every digit', async () => {
  const { htmlTable, cellText } = await import('../../src/worker/handlers/notebookSql');
  const mean = 43.92192982456141; // DuckDB's avg(bill_length_mm) of the penguins, 16 significant digits
  const html = htmlTable([{ name: 'mean', kind: 'number' }], [{ mean }, { mean: 12 }, { mean: 2.5e-7 }]);
  // The oracle: Python's own rounding of the same number to 6 decimals.
  const python = execFileSync(oraclePython(), ['-c', `print(repr(round(${mean}, 6)))`], { encoding: 'utf8' }).trim();
  assert.ok(html.includes(`>${python}<`), `${python} in ${html}`);
  assert.ok(!html.includes(String(mean)), 'the 16-digit float is not printed');
  assert.ok(html.includes('>12<'), 'integers as they are');
  assert.equal(cellText(2.5e-7), '2.5e-7');
  assert.equal(cellText(null), '');
});
