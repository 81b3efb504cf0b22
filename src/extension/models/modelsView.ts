/**
 * The Models view (beside the Runs view): the workspace's pushed models (each pipeline's Pusher
 * destinations), their numbered versions with the blessing metrics of the evaluation that let them
 * be pushed, the registry's aliases on each version (champion first), and which version a local
 * server is serving (each version of a canary split).
 */
import * as vscode from 'vscode';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { aliasesOf, readAllPushedModels, requestLogDir, type PushedModel, type PushedVersion } from './pushedModels';
import { previousVersion } from '../../engine/serving/aliases';
import { parseSplit } from '../../engine/serving/canary';
import type { ServerInfo } from '../../protocol/models';
import type { ModelServers } from './modelServers';
import type { MonitoringVerdicts } from '../panels/monitoringVerdicts';
import { formatNumber } from '../../core/format';
import { commandOf } from '../commands';

export type ModelElement =
  | { readonly kind: 'model'; readonly model: PushedModel }
  | { readonly kind: 'version'; readonly model: PushedModel; readonly version: PushedVersion };

/** The versions a server answers with by default: its version, or every target of its canary split (aliases as the model's file has them). */
export function servedVersions(m: PushedModel, server: ServerInfo | undefined): Set<number> {
  const served = new Set<number>();
  if (!server) return served;
  if (server.split) {
    // A split from tasks.json is checked by the server, which exits on a bad one: until then, none is marked.
    let shares: ReturnType<typeof parseSplit> = [];
    try {
      shares = parseSplit(server.split);
    } catch {
      shares = [];
    }
    for (const s of shares) {
      const v = typeof s.target === 'number' ? s.target : m.aliases.aliases[s.target];
      if (v !== undefined) served.add(v);
    }
  } else if (server.version) served.add(Number(server.version));
  return served;
}

/** Metrics shown first in a version's description, when the evaluation has them. */
const HEADLINE = ['accuracy', 'auc', 'rmse', 'mae', 'log_loss'];

/** "accuracy 0.991 · log_loss 0.0178": the headline metrics of a version. */
export function headlineMetrics(metrics: Readonly<Record<string, number>> | undefined, count = 2): string {
  if (!metrics) return '';
  const names = HEADLINE.filter((n) => typeof metrics[n] === 'number').slice(0, count);
  return names.map((n) => `${n} ${formatNumber(metrics[n] as number)}`).join(' · ');
}

