/**
 * Panels place themselves predictably (issue 11, item 4): a pipeline's graph opens beside its file
 * and every graph shares that one column; data panels open as tabs in the active group, one per
 * source (asked again, the open one is revealed); `pipewise.panels.location: beside` puts them in the
 * group beside instead. Read from VS Code's own tab groups.
 */
import * as assert from 'node:assert/strict';
import path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'pipewise.pipewise';

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; tabs: ${JSON.stringify(tabsShown())}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every group's column and tab labels: what the user sees, for messages. */
function tabsShown(): string[] {
  return vscode.window.tabGroups.all.map((g) => `${g.viewColumn}${g.isActive ? '*' : ''}: ${g.tabs.map((t) => t.label).join(', ')}`);
}

/** The column of the (single) tab whose label matches. */
function columnOf(label: RegExp): vscode.ViewColumn | undefined {
  const found = vscode.window.tabGroups.all.flatMap((g) => g.tabs.filter((t) => label.test(t.label)).map(() => g.viewColumn));
  return found.length === 1 ? found[0] : undefined;
}

function count(label: RegExp): number {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => label.test(t.label)).length;
}

suite('placement', () => {
  let root = '';

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    await ext.activate();
    root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    assert.ok(root);
  });

  teardown(async () => {
    await vscode.workspace.getConfiguration('pipewise').update('panels.location', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('graphs open beside their file in one shared column; data panels open in the active group, once per source', async function () {
    this.timeout(120_000);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const penguins = vscode.Uri.file(path.join(root, 'penguins', 'penguins.pipeline.yaml'));
    const weather = vscode.Uri.file(path.join(root, 'weather', 'weather.pipeline.yaml'));
    const csv = vscode.Uri.file(path.join(root, 'penguins', 'data', 'penguins.csv'));

    await vscode.window.showTextDocument(penguins, { viewColumn: vscode.ViewColumn.One });
    await vscode.commands.executeCommand('pipewise.showGraph', penguins);
    assert.equal(await waitFor('the penguins graph', () => columnOf(/^Graph: penguins$/)), vscode.ViewColumn.Two, 'the graph beside its file');
    assert.equal(vscode.window.tabGroups.activeTabGroup.viewColumn, vscode.ViewColumn.One, 'the file keeps the focus');

    await vscode.commands.executeCommand('pipewise.previewStatistics', csv);
    assert.equal(await waitFor('the statistics tab', () => columnOf(/^Statistics: /)), vscode.ViewColumn.One, 'statistics in the active group');
    await vscode.commands.executeCommand('pipewise.previewStatistics', csv);
    assert.equal(count(/^Statistics: /), 1, 'asked again, the open panel is revealed');

    // A second pipeline's graph: into the graph column, not a third one.
    await vscode.window.showTextDocument(weather, { viewColumn: vscode.ViewColumn.One });
    await vscode.commands.executeCommand('pipewise.showGraph', weather);
    assert.equal(await waitFor('the weather graph', () => columnOf(/^Graph: weather$/)), vscode.ViewColumn.Two, 'graphs share one column');
    assert.equal(vscode.window.tabGroups.all.length, 2, `two columns: ${tabsShown().join(' | ')}`);

    // The setting: data panels beside the active group instead.
    await vscode.workspace.getConfiguration('pipewise').update('panels.location', 'beside', vscode.ConfigurationTarget.Global);
    await vscode.window.showTextDocument(penguins, { viewColumn: vscode.ViewColumn.One });
    await vscode.commands.executeCommand('pipewise.previewData', csv);
    const data = await waitFor('the data tab', () => columnOf(/^Data: /));
    assert.notEqual(data, vscode.ViewColumn.One, `with location "beside" the panel is not in the active group: ${tabsShown().join(' | ')}`);
  });
});
