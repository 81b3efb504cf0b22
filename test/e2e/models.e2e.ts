/**
 * Serving as a person does it: after a run of the penguin pipeline (it pushes a blessed version),
 * the Models view lists the model and its version with its accuracy; the row's Start action starts
 * a local server (status bar: its URL), Try the Model opens the form prefilled with a real row,
 * Predict shows the class probabilities and the version that answered — the same class the server
 * gives for those values asked directly — and Stop closes the port. The server logged its
 * requests, and the row's Monitor action opens the monitoring panel on them.
 * Saves `test-results/screenshots/models-view.png` and `try-panel.png` (shown in the README).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Workbench } from './workbench';
import { portOpen } from '../ports';

let wb: Workbench;
const CLI = path.resolve(__dirname, '../../bin/pipewise.js');

before(async () => {
  wb = await Workbench.start({ workspace: 'examples/penguins' });
  const file = path.join(wb.workspace, 'penguins.pipeline.yaml');
  const r = spawnSync(process.execPath, [CLI, 'run', file, '--json'], { encoding: 'utf8', cwd: wb.workspace, timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr);
});

after(async () => {
  await wb?.close();
});

test('the Models view starts a server, the Try panel predicts, Stop closes the port', async () => {
  const base = path.join(wb.workspace, 'serving', 'penguins');
  const version = fs.readdirSync(base).filter((n) => /^\d+$/.test(n)).sort().reverse()[0];
  assert.ok(version, `a pushed version in ${base}`);
  await wb.openFile('penguins.pipeline.yaml');
  await wb.runCommand('Pipewise: Focus on Models View');
  const pane = wb.page.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: /^\s*Models/i }) });
  const modelRow = pane.locator('.monaco-list-row', { has: wb.page.locator('.label-name', { hasText: /^penguins$/ }) }).first();
  await modelRow.waitFor({ state: 'visible', timeout: 60_000 });
  const versionRow = pane.locator('.monaco-list-row', { has: wb.page.locator('.label-name', { hasText: `v${version}` }) }).first();
  await versionRow.waitFor({ state: 'visible', timeout: 30_000 });
  assert.match(await versionRow.innerText(), /accuracy 0\.\d+/);

  // Start, from the row's inline action.
  await modelRow.hover();
  await modelRow.locator('.action-label[aria-label="Start Model Server"]').click();
  const status = wb.page.locator('.statusbar-item', { hasText: `penguins v${version}` }).first();
  await status.waitFor({ state: 'visible', timeout: 180_000 }).catch(async (e: unknown) => {
    await wb.screenshot('models-failure');
    throw new Error(`${String(e)}\nPipewise log:\n${wb.extensionLog().split('\n').slice(-15).join('\n')}`);
  });
  const port = Number(/:(\d+)/.exec(await status.innerText())?.[1]);
  assert.ok(port > 0 && (await portOpen(port)), `the server listens on ${port}`);
  await modelRow.locator('.label-description', { hasText: `serving on :${port}` }).waitFor({ timeout: 30_000 });
  await versionRow.locator('.codicon-play-circle').waitFor({ timeout: 30_000 });
  // Away from the row, so no hover tooltip covers it.
  await wb.page.mouse.move(700, 450);
  await wb.page.locator('.monaco-hover').first().waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
  await wb.screenshot('models-view');

  // Try it.
  await modelRow.hover();
  await modelRow.locator('.action-label[aria-label="Try the Model"]').click();
  const panel = await wb.webview('#predict', 120_000);
  assert.equal(await panel.locator('select#f-island option').count(), 4, 'island: (missing) and the schema\'s three islands');
  assert.match(await panel.locator('#f-bill_length_mm-hint').innerText(), /trained on \d/);
  await panel.locator('#predict').click();
  await panel.locator('.bars .bar').first().waitFor({ timeout: 60_000 });
  await wb.page.mouse.move(700, 450);
  const shown = (await panel.locator('.prediction .value').innerText()).trim();
  assert.match(await panel.locator('.answer').innerText(), new RegExp(`answered by version ${version}`));

  // The oracle: the form's values sent straight to the server.
  const instance: Record<string, unknown> = {};
  for (const el of await panel.locator('.field input, .field select').all()) {
    const name = (await el.getAttribute('name')) ?? '';
    const value = await el.inputValue();
    const type = await el.getAttribute('type');
    instance[name] = value === '' || value === '\u0000missing' ? null : type === 'number' ? Number(value) : value;
  }
  const res = await fetch(`http://127.0.0.1:${port}/v1/models/penguins:predict`, { method: 'POST', body: JSON.stringify({ instances: [instance] }) });
  const direct = (await res.json()) as { predictions: { prediction: string }[] };
  assert.equal(shown, direct.predictions[0]?.prediction);
  await wb.screenshot('try-panel');

  // Stop, from the row.
  await modelRow.hover();
  await modelRow.locator('.action-label[aria-label="Stop Model Server"]').click();
  await status.waitFor({ state: 'hidden', timeout: 30_000 });
  assert.equal(await portOpen(port), false, 'the port is closed');

  // The server logged what it answered beside the pipeline (two predictions: the panel's and the
  // direct one); the row's Monitor action opens the monitoring panel on exactly those.
  await modelRow.hover();
  await modelRow.locator('.action-label[aria-label="Monitor Served Requests"]').click();
  const monitor = await wb.webview('table.skew tbody tr[data-feature]', 180_000);
  assert.match(await monitor.locator('.window').innerText(), /· 2 requests$/);
  assert.equal(fs.existsSync(path.join(wb.workspace, 'requests', 'penguins')), true, 'the log is in requests/penguins beside the pipeline');
});
