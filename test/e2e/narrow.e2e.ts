/**
 * Every panel in a 400 px editor column, as a user with a narrow window or many columns meets it:
 * statistics, compare, schema and anomalies, data preview, graph, evaluation, experiments,
 * monitoring and the Try panel. In each webview's DOM: the page does not scroll sideways, wider
 * tables scroll in their own box, no control or text is cut off, and a long table's header stays in
 * sight while its rows scroll (test/e2e/narrowCheck.ts). Also the statistics table's sticky header
 * under the mouse wheel, its standard deviation against pandas' population one, and a comparison of
 * two files with no column in common. Saves `test-results/screenshots/narrow-<panel>.png`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Frame } from 'playwright-core';
import { Workbench } from './workbench';
import { waitFor } from './codeServer';
import { buildRequestLog } from './requestLog';
import { narrowTo, problems, restoreWidth, usability } from './narrowCheck';
import { mulberry32 } from '../../src/engine/model/random';
import { oraclePython } from '../python';

let wb: Workbench;
const CLI = path.resolve(__dirname, '../../bin/pipewise.js');
const PYTHON = oraclePython();

before(async () => {
  wb = await Workbench.start({ workspace: 'examples/penguins' });
});

after(async () => {
  await wb?.close();
});

/** Each test starts from the default window with no editor open. */
async function fresh(): Promise<void> {
  await restoreWidth(wb);
  await wb.runCommand('View: Close All Editors');
}

/** Narrows the panel's column to 400 px, saves a screenshot and checks the panel is usable there. */
async function checkAt400(frame: Frame, name: string): Promise<void> {
  await narrowTo(wb, frame, 400);
  // Charts redraw for the new width (a resize event, then Vega): measure until clean, or the last.
  let u = await usability(frame);
  for (const deadline = Date.now() + 15_000; problems(u).length > 0 && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 500));
    u = await usability(frame);
  }
  await wb.screenshot(`narrow-${name}`);
  assert.ok(Math.abs(u.width - 400) <= 20, `${name}: the webview is ${u.width} px wide (400 less its scroll bar)`);
  assert.deepEqual(problems(u), [], `${name} at 400 px`);
}

/** Two runs of the penguin pipeline (40 then 10 epochs) and a request log, made once, when first needed. */
let runs: Promise<void> | undefined;
function ensureRuns(): Promise<void> {
  runs ??= (async () => {
    const file = path.join(wb.workspace, 'penguins.pipeline.yaml');
    await buildRequestLog(CLI, file, path.join(wb.workspace, 'data', 'penguins.csv'), path.join(wb.workspace, 'requests'));
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('epochs: 40', 'epochs: 10'));
    const r = spawnSync(process.execPath, [CLI, 'run', file, '--json'], { encoding: 'utf8', cwd: wb.workspace, timeout: 600_000 });
    assert.equal(r.status, 0, r.stderr);
  })();
  return runs;
}

