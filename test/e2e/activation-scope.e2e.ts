/**
 * Pipewise starts only where it has something to do. In a folder holding a YAML file that is not a
 * pipeline and a plain Jupyter notebook, opening both leaves it asleep (no `onLanguage:yaml`, no
 * `onNotebook:jupyter-notebook`); the first thing that starts it is one of its own commands, which
 * VS Code infers from the manifest's commands, and the extension host's log names that command.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EXTENSION_ID, Workbench } from './workbench';

let wb: Workbench;

before(async () => {
  wb = await Workbench.start({ workspace: 'test/fixtures/no-pipeline', waitForExtension: false });
});

after(async () => {
  await wb?.close();
});

test('a YAML file and a notebook that are not Pipewise\'s leave it asleep; its own command starts it', async () => {
  await wb.openFile('settings.yaml');
  assert.match(await wb.activeEditorText(), /retries/);
  await wb.openFile('analysis.ipynb');
  await wb.page.locator('.notebook-editor').first().waitFor({ state: 'visible', timeout: 30_000 });
  await wb.runCommand('Pipewise: Show Log');
  await wb.waitForExtensionActive();
  const activations = wb.hostLog().split('\n').filter((l) => l.includes(`_doActivateExtension ${EXTENSION_ID}`));
  assert.equal(activations.length, 1, activations.join('\n'));
  assert.match(activations[0]!, /activationEvent: 'onCommand:pipewise\.showLog'/, 'the first activation came from the command, not from opening the YAML file or the notebook');
});
