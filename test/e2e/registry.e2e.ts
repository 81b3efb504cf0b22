/**
 * The model registry as a person uses it, in the Models view at 1400×900: after a run of the
 * penguin pipeline (it pushes a version) and a second version beside it, with `champion` set on the
 * older one by the CLI, the view shows the alias on its version (and a star); the ☆ action on the
 * newer version promotes it (the alias file says so), the ↺ action on the new champion rolls back.
 * Saves `test-results/screenshots/registry-models-view.png` (after the promotion) and
 * `registry-rolled-back.png`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Workbench } from './workbench';

let wb: Workbench;
const CLI = path.resolve(__dirname, '../../bin/pipewise.js');
let base = '';
let older = '';
let newer = '';

before(async () => {
  wb = await Workbench.start({ workspace: 'examples/penguins' });
  const file = path.join(wb.workspace, 'penguins.pipeline.yaml');
  const r = spawnSync(process.execPath, [CLI, 'run', file, '--json'], { encoding: 'utf8', cwd: wb.workspace, timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr);
  base = path.join(wb.workspace, 'serving', 'penguins');
  older = fs.readdirSync(base).filter((n) => /^\d+$/.test(n)).sort().reverse()[0] ?? '';
  assert.ok(older, `a pushed version in ${base}`);
  newer = String(Number(older) + 1);
  fs.cpSync(path.join(base, older), path.join(base, newer), { recursive: true });
  const alias = spawnSync(process.execPath, [CLI, 'model', 'alias', base, older, 'champion'], { encoding: 'utf8' });
  assert.equal(alias.status, 0, alias.stderr);
});

after(async () => {
  await wb?.close();
});

const champion = (): number | undefined => (JSON.parse(fs.readFileSync(path.join(base, 'aliases.json'), 'utf8')) as { aliases: Record<string, number> }).aliases.champion;

test('the Models view shows the aliases; Promote to Champion and Roll Back are one click each', async () => {
  await wb.openFile('penguins.pipeline.yaml');
  await wb.runCommand('Pipewise: Focus on Models View');
  const pane = wb.page.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: /^\s*Models/i }) });
  const row = (version: string) => pane.locator('.monaco-list-row', { has: wb.page.locator('.label-name', { hasText: `v${version}` }) }).first();
  await row(older).waitFor({ state: 'visible', timeout: 60_000 });
  await row(older).locator('.label-description', { hasText: /^champion · accuracy/ }).waitFor({ timeout: 30_000 });
  assert.doesNotMatch(await row(newer).innerText(), /champion/);

  // Promote the newer version: its row's inline action.
  await row(newer).hover();
  await row(newer).locator('.action-label[aria-label="Promote to Champion"]').click();
  await row(newer).locator('.label-description', { hasText: /^champion · / }).waitFor({ timeout: 30_000 });
  assert.equal(champion(), Number(newer), 'the alias file names the promoted version');
  await row(newer).locator('.codicon-star-full').waitFor({ timeout: 10_000 });
  assert.doesNotMatch(await row(older).innerText(), /champion/, 'the alias moved off the older version');
  await wb.page.mouse.move(700, 450);
  await wb.page.locator('.monaco-hover').first().waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
  await wb.screenshot('registry-models-view');

  // Roll back, from the new champion's row.
  await row(newer).hover();
  await row(newer).locator('.action-label[aria-label="Roll Back Champion"]').click();
  await row(older).locator('.label-description', { hasText: /^champion · / }).waitFor({ timeout: 30_000 });
  assert.equal(champion(), Number(older), 'rolled back to the previous champion');
  await wb.page.mouse.move(700, 450);
  await wb.screenshot('registry-rolled-back');
});
