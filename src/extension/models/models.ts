/**
 * Serving in the editor: the Models view, local model servers started from it, and the "Try the
 * model" panel; their commands. Starting a server runs code (the model's transform), so it needs a
 * trusted workspace.
 */
import * as vscode from 'vscode';
import type { MonitoringVerdicts } from '../panels/monitoringVerdicts';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PipewiseContext } from '../context';
import { executeCommand } from '../commands';
import { Feature } from '../feature';
import type { TrustGate } from '../trust';
import { readConfig } from '../config';
import { ModelServers } from './modelServers';
import type { ServerInfo } from '../../protocol/models';
import { requestLogDir } from './pushedModels';
import { ServeTasks } from './serveTask';
import { ModelsView, modelOfArg } from './modelsView';
import type { PushedModel } from './pushedModels';
import { TRY_VIEW_TYPE } from '../contributionIds';
import { TryPanel } from './tryPanel';
import { PanelRegistry } from '../panelRegistry';
import { RegistryCommandsFeature } from './registryCommands';

/**
 * The Models view, its servers and Try panels, and their commands, owned by this feature.
 * `runEnded`: fires when a run started in the editor ends (the Models view reloads then).
 */
export class ModelsFeature extends Feature {
  /** The local model servers started from the Models view. */
  readonly servers: ModelServers;
  private readonly view: ModelsView;
  private readonly tasks: ServeTasks;
  private readonly panels: PanelRegistry<PushedModel, TryPanel, { base: string }>;

  constructor(
    ctx: PipewiseContext,
    private readonly trust: TrustGate,
    runEnded?: vscode.Event<unknown>,
    verdicts?: MonitoringVerdicts,
  ) {
    super(ctx);
    const servers = (this.servers = this._register(new ModelServers(ctx.extension.extensionPath, ctx.log)));
    const view = (this.view = this._register(new ModelsView(servers, runEnded, verdicts)));
    this.tasks = this._register(new ServeTasks(servers, () => view.load().then((ms) => ms.filter((m) => m.versions.length > 0)), requestLogOf));
    this._register(vscode.window.registerTreeDataProvider('pipewise.models', view));
    this.panels = this._register(
      new PanelRegistry(ctx, {
        viewType: TRY_VIEW_TYPE,
        keyOf: (m: PushedModel) => path.resolve(m.base),
        title: (m) => `Try: ${m.label}`,
        create: (webviewPanel, m) => new TryPanel(webviewPanel, ctx, servers, m),
        // A Try panel restored after a reload: reopened on its model when it is still pushed here.
        isState: (s): s is { base: string } => !!s && typeof (s as { base?: unknown }).base === 'string',
        revive: async (saved) => (await view.load()).find((x) => path.resolve(x.base) === path.resolve(saved.base)),
      }),
    );
    const setServing = (): void => void vscode.commands.executeCommand('setContext', 'pipewise.serverRunning', servers.list().length > 0);
    this._register(servers.onDidChange(setServing));
    setServing();

    this.registerServerCommands();
    this._register(
      new RegistryCommandsFeature(ctx, {
        view,
        servers,
        modelOf: (arg, title, filter) => this.modelOf(arg, title, filter),
        start: (m, port, split) => this.start(m, port, split),
      }),
    );
    this.registerTestCommands();
  }

  /** The model an argument names, else the only one, else the user picks. */
  private async modelOf(arg: unknown, title: string, filter: (m: PushedModel) => boolean = () => true): Promise<PushedModel | undefined> {
    const known = await this.view.load();
    const given = modelOfArg(arg, known);
    if (given || arg !== undefined) {
      if (!given) void vscode.window.showWarningMessage(`No pushed model at ${arg instanceof vscode.Uri ? arg.fsPath : String(arg)}.`);
      return given;
    }
    const candidates = known.filter(filter);
    if (candidates.length <= 1) {
      if (!candidates.length) void vscode.window.showInformationMessage('No pushed model here: run a pipeline with a Pusher stage (its model must be blessed).');
      return candidates[0];
    }
    const pick = await vscode.window.showQuickPick(
      candidates.map((m) => ({ label: m.label, description: vscode.workspace.asRelativePath(m.base), model: m })),
      { title },
    );
    return pick?.model;
  }

