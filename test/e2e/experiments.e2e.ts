/**
 * Comparing runs as W&B and MLflow users do (issue 28), in the Experiments panel at 1400×900 and in a
 * 400 px column: four real runs of the penguin pipeline (epochs and hidden units changed); each
 * ticked run's metric drawn with its 95% interval, and a difference inside the noise marked "≈" in
 * the table exactly where the runs' metrics.json intervals overlap (computed here from the files);
 * brushing an axis of the parallel coordinates filters the table to the runs in the range; the
 * scatter plots every shown run; *Export CSV…* writes the table as shown (filter and sort), read
 * back with Python's csv module. A run is renamed, given a note and starred with its row's buttons
 * (the Runs view's commands, answered in VS Code's quick input): the table, `pipewise lineage` and the
 * CSV's starred/name/note columns show them; in the 400 px column a run is unstarred and another
 * given a long name, cut short with its buttons still in the column. Then 200 runs (4 real, 196
 * copies with other parameters and metrics) in a 400 px column: the draw time and each part's are
 * logged, not asserted, and the random forest's importance is drawn beside the correlation.
 * Saves `test-results/screenshots/experiments-*.png`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Frame } from 'playwright-core';
import { Workbench } from './workbench';
import { waitFor } from './codeServer';
import { narrowTo, problems, restoreWidth, usability } from './narrowCheck';
import { oraclePython } from '../python';

let wb: Workbench;
const CLI = path.resolve(__dirname, '../../bin/pipewise.js');

interface RunRecord {
  id: string;
  startedAt: string;
  stages: { name: string; component: string; artifacts: Record<string, string>; executionId?: string }[];
}

function run(file: string): void {
  const r = spawnSync(process.execPath, [CLI, 'run', file, '--json'], { encoding: 'utf8', cwd: path.dirname(file), timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr);
}

const RUNS = [
  { epochs: 40, units: '[32, 16]' },
  { epochs: 10, units: '[32, 16]' },
  { epochs: 3, units: '[32, 16]' },
  { epochs: 20, units: '[8]' },
];

before(async () => {
  wb = await Workbench.start({ workspace: 'examples/penguins' });
  const file = path.join(wb.workspace, 'penguins.pipeline.yaml');
  const original = fs.readFileSync(file, 'utf8');
  for (const r of RUNS) {
    fs.writeFileSync(file, original.replace('hidden_units: [32, 16], epochs: 40', `hidden_units: ${r.units}, epochs: ${r.epochs}`));
    run(file);
  }
});

after(async () => {
  await wb?.close();
});

function store(): string {
  return path.join(wb.workspace, '.pipewise');
}

function runRecords(): RunRecord[] {
  const dir = path.join(store(), 'metadata', 'runs');
  return fs.readdirSync(dir).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as RunRecord);
}

/** Each run's overall accuracy and interval, from its own metrics.json. */
function accuracyOf(r: RunRecord): { value: number; interval: [number, number] } {
  const folder = r.stages.find((s) => s.component === 'Evaluator')?.artifacts['evaluation'] ?? '';
  const m = JSON.parse(fs.readFileSync(path.join(folder, 'metrics.json'), 'utf8')) as { slices: { slice: object; metrics: Record<string, number>; intervals: Record<string, [number, number]> }[] };
  const overall = m.slices.find((s) => Object.keys(s.slice).length === 0);
  assert.ok(overall?.intervals?.['accuracy'], 'metrics.json carries the accuracy interval');
  return { value: overall.metrics['accuracy'] as number, interval: overall.intervals['accuracy'] };
}

async function openPanel(): Promise<Frame> {
  await wb.openFile('penguins.pipeline.yaml');
  await wb.runCommand('Pipewise: Show Experiments (Runs Compared)');
  return wb.webview('table.experiments tbody tr', 60_000);
}

async function shownRuns(frame: Frame): Promise<string[]> {
  return frame.locator('table.experiments tbody tr:not([hidden])').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset['run'] ?? ''));
}

const RUN_NAME = 'baseline 40 epochs';
const LONG_NAME = 'three epochs only — a quick smoke run to check the pipeline end to end';
/** A comma and quotes: the CSV must quote them. */
const RUN_NOTE = 'best so far, "keep" for the report';

/** The id of the run whose epochs cell reads `epochs`. */
async function runWithEpochs(frame: Frame, epochs: number): Promise<string> {
  const ids = await frame.locator('table.experiments tbody tr').evaluateAll((trs, e) => trs.filter((tr) => tr.querySelector('td[data-key="param:train.epochs"]')?.textContent === String(e)).map((tr) => (tr as HTMLElement).dataset['run'] ?? ''), epochs);
  assert.equal(ids.length, 1, `one run with ${epochs} epochs: ${ids.join(', ')}`);
  return ids[0] as string;
}

