/**
 * `pipewise.openMonitoring(pipelineUri?, logDir?)`: opens (or reveals) the monitoring panel of a
 * pipeline and a request log. Without arguments it asks: the pipeline among the workspace's
 * *.pipeline.yaml files, the log folder with a folder picker that starts at a `requests` or `logs`
 * folder it finds. The Models view calls it with both for a running server.
 */
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { MonitoringState } from '../../protocol/monitoring';
import { Feature } from '../feature';
import type { PipewiseContext } from '../context';
import { PanelRegistry } from '../panelRegistry';
import { MONITORING_VIEW_TYPE } from '../contributionIds';
import { MonitoringPanel } from './monitoringPanel';
import type { MonitoringVerdicts } from './monitoringVerdicts';

async function pickPipeline(): Promise<vscode.Uri | undefined> {
  const active = vscode.window.activeTextEditor?.document.uri;
  const files = await vscode.workspace.findFiles('**/*.pipeline.{yaml,yml}', '**/node_modules/**', 200);
  if (files.length === 0) {
    void vscode.window.showInformationMessage('Pipewise: no *.pipeline.yaml file in this workspace to monitor.');
    return undefined;
  }
  if (files.length === 1) return files[0];
  const items = files
    .map((uri) => ({ label: path.basename(uri.fsPath), description: vscode.workspace.asRelativePath(path.dirname(uri.fsPath)), uri }))
    .sort((a, b) => Number(b.uri.toString() === active?.toString()) - Number(a.uri.toString() === active?.toString()) || a.description.localeCompare(b.description));
  return (await vscode.window.showQuickPick(items, { title: 'Monitor the requests served from which pipeline?' }))?.uri;
}

/** A `requests` or `logs` folder beside the pipeline or at a workspace root, if there is one. */
function defaultLogDir(pipelineFile: string): vscode.Uri | undefined {
  const roots = [path.dirname(pipelineFile), ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath)];
  for (const r of roots) for (const name of ['requests', 'logs']) if (existsSync(path.join(r, name))) return vscode.Uri.file(path.join(r, name));
  return vscode.Uri.file(path.dirname(pipelineFile));
}

async function pickLogDir(pipelineFile: string): Promise<string | undefined> {
  const defaultUri = defaultLogDir(pipelineFile);
  const picked = await vscode.window.showOpenDialog({
    title: 'The request log folder (the --log-dir of pipewise serve)',
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    openLabel: 'Monitor',
    ...(defaultUri ? { defaultUri } : {}),
  });
  return picked?.[0]?.fsPath;
}

function isState(s: unknown): s is MonitoringState {
  const x = s as Partial<MonitoringState> | undefined;
  return !!x && typeof x.pipelineFile === 'string' && typeof x.logDir === 'string' && (x.by === 'hour' || x.by === 'day');
}

/** The monitoring panels and their command, owned by this feature. */
export class MonitoringFeature extends Feature {
  /** The verdicts the panels reach, for the Models view's warning badge. */
  readonly verdicts: MonitoringVerdicts;

  /** `verdicts` outlives the feature: the Models view, loaded first, shows them. */
  constructor(ctx: PipewiseContext, verdicts: MonitoringVerdicts) {
    super(ctx);
    this.verdicts = verdicts;
    const panels = this._register(new PanelRegistry(ctx, {
      viewType: MONITORING_VIEW_TYPE,
      keyOf: (s: MonitoringState) => MonitoringPanel.keyOf(s.pipelineFile, s.logDir),
      title: () => 'Monitoring',
      create: (webviewPanel, s) => new MonitoringPanel(ctx, webviewPanel, s, verdicts),
      isState,
    }));
    const find = (logDir: string): MonitoringPanel | undefined => panels.find((p) => path.resolve(p.state.logDir) === path.resolve(logDir));

    this.command('pipewise.openMonitoring', async (pipelineUri?: vscode.Uri, logDir?: string) => {
      const pipeline = pipelineUri ?? (await pickPipeline());
      if (!pipeline) return undefined;
      const dir = logDir ?? (await pickLogDir(pipeline.fsPath));
      if (!dir) return undefined;
      const { panel, created } = panels.show({ pipelineFile: pipeline.fsPath, logDir: path.resolve(dir), by: 'hour' });
      if (!created) await panel.load();
      return panel.panel.title;
    });
    this.testCommand('pipewise.test.monitoringAck', async (logDir, want) => {
      const p = find(logDir);
      if (!p) throw new Error(`no monitoring panel open on ${logDir}`);
      return p.waitForAck((a) => a.kind === (want?.kind ?? 'report') && (want?.requests === undefined || a.requests === want.requests) && (want?.overlay === undefined || a.overlay === want.overlay), want?.timeoutMs ?? 60_000, want?.fresh ?? false);
    });
  }
}
