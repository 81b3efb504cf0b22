import * as vscode from 'vscode';
import { errorDetail, errorMessage } from '../protocol/errors';
import type { PipewiseContext } from './context';
import { WorkerPort } from './workerPort';
import { registerEditor } from './editor';
import { registerDataPanels } from './panels/dataPanels';
import { registerNotebooks } from './notebook/index';
import { registerEvaluation } from './panels/evaluationPanel';
import { registerExperiments } from './runs/experimentsPanel';
import { registerMonitoring } from './panels/monitoring';
import { registerModels } from './models/models';
import { stopAllServers } from './models/modelServers';

/** The composition root: every feature is built here and its disposal tracked. */
export function activate(context: vscode.ExtensionContext): PipewiseContext {
  const log = vscode.window.createOutputChannel('Pipewise', { log: true });
  context.subscriptions.push(log);
  const worker = new WorkerPort(context.extensionPath, log);
  context.subscriptions.push(worker);
  const ctx: PipewiseContext = { extension: context, log, worker };
  try {
    // Features: each area adds its registration here.
    const editor = registerEditor(ctx);
    registerDataPanels(ctx);
    registerNotebooks(ctx);
    registerEvaluation(ctx, editor.runs.onDidFinish);
    registerExperiments(ctx);
    registerMonitoring(ctx);
    registerModels(ctx, editor.trust, editor.runs.onDidFinish);
  } catch (e) {
    log.error(errorDetail(e));
    void vscode.window.showErrorMessage(`Pipewise failed to start: ${errorMessage(e)}`);
  }
  log.info('Pipewise activated');
  return ctx;
}

/** Stops the local model servers started from the Models view (SIGTERM, and SIGKILL after 10 s). */
export function deactivate(): Promise<void> {
  return stopAllServers();
}
