// First: zod's configuration must precede every schema the imports below declare.
import './zodJitless';
import type * as vscode from 'vscode';
import type { CommandStubs, PipewiseContext } from './context';
import { WorkerPort } from './workerPort';
import { EditorFeature } from './editor';
import { registerDataPanels } from './panels/dataPanels';
import { registerNotebooks } from './notebook/index';
import { registerEvaluation } from './panels/evaluationPanel';
import { registerExperiments } from './runs/experimentsPanel';
import { registerExportReport } from './runs/exportReport';
import { registerMonitoring } from './panels/monitoring';
import { registerModels } from './models/models';
import { stopAllServers } from './models/modelServers';

/**
 * The composition root of every feature, its own bundle (out/features.js): the entry
 * (src/extension/extension.ts) loads it right after `activate` returned, so VS Code's activation waits
 * only for the entry's command stubs. Every feature is built here and its disposal tracked; a failure
 * throws to the entry, which reports it.
 */
export function activateFeatures(extension: vscode.ExtensionContext, log: vscode.LogOutputChannel, commandStubs: CommandStubs): PipewiseContext {
  const worker = new WorkerPort(extension.extensionPath, log);
  extension.subscriptions.push(worker);
  const ctx: PipewiseContext = { extension, log, worker, commandStubs };
  // Features: each area adds its registration here.
  const editor = new EditorFeature(ctx);
  extension.subscriptions.push(editor);
  registerDataPanels(ctx);
  registerNotebooks(ctx);
  registerEvaluation(ctx, editor.runs.onDidFinish);
  registerExperiments(ctx);
  registerExportReport(ctx);
  const verdicts = registerMonitoring(ctx);
  registerModels(ctx, editor.trust, editor.runs.onDidFinish, verdicts);
  return ctx;
}

/** Stops the local model servers started from the Models view (SIGTERM, and SIGKILL after 10 s). */
export function deactivateFeatures(): Promise<void> {
  return stopAllServers();
}