/** Types `value` into the quick input a command opened (VS Code's showInputBox), once it shows `title`, and accepts it. */
async function answerInputBox(title: string, value: string): Promise<void> {
  const widget = wb.page.locator('.quick-input-widget');
  const input = widget.locator('.quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  await waitFor(`the input box "${title}"`, async () => ((await widget.locator('.quick-input-title').innerText()).includes(title) ? true : undefined), 10_000, 100);
  await input.fill(value);
  await input.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: 10_000 });
}

/** Drags a brush over axis `index` of the parallel coordinates from its top to `fraction` of the way down. */
async function brushAxis(frame: Frame, index: number, fraction: number): Promise<void> {
  const rule = frame.locator('figure[data-chart="parallel"] svg g.mark-rule.role-mark line').nth(index);
  await rule.scrollIntoViewIfNeeded();
  const box = await rule.boundingBox();
  assert.ok(box, 'the axis is drawn');
  // The frame's coordinates are the page's: Playwright's boundingBox is relative to the main frame.
  await wb.page.mouse.move(box.x - 8, box.y - 6);
  await wb.page.mouse.down();
  await wb.page.mouse.move(box.x + 8, box.y + box.height * fraction, { steps: 8 });
  await wb.page.mouse.up();
}

test('intervals, within-noise marks, brushing, scatter and CSV export at 1400×900', async () => {
  const frame = await openPanel();
  const records = runRecords();
  assert.equal(await frame.locator('table.experiments tbody tr').count(), RUNS.length);
  for (const box of await frame.locator('table.experiments tbody input[type="checkbox"]').all()) await box.check();
  const metric = frame.locator('figure[data-chart="metric"] svg');
  await metric.first().waitFor({ timeout: 60_000 });
  await waitFor('one error bar per run', async () => ((await metric.locator('g.mark-rule.role-mark line').count()) === RUNS.length ? true : undefined), 30_000, 200);

  // The "≈" marks, against our own overlap test on the files' intervals.
  const acc = new Map(records.map((r) => [r.id, accuracyOf(r)]));
  const best = [...acc.entries()].reduce((a, b) => (b[1].value > a[1].value ? b : a));
  for (const r of records) {
    if (r.id === best[0]) continue;
    const mine = acc.get(r.id)!.interval;
    const overlaps = mine[0] <= best[1].interval[1] && best[1].interval[0] <= mine[1];
    const verdict = await frame.locator(`tr[data-run="${r.id}"] td[data-key="accuracy"]`).getAttribute('data-verdict');
    assert.equal(verdict, overlaps ? 'within-noise' : 'behind', `run ${r.id}: accuracy ${acc.get(r.id)!.value} [${mine}] against the best ${best[1].value} [${best[1].interval}]`);
  }
  await wb.screenshot('experiments-intervals');

  // Brushing the epochs axis (the first) from its top to 60% down keeps epochs ≥ 3 + 0.4·37 = 17.8.
  await brushAxis(frame, 0, 0.6);
  const epochsOf = async (id: string) => Number(await frame.locator(`tr[data-run="${id}"] td[data-key="param:train.epochs"]`).innerText());
  await waitFor('the brush to filter the table', async () => ((await frame.locator('.brushes button.brush[data-axis="param:train.epochs"]').count()) === 1 ? true : undefined), 20_000, 200);
  const kept = await shownRuns(frame);
  const keptEpochs = await Promise.all(kept.map(epochsOf));
  await frame.locator('section.parallel').scrollIntoViewIfNeeded();
  await wb.screenshot('experiments-brushed');
  // The chip says the brushed range in epochs; the table keeps exactly the runs inside it.
  const chip = await frame.locator('.brushes button.brush[data-axis="param:train.epochs"]').innerText();
  const [low, high] = (/: ([\d.]+) – ([\d.]+)/.exec(chip) ?? []).slice(1).map(Number) as [number, number];
  assert.ok(low > 3 && low < 40 && high === 40, `a real range from the top of the axis down: ${chip}`);
  const inside = RUNS.map((r) => r.epochs).filter((e) => e >= low && e <= high);
  assert.deepEqual([...keptEpochs].sort((a, b) => a - b), inside.sort((a, b) => a - b), `kept ${kept.join(', ')}; brush ${chip}`);
  assert.ok(inside.length > 0 && inside.length < RUNS.length, 'the brush filtered some runs out');
  assert.equal(await frame.locator('figure[data-chart="parallel"] svg path[aria-label="brush band"]').count(), 1, 'the brush drawn as a band on its axis');

  // The scatter plots the shown runs; then every run once the brush is cleared.
  await frame.locator('select.scatter-x').selectOption('param:train.epochs');
  await frame.locator('select.scatter-y').selectOption('accuracy');
  const points = () => frame.locator('figure[data-chart="scatter"] svg g.mark-symbol path').count();
  await waitFor('a point per shown run', async () => ((await points()) === kept.length ? true : undefined), 20_000, 200);
  await frame.locator('.brushes button.brush.clear').click();
  await waitFor('four points', async () => ((await points()) === RUNS.length ? true : undefined), 20_000, 200);
  await frame.locator('section.scatter').scrollIntoViewIfNeeded();
  await wb.screenshot('experiments-scatter');

  // Rename, note and star the 40-epoch run with its row's buttons: each runs the Runs view's command,
  // whose input box is VS Code's quick input; the table, `pipewise lineage` and the CSV then show them.
  const annotated = await runWithEpochs(frame, 40);
  const runCell = frame.locator(`tr[data-run="${annotated}"] td:nth-child(2)`);
  // Each step waits for the table to show the last: the row is drawn anew, and its buttons move as the name grows.
  await frame.locator(`button[aria-label="Rename run ${annotated}"]`).click();
  await answerInputBox('Rename Run', RUN_NAME);
  await waitFor('the name in the table', async () => ((await runCell.innerText()).includes(RUN_NAME) ? true : undefined), 30_000, 200);
  await frame.locator(`button[aria-label="Edit the note of run ${annotated}"]`).click();
  await answerInputBox('Edit Run Note', RUN_NOTE);
  await waitFor('the note in the table', async () => ((await runCell.locator('.run-label').getAttribute('title'))?.includes(RUN_NOTE) ? true : undefined), 30_000, 200);
  await frame.locator(`button[aria-label="Star run ${annotated}"]`).click();
  let seen = '';
  await waitFor(
    'the name, note and star in the table',
    async () => {
      const text = await runCell.innerText();
      const title = (await runCell.locator('.run-label').getAttribute('title')) ?? '';
      seen = JSON.stringify({ text, title });
      return text.startsWith(`★ ${RUN_NAME} · `) && title.endsWith(`\n\n${RUN_NOTE}`) ? true : undefined;
    },
    30_000,
    200,
  ).catch((e: unknown) => assert.fail(`${String(e)}; the run's cell: ${seen}`));
  assert.equal(await frame.locator(`button[aria-label="Unstar run ${annotated}"]`).getAttribute('aria-pressed'), 'true');
  assert.equal(await frame.locator(`button[aria-label="Edit the note of run ${annotated}"]`).getAttribute('title'), `Note: ${RUN_NOTE}`, 'the note button carries the note');
  assert.equal(await frame.locator('button[aria-pressed="true"].star').count(), 1, 'one run starred');
  const lineage = spawnSync(process.execPath, [CLI, 'lineage', path.join(wb.workspace, 'penguins.pipeline.yaml')], { encoding: 'utf8', cwd: wb.workspace, timeout: 120_000 });
  assert.equal(lineage.status, 0, lineage.stderr);
  const listed = lineage.stdout.split('\n');
  const at = listed.findIndex((l) => l.includes(annotated));
  assert.match(listed[at] ?? '', new RegExp(`^★ .*"${RUN_NAME}"$`), lineage.stdout);
  assert.ok(listed.slice(at + 1, at + 4).some((l) => l.trim() === `note: ${RUN_NOTE}`), lineage.stdout);
  // The filter finds a run by its name.
  await frame.locator('input.filter').fill(RUN_NAME);
  await waitFor('the named run alone', async () => ((await shownRuns(frame)).join() === annotated ? true : undefined), 20_000, 200);
  await frame.locator(`tr[data-run="${annotated}"]`).scrollIntoViewIfNeeded();
  await wb.screenshot('experiments-annotated');

  // CSV: filter to the [32, 16] runs, sort by epochs ascending, export, read back.
  await frame.locator('input.filter').fill('[32, 16]');
  const epochsHeader = frame.locator('th[data-key="param:train.epochs"] button');
  await epochsHeader.click();
  await epochsHeader.click();
  await waitFor('three rows sorted by epochs', async () => {
    const ids = await shownRuns(frame);
    const e = await Promise.all(ids.map(epochsOf));
    return ids.length === 3 && e.join() === '3,10,40' ? true : undefined;
  }, 20_000, 200);
  const table = await shownRuns(frame);
  const out = path.join(wb.workspace, 'experiments-export.csv');
  await frame.locator('button.export').click();
  await wb.answerFileDialog(out);
  await waitFor('the CSV file', async () => (fs.existsSync(out) ? true : undefined), 30_000, 200);
  const read = spawnSync(oraclePython(), ['-c', 'import csv, json, sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline="")))))', out], { encoding: 'utf8' });
  assert.equal(read.status, 0, read.stderr);
  const rows = JSON.parse(read.stdout) as string[][];
  const header = rows[0] ?? [];
  assert.deepEqual(rows.slice(1).map((r) => r[0]), table, 'the CSV rows are the table\'s, in its order');
  const col = header.indexOf('accuracy');
  for (const r of rows.slice(1)) assert.equal(Number(r[col]), acc.get(r[0] ?? '')?.value, 'accuracy in full');
  assert.deepEqual(rows.slice(1).map((r) => r[header.indexOf('train.hidden_units')]), ['[32, 16]', '[32, 16]', '[32, 16]']);
  const [starredCol, nameCol, noteCol] = ['starred', 'name', 'note'].map((c) => header.indexOf(c));
  assert.deepEqual(
    rows.slice(1).map((r) => [r[0], r[starredCol as number], r[nameCol as number], r[noteCol as number]]),
    table.map((id) => (id === annotated ? [id, 'true', RUN_NAME, RUN_NOTE] : [id, 'false', '', ''])),
    'the annotations in the CSV, the note\'s comma and quotes intact',
  );
});

