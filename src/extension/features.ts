// First: zod's configuration must precede every schema the imports below declare.
import './zodJitless';
import type * as vscode from 'vscode';
import type { CommandStubs, PipewiseContext } from './context';
import { WorkerPort } from './workerPort';
import { EditorFeature } from './editor';
import { DataPanelsFeature } from './panels/dataPanels';
import { NotebooksFeature } from './notebook/index';
import { EvaluationFeature } from './panels/evaluationPanel';
import { ExperimentsFeature } from './runs/experimentsPanel';
import { ExportReportFeature } from './runs/exportReport';
import { MonitoringFeature } from './panels/monitoring';
import { ModelsFeature } from './models/models';
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
  // Features: each area adds its feature here; each owns what it creates, and is disposed with the extension.
  const subs = extension.subscriptions;
  const editor = new EditorFeature(ctx);
  subs.push(editor);
  subs.push(new DataPanelsFeature(ctx));
  subs.push(new NotebooksFeature(ctx));
  subs.push(new EvaluationFeature(ctx, editor.runs.onDidFinish));
  subs.push(new ExperimentsFeature(ctx));
  subs.push(new ExportReportFeature(ctx));
  const monitoring = new MonitoringFeature(ctx);
  subs.push(monitoring);
  subs.push(new ModelsFeature(ctx, editor.trust, editor.runs.onDidFinish, monitoring.verdicts));
  return ctx;
}

/** Stops the local model servers started from the Models view (SIGTERM, and SIGKILL after 10 s). */
export function deactivateFeatures(): Promise<void> {
  return stopAllServers();
}