function explorerRow(name: string) {
  return wb.page.locator('.explorer-folders-view .monaco-list-row', { has: wb.page.locator('.label-name', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).first();
}

/** Opens the statistics panel of a workspace file (active in the editor) and waits until it is exact. */
async function statisticsOf(rel: string, rows: number): Promise<Frame> {
  await wb.openFile(rel);
  await wb.runCommand('Pipewise: Preview Dataset Statistics');
  const frame = await wb.webview('section.numeric tbody tr', 90_000);
  await waitFor('the statistics to finish', async () => ((await frame.locator('.status').innerText()).includes(`${rows} rows`) ? true : undefined), 90_000);
  return frame;
}

test('statistics at 400 px: usable; the std dev column says it is the population one and equals pandas std(ddof=0)', async () => {
  await fresh();
  const frame = await statisticsOf('data/penguins.csv', 344);
  await frame.locator('tr[data-feature="body_mass_g"]').click();
  await waitFor('the detail charts', async () => ((await frame.locator('.detail figure svg').count()) >= 4 ? true : undefined), 60_000);
  await checkAt400(frame, 'statistics');

  const heads = await frame.locator('section.numeric thead th').allInnerTexts();
  const col = heads.findIndex((t) => t.startsWith('Std dev'));
  assert.ok(col > 0, `a Std dev column among ${heads.join(' | ')}`);
  assert.match(heads[col]!, /^Std dev \(population\)/);
  const tip = (await frame.locator('section.numeric thead th').nth(col).locator('button').getAttribute('title')) ?? '';
  assert.match(tip, /Population standard deviation \(divides by n/);

  // The oracle: pandas on the same CSV (NA read as missing), population (ddof=0) and sample (ddof=1).
  const py = spawnSync(PYTHON, ['-c', 'import sys, json, pandas as pd; d = pd.read_csv(sys.argv[1]); print(json.dumps({c: [float(d[c].std(ddof=0)), float(d[c].std(ddof=1))] for c in d.select_dtypes("number").columns}))', path.join(wb.workspace, 'data', 'penguins.csv')], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const oracle = JSON.parse(py.stdout) as Record<string, [number, number]>;
  assert.deepEqual(Object.keys(oracle).sort(), ['bill_depth_mm', 'bill_length_mm', 'body_mass_g', 'flipper_length_mm', 'year']);
  for (const [feature, [pop, sample]] of Object.entries(oracle)) {
    const shown = Number((await frame.locator(`section.numeric tr[data-feature="${feature}"] td`).nth(col).innerText()).replace(/,/g, ''));
    // The cell shows 4 significant digits (6 from 1,000 on): equal to pandas' to that rounding.
    const digits = Math.abs(pop) >= 1000 ? 6 : 4;
    const tol = 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(pop))) - digits + 1) * 1.0001;
    assert.ok(Math.abs(shown - pop) <= tol, `${feature}: shown ${shown}, pandas population std ${pop}`);
    assert.ok(Math.abs(shown - sample) > tol, `${feature}: shown ${shown} is not the sample std ${sample}`);
  }
});

test('statistics: the table\'s header stays at the top while the wheel scrolls its rows, also at 400 px', async () => {
  await fresh();
  // 60 numeric columns: the numeric table has 60 rows, more than a screen.
  const rand = mulberry32(7);
  const cols = Array.from({ length: 60 }, (_, i) => `c${String(i).padStart(2, '0')}`);
  const lines = [cols.join(','), ...Array.from({ length: 40 }, () => cols.map(() => (rand() * 100).toFixed(3)).join(','))];
  fs.writeFileSync(path.join(wb.workspace, 'data', 'wide.csv'), `${lines.join('\n')}\n`);
  const frame = await statisticsOf('data/wide.csv', 40);
  assert.equal(await frame.locator('section.numeric tbody tr').count(), 60);
  const HEAD = `(() => {
    const th = document.querySelector('section.numeric thead th');
    const row = document.querySelector('section.numeric tbody tr');
    const r = th.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return { head: r.top, row: row.getBoundingClientRect().top, hit: !!hit && th.contains(hit) };
  })()`;
  type Head = { head: number; row: number; hit: boolean };
  const before = (await frame.evaluate(HEAD)) as Head;
  assert.ok(before.hit, 'the header is in sight before scrolling');
  await frame.locator('section.numeric tbody tr').nth(3).hover();
  await wb.page.mouse.wheel(0, 480);
  const after = await waitFor('the rows to scroll', async () => {
    const m = (await frame.evaluate(HEAD)) as Head;
    return before.row - m.row >= 300 ? m : undefined;
  }, 20_000, 200);
  assert.ok(Math.abs(after.head - before.head) <= 2, `the header moved from ${before.head} to ${after.head} px while the rows moved ${before.row - after.row} px`);
  assert.ok(after.hit, 'the header is not covered after scrolling');
  // And in a 400 px column: the long table's header stays in sight there too (narrowCheck's header test).
  await frame.evaluate('document.querySelector("section.numeric .tablewrap").scrollTop = 0');
  await checkAt400(frame, 'statistics-wide');
});

test('compare at 400 px: the drift table is usable', async () => {
  await fresh();
  const lines = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'seattle-weather.csv'), 'utf8').trim().split('\n');
  const [header, ...rows] = lines;
  const write = (name: string, keep: (year: number) => boolean) =>
    fs.writeFileSync(path.join(wb.workspace, name), [header, ...rows.filter((r) => keep(Number(r.slice(0, 4))))].join('\n') + '\n');
  write('early.csv', (y) => y <= 2013);
  write('late.csv', (y) => y >= 2014);
  const frame = await compare('early.csv', 'late.csv', 'tr.exceeded[data-feature="weather"]');
  await frame.locator('tr[data-feature="weather"]').click();
  await waitFor('the overlaid value shares', async () => ((await frame.locator('.detail figure svg').count()) >= 1 ? true : undefined), 30_000);
  await checkAt400(frame, 'compare');
  // A numeric feature: its two histograms fit the panel's width.
  await frame.locator('tr[data-feature="temp_max"]').click();
  await stackedHistogramsFit(frame, '.detail', 'compare');
});

