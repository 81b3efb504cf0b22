/**
 * `pipewise report` as CI runs it: the penguin pipeline runs twice through the CLI with a changed
 * Trainer parameter, then the report is parsed with a real GitHub-flavoured Markdown parser
 * (`marked`'s lexer) and every table cell is checked against this test's own computation from the
 * two runs' metrics.json, statistics.json and anomalies.json (deltas and the binomial noise of
 * accuracy recomputed here). Exit codes: 0 blessed, 1 not blessed, 2 for each kind of error.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunResult } from '../../src/protocol/runEvents';
import { tempDir } from './tf-helpers';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'bin/pipewise.js');

interface Metrics {
  readonly blessed: boolean;
  readonly slices: readonly { readonly slice: Record<string, string>; readonly metrics: Record<string, number> }[];
  readonly thresholds: readonly { readonly metric: string; readonly kind: string; readonly passed: boolean; readonly value?: number; readonly threshold: number }[];
}
interface Stats {
  readonly datasets: readonly { readonly name: string; readonly numExamples: number }[];
}

function pipeline(seed: number, hidden: number, accuracyBound: number): string {
  return [
    'pipeline: report_check',
    'stages:',
    '  examples: { component: ExampleGen, params: { input: data/penguins.csv } }',
    '  statistics: { component: StatisticsGen, inputs: { examples: examples.examples } }',
    '  schema: { component: SchemaGen, inputs: { statistics: statistics.statistics } }',
    // Tight drift thresholds between the train and eval splits, so some cross and some may not.
    '  validate: { component: ExampleValidator, inputs: { statistics: statistics.statistics, schema: schema.schema }, params: { drift: { bill_length_mm: 0.01, island: 0.05, body_mass_g: 0.9 } } }',
    '  transform: { component: Transform, inputs: { examples: examples.examples, schema: schema.schema }, params: { label: species } }',
    `  train: { component: Trainer, inputs: { examples: transform.transformed_examples, transform_graph: transform.transform_graph }, params: { hidden_units: [${hidden}], epochs: 15, seed: ${seed} } }`,
    '  evaluate:',
    '    component: Evaluator',
    '    inputs: { examples: examples.examples, model: train.model }',
    `    params: { slices: [[], [island]], thresholds: { accuracy: { lower_bound: ${accuracyBound}, change: { direction: higher_is_better, absolute: -0.5 } } } }`,
    '',
  ].join('\n');
}

function pw(args: readonly string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 300_000 });
}

function run(file: string): RunResult {
  const r = pw(['run', file, '--json'], path.dirname(file));
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as RunResult;
}

function artifactFile(r: RunResult, stage: string, output: string, name: string): string {
  const uri = r.stages.find((s) => s.name === stage)?.artifacts[output];
  assert.ok(uri, `stage ${stage} has no ${output}`);
  return path.join(uri, name);
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

interface MdTable {
  readonly heading: string;
  readonly header: string[];
  readonly rows: string[][];
}

/** Every GFM table of the report, under the heading before it. */
async function tablesOf(markdown: string): Promise<MdTable[]> {
  const { lexer } = await import('marked');
  const tables: MdTable[] = [];
  let heading = '';
  for (const t of lexer(markdown)) {
    if (t.type === 'heading') heading = (t as { text: string }).text;
    if (t.type === 'table') {
      const tt = t as unknown as { header: { text: string }[]; rows: { text: string }[][] };
      tables.push({ heading, header: tt.header.map((c) => c.text), rows: tt.rows.map((r) => r.map((c) => c.text)) });
    }
  }
  return tables;
}

function table(tables: readonly MdTable[], heading: RegExp): MdTable {
  const t = tables.find((x) => heading.test(x.heading));
  assert.ok(t, `no table under a heading matching ${heading} (headings: ${tables.map((x) => x.heading).join(' | ')})`);
  return t;
}

