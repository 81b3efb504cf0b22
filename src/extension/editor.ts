import * as vscode from 'vscode';
import path from 'node:path';
import { AuthoringFeature } from './authoring/authoring';
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
import { RunAnnotationsFeature } from './runs/runAnnotations';
import type { PipelineTarget, RunCommandOptions } from './commands';
import { Feature } from './feature';
import { runSelection } from '../core/dag';

/**
 * The editor: authoring support, the graph, one-click runs, the Runs view, the task type. Nothing
 * here starts the worker: it starts on the first run. Its members are what the other features (and,
 * through the composition root, tests) reach.
 */
export class EditorFeature extends Feature {
  readonly trust: TrustGate;
  readonly documents: PipelineDocuments;
  readonly runs: RunController;
  readonly graphs: GraphPanels;
  private readonly runsView: RunsView;

  constructor(ctx: PipewiseContext) {
    super(ctx);
    this.trust = new TrustGate();
    this.documents = this._register(new PipelineDocuments());
    this.runs = this._register(new RunController(ctx, this.documents, this.trust));
    this.graphs = this._register(new GraphPanels(ctx, this.documents, this.runs, this.trust));
    const lens = new PipelineCodeLens(this.documents, this.runs);
    this.runsView = this._register(new RunsView(this.runs));
    this._register(new AuthoringFeature(ctx, this.documents));

    this._register(vscode.languages.registerCodeLensProvider({ pattern: '**/*.pipeline.{yaml,yml}' }, lens));
    this._register(this.runs.onDidChange((c) => lens.runChanged(c.file, c.view)));
    this._register(onDidChangeConfig(() => lens.refresh()));
    this._register(vscode.window.registerTreeDataProvider('pipewise.runs', this.runsView));
    this._register(vscode.tasks.registerTaskProvider(TASK_TYPE, new PipewiseTaskProvider()));

    this.registerRunCommands();
    this.registerRunsViewCommands();
    this.registerPipelineCommands();
    this.registerTestCommands();

    void vscode.commands.executeCommand('setContext', 'pipewise.runActive', false);
  }

  /** Runs (revealing the graph first when the setting asks), with the argument a command was given. */
  private run(req: RunRequest, options: RunCommandOptions = {}): Promise<RunOutcome> {
    if (options.revealGraph !== false && readConfig(req.uri).runs.revealGraph && !this.graphs.get(req.uri)) this.graphs.show(req.uri);
    return this.runs.run(req, options.token, options.onEvent);
  }

  /** The graph, and running, from the whole pipeline or one stage, and cancelling. */
  private registerRunCommands(): void {
    this.command('pipewise.showGraph', async (arg) => {
      const uri = await this.pipelineUri(arg);
      return uri ? (this.graphs.show(uri), uri) : undefined;
    });
    this.command('pipewise.runPipeline', async (arg, options) => {
      const uri = await this.pipelineUri(arg);
      // `{ force: true }` (from tasks, keybindings and tests) ignores the cache; tasks select stages too.
      const o = options ?? {};
      const req: RunRequest | undefined = uri && { uri, ...runSelection(o) };
      return req ? this.run(req, o) : undefined;
    });
    this.command('pipewise.runStage', async (arg, stageArg) => {
      const uri = await this.pipelineUri(arg);
      const stage = uri ? await this.stageName(uri, stageArg ?? stageOfTreeItem(arg), 'Run which stage?') : undefined;
      return uri && stage ? this.run({ uri, only: [stage] }) : undefined;
    });
    this.command('pipewise.runFromStage', async (arg, stageArg) => {
      const uri = await this.pipelineUri(arg);
      const stage = uri ? await this.stageName(uri, stageArg ?? stageOfTreeItem(arg), 'Run from which stage?') : undefined;
      return uri && stage ? this.run({ uri, from: stage }) : undefined;
    });
    this.command('pipewise.cancelRun', async (arg) => {
      const uri = arg instanceof vscode.Uri ? arg : undefined;
      const cancelled = this.runs.cancel(uri?.fsPath);
      if (!cancelled) void vscode.window.showInformationMessage('No Pipewise run is going.');
      return cancelled;
    });
    this.command('pipewise.showLog', () => this.ctx.log.show());
  }

  /** The Runs view: refreshing, the run annotations, and cleaning up the store. */
  private registerRunsViewCommands(): void {
    this.command('pipewise.refreshRuns', () => this.runsView.refresh());
    this._register(new RunAnnotationsFeature(this.ctx, () => this.runsView.refresh()));
    this.testCommand('pipewise.test.runsView', (pipeline) => this.runsView.snapshot(pipeline));
    this.command('pipewise.collectGarbage', async (arg, options) => {
      const uri = await this.pipelineUri(arg);
      if (!uri || !this.trust.allowsRun('clean up a store')) return undefined;
      const report = await collectGarbageOf(this.ctx.worker, uri, options ?? {});
      this.runsView.refresh();
      return report;
    });
  }

  /** New pipelines and examples, the latest statistics, the Kubeflow export, the web demo. */
  private registerPipelineCommands(): void {
    this.command('pipewise.newPipeline', () => newPipeline(this.ctx));
    this.command('pipewise.openExample', () => openExample(this.ctx, this.graphs));
    this.command('pipewise.openLatestStatistics', (arg) => this.openLatestStatistics(arg));

    this.command('pipewise.exportKfp', async (arg, options) => {
      const uri = await this.pipelineUri(arg);
      return uri ? exportToKubeflow(this.ctx, this.trust, uri, options ?? {}) : undefined;
    });

    const webDemos = this._register(new WebDemos(this.trust));
    this.command('pipewise.openWebDemo', (folder) => webDemos.open(folder));
  }

  /** Test-only (not in the manifest; registered only when VS Code runs the tests): what the graph webview acknowledged having drawn, and the trust gate. */
  private registerTestCommands(): void {
    this.testCommand('pipewise.test.graphAck', (arg) => (arg instanceof vscode.Uri ? this.graphs.ackOf(arg) : undefined));
    this.testCommand('pipewise.test.runStatus', () => this.runs.statusShown());
    this.testCommand('pipewise.test.setTrusted', (value) => this.trust.setOverride(typeof value === 'boolean' ? value : undefined));
  }

  private async openLatestStatistics(arg: PipelineTarget): Promise<boolean | undefined> {
    const uri = await this.pipelineUri(arg);
    if (!uri) return undefined;
    const doc = await vscode.workspace.openTextDocument(uri);
    const spec = this.documents.get(doc).parsed.spec;
    if (!spec) return undefined;
    let view = this.runs.viewOf(uri.fsPath);
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
  }

  private async pipelineUri(arg: PipelineTarget): Promise<vscode.Uri | undefined> {
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

  private async stageName(uri: vscode.Uri, given: unknown, title: string): Promise<string | undefined> {
    if (typeof given === 'string') return given;
    const spec = this.documents.get(await vscode.workspace.openTextDocument(uri)).parsed.spec;
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
