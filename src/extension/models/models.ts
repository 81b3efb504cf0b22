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
import { executeCommand, registerCommand, registerTestCommand } from '../commands';
import type { TrustGate } from '../trust';
import { readConfig } from '../config';
import { ModelServers } from './modelServers';
import type { ServerInfo } from '../../protocol/models';
import { requestLogDir } from './pushedModels';
import { ServeTasks } from './serveTask';
import { ModelsView, modelOfArg } from './modelsView';
import type { PushedModel } from './pushedModels';
import { TRY_VIEW_TYPE, TryPanel } from './tryPanel';
import { PanelRegistry } from '../panelRegistry';
import { registerRegistryCommands } from './registryCommands';

/** `runEnded`: fires when a run started in the editor ends (the Models view reloads then). */
export function registerModels(ctx: PipewiseContext, trust: TrustGate, runEnded?: vscode.Event<unknown>, verdicts?: MonitoringVerdicts): ModelServers {
  const subs = ctx.extension.subscriptions;
  const servers = new ModelServers(ctx.extension.extensionPath, ctx.log);
  const view = new ModelsView(servers, runEnded, verdicts);
  /** A model's request log as the settings in its pipeline's scope ask (undefined: not logged). */
  const requestLogOf = (m: Pick<PushedModel, 'logName' | 'pipelineFile'>): { logDir: string; logSample: number } | undefined => {
    const { logRequests, logSample } = readConfig(vscode.Uri.file(m.pipelineFile)).serving;
    return logRequests ? { logDir: requestLogDir(m), logSample } : undefined;
  };
  const tasks = new ServeTasks(servers, () => view.load().then((ms) => ms.filter((m) => m.versions.length > 0)), requestLogOf);
  const panels = new PanelRegistry(ctx.extension.extensionUri, {
    viewType: TRY_VIEW_TYPE,
    keyOf: (m: PushedModel) => path.resolve(m.base),
    title: (m) => `Try: ${m.label}`,
    create: (webviewPanel, m) => new TryPanel(webviewPanel, ctx, servers, m),
    // A Try panel restored after a reload: reopened on its model when it is still pushed here.
    isState: (s): s is { base: string } => !!s && typeof (s as { base?: unknown }).base === 'string',
    revive: async (saved) => (await view.load()).find((x) => path.resolve(x.base) === path.resolve(saved.base)),
  });
  subs.push(servers, view, tasks, vscode.window.registerTreeDataProvider('pipewise.models', view), panels);
  const setServing = (): void => void vscode.commands.executeCommand('setContext', 'pipewise.serverRunning', servers.list().length > 0);
  subs.push(servers.onDidChange(setServing));
  setServing();

  /** The model an argument names, else the only one, else the user picks. */
  const modelOf = async (arg: unknown, title: string, filter: (m: PushedModel) => boolean = () => true): Promise<PushedModel | undefined> => {
    const known = await view.load();
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
  };

  const start = async (m: PushedModel, port?: number, split?: string): Promise<ServerInfo | undefined> => {
    if (!trust.allowsRun('start a model server')) return undefined;
    if (!m.versions.length) throw new Error(`${m.name} has no version in ${m.base} yet: push one first`);
    const task = tasks.taskFor({ name: m.name, label: m.label, base: m.base, ...(port !== undefined ? { port } : {}), ...requestLogOf(m), ...(split ? { split } : {}) });
    const info = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Starting the server for ${m.name}` }, () => tasks.run(task));
    view.refresh();
    return info;
  };

  const openTry = (m: PushedModel): TryPanel => {
    const { panel, created } = panels.show(m);
    if (!created) void panel.load();
    return panel;
  };

  registerCommand(ctx, 'pipewise.refreshModels', () => view.refresh());
  registerCommand(ctx, 'pipewise.startModelServer', async (arg, options) => {
    const m = await modelOf(arg, 'Serve which model?', (x) => x.versions.length > 0 && !servers.get(x.base));
    return m ? start(m, options?.port) : undefined;
  });
  registerCommand(ctx, 'pipewise.stopModelServer', async (arg) => {
    const m = await modelOf(arg, 'Stop which server?', (x) => !!servers.get(x.base));
    return m ? servers.stop(m.base) : false;
  });
  registerCommand(ctx, 'pipewise.showModelServerLog', async (arg) => {
    const m = await modelOf(arg, 'Whose server log?', (x) => !!servers.get(x.base));
    return m ? servers.showLog(m.base) : false;
  });
  registerCommand(ctx, 'pipewise.tryModel', async (arg) => {
    const m = await modelOf(arg, 'Try which model?', (x) => x.versions.length > 0);
    if (!m) return undefined;
    // Trying needs a server: start one (trust permitting) when none runs.
    if (!servers.get(m.base) && !(await start(m))) return undefined;
    return openTry(m).model.base;
  });
  registerCommand(ctx, 'pipewise.copyModelUrl', async (arg) => {
    const m = await modelOf(arg, 'Whose URL?', (x) => !!servers.get(x.base));
    const url = m ? servers.get(m.base)?.url : undefined;
    if (url) await vscode.env.clipboard.writeText(url);
    return url;
  });

  registerCommand(ctx, 'pipewise.monitorModel', async (arg) => {
    // The running server's log folder, else where the view's servers log.
    const logDirOf = (x: PushedModel): string => servers.get(x.base)?.logDir ?? requestLogDir(x);
    const m = await modelOf(arg, 'Monitor which model?', (x) => existsSync(logDirOf(x)));
    if (!m) return undefined;
    const logDir = logDirOf(m);
    if (!existsSync(logDir)) {
      void vscode.window.showInformationMessage(`No request of ${m.name} is logged yet (${vscode.workspace.asRelativePath(logDir)}): start its server from the Models view and send it requests.`);
      return undefined;
    }
    await executeCommand('pipewise.openMonitoring', vscode.Uri.file(m.pipelineFile), logDir);
    return logDir;
  });

  registerRegistryCommands(ctx, { view, servers, modelOf, start });

  registerTestCommand(ctx, 'pipewise.test.modelsView', () => view.snapshot());
  registerTestCommand(ctx, 'pipewise.test.modelsViewShown', () => view.snapshot(true));
  registerTestCommand(ctx, 'pipewise.test.modelsViewDrawn', () => view.drawnVersions());
  registerTestCommand(ctx, 'pipewise.test.tryRender', (base, want) => {
    const p = panels.get(path.resolve(base));
    if (!p) throw new Error(`no Try panel for ${base}`);
    return p.waitForRender((r) => r.kind === want.kind, want.timeoutMs ?? 60_000, want.fresh ?? false, `a '${want.kind}' render`);
  });
  registerTestCommand(ctx, 'pipewise.test.tryMessage', async (base, m) => {
    const p = panels.get(path.resolve(base));
    if (!p) throw new Error(`no Try panel for ${base}`);
    if (m === 'submit') p.submit();
    else await p.receive(m);
  });

  return servers;
}