/** At 400 px the two datasets' histograms (side by side, or one above the other) end inside the page. */
async function stackedHistogramsFit(frame: Frame, scope: string, name: string): Promise<void> {
  const chart = frame.locator(`${scope} figure[data-chart="Side by side"] svg, ${scope} figure[data-chart="One above the other"] svg`);
  await chart.first().waitFor({ timeout: 60_000 });
  const { svg, page } = await chart.first().evaluate((el) => ({ svg: el.getBoundingClientRect().right, page: document.documentElement.clientWidth }));
  await chart.first().scrollIntoViewIfNeeded();
  await wb.screenshot(`narrow-${name}-histograms`);
  assert.ok(svg <= page, `the two histograms end at ${svg} px, past the page's ${page} px`);
}

async function compare(left: string, right: string, selector: string): Promise<Frame> {
  await wb.showExplorer();
  const first = explorerRow(left);
  const second = explorerRow(right);
  await second.waitFor({ state: 'visible', timeout: 20_000 });
  await wb.contextMenu(second, 'Compare Datasets (Drift and Skew)', async () => {
    await first.click();
    await second.click({ modifiers: ['Control'] });
  });
  return wb.webview(selector, 60_000);
}

test('compare: two files with no column in common say so, with each file\'s columns, instead of a table of red rows', async () => {
  await fresh();
  fs.writeFileSync(path.join(wb.workspace, 'sales.csv'), 'region,units,price\nnorth,3,2.5\nsouth,5,3.75\neast,2,1.25\n');
  fs.writeFileSync(path.join(wb.workspace, 'sensors.csv'), 'sensor,reading\nA,0.5\nB,0.75\nC,0.25\n');
  const frame = await compare('sales.csv', 'sensors.csv', '.nocommon');
  const text = await frame.locator('.nocommon').innerText();
  assert.match(text, /no column in common/);
  assert.match(text, /sales\.csv: region, units, price/);
  assert.match(text, /sensors\.csv: sensor, reading/);
  assert.equal(await frame.locator('tr.exceeded').count(), 0, 'no row flagged');
  assert.equal(await frame.locator('table tbody tr').count(), 0, 'no drift table');
  await waitFor('the status line', async () => ((await frame.locator('.status').innerText()).trim() === 'No column in common' ? true : undefined), 20_000).catch(async (e: unknown) => {
    throw new Error(`${String(e)}: the status says "${await frame.locator('.status').innerText()}"`);
  });
  assert.equal(await frame.locator('section.detail').isVisible(), false, 'no empty detail box');
  await checkAt400(frame, 'compare-no-common');
});

