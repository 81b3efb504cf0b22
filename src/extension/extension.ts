// First: zod's configuration must precede every schema the imports below declare.
import './zodJitless';
import * as vscode from 'vscode';
import { errorDetail, errorMessage } from '../protocol/errors';
import type { PipewiseContext } from './context';
import { WorkerPort } from './workerPort';
import { registerEditor } from './editor';
import { registerDataPanels } from './panels/dataPanels';
import { registerNotebooks } from './notebook/index';
import { registerEvaluation } from './panels/evaluationPanel';
import { registerExperiments } from './runs/experimentsPanel';
import { registerExportReport } from './runs/exportReport';
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
    registerExportReport(ctx);
    const verdicts = registerMonitoring(ctx);
    registerModels(ctx, editor.trust, editor.runs.onDidFinish, verdicts);
    // Only after every feature registered: the browser tests and the activation bench read this line as
    // "started", so a failed start must not print it.
    log.info('Pipewise activated');
  } catch (e) {
    log.error(errorDetail(e));
    void vscode.window.showErrorMessage(`Pipewise failed to start: ${errorMessage(e)}`);
  }
  return ctx;
}

/** Stops the local model servers started from the Models view (SIGTERM, and SIGKILL after 10 s). */
export function deactivate(): Promise<void> {
  return stopAllServers();
}
