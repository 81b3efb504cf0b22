/**
 * A person's first step: open a folder holding a pipeline in VS Code with the packaged extension
 * installed; the extension activates and the pipeline opens from the explorer.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Workbench } from './workbench';

let wb: Workbench;

before(async () => {
  // start() waits until "Developer: Show Running Extensions" lists Pipewise.
  wb = await Workbench.start({ workspace: 'examples/penguins' });
});

after(async () => {
  await wb?.close();
});

test('the installed VSIX activates when the workspace holds a pipeline', async () => {
  // start() already waited for the activation in the logs; now see it as a person would.
  const { text } = await wb.runningExtensionRow();
  assert.match(text, /Activation: \d+ms/, `Pipewise's row shows an activation time: ${text}`);
  // Activated by itself at start-up (the workspace holds a *.pipeline.yaml), not by a command.
  assert.match(wb.hostLog(), /_doActivateExtension pipewise\.pipewise, startup: true, activationEvent: '[^']+'/);
  await wb.screenshot('running-extensions');
  await wb.page.keyboard.press('Escape'); // the Running Extensions editor opens as a modal
});

test('activation logs no error: zod, configured jitless, never probes the host\'s navigator getter', () => {
  // VS Code's extension host defines `navigator` as a getter that logs a PendingMigrationError; zod's
  // JIT probe read it once per activation.
  const host = wb.hostLog();
  assert.doesNotMatch(host, /PendingMigrationError|navigator is now a global/, host.split('\n').filter((l) => /navigator/.test(l)).join('\n'));
  const ms = wb.activationMs();
  assert.ok(ms !== undefined && ms >= 0, `activation took ${ms} ms by the logs' timestamps`);
  console.log(`# activation: ${ms} ms from _doActivateExtension to "Pipewise activated"`);
});

test('the pipeline opens from the explorer', async () => {
  await wb.openFile('penguins.pipeline.yaml');
  const editorText = await wb.activeEditorText();
  assert.match(editorText, /pipeline|components|ExampleGen/i);
  await wb.screenshot('pipeline-open');
});