/** A number as the report prints it (`formatNumber`: four significant digits, grouped from 10,000). */
function num(cell: string | undefined): number {
  assert.ok(cell !== undefined && cell !== '—', `expected a number, got ${JSON.stringify(cell)}`);
  const v = Number(cell.replace(/,/g, ''));
  assert.ok(Number.isFinite(v), `not a number: ${JSON.stringify(cell)}`);
  return v;
}

/** Equal to four significant digits (what the report prints). */
function close(cell: string | undefined, expected: number, what: string): void {
  const v = num(cell);
  assert.ok(Math.abs(v - expected) <= Math.max(5e-4 * Math.abs(expected), 1e-12), `${what}: the report says ${cell}, the files give ${expected}`);
}

const overall = (m: Metrics): Record<string, number> => (m.slices.find((s) => Object.keys(s.slice).length === 0) ?? assert.fail('no overall slice')).metrics;
const sliceName = (s: Record<string, string>): string => Object.entries(s).map(([k, v]) => `${k}=${v}`).join(', ');

let dir: string;
let file: string;
let first: RunResult;
let second: RunResult;

before(() => {
  dir = tempDir('pw-report-');
  mkdirSync(path.join(dir, 'data'));
  copyFileSync(path.join(root, 'test/fixtures/penguins.csv'), path.join(dir, 'data/penguins.csv'));
  file = path.join(dir, 'p.pipeline.yaml');
  writeFileSync(file, pipeline(1, 8, 0.5));
  first = run(file);
  writeFileSync(file, pipeline(2, 4, 0.5));
  second = run(file);
});