export class ModelsView implements vscode.TreeDataProvider<ModelElement>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ModelElement | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private models: PushedModel[] = [];
  /** Base paths of the models with a request log on disk, as of the last load (not a disk check per redraw). */
  private logged = new Set<string>();

  /**
   * The versions VS Code asked for since it last asked for the roots, by model label: what the view
   * draws (a model drawn collapsed is never asked), as opposed to what was loaded (tests read it).
   */
  private readonly drawn = new Map<string, string[]>();

  /** A watcher on each destination's version folders, by base path (kept in step with the models loaded). */
  private readonly destinations = new Map<string, vscode.FileSystemWatcher>();

  /** `runEnded`: the editor's own runs, told directly (a file watcher may coalesce or drop the store's atomic renames). */
  constructor(
    private readonly servers: ModelServers,
    runEnded?: vscode.Event<unknown>,
    /** What the monitoring panels concluded: an anomalous model gets a warning. */
    private readonly verdicts?: MonitoringVerdicts,
  ) {
    // A run from a task or a terminal writes a run record (temp + rename: seen as a create, a change or a delete and create).
    const records = vscode.workspace.createFileSystemWatcher('**/metadata/runs/*.json');
    const files = vscode.workspace.createFileSystemWatcher('**/*.pipeline.{yaml,yml}');
    const refresh = (): void => this.refresh();
    this.disposables.push(
      this.changed,
      records,
      files,
      records.onDidCreate(refresh),
      records.onDidChange(refresh),
      records.onDidDelete(refresh),
      files.onDidCreate(refresh),
      files.onDidChange(refresh),
      files.onDidDelete(refresh),
      servers.onDidChange(() => this.changed.fire(undefined)),
      ...(runEnded ? [runEnded(refresh)] : []),
      ...(verdicts ? [verdicts.onDidChange(() => this.changed.fire(undefined))] : []),
    );
  }

  /** Watches the version folders of every destination loaded: a push, or a version deleted by hand, redraws the view. */
  private watchDestinations(models: readonly PushedModel[]): void {
    const bases = new Set(models.map((m) => m.base));
    for (const [base, w] of this.destinations) {
      if (bases.has(base)) continue;
      w.dispose();
      this.destinations.delete(base);
    }
    for (const base of bases) {
      if (this.destinations.has(base)) continue;
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(base), '*'));
      w.onDidCreate(() => this.refresh());
      w.onDidDelete(() => this.refresh());
      // aliases.json is replaced atomically (seen as a create) or edited by hand (a change).
      w.onDidChange(() => this.refresh());
      this.destinations.set(base, w);
    }
  }

  refresh(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.changed.fire(undefined), 200);
  }

  /** The pushed models as last read (the view's roots). */
  async load(): Promise<PushedModel[]> {
    const files = await vscode.workspace.findFiles('**/*.pipeline.{yaml,yml}', '**/{node_modules,.pipewise,.git}/**', 500);
    const models = await readAllPushedModels(files.map((f) => f.fsPath));
    const exists = await Promise.all(models.map((m) => fs.access(requestLogDir(m)).then(() => true, () => false)));
    this.logged = new Set(models.filter((_, i) => exists[i]).map((m) => m.base));
    this.models = models;
    this.watchDestinations(models);
    return models;
  }

  get known(): readonly PushedModel[] {
    return this.models;
  }

  async getChildren(e?: ModelElement): Promise<ModelElement[]> {
    if (!e) {
      this.drawn.clear();
      return (await this.load()).map((model) => ({ kind: 'model', model }));
    }
    if (e.kind === 'model') {
      this.drawn.set(e.model.label, e.model.versions.map((v) => `v${v.version}`));
      return e.model.versions.map((version) => ({ kind: 'version', model: e.model, version }));
    }
    return [];
  }

  /** The versions VS Code has asked for since it last asked for the roots, by model label. */
  drawnVersions(): Record<string, string[]> {
    return Object.fromEntries(this.drawn);
  }

  getTreeItem(e: ModelElement): vscode.TreeItem {
    const server = this.servers.get(e.model.base);
    if (e.kind === 'model') {
      const m = e.model;
      const item = new vscode.TreeItem(m.label, m.versions.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
      // VS Code keeps a node's expansion by id, and a node first drawn as a leaf (no version yet) stays
      // collapsed when it gains children: its first push would be listed only after a click
      // (issue 27, item 3). An empty model has an id of its own, so its first version gets a new node, drawn expanded.
      item.id = m.versions.length ? `model:${m.base}` : `model-empty:${m.base}`;
      const where = vscode.workspace.asRelativePath(m.pipelineFile);
      item.description = (server ? `${server.split ? 'canary' : 'serving'} on :${server.port}` : `${m.versions.length} version${m.versions.length === 1 ? '' : 's'}`) + (m.aliasError ? ' · alias file damaged' : '');
      item.tooltip = new vscode.MarkdownString(
        `**${m.name}** — pushed by stage \`${m.stage}\` of \`${where}\`  \nBase path: \`${vscode.workspace.asRelativePath(m.base)}\`` +
          (server ? `  \nServing at ${server.url}${server.version ? ` (version ${server.version})` : ''}` : '') +
          (server?.split ? `  \nCanary split: \`${server.split}\`` : '') +
          (server?.logDir ? `  \nLogging requests to \`${vscode.workspace.asRelativePath(server.logDir)}\`` : '') +
          (m.aliasError ? `  \n⚠ ${m.aliasError}` : ''),
      );
      item.iconPath = new vscode.ThemeIcon(server ? 'radio-tower' : 'package', server ? new vscode.ThemeColor('testing.iconPassed') : undefined);
      const anomalous = this.verdicts?.of(m.pipelineFile);
      if (anomalous) {
        // The monitoring panel found its requests anomalous: a warning badge, and why in the tooltip.
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
        item.description = `anomalous · ${String(item.description)}`;
        (item.tooltip as vscode.MarkdownString).appendMarkdown(`  \n$(warning) Monitoring: ${anomalous}`);
        (item.tooltip as vscode.MarkdownString).supportThemeIcons = true;
      }
      // `.logged`: a request log exists (or the running server writes one), so it can be monitored.
      const logged = !!server?.logDir || this.logged.has(m.base);
      item.contextValue = (server ? 'pipewise.model.serving' : m.versions.length ? 'pipewise.model' : 'pipewise.model.empty') + (logged ? '.logged' : '');
      return item;
    }
    const v = e.version;
    const serving = servedVersions(e.model, server).has(v.version);
    const aliases = aliasesOf(e.model, v.version);
    const champion = aliases.includes('champion');
    const item = new vscode.TreeItem(`v${v.version}`, vscode.TreeItemCollapsibleState.None);
    item.id = `version:${e.model.base}:${v.version}`;
    const verdict = v.blessed === undefined ? 'no evaluation recorded' : v.blessed ? 'blessed' : 'not blessed';
    // Short enough for a 300-pixel sidebar: one headline metric (the rest in the tooltip); the
    // served version has the green play icon, and its model says "serving on :PORT".
    // Aliases first: which version is the champion is what a reader of this view looks for.
    item.description = [aliases.join(', '), headlineMetrics(v.metrics, 1) || verdict].filter(Boolean).join(' · ');
    const md = new vscode.MarkdownString(`**${e.model.name}** version ${v.version}${serving ? ` — serving at ${server?.url}` : ''}  \n`);
    if (aliases.length) md.appendMarkdown(`Aliases: ${aliases.map((a) => `\`${a}\``).join(', ')}  \n`);
    for (const c of e.model.aliases.history.filter((h) => h.version === v.version || h.previous === v.version).slice(-5)) {
      const what = c.version === v.version ? (c.previous === null ? 'set here' : `moved here from v${c.previous}`) : c.version === null ? 'removed' : `moved to v${c.version}`;
      md.appendMarkdown(`\`${c.alias}\` ${what} by ${c.user}, ${new Date(c.at).toLocaleString()}  \n`);
    }
    if (v.pushedAt) md.appendMarkdown(`Pushed ${new Date(v.pushedAt).toLocaleString()} by run \`${v.runId}\`  \n`);
    md.appendMarkdown(`Evaluator: ${verdict}  \n`);
    for (const [k, val] of Object.entries(v.metrics ?? {})) md.appendMarkdown(`\`${k}\` ${formatNumber(val)}  \n`);
    item.tooltip = md;
    item.iconPath = new vscode.ThemeIcon(serving ? 'play-circle' : champion ? 'star-full' : v.blessed ? 'verified' : 'circle-outline', serving ? new vscode.ThemeColor('testing.iconPassed') : undefined);
    // `.champion` (with `.rollback` when an earlier champion is known) or `.candidate`: which of Promote and Roll Back it offers.
    const rollback = champion && previousVersion(e.model.aliases, 'champion') !== undefined;
    item.contextValue = (v.evaluation ? 'pipewise.modelVersion.evaluated' : 'pipewise.modelVersion') + (champion ? `.champion${rollback ? '.rollback' : ''}` : '.candidate');
    item.resourceUri = vscode.Uri.file(v.dir);
    if (v.evaluation) item.command = commandOf('pipewise.openEvaluation', 'Open Model Evaluation', [vscode.Uri.file(v.evaluation)]);
    return item;
  }

  /** What the view shows, as text (tests read it): read afresh, or (`shown`) as the view last loaded it. */
  async snapshot(shown = false): Promise<{ label: string; description: string; contextValue: string; children: { label: string; description: string; icon: string; contextValue: string }[] }[]> {
    const roots: ModelElement[] = shown ? this.models.map((model) => ({ kind: 'model', model })) : await this.getChildren();
    return Promise.all(
      roots.map(async (r) => {
        const item = this.getTreeItem(r);
        const children = (await this.getChildren(r)).map((c) => this.getTreeItem(c));
        return {
          label: String(item.label),
          description: String(item.description ?? ''),
          contextValue: item.contextValue ?? '',
          children: children.map((c) => ({ label: String(c.label), description: String(c.description ?? ''), icon: c.iconPath instanceof vscode.ThemeIcon ? c.iconPath.id : '', contextValue: c.contextValue ?? '' })),
        };
      }),
    );
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.destinations.values()) w.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** The model a command argument means: a view item, a base path (string or Uri), or undefined. */
export function modelOfArg(arg: unknown, known: readonly PushedModel[]): PushedModel | undefined {
  if (arg && typeof arg === 'object' && 'model' in arg) return (arg as { model: PushedModel }).model;
  const p = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' ? arg : undefined;
  if (!p) return undefined;
  return known.find((m) => path.resolve(m.base) === path.resolve(p));
}
