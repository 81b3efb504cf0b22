/**
 * The report's evaluation results beyond ROC and PR, read back from the produced artifacts: the
 * HTML page's calibration chart (its polyline, mapped back through the chart's own tick labels,
 * equals the view's bins, and one bin recomputed here by hand from the predictions), the fairness
 * rates (table rows in HTML and Markdown equal metrics.json's per-slice rates; one chart per rate
 * whose bars are as long as the values), and partial dependence (one series per class through the
 * grid values of feature_importance.json; a categorical feature as points; a null average left
 * out). An evaluation with no fairness rates has no fairness section at all, and a fairness table
 * too long for a PR comment is cut like the others.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRunReport, type ReportMetricsFile } from '../../src/core/runReport';
import { buildEvaluationView, buildImportanceView } from '../../src/core/evaluationView';
import type { FeatureImportanceFile, PredictionsFile } from '../../src/core/evaluationTypes';
import { renderHtml } from '../../src/core/reportHtml';
import { renderMarkdown } from '../../src/core/reportMarkdown';
import { partialDependenceChart } from '../../src/core/reportCharts';
import { markdownTables } from './markdownTables';

/** Binary scores and labels; the bin (0.2, 0.3] holds 0.22, 0.27, 0.29 with labels 0, 1, 0. */
const SCORES = [0.05, 0.12, 0.18, 0.22, 0.27, 0.29, 0.55, 0.61, 0.83, 0.91, 0.97];
const LABELS = [0, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1];

function metrics(withFairness: boolean): ReportMetricsFile {
  const rates = (fpr: number, fnr: number, at = 0.5): Record<string, number> => (withFairness ? { [`false_positive_rate@${at}`]: fpr, [`false_negative_rate@${at}`]: fnr } : {});
  return {
    blessed: true,
    task: 'binary',
    label: 'y',
    split: 'eval',
    classes: ['no', 'yes'],
    thresholds: [],
    slices: [
      // The overall false negative rate above every slice's: the gap between slices must not count it.
      { slice: {}, metrics: { accuracy: 0.8, example_count: 11, ...rates(0.2, 0.6), ...rates(0.4, 0.05, 0.3) } },
      // Out of the panel's order on purpose: Torgersen before Biscoe, a hostile slice value.
      { slice: { island: 'Torgersen' }, metrics: { accuracy: 0.7, example_count: 4, ...rates(0.5, 0.25) } },
      { slice: { island: 'Biscoe' }, metrics: { accuracy: 0.9, example_count: 5, ...rates(0.125, 0) } },
      { slice: { island: '<b>Dream</b>' }, metrics: { accuracy: 0.75, example_count: 2, ...rates(1, 0.5) } },
    ],
  };
}

const IMPORTANCE: FeatureImportanceFile = {
  method: 'permutation',
  metric: 'auc',
  baseline: 0.9,
  repeats: 2,
  seed: 0,
  usable_rows: 11,
  rows: 11,
  max_rows: 1000,
  sampled: false,
  features: [
    { feature: 'bill_length_mm', mean: 0.2, std: 0.01, drops: [0.19, 0.21] },
    { feature: 'island', mean: 0.1, std: 0.02, drops: [0.08, 0.12] },
  ],
  partial_dependence: [
    // Three outputs, as a multiclass model's: one curve each.
    { feature: 'bill_length_mm', kind: 'numeric', grid: [35, 40, 45, 50], outputs: ['Adelie', 'Chinstrap', 'Gentoo'], average: [[0.8, 0.6, 0.3, 0.1], [0.1, 0.2, 0.3, 0.5], [0.1, 0.2, 0.4, 0.4]] },
    { feature: 'island', kind: 'categorical', grid: ['Biscoe', 'Dream', 'Torgersen'], outputs: ['Adelie', 'Chinstrap', 'Gentoo'], average: [[0.3, 0.5, 0.9], [0.1, 0.45, 0.05], [0.6, 0.05, 0.05]] },
  ],
};

