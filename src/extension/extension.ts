import * as vscode from 'vscode';
import { WorkerHost } from './workerHost';
import { registerEditor } from './editor';
import { registerDataPanels } from './panels/dataPanels';
import { registerNotebooks } from './notebook/index';
import { registerEvaluation } from './panels/evaluationPanel';
import { registerExperiments } from './runs/experimentsPanel';

/**
 * What every feature of the extension is built from: one object, made once in `activate`.
 * Features register their disposables on `context.subscriptions`.
 */
export interface PipewiseContext {
  readonly extension: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly worker: WorkerHost;
}

/** The composition root: every feature is built here and its disposal tracked. */
export function activate(context: vscode.ExtensionContext): PipewiseContext {
  const log = vscode.window.createOutputChannel('Pipewise', { log: true });
  context.subscriptions.push(log);
  const worker = new WorkerHost(context.extensionPath, log);
  context.subscriptions.push(worker);
  const ctx: PipewiseContext = { extension: context, log, worker };
  try {
    // Features: each area adds its registration here.
    registerEditor(ctx);
    registerDataPanels(ctx);
    registerNotebooks(ctx);
    registerEvaluation(ctx);
    registerExperiments(ctx);
  } catch (e) {
    log.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    void vscode.window.showErrorMessage(`Pipewise failed to start: ${e instanceof Error ? e.message : String(e)}`);
  }
  log.info('Pipewise activated');
  return ctx;
}

export function deactivate(): void {}
