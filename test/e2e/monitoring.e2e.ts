/**
 * A person watching a served model: after the penguins pipeline ran and `pipewise serve --log-dir
 * requests` answered 200 requests like the training data and 200 shifted ones, "Pipewise: Open
 * Monitoring" (the pipeline found by itself, the `requests` folder offered by the folder picker)
 * opens the panel beside the pipeline: the shifted features flagged first, the distance over time,
 * and a click on bill_length_mm overlays its training and serving distributions.
 * Saves `test-results/screenshots/monitoring-panel.png` (shown in the README).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { formatNumber } from '../../src/core/format';
import { Workbench } from './workbench';
import { buildRequestLog, monitorJson, SHIFTED } from './requestLog';

let wb: Workbench;
const CLI = path.resolve(__dirname, '../../bin/pipewise.js');

before(async () => {
  wb = await Workbench.start({ workspace: 'examples/penguins', settings: { 'pipewise.panels.location': 'beside' } });
  await buildRequestLog(CLI, path.join(wb.workspace, 'penguins.pipeline.yaml'), path.join(wb.workspace, 'data', 'penguins.csv'), path.join(wb.workspace, 'requests'));
});

after(async () => {
  await wb?.close();
});

test('Open Monitoring shows the shifted features flagged, the distance over time, and a feature\'s training vs serving overlay', async () => {
  const expected = (await monitorJson(CLI, path.join(wb.workspace, 'penguins.pipeline.yaml'), path.join(wb.workspace, 'requests'))).json;
  await wb.openFile('penguins.pipeline.yaml');
  await wb.runCommand('Pipewise: Open Monitoring');
  // The folder picker opens at the `requests` folder it found: accept it.
  const input = wb.page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  for (let i = 0; i < 100 && !/requests\/?$/.test(await input.inputValue()); i++) await new Promise((r) => setTimeout(r, 200));
  assert.match(await input.inputValue(), /requests\/?$/, 'the picker starts at the requests folder');
  await wb.page.keyboard.press('Enter');
  const panel = await wb.webview('table.skew tbody tr[data-feature]', 180_000);
  // The requests were sent within minutes: usually one hour, one window — then a line, not a page of
  // one-dot charts (issue 27 item 10); a chart when the sending crossed an hour.
  const hourly = (await monitorJson(CLI, path.join(wb.workspace, 'penguins.pipeline.yaml'), path.join(wb.workspace, 'requests'), ['--by', 'hour'])).json as unknown as unknown[];
  if (hourly.length < 2) {
    await panel.locator('.overtime p.single').waitFor({ timeout: 120_000 });
    assert.equal(await panel.locator('.overtime svg').count(), 0, 'no chart of single dots');
  } else await panel.locator('.overtime svg').first().waitFor({ timeout: 120_000 });
  const window = await panel.locator('.window').innerText();
  assert.match(window, /400 requests/);
  const flagged = await panel.locator('table.skew tbody tr.exceeded').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset['feature']));
  assert.deepEqual([...flagged].sort(), SHIFTED);
  assert.deepEqual(expected.features.filter((f) => f.anomalous).map((f) => f.name).sort(), SHIFTED);
  const firstTwo = await panel.locator('table.skew tbody tr').evaluateAll((trs) => trs.slice(0, 2).map((tr) => (tr as HTMLElement).dataset['feature']));
  assert.deepEqual([...firstTwo].sort(), SHIFTED, 'anomalies are sorted first');
  const shown = await panel.locator('table.skew tbody tr[data-feature="bill_length_mm"] td.num').first().innerText();
  assert.equal(shown, formatNumber(expected.features.find((f) => f.name === 'bill_length_mm')?.distance));
  assert.equal(await panel.locator('li.anomaly').count(), expected.anomalies.length);
  await wb.screenshot('monitoring-table');

  await panel.locator('table.skew tbody tr[data-feature="bill_length_mm"]').click();
  await panel.locator('section.overlay h2', { hasText: 'bill_length_mm' }).waitFor({ timeout: 60_000 });
  await panel.locator('section.overlay figure[data-chart="Overlaid"] svg').waitFor({ timeout: 60_000 });
  const legend = await panel.locator('section.overlay figure[data-chart="Overlaid"] svg').innerHTML();
  assert.match(legend, /training/);
  assert.match(legend, /serving/);
  await wb.screenshot('monitoring-panel');

  // The toggle recomputes the windows by day (one day: one window, as `--by day` says).
  const daily = (await monitorJson(CLI, path.join(wb.workspace, 'penguins.pipeline.yaml'), path.join(wb.workspace, 'requests'), ['--by', 'day'])).json as unknown as unknown[];
  await panel.locator('button[data-by="day"]').click();
  await panel.locator('section.overtimesection h2', { hasText: `Distance by day (${daily.length} window` }).waitFor({ timeout: 60_000 });
  if (daily.length < 2) {
    // One window: a line saying so, not one one-dot chart per feature (a 4,000 px page).
    await panel.locator('section.overtimesection p.single').waitFor({ timeout: 60_000 });
    assert.equal(await panel.locator('section.overtimesection svg').count(), 0, 'no chart of single dots');
    const height = await panel.locator('section.overtimesection').evaluate((e) => e.getBoundingClientRect().height);
    assert.ok(height < 200, `the section is ${height} px tall`);
  } else await panel.locator('section.overtimesection svg').first().waitFor({ timeout: 60_000 });
});