function report(withFairness: boolean): ReturnType<typeof buildRunReport> {
  const m = metrics(withFairness);
  const predictions: PredictionsFile = { task: 'binary', classes: ['no', 'yes'], y: LABELS, score: SCORES };
  const view = buildEvaluationView('/x/metrics.json', m, predictions, buildImportanceView('/x/feature_importance.json', IMPORTANCE));
  return buildRunReport({
    pipeline: 'p',
    file: '/x/p.pipeline.yaml',
    generatedAt: 'now',
    candidate: { run: { id: 'c', startedAt: '2026-12-06T10:00:00.000Z', status: 'succeeded' }, params: {}, metrics: m, metricsFile: '/x/metrics.json' },
    view,
  });
}

// ---- reading the page back: our own SVG is regular, a few patterns read it ----

interface Chart {
  readonly kind: string;
  readonly body: string;
}

function charts(html: string): Chart[] {
  return [...html.matchAll(/<svg [^>]*data-chart="([^"]+)"[^>]*>([\s\S]*?)<\/svg>/g)].map((m) => ({ kind: m[1] as string, body: m[2] as string }));
}

function chart(html: string, kind: string): Chart {
  return charts(html).find((c) => c.kind === kind) ?? assert.fail(`no ${kind} chart in ${charts(html).map((c) => c.kind).join(', ')}`);
}

function unescape(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/** The elements named `tag` with their attributes and, when not self-closed, their `<title>`. */
function elements(body: string, tag: string): { attrs: Record<string, string>; title?: string }[] {
  return [...body.matchAll(new RegExp(`<${tag}\\s([^>]*?)(/?)>(?:(<title>([^<]*)</title>))?`, 'g'))].map((m) => ({
    attrs: Object.fromEntries([...(m[1] as string).matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1] as string, unescape(a[2] as string)])),
    ...(m[4] !== undefined ? { title: unescape(m[4]) } : {}),
  }));
}

/** Pixel → value along one axis, from the chart's own tick labels (what a reader goes by). */
function axis(body: string, which: 'x' | 'y'): (px: number) => number {
  const ticks = [...body.matchAll(new RegExp(`<text class="tick-${which}" x="([-\\d.]+)" y="([-\\d.]+)"[^>]*>([^<]*)</text>`, 'g'))].map((m) => ({
    px: Number(which === 'x' ? m[1] : m[2]) + (which === 'y' ? -3 : 0),
    value: Number((m[3] as string).replace(/,/g, '')),
  }));
  const a = ticks[0];
  const b = ticks[ticks.length - 1];
  assert.ok(a && b && a.px !== b.px, `${which} ticks: ${JSON.stringify(ticks)}`);
  return (px) => a.value + ((px - a.px) / (b.px - a.px)) * (b.value - a.value);
}

function points(body: string, attr: string): [number, number][] {
  return attr.split(' ').map((p) => p.split(',').map(Number) as [number, number]).map(([px, py]) => [axis(body, 'x')(px), axis(body, 'y')(py)]);
}

