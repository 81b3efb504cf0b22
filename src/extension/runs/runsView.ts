import * as vscode from 'vscode';
import path from 'node:path';
import type { RunRecord } from '../../engine/lineage';
import type { StageResult, RunResult } from '../../protocol/runEvents';
import { readConfig } from '../config';
import { formatDuration } from '../../core/format';
import { readRunRecords } from './runHistory';
import { formatBytes, storeBytes } from './collectGarbage';
import type { RunController } from './runController';
import { commandOf } from '../commands';
import { readRunAnnotations } from './runAnnotations';
import { runContextValue, type RunAnnotations } from '../../core/runAnnotations';
import { errorMessage } from '../../core/errors';

type Element =
  | { readonly kind: 'pipeline'; readonly uri: vscode.Uri; readonly storeBytes?: number }
  | { readonly kind: 'run'; readonly uri: vscode.Uri; readonly run: RunRecord; readonly annotations: RunAnnotations; readonly annotationsError?: string }
  | { readonly kind: 'stage'; readonly uri: vscode.Uri; readonly run: RunRecord; readonly stage: StageResult }
  | { readonly kind: 'artifact'; readonly uri: vscode.Uri; readonly output: string; readonly folder: string; readonly component?: string };

const STATUS_ICON: Record<string, [string, string | undefined]> = {
  succeeded: ['pass', 'testing.iconPassed'],
  cached: ['pass-filled', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  cancelled: ['circle-slash', 'testing.iconSkipped'],
  skipped: ['debug-step-over', 'disabledForeground'],
  running: ['sync~spin', undefined],
  pending: ['clock', undefined],
};

function statusIcon(status: string): vscode.ThemeIcon {
  const [id, colour] = STATUS_ICON[status] ?? ['circle-outline', undefined];
  return new vscode.ThemeIcon(id, colour ? new vscode.ThemeColor(colour) : undefined);
}

/**
 * The Runs view: the workspace's pipelines, each with its past runs (from the run records under
 * `.pipewise/metadata/runs/`), each run with its stages' status and duration and their artifacts.
 */
export class RunsView implements vscode.TreeDataProvider<Element>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Element | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  /** Results of this session, shown until (or unless) the engine's record of them is on disk. */
  private readonly session = new Map<string, RunRecord[]>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(runs: RunController) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.pipeline.{yaml,yml}', false, true, false);
    this.disposables.push(
      this.changed,
      watcher,
      watcher.onDidCreate(() => this.refresh()),
      watcher.onDidDelete(() => this.refresh()),
      runs.onDidFinish((r) => {
        const list = this.session.get(path.resolve(r.file)) ?? [];
        list.unshift(recordOf(r));
        this.session.set(path.resolve(r.file), list);
        this.refresh();
      }),
    );
  }

  refresh(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.changed.fire(undefined), 200);
  }

  async getChildren(e?: Element): Promise<Element[]> {
    if (!e) {
      const files = await vscode.workspace.findFiles('**/*.pipeline.{yaml,yml}', '**/{node_modules,.pipewise,.git}/**', 500);
      const sorted = files.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
      return Promise.all(sorted.map(async (uri) => ({ kind: 'pipeline' as const, uri, storeBytes: await storeBytes(uri.fsPath) })));
    }
    if (e.kind === 'pipeline') {
      const limit = readConfig(e.uri).runs.historyLimit;
      const onDisk = await readRunRecords(e.uri.fsPath, await storeOf(e.uri), limit);
      const ids = new Set(onDisk.map((r) => r.id));
      const extra = (this.session.get(path.resolve(e.uri.fsPath)) ?? []).filter((r) => r.id && !ids.has(r.id));
      const store = await storeOf(e.uri);
      const shown = [...extra, ...onDisk].sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1)).slice(0, limit);
      return Promise.all(
        shown.map(async (run): Promise<Element> => {
          try {
            return { kind: 'run', uri: e.uri, run, annotations: await readRunAnnotations(e.uri.fsPath, store, run.id) };
          } catch (err) {
            // A damaged annotations file is shown on its run, not allowed to hide the history.
            return { kind: 'run', uri: e.uri, run, annotations: {}, annotationsError: errorMessage(err) };
          }
        }),
      );
    }
    if (e.kind === 'run') return e.run.stages.map((stage) => ({ kind: 'stage', uri: e.uri, run: e.run, stage }));
    if (e.kind === 'stage') return Object.entries(e.stage.artifacts).map(([output, folder]) => ({ kind: 'artifact', uri: e.uri, output, folder, component: e.stage.component }));
    return [];
  }

  getTreeItem(e: Element): vscode.TreeItem {
    switch (e.kind) {
      case 'pipeline': {
        const item = new vscode.TreeItem(path.basename(e.uri.fsPath), vscode.TreeItemCollapsibleState.Collapsed);
        item.resourceUri = e.uri;
        item.description = vscode.workspace.asRelativePath(path.dirname(e.uri.fsPath)) + (e.storeBytes ? ` · store ${formatBytes(e.storeBytes)}` : '');
        if (e.storeBytes) item.tooltip = `Artifacts and lineage take ${formatBytes(e.storeBytes)}; Clean Up Store… removes what recent runs, blessed and pushed models no longer need.`;
        item.iconPath = new vscode.ThemeIcon('type-hierarchy-sub');
        item.contextValue = 'pipewise.pipeline';
        item.command = { command: 'vscode.open', title: 'Open', arguments: [e.uri] };
        return item;
      }
      case 'run': {
        const started = new Date(e.run.startedAt);
        const when = Number.isNaN(started.getTime()) ? e.run.id : started.toLocaleString();
        const a = e.annotations;
        // A named run is known by its name; the star leads so starred runs stand out in a long list.
        const label = `${a.starred ? '★ ' : ''}${a.name ?? when}`;
        const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
        const stages = e.run.stages;
        const ran = stages.filter((s) => s.status === 'succeeded').length;
        const cached = stages.filter((s) => s.status === 'cached').length;
        const note = a.note?.split('\n')[0];
        item.description = `${a.name ? `${when} · ` : ''}${e.run.status} · ${formatDuration(e.run.durationMs)} · ${ran} ran, ${cached} cached${note ? ` · ${note}` : ''}`;
        item.tooltip = `Run ${e.run.id}${a.name ? ` “${a.name}”` : ''}${a.starred ? ' (starred: Clean Up Store keeps it)' : ''}\n${e.run.status} in ${formatDuration(e.run.durationMs)}${selectionText(e.run)}${a.note ? `\n\n${a.note}` : ''}${e.annotationsError ? `\n\n${e.annotationsError}` : ''}`;
        item.iconPath = statusIcon(e.run.status);
        item.contextValue = runContextValue(a);
        return item;
      }
      case 'stage': {
        const s = e.stage;
        const hasArtifacts = Object.keys(s.artifacts).length > 0;
        const item = new vscode.TreeItem(s.name, hasArtifacts ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.description = `${s.component} · ${s.status}${s.status === 'skipped' ? '' : ` · ${formatDuration(s.durationMs)}`}`;
        item.tooltip = s.error ? `${s.name} failed: ${s.error}` : `${s.name} (${s.component}) ${s.status}`;
        item.iconPath = statusIcon(s.status);
        item.contextValue = 'pipewise.stage';
        return item;
      }
      case 'artifact': {
        const item = new vscode.TreeItem(e.output, vscode.TreeItemCollapsibleState.None);
        item.description = vscode.workspace.asRelativePath(e.folder);
        item.resourceUri = vscode.Uri.file(e.folder);
        item.iconPath = new vscode.ThemeIcon('package');
        item.contextValue = 'pipewise.artifact';
        item.command = { command: 'revealInExplorer', title: 'Reveal', arguments: [vscode.Uri.file(e.folder)] };
        if (e.component === 'Evaluator' && e.output === 'evaluation') {
          // An evaluation opens in the evaluation panel.
          item.contextValue = 'pipewise.artifact.evaluation';
          item.iconPath = new vscode.ThemeIcon('graph-line');
          item.command = commandOf('pipewise.openEvaluation', 'Open Model Evaluation', [vscode.Uri.file(e.folder)]);
        }
        return item;
      }
    }
  }

  /** The run items of a pipeline as drawn (for tests: what the user reads). */
  async snapshot(pipeline: vscode.Uri): Promise<{ runId: string; label: string; description: string; tooltip: string; contextValue: string }[]> {
    const runs = await this.getChildren({ kind: 'pipeline', uri: pipeline });
    return runs.map((e) => {
      const item = this.getTreeItem(e);
      const text = (x: string | vscode.MarkdownString | vscode.TreeItemLabel | boolean | undefined): string => (typeof x === 'string' ? x : x && typeof x === 'object' && 'value' in x ? x.value : x && typeof x === 'object' && 'label' in x ? x.label : '');
      return { runId: e.kind === 'run' ? e.run.id : '', label: text(item.label), description: text(item.description), tooltip: text(item.tooltip), contextValue: item.contextValue ?? '' };
    });
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}

function selectionText(r: RunRecord): string {
  const sel = r.selection;
  if (!sel) return '';
  if (sel.only?.length) return `\nonly: ${sel.only.join(', ')}`;
  if (sel.from) return `\nfrom: ${sel.from}`;
  return '';
}

function recordOf(r: RunResult): RunRecord {
  const now = Date.now();
  return {
    id: r.runId,
    pipeline: r.pipeline,
    file: r.file,
    status: r.status,
    startedAt: new Date(now - r.durationMs).toISOString(),
    finishedAt: new Date(now).toISOString(),
    durationMs: r.durationMs,
    pid: 0,
    selection: {},
    stages: r.stages,
  };
}

async function storeOf(uri: vscode.Uri): Promise<string> {
  // The store is `.pipewise` unless the file says otherwise (`store:` at the top level).
  try {
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    const m = /^store\s*:\s*["']?([^"'#\n]+?)["']?\s*(#.*)?$/m.exec(text);
    return m?.[1] ?? '.pipewise';
  } catch {
    return '.pipewise';
  }
}
