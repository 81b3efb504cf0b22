/**
 * Writing a pipeline as a new user does, in a real VS Code: a path parameter naming a file that is
 * not there gets a warning before any run (globs only when they match nothing); deleting an input's
 * reference gives one diagnostic, not two; completion inside `inputs: { … }` offers the inputs, not
 * whole-block snippets (those come where a stage name is written); every command is titled with the
 * Pipewise category.
 */
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { PipewiseContext } from '../../../src/extension/context';

const EXTENSION_ID = 'pipewise.pipewise';

function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the host tests need a workspace folder');
  return folder.uri.fsPath;
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    last = v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function pipewiseDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'pipewise');
}

/** Writes `text` as a pipeline file in its own folder of the workspace and opens it. */
async function openPipeline(name: string, text: string, files: Record<string, string> = {}): Promise<{ uri: vscode.Uri; doc: vscode.TextDocument; dir: string }> {
  const dir = path.join(workspaceRoot(), `authoring-${name}-${process.pid}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), content);
  }
  const file = path.join(dir, `${name}.pipeline.yaml`);
  fs.writeFileSync(file, text);
  const uri = vscode.Uri.file(file);
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc);
  return { uri, doc, dir };
}

suite('authoring', () => {
  suiteSetup(async function () {
    this.timeout(60_000);
    const ext = vscode.extensions.getExtension<PipewiseContext>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    await ext.activate();
  });

  teardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('a path parameter naming a missing file gets a warning with the path; an existing file or a matching glob does not', async function () {
    this.timeout(180_000);
    const text = [
      'pipeline: paths',
      'stages:',
      '  present:',
      '    component: ExampleGen',
      '    params: { input: data/here.csv }',
      '  absent:',
      '    component: ExampleGen',
      '    params: { input: data/gone.csv }',
      '  globbed:',
      '    component: ExampleGen',
      '    params: { input: "data/*.csv" }',
      '  unmatched:',
      '    component: ExampleGen',
      '    params: { input: "data/none-*.parquet" }',
      '',
    ].join('\n');
    const { uri, doc, dir } = await openPipeline('paths', text, { 'data/here.csv': 'a,b\n1,2\n' });
    const ds = await waitFor('path warnings', () => {
      const found = pipewiseDiagnostics(uri).filter((d) => d.code === 'file-not-found');
      return found.length >= 2 ? found : undefined;
    });
    const at = (needle: string) => doc.positionAt(text.indexOf(needle)).line;
    assert.deepEqual(ds.map((d) => d.range.start.line).sort(), [at('data/gone.csv'), at('data/none-*.parquet')].sort(), JSON.stringify(ds.map((d) => d.message)));
    for (const d of ds) assert.equal(d.severity, vscode.DiagnosticSeverity.Warning);
    const gone = ds.find((d) => d.range.start.line === at('data/gone.csv'));
    assert.ok(gone?.message.includes(path.join(dir, 'data', 'gone.csv')), `names the absolute path: ${gone?.message}`);
    assert.match(gone?.message ?? '', /stage 'absent': parameter 'input'/);
    // The file appears: after the next edit the warning is gone.
    fs.writeFileSync(path.join(dir, 'data', 'gone.csv'), 'a,b\n1,2\n');
    const edit = new vscode.WorkspaceEdit();
    edit.insert(uri, new vscode.Position(0, 0), '# now it is there\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitFor('the warning for data/gone.csv to go', () => {
      const left = pipewiseDiagnostics(uri).filter((d) => d.code === 'file-not-found');
      return left.length === 1 && left[0]?.message.includes('none-*.parquet') ? true : undefined;
    });
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  test('deleting an input reference gives one diagnostic, where the reference was', async function () {
    this.timeout(180_000);
    const text = [
      'pipeline: one_problem',
      'stages:',
      '  examples:',
      '    component: ExampleGen',
      '    params: { input: data.csv }',
      '  statistics:',
      '    component: StatisticsGen',
      '    inputs: { examples: examples.examples }',
      '',
    ].join('\n');
    const { uri, doc } = await openPipeline('one_problem', text, { 'data.csv': 'a\n1\n' });
    await waitFor('the file analysed with no errors', () => pipewiseDiagnostics(uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error).length === 0 && doc.version >= 1);
    const start = doc.positionAt(text.indexOf('examples.examples'));
    const edit = new vscode.WorkspaceEdit();
    edit.delete(uri, new vscode.Range(start, start.translate(0, 'examples.examples'.length)));
    assert.ok(await vscode.workspace.applyEdit(edit));
    const errors = await waitFor('an error for the deleted reference', () => {
      const e = pipewiseDiagnostics(uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
      return e.length ? e : undefined;
    });
    // Let a second one (if any) arrive: the analysis runs once per settled edit.
    await new Promise((r) => setTimeout(r, 1500));
    const all = pipewiseDiagnostics(uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
    assert.equal(all.length, 1, JSON.stringify(all.map((d) => `${d.code}: ${d.message}`)));
    assert.equal(all[0]?.range.start.line, start.line);
    assert.ok(errors.length >= 1);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  test('completion inside inputs: { … } offers the inputs, no snippets; stage snippets come where a stage name goes', async () => {
    const text = 'pipeline: p\nstages:\n  examples:\n    component: ExampleGen\n    params: { input: data.csv }\n  statistics:\n    component: StatisticsGen\n    inputs: {  }\n  \n';
    const doc = await vscode.workspace.openTextDocument({ language: 'yaml', content: text });
    await vscode.window.showTextDocument(doc);
    const complete = async (pos: vscode.Position) =>
      (await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, pos)).items;
    const label = (i: vscode.CompletionItem) => (typeof i.label === 'string' ? i.label : i.label.label);
    const inside = doc.positionAt(text.indexOf('{  }') + 2);
    const items = await complete(inside);
    assert.ok(items.some((i) => label(i) === 'examples'), `StatisticsGen's input offered: ${items.map(label).join(', ')}`);
    const snippets = items.filter((i) => i.kind === vscode.CompletionItemKind.Snippet);
    assert.deepEqual(snippets.map(label), [], 'no whole-block snippet inside a flow map');
    const stageLine = doc.positionAt(text.lastIndexOf('  \n') + 2);
    const atStage = (await complete(stageLine)).filter((i) => i.kind === vscode.CompletionItemKind.Snippet).map(label);
    assert.ok(atStage.includes('stage') && atStage.includes('stage-train'), `stage snippets where a stage goes: ${atStage.join(', ')}`);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('every command is titled with the Pipewise category, none spells it in its title', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    const commands = (ext?.packageJSON as { contributes: { commands: { command: string; title: string; category?: string }[] } }).contributes.commands;
    assert.ok(commands.length > 10);
    const wrong = commands.filter((c) => c.category !== 'Pipewise' || /^Pipewise\s*:/.test(c.title)).map((c) => `${c.command}: ${c.category ?? '(none)'} / ${c.title}`);
    assert.deepEqual(wrong, []);
  });
});