function near(actual: number, expected: number, what: string, tolerance = 2e-3): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not ${expected}`);
}

test('the HTML calibration chart draws the view\'s bins beside ROC and PR, one bin checked by hand, with the diagonal', () => {
  const r = report(true);
  const bins = r.view?.calibration?.[0] ?? assert.fail('the view has no calibration');
  const html = renderHtml(r);
  const evaluation = /<section id="evaluation">[\s\S]*?<\/section>/.exec(html)?.[0] ?? assert.fail('no evaluation section');
  assert.deepEqual(charts(evaluation).map((c) => c.kind), ['confusion', 'roc', 'pr', 'calibration']);
  const c = chart(html, 'calibration');
  const lines = elements(c.body, 'polyline');
  assert.equal(lines.length, 1, 'one series for a binary model');
  const drawn = points(c.body, lines[0]?.attrs['points'] ?? '');
  assert.equal(drawn.length, bins.x.length);
  drawn.forEach(([x, y], i) => {
    near(x, bins.x[i] as number, `bin ${i} mean predicted`);
    near(y, bins.y[i] as number, `bin ${i} share of positives`);
  });
  // By hand: scores in (0.2, 0.3] are 0.22, 0.27, 0.29 with labels 0, 1, 0.
  const hand = drawn.find(([x]) => x > 0.2 && x <= 0.3) ?? assert.fail('no bin in (0.2, 0.3]');
  near(hand[0], (0.22 + 0.27 + 0.29) / 3, 'hand bin mean predicted');
  near(hand[1], 1 / 3, 'hand bin share of positives');
  // The diagonal of perfect calibration, from (0, 0) to (1, 1), and axes 0–1 labelled.
  const diagonal = elements(c.body, 'line').find((l) => l.attrs['stroke-dasharray']) ?? assert.fail('no diagonal');
  assert.deepEqual(
    [axis(c.body, 'x')(Number(diagonal.attrs['x1'])), axis(c.body, 'y')(Number(diagonal.attrs['y1'])), axis(c.body, 'x')(Number(diagonal.attrs['x2'])), axis(c.body, 'y')(Number(diagonal.attrs['y2']))].map((v) => Math.round(v * 1000) / 1000),
    [0, 0, 1, 1],
  );
  assert.match(c.body, />mean predicted probability</);
  assert.match(c.body, />share of positives</);
  const xTicks = [...c.body.matchAll(/class="tick-x"[^>]*>([^<]*)</g)].map((m) => m[1]);
  assert.equal(xTicks[0], '0');
  assert.equal(xTicks[xTicks.length - 1], '1');
});

test('fairness: the HTML and Markdown tables hold every rate of metrics.json in the panel\'s order, one chart per rate with bars as long as the values', async () => {
  const r = report(true);
  const m = metrics(true);
  // The oracle: metrics.json's per-slice `rate@threshold` entries, ordered by rate, threshold, slice.
  const expected = m.slices
    .flatMap((s) => Object.entries(s.metrics).flatMap(([k, v]) => {
      const hit = /^(\w+_rate)@([\d.]+)$/.exec(k);
      const slice = Object.entries(s.slice).map(([a, b]) => `${a}=${b}`).join(', ') || 'overall';
      return hit ? [{ slice, rate: hit[1] as string, threshold: Number(hit[2]), value: v }] : [];
    }))
    .sort((a, b) => (a.rate < b.rate ? -1 : a.rate > b.rate ? 1 : a.threshold - b.threshold || (a.slice < b.slice ? -1 : a.slice > b.slice ? 1 : 0)));
  assert.equal(expected.length, 10);
  const rowsOf = (e: (typeof expected)[number]): string[] => [e.slice, e.rate.replace(/_/g, ' '), String(e.threshold), String(e.value)];

  const html = renderHtml(r);
  const section = /<section id="fairness">[\s\S]*?<\/section>/.exec(html)?.[0] ?? assert.fail('no fairness section');
  assert.match(section, /<h2>Fairness rates per slice<\/h2>/);
  const htmlRows = [...section.matchAll(/<tr><td[^>]*>([^<]*)<\/td><td[^>]*>([^<]*)<\/td><td[^>]*>([^<]*)<\/td><td[^>]*>([^<]*)<\/td><\/tr>/g)].map((x) => x.slice(1).map(unescape));
  assert.deepEqual(htmlRows, expected.map(rowsOf));
  assert.ok(!html.includes('<b>Dream</b>'), 'a slice value is escaped everywhere');

  // One chart per rate; a bar per slice and threshold, its length the value on the chart's own axis.
  const kinds = charts(section).map((c) => c.kind);
  assert.deepEqual(kinds, ['fairness-false_negative_rate', 'fairness-false_positive_rate']);
  for (const rate of ['false_negative_rate', 'false_positive_rate']) {
    const c = chart(section, `fairness-${rate}`);
    const x = axis(c.body, 'x');
    const bars = elements(c.body, 'rect').filter((b) => b.attrs['class'] === 'mark');
    const mine = expected.filter((e) => e.rate === rate);
    assert.equal(bars.length, mine.length);
    for (const e of mine) {
      const bar = bars.find((b) => b.attrs['data-slice'] === e.slice && Number(b.attrs['data-threshold']) === e.threshold) ?? assert.fail(`no bar for ${e.slice} @ ${e.threshold}`);
      near(x(Number(bar.attrs['x']) + Number(bar.attrs['width'])), Math.max(e.value, x(Number(bar.attrs['x']) + 1)), `${rate} ${e.slice} @ ${e.threshold}`);
    }
  }

  const md = renderMarkdown(r);
  const table = (await markdownTables(md)).find((t) => t.heading === 'Fairness rates per slice') ?? assert.fail('no fairness table in the Markdown');
  assert.deepEqual(table.rows, expected.map(rowsOf));
  // Each rate's widest gap between the slices (not the overall slice): Dream against Biscoe for both;
  // at 0.3 only the overall slice has rates, so no gap.
  const gaps = md.split('\n').filter((l) => /widest gap|no gap/.test(l));
  assert.deepEqual(gaps, ['- false negative rate @ 0.5: widest gap 0.5 (`island=<b>Dream</b>` 0.5, `island=Biscoe` 0)', '- false positive rate @ 0.5: widest gap 0.875 (`island=<b>Dream</b>` 1, `island=Biscoe` 0.125)']);
  assert.match(section, /<ul class="gaps"><li>false negative rate @ 0\.5: widest gap 0\.5 \(island=&lt;b&gt;Dream&lt;\/b&gt; 0\.5, island=Biscoe 0\)<\/li>/);
});

test('no fairness rates, no fairness section: neither an empty table nor a placeholder', () => {
  const r = report(false);
  assert.deepEqual(r.view?.fairness, []);
  const html = renderHtml(r);
  assert.ok(!/id="fairness"|Fairness rates/.test(html.replace(/<script type="application\/json"[\s\S]*?<\/script>/, '')), 'no fairness in the HTML');
  assert.ok(!/fairness/i.test(renderMarkdown(r)), 'no fairness in the Markdown');
});

test('partial dependence: one curve per class through the grid of feature_importance.json, a categorical feature as points', async () => {
  const r = report(true);
  const html = renderHtml(r);
  const section = /<section id="feature-importance">[\s\S]*?<\/section>/.exec(html)?.[0] ?? assert.fail('no importance section');
  const pdNumeric = IMPORTANCE.partial_dependence?.[0] ?? assert.fail('fixture');
  const pdCategorical = IMPORTANCE.partial_dependence?.[1] ?? assert.fail('fixture');

  const num = chart(section, 'partial-dependence-0');
  const lines = elements(num.body, 'polyline');
  assert.deepEqual(lines.map((l) => l.attrs['data-output']), pdNumeric.outputs);
  lines.forEach((l, k) => {
    const drawn = points(num.body, l.attrs['points'] ?? '');
    assert.equal(drawn.length, pdNumeric.grid.length);
    drawn.forEach(([x, y], g) => {
      near(x, pdNumeric.grid[g] as number, `${pdNumeric.outputs[k]} grid ${g}`, 0.05);
      near(y, pdNumeric.average[k]?.[g] as number, `${pdNumeric.outputs[k]} mean at ${pdNumeric.grid[g]}`);
    });
  });

  const cat = chart(section, 'partial-dependence-1');
  assert.equal(elements(cat.body, 'polyline').length, 0, 'no line between categories');
  const labels = [...cat.body.matchAll(/class="tick-x" x="([-\d.]+)"[^>]*>([^<]*)</g)].map((m) => ({ px: Number(m[1]), label: m[2] }));
  assert.deepEqual(labels.map((l) => l.label), pdCategorical.grid);
  const y = axis(cat.body, 'y');
  const dots = elements(cat.body, 'circle').filter((d) => d.attrs['class'] === 'mark');
  assert.equal(dots.length, pdCategorical.outputs.length * pdCategorical.grid.length);
  pdCategorical.outputs.forEach((output, k) =>
    pdCategorical.grid.forEach((g, i) => {
      const at = labels[i]?.px ?? assert.fail('tick');
      const dot = dots.find((d) => d.attrs['data-output'] === output && Math.abs(Number(d.attrs['cx']) - at) < 0.5) ?? assert.fail(`no point for ${output} at ${g}`);
      near(y(Number(dot.attrs['cy'])), pdCategorical.average[k]?.[i] as number, `${output} at ${g}`);
    }),
  );

  const md = renderMarkdown(r);
  const table = (await markdownTables(md)).find((t) => t.heading === 'Partial dependence') ?? assert.fail('no partial dependence table');
  // Lowest and highest mean of each output over its grid, read off the fixture.
  assert.deepEqual(table.rows.slice(0, 3), [
    ['bill_length_mm', 'Adelie', '4', '0.1 at 50', '0.8 at 35'],
    ['bill_length_mm', 'Chinstrap', '4', '0.1 at 35', '0.5 at 50'],
    ['bill_length_mm', 'Gentoo', '4', '0.1 at 35', '0.4 at 45'],
  ]);
  assert.equal(table.rows.length, 6);
});

test('a fairness table too long for a PR comment is cut like the others, saying how many rows went', async () => {
  const n = 1500;
  const m: ReportMetricsFile = {
    ...metrics(true),
    slices: [metrics(true).slices[0] as ReportMetricsFile['slices'][number], ...Array.from({ length: n }, (_, i) => ({ slice: { customer: `customer-number-${i}` }, metrics: { accuracy: 0.5, example_count: 3, 'false_positive_rate@0.5': (i % 10) / 10, 'false_negative_rate@0.5': 0.1 } }))],
  };
  const view = buildEvaluationView('/x/metrics.json', m);
  const r = buildRunReport({ pipeline: 'p', file: '/x/p.pipeline.yaml', generatedAt: 'now', candidate: { run: { id: 'c', startedAt: '2026-12-06T10:00:00.000Z', status: 'succeeded' }, params: {}, metrics: m, metricsFile: '/x/metrics.json' }, view });
  assert.equal(r.view?.fairness.length, 2 * n + 4);
  const md = renderMarkdown(r);
  assert.ok(md.length < 65_536, `${md.length} characters`);
  const table = (await markdownTables(md)).find((t) => t.heading === 'Fairness rates per slice') ?? assert.fail('no fairness table');
  assert.ok(table.rows.length > 0 && table.rows.length < 2 * n + 4);
  assert.match(md, new RegExp(`_${2 * n + 4 - table.rows.length} more rows left out`));
});

test('a partial dependence average that is not a number (null in the JSON) is left out of its curve, not drawn at 0', () => {
  const p = { feature: 'x', kind: 'numeric' as const, grid: [1, 2, 3, 4], outputs: ['prediction', 'other'], average: [[0.5, null as unknown as number, 0.7, 0.9], [null as unknown as number, null as unknown as number, null as unknown as number, null as unknown as number]] };
  const c = partialDependenceChart(p, 'mean prediction', 0);
  assert.ok(!/NaN|undefined/.test(c.svg), 'no NaN or undefined in the drawing');
  const lines = elements(c.svg, 'polyline');
  assert.equal(lines.length, 1, 'an output with no number has no curve');
  const drawn = points(c.svg, lines[0]?.attrs['points'] ?? '');
  assert.deepEqual(drawn.map(([x]) => Math.round(x * 100) / 100), [1, 3, 4]);
  drawn.forEach(([, y], i) => near(y, [0.5, 0.7, 0.9][i] as number, `point ${i}`));
});
