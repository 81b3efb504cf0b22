/**
 * A person's path through the data panels in a real VS Code in Chromium: right-click a CSV in the
 * explorer, choose "Preview Dataset Statistics", see the overview table, click a feature,
 * see its detail charts (drawn by Vega under the panel's strict CSP), and a SQL error shown inline.
 */
import { after, before, test } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { Workbench } from './workbench';
import { waitFor } from './codeServer';

let wb: Workbench;

before(async () => {
  wb = await Workbench.start({ workspace: 'examples/penguins' });
});

after(async () => {
  await wb?.close();
});

test('statistics panel from the explorer: overview, then a feature\'s detail charts', async () => {
  await wb.showExplorer();
  const folder = wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^data$/ }).first();
  await folder.click();
  const file = wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'penguins.csv' }).first();
  await file.waitFor({ state: 'visible', timeout: 20_000 });
  await wb.contextMenu(file, 'Preview Dataset Statistics');

  const frame = await wb.webview('tr[data-feature="body_mass_g"]', 90_000).catch(async (e: unknown) => {
    await wb.screenshot('statistics-failure');
    throw e;
  });
  // The exact figures replace any sample: wait until the status line gives the row count.
  await waitFor('the statistics panel to finish', async () => ((await frame.locator('.status').innerText()).includes('344 rows') ? true : undefined), 60_000);
  const rows = await frame.locator('section.numeric tbody tr').count();
  assert.equal(rows, 5, 'five numeric features');
  assert.equal(await frame.locator('section.categorical tbody tr').count(), 3, 'three categorical features');
  // The missing bars of sex (11 of 344, 3.2 %) stay below the default 5 % alert line.
  assert.equal(await frame.locator('tr[data-feature="sex"] .missing.alert').count(), 0);

  await frame.locator('tr[data-feature="body_mass_g"]').click();
  // Four charts: equal-width histogram, quantiles, top values, missing share; Vega draws SVG marks.
  await waitFor('the detail charts to draw', async () => ((await frame.locator('.detail figure svg .mark-rect path, .detail figure svg .mark-rect').count()) >= 4 ? true : undefined), 30_000);
  const captions = await frame.locator('.detail figcaption').allInnerTexts();
  assert.deepEqual(captions.map((c) => c.split(' (')[0]?.replace(/\d+/, 'N')), ['Histogram', 'Quantiles', 'Top N values', 'Missing share']);
  await frame.locator('button.toggle', { hasText: 'Log scale' }).click();
  await waitFor('log scale on', async () => ((await frame.locator('button.toggle[aria-pressed="true"]').count()) === 1 ? true : undefined), 10_000);
  await wb.screenshot('statistics-detail');
  // No CSP violations or script errors were reported by the webview.
  assert.doesNotMatch(wb.extensionLog(), /\[panel [^\]]*\] .*(Refused|EvalError|unsafe-eval)/);
});

test('after a reload the statistics panel comes back with the selected feature', async () => {
  await wb.runCommand('Developer: Reload Window');
  await wb.waitForWorkbench();
  const frame = await wb.webview('tr[data-feature="body_mass_g"].selected', 60_000);
  await waitFor('the restored panel to redraw the detail', async () => ((await frame.locator('.detail figure svg').count()) >= 4 ? true : undefined), 60_000);
});

test('data preview and SQL box: an error shows inline with its position, the next query works', async () => {
  // With a data file in the active editor, the command takes that file.
  await wb.openFile('data/penguins.csv');
  await wb.runCommand('Pipewise: Preview Data and Query with SQL');
  const frame = await wb.webview('textarea.sql', 60_000).catch(async (e: unknown) => {
    await wb.screenshot('data-preview-failure');
    throw e;
  });
  await waitFor('rows in the grid', async () => ((await frame.locator('.viewport tbody tr td.num').count()) > 0 ? true : undefined), 30_000);
  assert.ok((await frame.locator('.viewport .null').count()) > 0, 'NA cells show as null');
  await frame.locator('textarea.sql').fill('SELECT species, count(*) AS n FROM data GROUP BYY species');
  await frame.locator('textarea.sql').press('Control+Enter');
  const err = frame.locator('.sqlerror');
  await err.waitFor({ state: 'visible', timeout: 20_000 });
  assert.match(await err.innerText(), /line 1, column \d+/);
  await frame.locator('textarea.sql').fill('SELECT species, count(*) AS n FROM data GROUP BY species ORDER BY n DESC');
  await frame.locator('textarea.sql').press('Control+Enter');
  await waitFor('the query result', async () => ((await frame.locator('.sqlresult tbody tr').count()) === 3 ? true : undefined), 20_000);
  await waitFor('the result chart', async () => ((await frame.locator('.sqlresult .chart svg').count()) > 0 ? true : undefined), 20_000);
  await wb.screenshot('data-preview-sql');
});