test('the Markdown report parses as GFM and its cells are the two runs\' metrics, deltas, noise, slices, parameters, rows and drift', async () => {
  const r = pw(['report', file], dir);
  assert.equal(r.status, 0, `a blessed run exits 0: ${r.stderr}`);
  const md = r.stdout;
  assert.ok(md.length < 65_536, `a PR comment holds at most 65,536 characters; the report has ${md.length}`);
  assert.match(md, /BLESSED/);
  // The Evaluator's change threshold compared with the first run's (blessed) model: that run is the baseline.
  assert.match(md, new RegExp(`Run \`${second.runId}\` .* against \`${first.runId}\` .*, the blessed baseline\.`));
  const tables = await tablesOf(md);
  const m1 = readJson<Metrics>(artifactFile(first, 'evaluate', 'evaluation', 'metrics.json'));
  const m2 = readJson<Metrics>(artifactFile(second, 'evaluate', 'evaluation', 'metrics.json'));
  assert.equal(m2.blessed, true);

  // Threshold checks: one row per check of the candidate's metrics.json, with its value and verdict.
  const checks = table(tables, /^Threshold checks/);
  assert.equal(checks.rows.length, m2.thresholds.length);
  for (const [i, c] of m2.thresholds.entries()) {
    const row = checks.rows[i] ?? assert.fail(`no row for check ${i}`);
    assert.equal(row[0], c.metric);
    assert.match(row[4] ?? '', c.passed ? /^passed/ : /^FAILED/);
    if (c.kind === 'lower_bound') {
      close(row[2], c.value ?? NaN, 'lower bound check value');
      assert.equal(row[3], `≥ ${c.threshold}`);
    }
  }

  // Metrics: every overall metric but the count, this run against the first, Δ recomputed here.
  const metrics = table(tables, /^Metrics/);
  assert.deepEqual(metrics.header.slice(0, 5), ['Metric', 'This run', 'Baseline', 'Δ', 'Noise (95 %)']);
  const o1 = overall(m1);
  const o2 = overall(m2);
  const expectedNames = Object.keys(o2).filter((k) => k !== 'example_count' && !k.includes('@'));
  assert.deepEqual(metrics.rows.map((row) => row[0]).sort(), [...expectedNames].sort());
  for (const row of metrics.rows) {
    const name = row[0] as string;
    const [c, b] = [o2[name] as number, o1[name] as number];
    close(row[1], c, `${name} this run`);
    close(row[2], b, `${name} baseline`);
    close(row[3], c - b, `${name} delta`);
  }
  // Accuracy's noise, without bootstrap intervals in metrics.json: the binomial standard errors of
  // the two proportions on their eval rows, combined, at 95 %.
  const acc = metrics.rows.find((row) => row[0] === 'accuracy') ?? assert.fail('no accuracy row');
  const hasIntervals = m2.slices.some((s) => 'intervals' in s);
  if (!hasIntervals) {
    const se = (o: Record<string, number>): number => Math.sqrt(((o.accuracy as number) * (1 - (o.accuracy as number))) / (o.example_count as number));
    const noise = 1.959963984540054 * Math.hypot(se(o1), se(o2));
    assert.match(acc[4] ?? '', /standard error/);
    close((acc[4] ?? '').replace(/^±/, '').split(' ')[0], noise, 'accuracy noise');
    const delta = (o2.accuracy as number) - (o1.accuracy as number);
    assert.equal(acc[5] === 'within noise', Math.abs(delta) < noise, `accuracy Δ ${delta} against noise ${noise}: the row reads ${JSON.stringify(acc[5])}`);
  }

  // Slices: exactly the (slice, metric) pairs present in both runs that moved by 0.01 or more.
  const slices = table(tables, /^Slices that changed/);
  const expectedSlices: string[] = [];
  for (const s of m2.slices) {
    if (!Object.keys(s.slice).length) continue;
    const b = m1.slices.find((x) => sliceName(x.slice) === sliceName(s.slice));
    if (!b) continue;
    for (const [k, v] of Object.entries(s.metrics)) {
      const bv = b.metrics[k];
      if (k === 'example_count' || k.includes('@') || bv === undefined || !(Math.abs(v - bv) >= 0.01)) continue;
      expectedSlices.push(`${sliceName(s.slice)} / ${k}`);
      const row = slices.rows.find((x) => x[0] === sliceName(s.slice) && x[1] === k) ?? assert.fail(`slice ${sliceName(s.slice)} ${k} moved by ${v - bv} but is not listed`);
      close(row[2], v, `${k} on ${sliceName(s.slice)}`);
      close(row[3], bv, `${k} on ${sliceName(s.slice)}, baseline`);
      close(row[4], v - bv, `${k} on ${sliceName(s.slice)}, delta`);
    }
  }
  assert.equal(slices.rows.length, expectedSlices.length, 'no slice row beyond those that moved');

  // Parameters: the two the second run changed, as the pipeline file writes them.
  const params = table(tables, /^Parameters changed/);
  assert.deepEqual(params.rows, [
    ['train.hidden_units', '[4]', '[8]'],
    ['train.seed', '2', '1'],
  ]);

  // Rows per split: each run's statistics.json.
  const s1 = readJson<Stats>(artifactFile(first, 'statistics', 'statistics', 'statistics.json'));
  const s2 = readJson<Stats>(artifactFile(second, 'statistics', 'statistics', 'statistics.json'));
  const splits = table(tables, /^Rows per split/);
  assert.deepEqual(splits.rows.map((row) => row[0]), s2.datasets.map((d) => d.name));
  for (const row of splits.rows) {
    const c = s2.datasets.find((d) => d.name === row[0])?.numExamples ?? NaN;
    const b = s1.datasets.find((d) => d.name === row[0])?.numExamples ?? NaN;
    assert.equal(num(row[1]), c);
    assert.equal(num(row[2]), b);
    assert.equal(num(row[3]), c - b);
  }

  // Drift: exactly the features whose comparator anomaly the run's anomalies.json records.
  const anomalies = readJson<{ anomalyInfo: Record<string, { reason: { type: string; description: string }[] }> }>(artifactFile(second, 'validate', 'anomalies', 'anomalies.json'));
  const crossed = Object.entries(anomalies.anomalyInfo)
    .filter(([, a]) => a.reason.some((x) => /^COMPARATOR_.*_HIGH$/.test(x.type)))
    .map(([f]) => f)
    .sort();
  assert.ok(crossed.length > 0, 'the fixture makes some drift cross its threshold');
  const drift = table(tables, /^Drift and skew/);
  assert.deepEqual(drift.rows.map((row) => row[0]).sort(), crossed);
  for (const row of drift.rows) {
    // The description states the measure to six significant digits (TFDV's wording).
    const description = anomalies.anomalyInfo[row[0] as string]?.reason.find((x) => x.type.startsWith('COMPARATOR_'))?.description ?? '';
    const stated = Number(/is ([\d.e-]+) \(up to six/.exec(description)?.[1]);
    close(row[3], stated, `${row[0]} drift value`);
    assert.ok(num(row[3]) > num(row[4]), `${row[0]}: listed as crossed, so its value exceeds its threshold`);
  }
});

test('--against previous and --against RUN_ID pick that run; -o writes the format its extension asks for', async () => {
  const prev = pw(['report', file, '--against', 'previous'], dir);
  assert.equal(prev.status, 0, prev.stderr);
  assert.match(prev.stdout, new RegExp(`against \`${first.runId}\`.*the previous run`));
  const byId = pw(['report', file, '--run', first.runId, '--against', second.runId], dir);
  assert.equal(byId.status, 0, byId.stderr);
  const tables = await tablesOf(byId.stdout);
  const params = table(tables, /^Parameters changed/);
  assert.deepEqual(params.rows, [
    ['train.hidden_units', '[8]', '[4]'],
    ['train.seed', '1', '2'],
  ]);
  const out = path.join(dir, 'out', 'report.html');
  const html = pw(['report', file, '-o', out], dir);
  assert.equal(html.status, 0, html.stderr);
  assert.equal(html.stdout, '', 'with -o nothing goes to stdout');
  const page = readFileSync(out, 'utf8');
  assert.match(page, /^<!doctype html>/);
  assert.match(page, /http-equiv="Content-Security-Policy" content="default-src 'none'/);
  assert.doesNotMatch(page, /<script(?! type="application\/json")/, 'no executable script');
});

test('a model that is not blessed exits 1; errors exit 2, never 1', () => {
  writeFileSync(file, pipeline(2, 4, 0.999));
  const third = run(file);
  const m3 = readJson<Metrics>(artifactFile(third, 'evaluate', 'evaluation', 'metrics.json'));
  assert.equal(m3.blessed, false, 'the fixture asks for an accuracy of 0.999');
  const r = pw(['report', file], dir);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /NOT BLESSED/);
  assert.match(r.stdout, /\| accuracy \| lower bound \| [\d.]+ \| ≥ 0\.999 \| FAILED \|/);

  const errors: [string[], RegExp][] = [
    [['report', file, '--run', '20990101-000000-000-abcdef'], /--run: no run/],
    [['report', file, '--against', 'nobody'], /--against: no run "nobody"/],
    [['report', file, '--format', 'pdf'], /--format takes md or html/],
    [['report', path.join(dir, 'missing.pipeline.yaml')], /no such pipeline file/],
    [['report'], /missing FILE/],
    [['report', file, '--colour'], /unknown option --colour/],
    [['report', file, '-o', path.join(dir, 'data', 'penguins.csv', 'x.md')], /error/],
  ];
  for (const [args, message] of errors) {
    const e = pw(args, dir);
    assert.equal(e.status, 2, `${args.join(' ')} exits 2: ${e.stderr}`);
    assert.match(e.stderr, message);
  }
  const empty = tempDir('pw-report-empty-');
  const fresh = path.join(empty, 'p.pipeline.yaml');
  writeFileSync(fresh, pipeline(1, 8, 0.5));
  const none = pw(['report', fresh], empty);
  assert.equal(none.status, 2, 'no runs yet is an error');
  assert.match(none.stderr, /no runs yet/);
  assert.ok(!existsSync(path.join(empty, 'report.md')));
});