  private async start(m: PushedModel, port?: number, split?: string): Promise<ServerInfo | undefined> {
    if (!this.trust.allowsRun('start a model server')) return undefined;
    if (!m.versions.length) throw new Error(`${m.name} has no version in ${m.base} yet: push one first`);
    const task = this.tasks.taskFor({ name: m.name, label: m.label, base: m.base, ...(port !== undefined ? { port } : {}), ...requestLogOf(m), ...(split ? { split } : {}) });
    const info = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Starting the server for ${m.name}` }, () => this.tasks.run(task));
    this.view.refresh();
    return info;
  }

  private openTry(m: PushedModel): TryPanel {
    const { panel, created } = this.panels.show(m);
    if (!created) void panel.load();
    return panel;
  }

  /** Starting, stopping and reaching the servers; trying and monitoring a model. */
  private registerServerCommands(): void {
    const { view, servers } = this;
    this.command('pipewise.refreshModels', () => view.refresh());
    this.command('pipewise.startModelServer', async (arg, options) => {
      const m = await this.modelOf(arg, 'Serve which model?', (x) => x.versions.length > 0 && !servers.get(x.base));
      return m ? this.start(m, options?.port) : undefined;
    });
    this.command('pipewise.stopModelServer', async (arg) => {
      const m = await this.modelOf(arg, 'Stop which server?', (x) => !!servers.get(x.base));
      return m ? servers.stop(m.base) : false;
    });
    this.command('pipewise.showModelServerLog', async (arg) => {
      const m = await this.modelOf(arg, 'Whose server log?', (x) => !!servers.get(x.base));
      return m ? servers.showLog(m.base) : false;
    });
    this.command('pipewise.tryModel', async (arg) => {
      const m = await this.modelOf(arg, 'Try which model?', (x) => x.versions.length > 0);
      if (!m) return undefined;
      // Trying needs a server: start one (trust permitting) when none runs.
      if (!servers.get(m.base) && !(await this.start(m))) return undefined;
      return this.openTry(m).model.base;
    });
    this.command('pipewise.copyModelUrl', async (arg) => {
      const m = await this.modelOf(arg, 'Whose URL?', (x) => !!servers.get(x.base));
      const url = m ? servers.get(m.base)?.url : undefined;
      if (url) await vscode.env.clipboard.writeText(url);
      return url;
    });

    this.command('pipewise.monitorModel', async (arg) => {
      // The running server's log folder, else where the view's servers log.
      const logDirOf = (x: PushedModel): string => servers.get(x.base)?.logDir ?? requestLogDir(x);
      const m = await this.modelOf(arg, 'Monitor which model?', (x) => existsSync(logDirOf(x)));
      if (!m) return undefined;
      const logDir = logDirOf(m);
      if (!existsSync(logDir)) {
        void vscode.window.showInformationMessage(`No request of ${m.name} is logged yet (${vscode.workspace.asRelativePath(logDir)}): start its server from the Models view and send it requests.`);
        return undefined;
      }
      await executeCommand('pipewise.openMonitoring', vscode.Uri.file(m.pipelineFile), logDir);
      return logDir;
    });
  }

  /** Test-only: what the Models view shows and drew, and the Try panel's renders and messages. */
  private registerTestCommands(): void {
    const { view, panels } = this;
    this.testCommand('pipewise.test.modelsView', () => view.snapshot());
    this.testCommand('pipewise.test.modelsViewShown', () => view.snapshot(true));
    this.testCommand('pipewise.test.modelsViewDrawn', () => view.drawnVersions());
    this.testCommand('pipewise.test.tryRender', (base, want) => {
      const p = panels.get(path.resolve(base));
      if (!p) throw new Error(`no Try panel for ${base}`);
      return p.waitForRender((r) => r.kind === want.kind, want.timeoutMs ?? 60_000, want.fresh ?? false, `a '${want.kind}' render`);
    });
    this.testCommand('pipewise.test.tryMessage', async (base, m) => {
      const p = panels.get(path.resolve(base));
      if (!p) throw new Error(`no Try panel for ${base}`);
      if (m === 'submit') p.submit();
      else await p.receive(m);
    });
  }
}

/** A model's request log as the settings in its pipeline's scope ask (undefined: not logged). */
function requestLogOf(m: Pick<PushedModel, 'logName' | 'pipelineFile'>): { logDir: string; logSample: number } | undefined {
  const { logRequests, logSample } = readConfig(vscode.Uri.file(m.pipelineFile)).serving;
  return logRequests ? { logDir: requestLogDir(m), logSample } : undefined;
}
