/**
 * A person watching two served versions (issue 29): the penguins pipeline's training statistics
 * (run by the CLI up to SchemaGen), a request log written by the real log writer with version 1
 * drawn like the training data and mostly right, and version 2 seeing only Torgersen and mostly
 * wrong, and a `labels.csv` dropped into the log folder once the truth was known. "Pipewise: Open
 * Monitoring" must show, per version, the skew it has on its own and its accuracy against the
 * Evaluator's `accuracy ≥ 0.9`, with the figures of `pipewise monitor --labels --json` (the CLI is
 * the independent path), the quality over time per version as a chart, and warn once that the
 * requests turned anomalous, offering *Open Monitoring*.
 * Saves `test-results/screenshots/monitoring-versions.png` (judged at 1400×900, shown in the README).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatNumber } from '../../src/core/format';
import { runCli } from '../worker/serve-helpers';
import { writeTwoVersionLog } from '../worker/monitor-helpers';
import { Workbench } from './workbench';

let wb: Workbench;
const CLI = path.resolve(__dirname, '../../bin/pipewise.js');

interface VersionOut {
  version: number;
  requests: number;
  features: { name: string; anomalous: boolean }[];
}
interface QualityOut {
  versions: { version: number; labelled: number; passed: boolean | null; metrics: Record<string, number> }[];
}

before(async () => {
  wb = await Workbench.start({ workspace: 'examples/penguins', settings: { 'pipewise.panels.location': 'beside' } });
  const file = path.join(wb.workspace, 'penguins.pipeline.yaml');
  const r = await runCli(CLI, ['run', file, '--only', 'schema'], wb.workspace, 300_000);
  assert.equal(r.code, 0, r.stderr);
  const logDir = path.join(wb.workspace, 'requests');
  // Four hours of traffic (one request a minute per version): the quality chart has a line per version.
  const sent = await writeTwoVersionLog(logDir, Date.parse('2026-12-06T10:00:00Z'), 200, 72_000);
  const labelled = sent.filter((_, i) => i % 10 !== 3);
  writeFileSync(path.join(logDir, 'labels.csv'), ['request_id,instance,species', ...labelled.map((s) => `${s.requestId},${s.instance},${s.species}`)].join('\n'));
});

after(async () => {
  await wb?.close();
});

test('the monitoring panel shows skew and quality per version, quality over time, and warns once', async () => {
  const file = path.join(wb.workspace, 'penguins.pipeline.yaml');
  const logDir = path.join(wb.workspace, 'requests');
  const cli = await runCli(CLI, ['monitor', file, '--log', logDir, '--labels', path.join(logDir, 'labels.csv'), '--every', 'hour', '--json'], wb.workspace, 300_000);
  assert.equal(cli.code, 1, cli.stderr);
  const expected = JSON.parse(cli.stdout) as { versions: VersionOut[]; quality: QualityOut };
  assert.deepEqual(expected.quality.versions.map((v) => [v.version, v.passed]), [[1, true], [2, false]]);

  await wb.openFile('penguins.pipeline.yaml');
  await wb.runCommand('Pipewise: Open Monitoring');
  const input = wb.page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  for (let i = 0; i < 100 && !/requests\/?$/.test(await input.inputValue()); i++) await new Promise((r) => setTimeout(r, 200));
  await wb.page.keyboard.press('Enter');
  const panel = await wb.webview('table.versions tbody tr[data-version]', 180_000);
  // Turned anomalous: one warning, with a way back to the panel. Headless, the workbench files it in
  // the notification centre rather than as a toast: read it there.
  await wb.runCommand('Notifications: Show Notifications');
  const center = wb.page.locator('.notifications-center .notification-list-item', { hasText: 'are anomalous' });
  await center.first().waitFor({ state: 'visible', timeout: 60_000 });
  assert.equal(await center.count(), 1, 'warned once');
  const toast = await center.first().innerText();
  assert.match(toast, /version 2 quality: accuracy/);

  const rows = await panel.locator('table.versions tbody tr').evaluateAll((trs) =>
    trs.map((tr) => {
      const d = (tr as HTMLElement).dataset;
      return { version: Number(d['version']), requests: Number(d['requests']), flagged: d['flagged'], labelled: Number(d['labelled']), quality: d['quality'], alert: tr.classList.contains('exceeded'), cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '') };
    }),
  );
  assert.deepEqual(rows.map((r) => r.version), [1, 2]);
  for (const row of rows) {
    const v = expected.versions.find((x) => x.version === row.version) as VersionOut;
    const q = expected.quality.versions.find((x) => x.version === row.version);
    assert.equal(row.requests, v.requests);
    assert.equal(row.flagged, v.features.filter((f) => f.anomalous).map((f) => f.name).join(','));
    assert.equal(row.labelled, q?.labelled);
    assert.equal(row.cells[4], formatNumber(q?.metrics.accuracy ?? null), 'accuracy as the CLI measured it');
  }
  assert.deepEqual(rows.map((r) => [r.quality, r.alert]), [['passed', false], ['failed', true]], 'version 2 only is flagged');
  assert.match(rows[1]?.flagged ?? '', /island/);

  // Quality over time: a line per version, the threshold dashed.
  await panel.locator('section.qualitysection .quality svg').waitFor({ timeout: 60_000 });
  const legend = await panel.locator('section.qualitysection .quality svg').innerHTML();
  assert.match(legend, /v1/);
  assert.match(legend, /v2/);
  const box = await panel.locator('section.qualitysection .quality svg').evaluate((e) => e.getBoundingClientRect());
  assert.ok(box.width > 300 && box.height > 120, `the chart is ${box.width}×${box.height}`);
  assert.match(await panel.locator('p.qualitysource').innerText(), /labels\.csv — \d+ labels, \d+ joined/);

  assert.match(toast, /Open Monitoring/);
  await wb.runCommand('Notifications: Clear All Notifications');
  await wb.page.keyboard.press('Escape');
  await wb.screenshot('monitoring-versions');
});