test('schema and anomalies: validate against the data, then a quick fix makes the anomaly go away', async () => {
  const schema = {
    feature: [
      { name: 'species', type: 'BYTES', stringDomain: { value: ['Adelie', 'Chinstrap'] }, presence: { minFraction: 1 } },
      { name: 'island', type: 'BYTES', presence: { minFraction: 1 } },
      { name: 'bill_length_mm', type: 'FLOAT' },
      { name: 'bill_depth_mm', type: 'FLOAT' },
      { name: 'flipper_length_mm', type: 'INT' },
      { name: 'body_mass_g', type: 'INT', intDomain: { min: 3000, max: 6000 } },
      { name: 'sex', type: 'BYTES', presence: { minFraction: 1 } },
      { name: 'year', type: 'INT' },
    ],
  };
  const file = path.join(wb.workspace, 'schema.json');
  fs.writeFileSync(file, JSON.stringify(schema, null, 2));
  await wb.showExplorer();
  const row = wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^schema\.json$/ }).first();
  await row.waitFor({ state: 'visible', timeout: 20_000 });
  await wb.contextMenu(row, 'Open Schema and Anomalies');
  const frame = await wb.webview('.schemaview button.secondary', 60_000).catch(async (e: unknown) => {
    await wb.screenshot('schema-failure');
    throw e;
  });
  await frame.locator('button', { hasText: 'Validate against a dataset' }).click();
  // VS Code's own file dialog (the simple one, in a browser): type the path and accept.
  await wb.answerFileDialog(path.join(wb.workspace, 'data', 'penguins.csv'));
  await waitFor('the anomalies', async () => ((await frame.locator('li.anomaly').count()) >= 3 ? true : undefined), 60_000).catch(async (e: unknown) => {
    await wb.screenshot('schema-failure');
    throw e;
  });
  const features = await frame.locator('li.anomaly').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset['feature']));
  assert.deepEqual([...features].sort(), ['body_mass_g', 'sex', 'species']);
  await wb.screenshot('schema-anomalies');
  await frame.locator('li.anomaly[data-feature="species"] button.fix').first().click();
  await waitFor('the species anomaly to go away', async () => ((await frame.locator('li.anomaly[data-feature="species"]').count()) === 0 ? true : undefined), 30_000);
  const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof schema;
  assert.deepEqual(saved.feature[0]?.stringDomain?.value, ['Adelie', 'Chinstrap', 'Gentoo']);
});

test('compare two files selected in the explorer: weather drifts from 2012–13 to 2014–15', async () => {
  const lines = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'seattle-weather.csv'), 'utf8').trim().split('\n');
  const [header, ...rows] = lines;
  const write = (name: string, keep: (year: number) => boolean) =>
    fs.writeFileSync(path.join(wb.workspace, name), [header, ...rows.filter((r) => keep(Number(r.slice(0, 4))))].join('\n') + '\n');
  write('weather-2012-13.csv', (y) => y <= 2013);
  write('weather-2014-15.csv', (y) => y >= 2014);
  await wb.showExplorer();
  const first = wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'weather-2012-13.csv' }).first();
  const second = wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'weather-2014-15.csv' }).first();
  await second.waitFor({ state: 'visible', timeout: 20_000 });
  await wb.contextMenu(second, 'Compare Datasets (Drift and Skew)', async () => {
    await first.click();
    await second.click({ modifiers: ['Control'] });
  });
  const frame = await wb.webview('tr.exceeded[data-feature="weather"]', 60_000);
  assert.deepEqual(await frame.locator('tr.exceeded').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset['feature'])), ['weather']);
  await waitFor('the overlaid value shares', async () => ((await frame.locator('.detail figure svg').count()) >= 1 ? true : undefined), 30_000);
  await wb.screenshot('compare-drift');
});