test('the same in a 400 px column, then 200 runs: the draw time is logged', async () => {
  const frame = await openPanel();
  await frame.locator('input.filter').fill('');
  await narrowTo(wb, frame, 400);
  let u = await usability(frame);
  for (const deadline = Date.now() + 15_000; problems(u).length > 0 && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 500));
    u = await usability(frame);
  }
  await wb.screenshot('experiments-narrow');
  assert.deepEqual(problems(u), [], 'experiments at 400 px');
  // In the column: unstar the starred run, give another a long name; the table still fits.
  const starred = await runWithEpochs(frame, 40);
  await frame.locator(`button[aria-label="Unstar run ${starred}"]`).click();
  await waitFor('the star gone', async () => ((await frame.locator(`button[aria-label="Star run ${starred}"]`).getAttribute('aria-pressed')) === 'false' ? true : undefined), 30_000, 200);
  const renamed = await runWithEpochs(frame, 3);
  await frame.locator(`button[aria-label="Rename run ${renamed}"]`).click();
  await answerInputBox('Rename Run', LONG_NAME);
  await waitFor('the long name in the table', async () => ((await frame.locator(`tr[data-run="${renamed}"] .run-label`).innerText()).includes(LONG_NAME.slice(0, 20)) ? true : undefined), 30_000, 200);
  await frame.locator(`button[aria-label="Star run ${renamed}"]`).click();
  const cell = frame.locator(`tr[data-run="${renamed}"] td:nth-child(2)`);
  await waitFor('the long name, starred', async () => ((await cell.locator('.run-label').getAttribute('title'))?.startsWith(`${LONG_NAME} · `) && (await cell.innerText()).startsWith('★') ? true : undefined), 30_000, 200);
  // Cut short with an ellipsis so its buttons stay in the column; the tooltip holds it whole.
  const label = await cell.locator('.run-label').evaluate((el) => ({ cut: el.scrollWidth > el.clientWidth, right: el.getBoundingClientRect().right }));
  assert.ok(label.cut, 'the long name is cut short');
  const buttons = await cell.locator('button').evaluateAll((bs) => bs.map((b) => b.getBoundingClientRect().right));
  assert.ok(Math.max(...buttons) <= 400 + 60, `the row's buttons near the column: ${buttons.join(', ')}`);
  assert.ok((await frame.locator(`tr[data-run="${starred}"] td:nth-child(2)`).innerText()).startsWith(`☆ ${RUN_NAME}`), 'unstarred, the name kept');
  await cell.scrollIntoViewIfNeeded();
  u = await usability(frame);
  await wb.screenshot('experiments-narrow-annotated');
  assert.deepEqual(problems(u), [], 'a long run name at 400 px');
  await brushAxis(frame, 0, 0.6);
  await waitFor('the brush to filter the table', async () => ((await shownRuns(frame)).length < RUNS.length ? true : undefined), 20_000, 200);
  await frame.locator('section.parallel').scrollIntoViewIfNeeded();
  await wb.screenshot('experiments-narrow-brushed');
  await frame.locator('.brushes button.brush.clear').click();

  // 196 more runs: copies of the real ones with other epochs and metrics (their own metrics.json).
  const records = runRecords();
  const execDir = path.join(store(), 'metadata', 'executions');
  for (let k = 0; k < 196; k++) {
    const source = records[k % records.length] as RunRecord;
    const id = `20261201-${String(100000 + k)}-000-copy${String(k).padStart(3, '0')}`;
    const stages = source.stages.map((s) => {
      const execution = s.executionId ? JSON.parse(fs.readFileSync(path.join(execDir, `${s.executionId}.json`), 'utf8')) as { runId: string; stage: string; params: Record<string, unknown> } : undefined;
      const executionId = `${id}-${s.name}`;
      if (execution) {
        execution.runId = id;
        if (s.name === 'train') execution.params = { ...execution.params, epochs: 2 + (k % 60) };
        fs.writeFileSync(path.join(execDir, `${executionId}.json`), JSON.stringify(execution));
      }
      if (s.component !== 'Evaluator') return { ...s, executionId };
      const folder = path.join(store(), 'artifacts', 'evaluate', id, 'evaluation');
      fs.mkdirSync(folder, { recursive: true });
      const m = JSON.parse(fs.readFileSync(path.join(s.artifacts['evaluation'] ?? '', 'metrics.json'), 'utf8')) as { slices: { metrics: Record<string, number>; intervals?: Record<string, [number, number]> }[] };
      const overall = m.slices[0]!;
      const shift = -0.002 * (k % 30);
      overall.metrics['accuracy'] = (overall.metrics['accuracy'] ?? 0) + shift;
      if (overall.intervals?.['accuracy']) overall.intervals['accuracy'] = overall.intervals['accuracy'].map((v) => v + shift) as [number, number];
      fs.writeFileSync(path.join(folder, 'metrics.json'), JSON.stringify(m));
      return { ...s, executionId, artifacts: { ...s.artifacts, evaluation: folder } };
    });
    const startedAt = new Date(Date.parse('2026-12-01T00:00:00Z') + k * 60_000).toISOString();
    fs.writeFileSync(path.join(store(), 'metadata', 'runs', `${id}.json`), JSON.stringify({ ...source, id, startedAt, stages }));
  }
  await openPanel();
  await waitFor('200 rows', async () => ((await frame.locator('table.experiments tbody tr').count()) === 200 ? true : undefined), 60_000, 300);
  await waitFor('the charts drawn', async () => ((await frame.locator('figure[data-chart="parallel"] svg').count()) === 1 ? true : undefined), 60_000, 300);
  await new Promise((r) => setTimeout(r, 1500));
  await waitFor('the panel drawn whole', async () => ((await frame.locator('#app').getAttribute('data-view-ms')) ? true : undefined), 60_000, 300);
  const drawMs = Number(await frame.locator('#app').getAttribute('data-view-ms'));
  const parts = await frame.locator('#app').getAttribute('data-timings');
  // 200 runs are enough for the forest (FOREST_MIN_RUNS): fitted in the worker, drawn beside the correlation.
  await frame.locator('figure[data-chart="forest"] svg').waitFor({ timeout: 120_000 });
  const forestHint = await frame.locator('#forest-hint').innerText();
  assert.match(forestHint, /^A random forest \(\d+ trees, Yggdrasil Decision Forests\) fitted on the parameters of 200 runs/);
  // Ticking 20 runs redraws the metric chart and the curves.
  const boxes = await frame.locator('table.experiments tbody input[type="checkbox"]').all();
  for (const b of boxes.slice(0, 20)) await b.check();
  await new Promise((r) => setTimeout(r, 1500));
  const tickMs = Number(await frame.locator('#app').getAttribute('data-draw-ms'));
  console.log(`experiments, 200 runs in a 400 px column: view → table and every chart drawn in ${drawMs} ms (per part, ms: ${parts}); the 20th tick → metric chart and curves in ${tickMs} ms`);
  console.log(`experiments, 200 runs: ${forestHint}`);
  assert.ok(drawMs > 0 && tickMs > 0, 'both renders reported their time');
  await wb.screenshot('experiments-narrow-200');
  await frame.locator('section.importance').scrollIntoViewIfNeeded();
  await wb.screenshot('experiments-narrow-forest');
  await restoreWidth(wb);
});
