// First: zod's configuration must precede every schema the imports below declare.
import './zodJitless';
import * as vscode from 'vscode';
import { manifestCommandIds } from './commandStubs';
import { lastCommandFailure, registerTestCommand } from './commands';
import type { CommandStubs, PipewiseContext } from './context';
import { DATA_PANEL_VIEW_TYPE, EVALUATION_VIEW_TYPE, EXPERIMENTS_VIEW_TYPE, MONITORING_VIEW_TYPE, NOTEBOOK_TYPE } from './contributionIds';
import { EditorFeature } from './editor';
import { FeatureLoader, type LateFeature } from './featureLoader';
import { ModelsFeature } from './models/models';
import { stopAllServers } from './models/modelServers';
import { MonitoringVerdicts } from './panels/monitoringVerdicts';
import { PanelSerializers } from './panelSerializers';
import { WorkerPort } from './workerPort';

/**
 * The composition root of every feature (out/features.js): the entry (src/extension/extension.ts)
 * requires it right after `activate` returned, so VS Code's activation waits only for the entry's
 * command stubs.
 *
 * Two kinds of feature. The editor (pipeline files: diagnostics, CodeLens, graph, runs, tasks) and the
 * Models view are built here at once: the extension activates because the workspace has pipeline
 * files, and the views are on screen. Every other feature is *late* (src/extension/featureLoader.ts):
 * built the first time one of its commands runs, one of its panels is restored after a reload, or
 * (notebooks) a notebook opens. Its module is reached only through the `import()` below, which esbuild
 * turns into a module evaluated at that moment (test/unit/activation-entry.test.ts keeps the eager
 * features from importing it statically). Why one bundle and not a file per feature:
 * bench/features-load.ts (README, "Activation").
 */
export function activateFeatures(extension: vscode.ExtensionContext, log: vscode.LogOutputChannel, commandStubs: CommandStubs): PipewiseContext {
  const subs = extension.subscriptions;
  const worker = new WorkerPort(extension.extensionPath, log);
  subs.push(worker);
  const panelSerializers = new PanelSerializers(log);
  subs.push(panelSerializers);
  const ctx: PipewiseContext = { extension, log, worker, commandStubs, panelSerializers };

  const editor = new EditorFeature(ctx);
  subs.push(editor);
  // The monitoring panels reach verdicts the Models view shows; the view comes first, so they live here.
  const verdicts = new MonitoringVerdicts();
  subs.push(verdicts);
  subs.push(new ModelsFeature(ctx, editor.trust, editor.runs.onDidFinish, verdicts));

  const late: LateFeature[] = [
    {
      name: 'data panels',
      commands: ['pipewise.previewStatistics', 'pipewise.openStatistics', 'pipewise.previewData', 'pipewise.compareDatasets', 'pipewise.openSchema', 'pipewise.openAnomalies'],
      testCommands: ['pipewise.internal.panelDigest', 'pipewise.internal.panelMessage', 'pipewise.internal.panelStatus'],
      viewTypes: [DATA_PANEL_VIEW_TYPE],
      load: async () => {
        const { DataPanelsFeature } = await import('./panels/dataPanels');
        return () => new DataPanelsFeature(ctx);
      },
    },
    {
      name: 'evaluation',
      commands: ['pipewise.openEvaluation'],
      testCommands: ['pipewise.test.evaluationAck'],
      viewTypes: [EVALUATION_VIEW_TYPE],
      load: async () => {
        const { EvaluationFeature } = await import('./panels/evaluationPanel');
        return () => new EvaluationFeature(ctx, editor.runs.onDidFinish);
      },
    },
    {
      name: 'experiments',
      commands: ['pipewise.showExperiments', 'pipewise.exportExperimentsCsv'],
      testCommands: ['pipewise.test.experimentsAck', 'pipewise.test.experimentsPost'],
      viewTypes: [EXPERIMENTS_VIEW_TYPE],
      load: async () => {
        const { ExperimentsFeature } = await import('./runs/experimentsPanel');
        return () => new ExperimentsFeature(ctx);
      },
    },
    {
      name: 'report export',
      commands: ['pipewise.exportReport'],
      testCommands: [],
      viewTypes: [],
      load: async () => {
        const { ExportReportFeature } = await import('./runs/exportReport');
        return () => new ExportReportFeature(ctx);
      },
    },
    {
      name: 'monitoring',
      commands: ['pipewise.openMonitoring'],
      testCommands: ['pipewise.test.monitoringAck'],
      viewTypes: [MONITORING_VIEW_TYPE],
      load: async () => {
        const { MonitoringFeature } = await import('./panels/monitoring');
        return () => new MonitoringFeature(ctx, verdicts);
      },
    },
    {
      name: 'notebooks',
      commands: ['pipewise.openPipelineAsNotebook', 'pipewise.notebook.restartKernel'],
      testCommands: [],
      viewTypes: [],
      load: async () => {
        const { NotebooksFeature } = await import('./notebook/index');
        return () => new NotebooksFeature(ctx);
      },
    },
  ];
  const loader = new FeatureLoader(ctx, late);
  subs.push(loader);
  // The notebook controller must be there before the kernel picker is: load it with the first notebook.
  const loadNotebooks = (nb: vscode.NotebookDocument): void => {
    if (nb.notebookType === NOTEBOOK_TYPE) void loader.load('notebooks').catch(() => undefined);
  };
  vscode.workspace.notebookDocuments.forEach(loadNotebooks);
  subs.push(vscode.workspace.onDidOpenNotebookDocument(loadNotebooks));

  const manifest = manifestCommandIds(extension.extension.packageJSON);
  const unboundNow = (): string[] => {
    const bound = commandStubs.bound();
    return [...manifest].filter((id) => !bound.has(id));
  };
  registerTestCommand(ctx, 'pipewise.test.lastCommandFailure', () => lastCommandFailure());
  registerTestCommand(ctx, 'pipewise.test.features', async (action) => {
    if (action?.unload) loader.unload(action.unload);
    for (const name of action?.load ?? []) await loader.load(name);
    return { late: loader.state(), unbound: unboundNow() };
  });

  // A manifest command neither bound now nor declared by a late feature would fail when run.
  const declared = loader.declaredCommands();
  const unbound = unboundNow().filter((id) => !declared.has(id));
  if (unbound.length) log.error(`manifest commands without a handler: ${unbound.join(', ')}`);
  return ctx;
}

/** Stops the local model servers started from the Models view (SIGTERM, and SIGKILL after 10 s). */
export function deactivateFeatures(): Promise<void> {
  return stopAllServers();
}