test('schema and anomalies at 400 px', async () => {
  await fresh();
  const schema = {
    feature: [
      { name: 'species', type: 'BYTES', stringDomain: { value: ['Adelie', 'Chinstrap'] }, presence: { minFraction: 1 } },
      { name: 'island', type: 'BYTES', presence: { minFraction: 1 } },
      { name: 'bill_length_mm', type: 'FLOAT' },
      { name: 'body_mass_g', type: 'INT', intDomain: { min: 3000, max: 6000 } },
      { name: 'sex', type: 'BYTES', presence: { minFraction: 1 } },
    ],
  };
  fs.writeFileSync(path.join(wb.workspace, 'schema.json'), JSON.stringify(schema, null, 2));
  await wb.showExplorer();
  await explorerRow('schema.json').waitFor({ state: 'visible', timeout: 20_000 });
  await wb.contextMenu(explorerRow('schema.json'), 'Open Schema and Anomalies');
  const frame = await wb.webview('.schemaview button.secondary', 60_000);
  await frame.locator('button', { hasText: 'Validate against a dataset' }).click();
  await wb.answerFileDialog(path.join(wb.workspace, 'data', 'penguins.csv'));
  await waitFor('the anomalies', async () => ((await frame.locator('li.anomaly').count()) >= 3 ? true : undefined), 60_000);
  await checkAt400(frame, 'schema');
});

test('data preview and SQL at 400 px', async () => {
  await fresh();
  await wb.openFile('data/penguins.csv');
  await wb.runCommand('Pipewise: Preview Data and Query with SQL');
  const frame = await wb.webview('textarea.sql', 60_000);
  await waitFor('rows in the grid', async () => ((await frame.locator('.viewport tbody tr td.num').count()) > 0 ? true : undefined), 30_000);
  await frame.locator('textarea.sql').fill('SELECT species, island, count(*) AS n, avg(body_mass_g) AS mean_mass FROM data GROUP BY ALL ORDER BY n DESC');
  await frame.locator('textarea.sql').press('Control+Enter');
  await waitFor('the query result', async () => ((await frame.locator('.sqlresult tbody tr').count()) === 5 ? true : undefined), 30_000);
  await checkAt400(frame, 'preview');
});

test('graph at 400 px: Fit keeps every node in view', async () => {
  await fresh();
  await wb.openFile('penguins.pipeline.yaml');
  await wb.runCommand('Pipewise: Show Pipeline Graph');
  const frame = await wb.webview('#graph g.node[data-kind="stage"]', 90_000);
  await narrowTo(wb, frame, 400);
  await frame.locator('#fit').click();
  const outside = (await frame.evaluate(`(() => {
    const box = document.querySelector('#graph').getBoundingClientRect();
    return [...document.querySelectorAll('#graph g.node')].filter((g) => { const r = g.getBoundingClientRect(); return r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1; }).map((g) => g.dataset.id);
  })()`)) as string[];
  assert.deepEqual(outside, [], 'nodes outside the view at Fit');
  await checkAt400(frame, 'graph');
});

test('evaluation at 400 px, opened from the explorer on an evaluation artifact', async () => {
  await ensureRuns();
  await fresh();
  const dir = path.join(wb.workspace, '.pipewise', 'artifacts', 'evaluate');
  const newest = fs.readdirSync(dir).sort().reverse().find((d) => fs.existsSync(path.join(dir, d, 'evaluation', 'metrics.json')));
  assert.ok(newest, `an evaluation in ${dir}`);
  // Through the explorer, as a user finds it: .pipewise/artifacts/evaluate/<id>/evaluation, right-click.
  await wb.showExplorer();
  const parts = ['.pipewise', 'artifacts', 'evaluate', newest, 'evaluation'];
  for (const [i, name] of parts.entries()) {
    const row = wb.page.locator(`.explorer-folders-view .monaco-list-row[aria-level="${i + 1}"]`, { has: wb.page.locator('.label-name', { hasText: new RegExp(`^${name.replace(/\./g, '\\.')}$`) }) }).first();
    await row.waitFor({ state: 'visible', timeout: 20_000 });
    if (i < parts.length - 1) {
      if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
    } else {
      await wb.contextMenu(row, 'Open Model Evaluation');
    }
  }
  const frame = await wb.webview('.verdict', 120_000);
  await frame.locator('figure[data-chart="calibration"] svg').first().waitFor({ timeout: 120_000 });
  await checkAt400(frame, 'evaluation');
});

