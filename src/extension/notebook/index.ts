import * as vscode from 'vscode';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Feature } from '../feature';
import type { PipewiseContext } from '../context';
import { NOTEBOOK_TYPE } from '../contributionIds';
import { PipewiseKernel } from './kernel';
import { pipewiseMetadata } from './pipelineRef';
import { pipelineNotebook } from './pipelineNotebook';
import { errorMessage } from '../../core/errors';

export const RENDERER_ID = 'pipewise.notebookRenderer';

export const NotebookCommands = {
  openPipelineAsNotebook: 'pipewise.openPipelineAsNotebook',
  restartKernel: 'pipewise.notebook.restartKernel',
} as const;

/** The notebook feature: the Pipewise kernel, its commands, and the renderer's "save chart" requests. */
export class NotebooksFeature extends Feature {
  readonly kernel: PipewiseKernel;

  constructor(ctx: PipewiseContext) {
    super(ctx);
    const kernel = (this.kernel = this._register(new PipewiseKernel(ctx)));

    // Notebooks made for Pipewise (they name a pipeline) get the Pipewise kernel preselected.
    const prefer = (nb: vscode.NotebookDocument): void => {
      if (nb.notebookType === NOTEBOOK_TYPE && pipewiseMetadata(nb)) kernel.controller.updateNotebookAffinity(nb, vscode.NotebookControllerAffinity.Preferred);
    };
    vscode.workspace.notebookDocuments.forEach(prefer);
    this._register(vscode.workspace.onDidOpenNotebookDocument(prefer));

    this.command(NotebookCommands.restartKernel, async () => {
      await kernel.restart();
      void vscode.window.showInformationMessage(
        'Pipewise kernel restarted: a new worker process starts with the next cell. Every notebook\'s variables, DuckDB views and execution numbers were cleared; artifacts on disk are kept.',
      );
    });
    this.command(NotebookCommands.openPipelineAsNotebook, (uri, options) => openPipelineAsNotebook(ctx, uri, options));

    // The renderer asks the extension to save a chart (a webview cannot open a save dialog).
    const messaging = vscode.notebooks.createRendererMessaging(RENDERER_ID);
    this._register(
      messaging.onDidReceiveMessage(async ({ message }) => {
        const m = message as { type?: string; format?: string; data?: string; name?: string };
        if (m.type !== 'saveChart' || (m.format !== 'png' && m.format !== 'svg') || typeof m.data !== 'string') return;
        const base = (m.name ?? 'chart').replace(/[^\w.-]+/g, '_') || 'chart';
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
        const target = await vscode.window.showSaveDialog({
          defaultUri: folder ? vscode.Uri.joinPath(folder, `${base}.${m.format}`) : undefined,
          filters: m.format === 'png' ? { 'PNG image': ['png'] } : { 'SVG image': ['svg'] },
        });
        if (!target) return;
        const bytes = m.format === 'png' ? Buffer.from(m.data.replace(/^data:image\/png;base64,/, ''), 'base64') : Buffer.from(m.data, 'utf8');
        await vscode.workspace.fs.writeFile(target, bytes);
        ctx.log.info(`Saved chart to ${target.fsPath}`);
      }),
    );
  }
}

/**
 * Writes `<pipeline>.ipynb` beside the pipeline file (asking before replacing one) and opens it
 * with the Pipewise kernel.
 */
async function openPipelineAsNotebook(ctx: PipewiseContext, uri: vscode.Uri | undefined, options: { replace?: boolean } = {}): Promise<vscode.NotebookEditor | undefined> {
  let file = uri?.fsPath;
  if (!file) {
    const active = vscode.window.activeTextEditor?.document;
    if (active?.fileName.endsWith('.pipeline.yaml')) file = active.fileName;
  }
  if (!file) {
    const found = await vscode.workspace.findFiles('**/*.pipeline.yaml', '**/{node_modules,.pipewise}/**', 50);
    const pick = await vscode.window.showQuickPick(
      found.map((f) => ({ label: vscode.workspace.asRelativePath(f), uri: f })),
      { placeHolder: 'The pipeline to open as a notebook' },
    );
    file = pick?.uri.fsPath;
  }
  if (!file) return undefined;
  const open = vscode.workspace.textDocuments.find((d) => d.fileName === file);
  const text = open ? open.getText() : await fs.readFile(file, 'utf8');
  const notebookFile = path.join(path.dirname(file), `${path.basename(file).replace(/\.pipeline\.yaml$/, '').replace(/\.ya?ml$/, '')}.ipynb`);
  let nb;
  try {
    nb = pipelineNotebook(text, file, notebookFile);
  } catch (e) {
    void vscode.window.showErrorMessage(`Cannot open the pipeline as a notebook: ${errorMessage(e)}`);
    return undefined;
  }
  const exists = await fs.stat(notebookFile).then(
    () => true,
    () => false,
  );
  if (exists && !options.replace) {
    const choice = await vscode.window.showWarningMessage(`${path.basename(notebookFile)} already exists.`, { modal: true }, 'Open It', 'Replace It');
    if (!choice) return undefined;
    if (choice === 'Open It') return showNotebook(vscode.Uri.file(notebookFile));
  }
  // Written whole or not at all: a half-written notebook would not open.
  const tmp = `${notebookFile}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(nb, null, 1) + '\n');
  await fs.rename(tmp, notebookFile);
  ctx.log.info(`Wrote ${notebookFile} from ${file}`);
  return showNotebook(vscode.Uri.file(notebookFile));
}

async function showNotebook(uri: vscode.Uri): Promise<vscode.NotebookEditor> {
  const doc = await vscode.workspace.openNotebookDocument(uri);
  return vscode.window.showNotebookDocument(doc);
}
