import * as vscode from 'vscode';
import path from 'node:path';
import { registerAuthoring } from './authoring/authoring';
import { PipelineCodeLens } from './codeLens';
import { onDidChangeConfig, readConfig } from './config';
import type { PipewiseContext } from './context';
import { artifactTypeOf, openArtifact } from './graph/artifactActions';
import { exportToKubeflow } from './exportKfp';
import { GraphPanels } from './graph/graphPanel';
import { newPipeline, openExample } from './newPipeline';
import { isPipelineUri, PipelineDocuments } from './pipelineDocuments';
import { RunController, type RunRequest } from './runs/runController';
import type { RunOutcome } from '../protocol/runEvents';
import { readRunRecords, runViewOfRecord } from './runs/runHistory';
import { RunsView } from './runs/runsView';
import { PipewiseTaskProvider, TASK_TYPE } from './runs/taskProvider';
import { TrustGate } from './trust';
import { WebDemos } from './webDemo';
import { collectGarbageOf } from './runs/collectGarbage';
import { registerRunAnnotations } from './runs/runAnnotations';
import { registerCommand, registerTestCommand, type PipelineTarget, type RunCommandOptions } from './commands';
import { runSelection } from '../core/dag';

/** What the editor features hand back to the composition root (and, through it, to tests). */
export interface EditorFeatures {
  readonly documents: PipelineDocuments;
  readonly runs: RunController;
  readonly graphs: GraphPanels;
  readonly trust: TrustGate;
}

/**
 * The editor: authoring support, the graph, one-click runs, the Runs view, the task type. Nothing
 * here starts the worker: it starts on the first run.
 */