test('experiments at 400 px, opened from the Runs view', async () => {
  await ensureRuns();
  await fresh();
  await wb.runCommand('Pipewise: Focus on Models View');
  const pane = wb.page.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: /Pipelines and Runs/i }) });
  const pipelineRow = pane.locator('.monaco-list-row', { has: wb.page.locator('.label-name', { hasText: /^penguins\.pipeline\.yaml$/ }) }).first();
  await pipelineRow.waitFor({ state: 'visible', timeout: 60_000 });
  await pipelineRow.hover();
  await pipelineRow.locator('.action-label[aria-label="Show Experiments (Runs Compared)"]').click();
  const frame = await wb.webview('table.experiments tbody tr', 60_000);
  assert.equal(await frame.locator('table.experiments tbody tr').count(), 2);
  for (const box of await frame.locator('table.experiments tbody input[type="checkbox"]').all()) await box.check();
  await frame.locator('figure[data-chart="metric"] svg').first().waitFor({ timeout: 60_000 });
  await checkAt400(frame, 'experiments');
});

test('monitoring at 400 px', async () => {
  await ensureRuns();
  await fresh();
  await wb.openFile('penguins.pipeline.yaml');
  await wb.runCommand('Pipewise: Open Monitoring');
  const input = wb.page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  await waitFor('the picker at the requests folder', async () => (/requests\/?$/.test(await input.inputValue()) ? true : undefined), 20_000, 200);
  await wb.page.keyboard.press('Enter');
  const frame = await wb.webview('table.skew tbody tr[data-feature]', 180_000);
  // The distance over time: a chart from two windows on, one line for a single window (monitoring.e2e checks which).
  await frame.locator('.overtime svg, .overtime p.single').first().waitFor({ timeout: 120_000 });
  await frame.locator('table.skew tbody tr[data-feature="bill_length_mm"]').click();
  await frame.locator('section.overlay figure[data-chart="Overlaid"] svg').waitFor({ timeout: 60_000 });
  await checkAt400(frame, 'monitoring');
  // Drawn again at 400 px: the two histograms fit it.
  await frame.locator('table.skew tbody tr[data-feature="body_mass_g"]').click();
  await waitFor('the overlay of body_mass_g', async () => ((await frame.locator('section.overlay h2').innerText()).startsWith('body_mass_g') ? true : undefined), 60_000);
  await stackedHistogramsFit(frame, 'section.overlay', 'monitoring');
});

test('the Try panel at 400 px', async () => {
  await ensureRuns();
  await fresh();
  await wb.openFile('penguins.pipeline.yaml');
  await wb.runCommand('Pipewise: Focus on Models View');
  const pane = wb.page.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: /^\s*Models/i }) });
  const modelRow = pane.locator('.monaco-list-row', { has: wb.page.locator('.label-name', { hasText: /^penguins$/ }) }).first();
  await modelRow.waitFor({ state: 'visible', timeout: 60_000 });
  await modelRow.hover();
  await modelRow.locator('.action-label[aria-label="Start Model Server"]').click();
  const status = wb.page.locator('.statusbar-item', { hasText: /penguins v\d+/ }).first();
  await status.waitFor({ state: 'visible', timeout: 180_000 });
  try {
    await modelRow.hover();
    await modelRow.locator('.action-label[aria-label="Try the Model"]').click();
    const frame = await wb.webview('#predict', 120_000);
    await frame.locator('#predict').click();
    await frame.locator('.bars .bar').first().waitFor({ timeout: 60_000 });
    await wb.page.mouse.move(10, 10);
    await checkAt400(frame, 'try');
  } finally {
    await restoreWidth(wb);
    await wb.runCommand('Pipewise: Focus on Models View');
    await modelRow.hover();
    await modelRow.locator('.action-label[aria-label="Stop Model Server"]').click();
    await status.waitFor({ state: 'hidden', timeout: 30_000 });
  }
});
