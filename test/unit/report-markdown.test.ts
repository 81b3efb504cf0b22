/**
 * The Markdown report's pure parts: a report too long for a PR comment is cut to fit (each cut
 * table says how many rows went, every section and the verdict stay), the Evaluator's bootstrap
 * intervals give a delta's noise (recomputed here from the intervals), and a cell holding `|`
 * survives a real GFM parser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRunReport, compareSchemas, type ReportMetricsFile, type RunArtifacts } from '../../src/core/runReport';
import { GITHUB_COMMENT_LIMIT, renderMarkdown } from '../../src/core/reportMarkdown';
import { markdownTables } from './markdownTables';

function metricsFile(overall: Record<string, number>, slices: ReportMetricsFile['slices'] = [], intervals?: Record<string, [number, number]>): ReportMetricsFile {
  return {
    blessed: true,
    task: 'binary',
    label: 'y',
    split: 'eval',
    thresholds: [],
    slices: [{ slice: {}, metrics: overall, ...(intervals ? { intervals } : {}) }, ...slices],
  };
}

function run(id: string, metrics: ReportMetricsFile, params: Record<string, string> = {}): RunArtifacts {
  return { run: { id, startedAt: '2026-12-06T10:00:00.000Z', status: 'succeeded' }, params, metrics, metricsFile: `/x/${id}/metrics.json` };
}

test('a report longer than a PR comment is cut to fit, saying how many rows of each cut table went', async () => {
  const n = 3000;
  const slicesC = Array.from({ length: n }, (_, i) => ({ slice: { customer: `customer-number-${i}` }, metrics: { accuracy: 0.5 + (i % 7) / 100, example_count: 40 } }));
  const slicesB = slicesC.map((s) => ({ ...s, metrics: { accuracy: 0.3, example_count: 40 } }));
  const params = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`stage.param_${i}`, `value-${i}`]));
  const report = buildRunReport({
    pipeline: 'big',
    file: '/x/big.pipeline.yaml',
    generatedAt: '2026-12-06T10:00:00.000Z',
    candidate: run('c', metricsFile({ accuracy: 0.8, example_count: 120_000 }, slicesC), params),
    baseline: { ...run('b', metricsFile({ accuracy: 0.79, example_count: 120_000 }, slicesB)), how: 'previous' },
  });
  assert.equal(report.slices.length, n);
  const md = renderMarkdown(report);
  assert.ok(md.length < GITHUB_COMMENT_LIMIT, `${md.length} characters`);
  for (const h of ['Threshold checks', 'Metrics', 'Slices that changed', 'Parameters changed', 'Rows per split', 'Drift and skew']) assert.match(md, new RegExp(`### ${h}`));
  assert.match(md, /BLESSED/);
  const t = await markdownTables(md);
  const slices = t.find((x) => x.heading.startsWith('Slices')) ?? assert.fail('no slices table');
  assert.ok(slices.rows.length > 0 && slices.rows.length < n);
  const note = new RegExp(`_${n - slices.rows.length} more rows left out`);
  assert.match(md, note, 'the cut says how many slice rows went');
  // The metrics table, short, is never cut.
  assert.equal(t.find((x) => x.heading === 'Metrics')?.rows.length, 1);
});

test('the Evaluator\'s bootstrap intervals give the delta\'s noise; a smaller delta reads "within noise"', async () => {
  // auc: half-widths 0.02 and 0.015 → noise √(0.02² + 0.015²) = 0.025; Δ 0.01 is inside it.
  // log_loss: half-widths 0.001 each → noise ≈ 0.001414; Δ −0.05 is outside and better.
  const c = metricsFile({ auc: 0.91, log_loss: 0.25, example_count: 500 }, [], { auc: [0.89, 0.93], log_loss: [0.249, 0.251] });
  const b = metricsFile({ auc: 0.9, log_loss: 0.3, example_count: 500 }, [], { auc: [0.885, 0.915], log_loss: [0.299, 0.301] });
  const report = buildRunReport({ pipeline: 'p', file: '/x/p.pipeline.yaml', generatedAt: 'now', candidate: run('c', c), baseline: { ...run('b', b), how: 'blessed' } });
  const rows = (await markdownTables(renderMarkdown(report))).find((x) => x.heading === 'Metrics')?.rows ?? assert.fail('no metrics table');
  const auc = rows.find((r) => r[0] === 'auc') ?? assert.fail('no auc row');
  assert.equal(auc[4], `±${Number(Math.hypot(0.02, 0.015).toPrecision(4))} (bootstrap)`);
  assert.equal(auc[5], 'within noise');
  const loss = rows.find((r) => r[0] === 'log_loss') ?? assert.fail('no log_loss row');
  assert.equal(loss[4], `±${Number(Math.hypot(0.001, 0.001).toPrecision(4))} (bootstrap)`);
  assert.equal(loss[5], 'better', 'a lower log loss beyond the noise is better');
});

test('a slice value with a pipe or a backslash keeps its text through a GFM parser', async () => {
  const weird = 'x\\|y|z';
  const c = metricsFile({ accuracy: 0.9 }, [{ slice: { segment: weird }, metrics: { accuracy: 0.9 } }]);
  const b = metricsFile({ accuracy: 0.8 }, [{ slice: { segment: weird }, metrics: { accuracy: 0.5 } }]);
  const report = buildRunReport({ pipeline: 'p', file: '/x/p.pipeline.yaml', generatedAt: 'now', candidate: run('c', c), baseline: { ...run('b', b), how: 'run' } });
  const rows = (await markdownTables(renderMarkdown(report))).find((x) => x.heading.startsWith('Slices'))?.rows ?? assert.fail('no slices table');
  assert.equal(rows[0]?.[0], `segment=${weird}`);
  assert.equal(rows[0]?.length, 6, 'the pipe did not split the row');
});

test('schema changes: a feature added, one removed, a type, a presence and a domain changed; nothing for an equal feature', () => {
  const before = {
    feature: [
      { name: 'same', type: 'FLOAT' as const },
      { name: 'gone', type: 'INT' as const },
      { name: 'retyped', type: 'INT' as const },
      { name: 'required', type: 'BYTES' as const, presence: { minFraction: 1, minCount: 1 } },
      { name: 'island', type: 'BYTES' as const, domain: 'island' },
    ],
    stringDomain: [{ name: 'island', value: ['Biscoe', 'Dream'] }],
  };
  const after = {
    feature: [
      { name: 'same', type: 'FLOAT' as const },
      { name: 'retyped', type: 'FLOAT' as const },
      { name: 'required', type: 'BYTES' as const, presence: { minCount: 1 } },
      { name: 'island', type: 'BYTES' as const, domain: 'island' },
      { name: 'new_one', type: 'BYTES' as const },
    ],
    stringDomain: [{ name: 'island', value: ['Biscoe', 'Dream', 'Torgersen'] }],
  };
  assert.deepEqual(compareSchemas(after, before), [
    { feature: 'retyped', change: 'type', detail: 'INT → FLOAT' },
    { feature: 'required', change: 'presence', detail: 'min fraction 1, min count 1 → min count 1' },
    { feature: 'island', change: 'domain', detail: '{Biscoe, Dream} → {Biscoe, Dream, Torgersen}' },
    { feature: 'new_one', change: 'added', detail: 'BYTES' },
    { feature: 'gone', change: 'removed', detail: 'INT' },
  ]);
});