export function registerEditor(ctx: PipewiseContext): EditorFeatures {
  const subs = ctx.extension.subscriptions;
  const trust = new TrustGate();
  const documents = new PipelineDocuments();
  const runs = new RunController(ctx, documents, trust);
  const graphs = new GraphPanels(ctx, documents, runs, trust);
  const lens = new PipelineCodeLens(documents, runs);
  const runsView = new RunsView(runs);
  subs.push(documents, runs, graphs, runsView);
  registerAuthoring(ctx, documents);

  subs.push(
    vscode.languages.registerCodeLensProvider({ pattern: '**/*.pipeline.{yaml,yml}' }, lens),
    runs.onDidChange((c) => lens.runChanged(c.file, c.view)),
    onDidChangeConfig(() => lens.refresh()),
    vscode.window.registerTreeDataProvider('pipewise.runs', runsView),
    vscode.tasks.registerTaskProvider(TASK_TYPE, new PipewiseTaskProvider()),
  );

  const run = async (req: RunRequest, options: RunCommandOptions = {}): Promise<RunOutcome> => {
    if (options.revealGraph !== false && readConfig(req.uri).runs.revealGraph && !graphs.get(req.uri)) graphs.show(req.uri);
    return runs.run(req, options.token, options.onEvent);
  };
  registerCommand(ctx, 'pipewise.showGraph', async (arg) => {
    const uri = await pipelineUri(arg);
    return uri ? (graphs.show(uri), uri) : undefined;
  });
  registerCommand(ctx, 'pipewise.runPipeline', async (arg, options) => {
    const uri = await pipelineUri(arg);
    // `{ force: true }` (from tasks, keybindings and tests) ignores the cache; tasks select stages too.
    const o = options ?? {};
    const req: RunRequest | undefined = uri && { uri, ...runSelection(o) };
    return req ? run(req, o) : undefined;
  });
  registerCommand(ctx, 'pipewise.runStage', async (arg, stageArg) => {
    const uri = await pipelineUri(arg);
    const stage = uri ? await stageName(uri, stageArg ?? stageOfTreeItem(arg), 'Run which stage?') : undefined;
    return uri && stage ? run({ uri, only: [stage] }) : undefined;
  });
  registerCommand(ctx, 'pipewise.runFromStage', async (arg, stageArg) => {
    const uri = await pipelineUri(arg);
    const stage = uri ? await stageName(uri, stageArg ?? stageOfTreeItem(arg), 'Run from which stage?') : undefined;
    return uri && stage ? run({ uri, from: stage }) : undefined;
  });
  registerCommand(ctx, 'pipewise.cancelRun', async (arg) => {
    const uri = arg instanceof vscode.Uri ? arg : undefined;
    const cancelled = runs.cancel(uri?.fsPath);
    if (!cancelled) void vscode.window.showInformationMessage('No Pipewise run is going.');
    return cancelled;
  });
  registerCommand(ctx, 'pipewise.showLog', () => ctx.log.show());
  registerCommand(ctx, 'pipewise.refreshRuns', () => runsView.refresh());
  registerRunAnnotations(ctx, () => runsView.refresh());
  registerTestCommand(ctx, 'pipewise.test.runsView', (pipeline) => runsView.snapshot(pipeline));
  registerCommand(ctx, 'pipewise.collectGarbage', async (arg, options) => {
    const uri = await pipelineUri(arg);
    if (!uri || !trust.allowsRun('clean up a store')) return undefined;
    const report = await collectGarbageOf(ctx.worker, uri, options ?? {});
    runsView.refresh();
    return report;
  });
  registerCommand(ctx, 'pipewise.newPipeline', () => newPipeline(ctx));
  registerCommand(ctx, 'pipewise.openExample', () => openExample(ctx, graphs));
  registerCommand(ctx, 'pipewise.openLatestStatistics', async (arg) => {
    const uri = await pipelineUri(arg);
    if (!uri) return undefined;
    const doc = await vscode.workspace.openTextDocument(uri);
    const spec = documents.get(doc).parsed.spec;
    if (!spec) return undefined;
    let view = runs.viewOf(uri.fsPath);
    if (!view.runId) {
      const [last] = await readRunRecords(uri.fsPath, spec.store, 1);
      if (last) view = runViewOfRecord(last);
    }
    for (const s of spec.stages) {
      for (const output of Object.keys(view.stages[s.name]?.artifacts ?? {})) {
        if (artifactTypeOf(spec, s.name, output) === 'ExampleStatistics') {
          await openArtifact(spec, view, s.name, output);
          return true;
        }
      }
    }
    void vscode.window.showInformationMessage(`${path.basename(uri.fsPath)} has no statistics yet: run the pipeline first.`);
    return false;
  });

  registerCommand(ctx, 'pipewise.exportKfp', async (arg, options) => {
    const uri = await pipelineUri(arg);
    return uri ? exportToKubeflow(ctx, trust, uri, options ?? {}) : undefined;
  });

  const webDemos = new WebDemos(trust);
  subs.push(webDemos);
  registerCommand(ctx, 'pipewise.openWebDemo', (folder) => webDemos.open(folder));

  // Test-only (not in the manifest; registered only when VS Code runs the tests): what the graph webview acknowledged having drawn, and the trust gate.
  registerTestCommand(ctx, 'pipewise.test.graphAck', (arg) => (arg instanceof vscode.Uri ? graphs.ackOf(arg) : undefined));
  registerTestCommand(ctx, 'pipewise.test.runStatus', () => runs.statusShown());
  registerTestCommand(ctx, 'pipewise.test.setTrusted', (value) => trust.setOverride(typeof value === 'boolean' ? value : undefined));

  void vscode.commands.executeCommand('setContext', 'pipewise.runActive', false);
  return { documents, runs, graphs, trust };

  async function pipelineUri(arg: PipelineTarget): Promise<vscode.Uri | undefined> {
    if (arg instanceof vscode.Uri) return arg;
    if (typeof arg === 'string') return vscode.Uri.file(arg);
    const fromTree = (arg as { uri?: unknown } | undefined)?.uri;
    if (fromTree instanceof vscode.Uri) return fromTree;
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active && isPipelineUri(active)) return active;
    const files = await vscode.workspace.findFiles('**/*.pipeline.{yaml,yml}', '**/{node_modules,.pipewise,.git}/**', 200);
    if (files.length === 1) return files[0];
    if (files.length === 0) {
      void vscode.window.showInformationMessage('No *.pipeline.yaml file in this workspace. Create one with "Pipewise: New Pipeline".');
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      files.map((f) => ({ label: path.basename(f.fsPath), description: vscode.workspace.asRelativePath(path.dirname(f.fsPath)), uri: f })),
      { title: 'Which pipeline?' },
    );
    return pick?.uri;
  }

  async function stageName(uri: vscode.Uri, given: unknown, title: string): Promise<string | undefined> {
    if (typeof given === 'string') return given;
    const spec = documents.get(await vscode.workspace.openTextDocument(uri)).parsed.spec;
    const pick = await vscode.window.showQuickPick(
      (spec?.stages ?? []).map((s) => ({ label: s.name, description: s.component })),
      { title },
    );
    return pick?.label;
  }
}

function stageOfTreeItem(arg: unknown): string | undefined {
  const stage = (arg as { stage?: { name?: unknown } } | undefined)?.stage?.name;
  return typeof stage === 'string' ? stage : undefined;
}
