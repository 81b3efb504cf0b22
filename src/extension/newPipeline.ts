import * as vscode from 'vscode';
import path from 'node:path';
import type { PipewiseContext } from './context';
import type { GraphPanels } from './graph/graphPanel';

/** Creates `<name>.pipeline.yaml` from the template in the first workspace folder (or untitled). */
export async function newPipeline(ctx: PipewiseContext): Promise<vscode.Uri | undefined> {
  const name = await vscode.window.showInputBox({
    title: 'New Pipewise pipeline',
    prompt: 'Pipeline name (snake_case)',
    value: 'my_pipeline',
    validateInput: (v) => (/^[a-z][a-z0-9_]*$/.test(v) ? undefined : 'Use lowercase letters, digits and _, starting with a letter.'),
  });
  if (!name) return undefined;
  const template = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(ctx.extension.extensionUri, 'media', 'templates', 'new.pipeline.yaml')));
  const text = template.replace('${name}', name);
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    const doc = await vscode.workspace.openTextDocument({ language: 'yaml', content: text });
    await vscode.window.showTextDocument(doc);
    return doc.uri;
  }
  const uri = vscode.Uri.joinPath(folder.uri, `${name}.pipeline.yaml`);
  try {
    await vscode.workspace.fs.stat(uri);
    void vscode.window.showWarningMessage(`${vscode.workspace.asRelativePath(uri)} exists already: opened it instead.`);
  } catch {
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  }
  await vscode.window.showTextDocument(uri);
  return uri;
}

/**
 * Opens the penguin example: the workspace's copy when it has one, else a copy made in the first
 * workspace folder (runs write `.pipewise/` next to the file, never into the extension's folder).
 */
export async function openExample(ctx: PipewiseContext, graphs: GraphPanels): Promise<vscode.Uri | undefined> {
  const [found] = await vscode.workspace.findFiles('**/penguins.pipeline.yaml', '**/{node_modules,.pipewise}/**', 1);
  let uri = found;
  if (!uri) {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) {
      void vscode.window.showInformationMessage('Open a folder first: the example is copied into it, and its runs write next to it.');
      return undefined;
    }
    const source = vscode.Uri.joinPath(ctx.extension.extensionUri, 'examples', 'penguins');
    const target = vscode.Uri.joinPath(folder.uri, 'penguins');
    let entries: [string, vscode.FileType][];
    try {
      entries = await vscode.workspace.fs.readDirectory(source);
    } catch {
      throw new Error(`the penguin example is not in this installation (${source.fsPath}); open a folder that holds penguins.pipeline.yaml instead`);
    }
    for (const [entry] of entries) {
      if (entry === '.pipewise' || entry === 'serving') continue;
      await vscode.workspace.fs.copy(vscode.Uri.joinPath(source, entry), vscode.Uri.joinPath(target, entry), { overwrite: false });
    }
    uri = vscode.Uri.joinPath(target, 'penguins.pipeline.yaml');
    ctx.log.info(`Copied the penguin example to ${path.dirname(uri.fsPath)}`);
  }
  await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.One });
  graphs.show(uri);
  return uri;
}
