/**
 * The HTML report opens offline: the penguin pipeline runs twice through the CLI (a classifier, with
 * a changed Trainer parameter and drift thresholds), once as a regression and once as a binary
 * model (sex: the one kind with fairness rates), `pipewise report -o report.html` writes each page,
 * and Debian's Chromium opens the file with the browser context offline and every request but the
 * file itself aborted and recorded. Each chart must be drawn (an SVG with marks of a real size),
 * with no console error, no page error and no CSP violation; the page prints to PDF; screenshots at
 * 1400×900 land in test-results/screenshots/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { RunResult } from '../../src/protocol/runEvents';
import { CHROMIUM_ARGS, REPO_ROOT, testTools } from './codeServer';

const CLI = path.join(REPO_ROOT, 'bin', 'pipewise.js');
const SCREENSHOTS = path.join(REPO_ROOT, 'test-results', 'screenshots');

let dir: string;
let browser: Browser;

function pipelineYaml(name: string, label: string, seed: number, hidden: number, fairness = ''): string {
  return [
    `pipeline: ${name}`,
    'stages:',
    '  raw: { component: ExampleGen, params: { input: data/penguins.csv } }',
    // The label must be present in every row (Transform refuses a missing one).
    `  examples: { component: Sql, inputs: { examples: raw.examples }, params: { query: 'SELECT * FROM examples WHERE "${label}" IS NOT NULL' } }`,
    '  statistics: { component: StatisticsGen, inputs: { examples: examples.examples } }',
    '  schema: { component: SchemaGen, inputs: { statistics: statistics.statistics } }',
    '  validate: { component: ExampleValidator, inputs: { statistics: statistics.statistics, schema: schema.schema }, params: { drift: { bill_length_mm: 0.01, island: 0.05, flipper_length_mm: 0.5 } } }',
    `  transform: { component: Transform, inputs: { examples: examples.examples, schema: schema.schema }, params: { label: ${label} } }`,
    `  train: { component: Trainer, inputs: { examples: transform.transformed_examples, transform_graph: transform.transform_graph }, params: { hidden_units: [${hidden}], epochs: 15, seed: ${seed} } }`,
    '  evaluate:',
    '    component: Evaluator',
    '    inputs: { examples: examples.examples, model: train.model }',
    `    params: { slices: [[], [island]], feature_importance: { repeats: 2 }${label === 'species' ? ', thresholds: { accuracy: { lower_bound: 0.5 } }' : ''}${fairness ? `, fairness_thresholds: ${fairness}` : ''} }`,
    '',
  ].join('\n');
}

function pw(args: readonly string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 600_000 });
}

function project(name: string): string {
  const d = path.join(dir, name);
  fs.mkdirSync(path.join(d, 'data'), { recursive: true });
  fs.copyFileSync(path.join(REPO_ROOT, 'test/fixtures/penguins.csv'), path.join(d, 'data/penguins.csv'));
  return path.join(d, `${name}.pipeline.yaml`);
}

function run(file: string): RunResult {
  const r = pw(['run', file, '--json'], path.dirname(file));
  assert.equal(r.status, 0, `pipewise run ${path.basename(file)} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as RunResult;
}

function report(file: string): string {
  const out = path.join(path.dirname(file), 'report.html');
  const r = pw(['report', file, '-o', out], path.dirname(file));
  assert.ok(r.status === 0 || r.status === 1, `pipewise report failed (${r.status}):\n${r.stderr}`);
  return out;
}

let classification: string;
let regression: string;
let binary: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-report-e2e-'));
  const cls = project('penguins');
  fs.writeFileSync(cls, pipelineYaml('penguin_species', 'species', 1, 8));
  run(cls);
  fs.writeFileSync(cls, pipelineYaml('penguin_species', 'species', 2, 4));
  run(cls);
  classification = report(cls);
  const reg = project('mass');
  fs.writeFileSync(reg, pipelineYaml('penguin_mass', 'body_mass_g', 1, 8));
  run(reg);
  regression = report(reg);
  // A binary model (sex), the only kind with fairness rates: two thresholds, so each rate's chart groups bars per slice.
  const bin = project('sex');
  fs.writeFileSync(bin, pipelineYaml('penguin_sex', 'sex', 1, 8, '[0.3, 0.5]'));
  run(bin);
  binary = report(bin);
  browser = await chromium.launch({
    executablePath: testTools().chromium,
    headless: true,
    // A proxy that answers nothing: a request that slipped past the context's blocking would still fail.
    args: [...CHROMIUM_ARGS, '--proxy-server=http://127.0.0.1:9', '--proxy-bypass-list=<-loopback>'],
  });
});

after(async () => {
  await browser?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

interface Opened {
  readonly page: Page;
  readonly requests: string[];
  readonly blocked: string[];
  readonly problems: string[];
}

/** The page opened from its file, offline, every other request aborted and every problem recorded. */
async function open(file: string, width = 1400, height = 900): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width, height }, offline: true });
  const requests: string[] = [];
  const blocked: string[] = [];
  const problems: string[] = [];
  const url = pathToFileURL(file).href;
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (u === url) return route.continue();
    blocked.push(u);
    return route.abort('internetdisconnected');
  });
  // Playwright's init scripts run outside the page's CSP: this one only listens.
  await context.addInitScript(() => {
    const w = window as unknown as { cspViolations: string[] };
    w.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => w.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = await context.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(url, { waitUntil: 'load' });
  return { page, requests, blocked, problems };
}

/** Each chart of the page: its kind, how many marks it draws and its size on screen. */
async function charts(page: Page): Promise<{ kind: string; marks: number; visibleMarks: number; width: number; height: number }[]> {
  return page.$$eval('svg[data-chart]', (svgs) =>
    svgs.map((s) => {
      const box = s.getBoundingClientRect();
      const marks = [...s.querySelectorAll('.mark')];
      const visible = marks.filter((m) => {
        const b = (m as SVGGraphicsElement).getBBox();
        return b.width > 0 || b.height > 0;
      });
      return { kind: s.getAttribute('data-chart') ?? '', marks: marks.length, visibleMarks: visible.length, width: box.width, height: box.height };
    }),
  );
}

async function assertClean(o: Opened, file: string): Promise<void> {
  const violations = await o.page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
  assert.deepEqual(violations, [], 'no CSP violation');
  assert.deepEqual(o.problems, [], 'no console error or warning, no page error');
  assert.deepEqual(o.blocked, [], 'the page asked for nothing beyond itself');
  assert.deepEqual(o.requests, [pathToFileURL(file).href], 'the only request is the file itself');
  const scripts = await o.page.$$eval('script', (ss) => ss.map((s) => s.getAttribute('type')));
  assert.deepEqual(scripts, ['application/json'], 'no executable script, one data block');
}

test('the classification report opens offline with every chart drawn, no console error and no CSP violation', async () => {
  const o = await open(classification);
  await assertClean(o, classification);
  const drawn = await charts(o.page);
  const kinds = drawn.map((c) => c.kind).sort();
  assert.deepEqual(kinds, ['calibration', 'confusion', 'deltas', 'drift', 'importance', 'partial-dependence-0', 'partial-dependence-1', 'partial-dependence-2', 'pr', 'roc'], `charts drawn: ${kinds.join(', ')}`);
  for (const c of drawn) {
    assert.ok(c.marks > 0 && c.visibleMarks === c.marks, `${c.kind}: ${c.visibleMarks} of ${c.marks} marks have a size`);
    assert.ok(c.width >= 300 && c.height >= 60, `${c.kind} is ${c.width}×${c.height} px at 1400×900`);
  }
  // The confusion matrix is 3×3 (three species); ROC and PR have one curve per species.
  assert.equal(drawn.find((c) => c.kind === 'confusion')?.marks, 9);
  assert.equal(drawn.find((c) => c.kind === 'roc')?.marks, 3);
  assert.equal(drawn.find((c) => c.kind === 'calibration')?.marks, 3, 'a calibration curve per species');
  assert.equal(await o.page.$$eval('#fairness', (s) => s.length), 0, 'a multiclass model has no fairness rates, and no fairness section');
  const sparks = await o.page.$$eval('svg.spark .mark', (m) => m.length);
  assert.ok(sparks > 0, 'the statistics tables draw their histograms');
  const data = await o.page.$eval('#pipewise-report-data', (s) => JSON.parse(s.textContent ?? '{}') as { run: { id: string }; baseline?: { id: string } });
  assert.ok(data.baseline, 'the data block names the baseline run');
  assert.equal(await o.page.textContent('#verdict'), 'BLESSED');
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await o.page.screenshot({ path: path.join(SCREENSHOTS, 'report-classification-1400x900.png') });
  await o.page.screenshot({ path: path.join(SCREENSHOTS, 'report-classification-full.png'), fullPage: true });
  for (const id of ['evaluation', 'feature-importance']) await o.page.locator(`#${id}`).screenshot({ path: path.join(SCREENSHOTS, `report-classification-${id}.png`) });
  // In a 400 px column (a narrow browser, a side panel) wide tables scroll in place; the page itself does not.
  await o.page.setViewportSize({ width: 400, height: 900 });
  const overflow = await o.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than a 400 px window`);
  await o.page.screenshot({ path: path.join(SCREENSHOTS, 'report-classification-400.png') });
  await o.page.setViewportSize({ width: 1400, height: 900 });
  await o.page.emulateMedia({ media: 'print' });
  const pdf = await o.page.pdf({ format: 'A4', printBackground: true });
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
  assert.ok(pdf.length > 20_000, `the printed report is ${pdf.length} bytes`);
  await o.page.context().close();
});

test('the regression report draws predicted against actual, offline and clean', async () => {
  const o = await open(regression);
  await assertClean(o, regression);
  const drawn = await charts(o.page);
  const residuals = drawn.find((c) => c.kind === 'residuals');
  assert.ok(residuals && residuals.marks > 50 && residuals.visibleMarks === residuals.marks, `residuals: ${JSON.stringify(residuals)}`);
  assert.ok(!drawn.some((c) => c.kind === 'roc' || c.kind === 'confusion'), 'no classification charts for a regression');
  assert.ok(drawn.some((c) => c.kind === 'importance'));
  const partial = drawn.filter((c) => c.kind.startsWith('partial-dependence-'));
  // The three most important features; a numeric one is one curve (the prediction), a categorical one a point per category.
  assert.equal(partial.length, 3, `partial dependence charts: ${JSON.stringify(partial)}`);
  const curves = await o.page.$$eval('svg[data-chart^="partial-dependence-"]', (svgs) => svgs.map((s) => s.querySelectorAll('polyline.mark').length));
  assert.ok(curves.every((k) => k <= 1) && curves.includes(1), `curves per partial dependence chart: ${curves.join(', ')}`);
  await o.page.screenshot({ path: path.join(SCREENSHOTS, 'report-regression-full.png'), fullPage: true });
  await o.page.locator('#feature-importance').screenshot({ path: path.join(SCREENSHOTS, 'report-regression-feature-importance.png') });
  await o.page.context().close();
});

test('the binary report draws calibration, the fairness rates per slice and partial dependence, offline and clean', async () => {
  const o = await open(binary);
  await assertClean(o, binary);
  const drawn = await charts(o.page);
  const kinds = drawn.map((c) => c.kind).sort();
  for (const kind of ['calibration', 'fairness-false_negative_rate', 'fairness-false_positive_rate', 'fairness-true_negative_rate', 'fairness-true_positive_rate', 'partial-dependence-0']) assert.ok(kinds.includes(kind), `${kind} among ${kinds.join(', ')}`);
  for (const c of drawn) {
    assert.ok(c.marks > 0 && c.visibleMarks === c.marks, `${c.kind}: ${c.visibleMarks} of ${c.marks} marks have a size`);
    assert.ok(c.width >= 300 && c.height >= 60, `${c.kind} is ${c.width}×${c.height} px at 1400×900`);
  }
  // Four slices (overall and three islands) × two thresholds: eight bars per rate, and as many table rows in all.
  for (const c of drawn.filter((d) => d.kind.startsWith('fairness-'))) assert.equal(c.marks, 8, `${c.kind} bars`);
  assert.equal(await o.page.$$eval('#fairness tbody tr', (r) => r.length), 32);
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  // The new sections one by one, at the page's width, to be judged by eye.
  for (const id of ['evaluation', 'fairness', 'feature-importance']) await o.page.locator(`#${id}`).screenshot({ path: path.join(SCREENSHOTS, `report-binary-${id}.png`) });
  await o.page.setViewportSize({ width: 400, height: 900 });
  const overflow = await o.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than a 400 px window`);
  await o.page.context().close();
});
