/**
 * A person exports the penguin pipeline to Kubeflow Pipelines from the graph's toolbar: Export…,
 * accept the image name offered, and the exported YAML opens; the files are written beside it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { Workbench } from './workbench';

let wb: Workbench;

before(async () => {
  wb = await Workbench.start({ workspace: 'examples/penguins' });
});

after(async () => {
  await wb?.close();
});

test("the graph's Export… button asks for the image, writes the Kubeflow Pipelines file and opens it", async () => {
  await wb.openFile('penguins.pipeline.yaml');
  await wb.runCommand('Pipewise: Show Pipeline Graph');
  await wb.clickInWebview('#export:not([disabled])', 60_000);
  const input = wb.page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  assert.equal(await input.inputValue(), 'pipewise-penguins:latest', 'the image name offered');
  await input.fill('registry.example/penguins:2');
  await input.press('Enter');
  const tab = wb.page.locator('.tabs-container .tab', { hasText: 'penguins.kfp.yaml' });
  await tab.first().waitFor({ state: 'visible', timeout: 120_000 });
  assert.match((await wb.activeEditorText()).replace(/\u00a0/g, ' '), /# PIPELINE DEFINITION\n# Name: penguins/);
  const out = path.join(wb.workspace, 'penguins.kfp.yaml');
  const doc = parse(fs.readFileSync(out, 'utf8'));
  assert.equal(doc.schemaVersion, '2.1.0');
  assert.equal(doc.deploymentSpec.executors['exec-examples'].container.image, 'registry.example/penguins:2');
  assert.ok(fs.existsSync(path.join(wb.workspace, 'Dockerfile')));
  await wb.screenshot('export-kfp');
});
