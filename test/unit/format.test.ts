/**
 * One formatting rule for every number a person reads (issue 27 item 10, issue 26): four-digit
 * integers such as years are not grouped ("1880", not "1,880"), larger magnitudes are ("25,432"),
 * fractions keep four significant digits without rounding away integer digits, and chart axes
 * follow the same rule through `axisLabelExpr` (not "0k 0.2k").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as format from '../../src/core/format';

test('years and other four-digit integers read without a separator; five digits and more are grouped', () => {
  assert.equal(format.formatNumber(1880), '1880');
  assert.equal(format.formatNumber(2010), '2010');
  assert.equal(format.formatNumber(-1234), '-1234');
  assert.equal(format.formatNumber(25_432), '25,432');
  assert.equal(format.formatNumber(3_000_000), '3,000,000');
  assert.equal(format.formatCount(1880), '1880');
  assert.equal(format.formatCount(120_000), '120,000');
});

test('fractions keep four significant digits (six from 1000 on), grouped like integers', () => {
  assert.equal(format.formatNumber(0.98765), '0.9877');
  assert.equal(format.formatNumber(25_432.1234), '25,432.1');
  assert.equal(format.formatNumber(1234.5678), '1234.57');
  assert.equal(format.formatNumber(2008.0290697), '2008.03');
  assert.equal(format.formatNumber(12.3456), '12.35');
  assert.equal(format.formatNumber(0.000123456), '1.235e-4');
  assert.equal(format.formatNumber(undefined), '—');
});

test('chart axes label with the same rule', () => {
  const expr = (format as Record<string, unknown>)['axisLabelExpr'];
  assert.equal(typeof expr, 'string', 'an axis labelExpr is exported for Vega-Lite axes');
  // Evaluated as Vega would, with d3-format's `format` as the expression function.
  const { format: d3 } = require('d3-format') as { format: (spec: string) => (v: number) => string };
  const label = new Function('datum', 'format', 'abs', `return ${String(expr)};`) as (d: { value: number }, f: (v: number, s: string) => string, a: (v: number) => number) => string;
  const at = (v: number) => label({ value: v }, (x, s) => d3(s)(x), Math.abs);
  assert.deepEqual([0, 200, 400, 1200].map(at), ['0', '200', '400', '1200']);
  assert.deepEqual([1850, 1900, 2000].map(at), ['1850', '1900', '2000']);
  assert.deepEqual([0, 20_000, 40_000].map(at), ['0', '20,000', '40,000']);
  assert.deepEqual([0, 0.25, 0.5].map(at), ['0', '0.25', '0.5']);
});

test('one formatter for every place: the evaluation charts and the renderer have no rounding rule of their own', () => {
  const fs = require('node:fs') as typeof import('node:fs');
  const path = require('node:path') as typeof import('node:path');
  const root = path.resolve(__dirname, '../..');
  for (const file of ['webviews/shared/evaluationCharts.ts', 'webviews/renderer/statistics.ts', 'webviews/experiments/index.ts', 'webviews/monitoring/index.ts', 'src/extension/models/modelsView.ts', 'src/extension/runs/runView.ts']) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    assert.doesNotMatch(text, /toPrecision\(|toFixed\(|toLocaleString\('en/, `${file} formats numbers itself`);
  }
});
