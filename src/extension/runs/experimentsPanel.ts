/**
 * The experiments table of a pipeline, opened from the Runs view (or the palette on a pipeline
 * file): its runs × the parameters that changed × the evaluation's metrics, from lineage alone
 * (run and execution records, metrics.json, the Trainer's history.json). One panel per pipeline.
 */
import * as vscode from 'vscode';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parsePipeline } from '../../core/parse';
import { buildExperiments, type ExecutionInput } from '../../core/experiments';
import type { ExperimentsView, FromExperimentsMessage, ToExperimentsMessage } from '../../protocol/experiments';
import type { PipewiseContext } from '../extension';
import { panelColumn } from '../panels/evaluationPanel';
import { webviewPage } from '../webviewPage';
import { readRunRecords } from './runHistory';
import { errorMessage } from '../../protocol/errors';

export const EXPERIMENTS_VIEW_TYPE = 'pipewise.experiments';

export interface ExperimentsAck {
  readonly rows: readonly string[];
  readonly columns: readonly string[];
  readonly chart?: { readonly metric: string; readonly runs: readonly string[] };
  readonly renders: number;
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Everything the table shows, read from the pipeline's store. */
export async function loadExperiments(pipelineFile: string, limit: number): Promise<ExperimentsView> {
  const parsed = parsePipeline(await fs.readFile(pipelineFile, 'utf8'), pipelineFile);
  const store = parsed.spec?.store ?? '.pipewise';
  const runs = await readRunRecords(pipelineFile, store, limit);
  const ids = new Set(runs.map((r) => r.id));
  const execDir = path.join(path.dirname(pipelineFile), store, 'metadata', 'executions');
  const executions: ExecutionInput[] = [];
  for (const name of await fs.readdir(execDir).catch(() => [] as string[])) {
    if (!name.endsWith('.json')) continue;
    const e = await readJson<ExecutionInput>(path.join(execDir, name));
    if (e && ids.has(e.runId)) executions.push(e);
  }
  const evaluations = new Map<string, { metrics: Record<string, number>; blessed: boolean }>();
  const histories = new Map<string, Record<string, number>[]>();
  for (const r of runs) {
    for (const s of r.stages) {
      const ev = s.component === 'Evaluator' ? s.artifacts.evaluation : undefined;
      if (ev && !evaluations.has(ev)) {
        const m = await readJson<{ slices: { slice: Record<string, unknown>; metrics: Record<string, number> }[]; blessed: boolean }>(path.join(ev, 'metrics.json'));
        const overall = m?.slices.find((x) => Object.keys(x.slice).length === 0);
        if (m && overall) evaluations.set(ev, { metrics: overall.metrics, blessed: m.blessed });
      }
      const model = s.component === 'Trainer' || s.component === 'Tuner' ? s.artifacts.model : undefined;
      if (model && !histories.has(model)) {
        const h = await readJson<Record<string, number>[]>(path.join(model, 'history.json'));
        if (Array.isArray(h)) histories.set(model, h);
      }
    }
  }
  return buildExperiments(parsed.spec?.name ?? path.basename(pipelineFile), pipelineFile, runs, executions, evaluations, histories);
}

export function registerExperiments(ctx: PipewiseContext): void {
  const panels = new Map<string, { panel: vscode.WebviewPanel; ack: ExperimentsAck; refresh: () => Promise<void> }>();
  const open = async (arg?: unknown): Promise<void> => {
    const uri = arg instanceof vscode.Uri ? arg : arg && typeof arg === 'object' && 'uri' in arg && (arg as { uri: unknown }).uri instanceof vscode.Uri ? (arg as { uri: vscode.Uri }).uri : vscode.window.activeTextEditor?.document.uri;
    if (!uri || !/\.pipeline\.ya?ml$/.test(uri.fsPath)) {
      void vscode.window.showInformationMessage('Open the experiments of a pipeline from the Runs view, or with its *.pipeline.yaml file active.');
      return;
    }
    const file = path.resolve(uri.fsPath);
    const existing = panels.get(file);
    if (existing) {
      existing.panel.reveal();
      await existing.refresh();
      return;
    }
    const extensionUri = ctx.extension.extensionUri;
    const panel = vscode.window.createWebviewPanel(EXPERIMENTS_VIEW_TYPE, `Experiments: ${path.basename(file).replace(/\.pipeline\.ya?ml$/, '')}`, panelColumn(), {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'out', 'webviews'), vscode.Uri.joinPath(extensionUri, 'media')],
    });
    panel.webview.html = webviewPage({
      webview: panel.webview,
      extensionUri,
      bundle: 'experiments',
      stylesheet: 'panels.css',
      title: 'Experiments',
      body: () => '<main id="app"><p class="hint">Reading the runs…</p></main>',
    });
    let ready = false;
    const entry = {
      panel,
      ack: { rows: [], columns: [], renders: 0 } as ExperimentsAck,
      refresh: async () => {
        if (!ready) return;
        try {
          const view = await loadExperiments(file, 500);
          void panel.webview.postMessage({ type: 'view', view } satisfies ToExperimentsMessage);
        } catch (e) {
          ctx.log.error(`[experiments] ${file}: ${errorMessage(e)}`);
        }
      },
    };
    panels.set(file, entry);
    panel.onDidDispose(() => panels.delete(file));
    panel.webview.onDidReceiveMessage(async (m: FromExperimentsMessage) => {
      if (m.type === 'ready') {
        ready = true;
        await entry.refresh();
      } else if (m.type === 'rendered') {
        entry.ack = { rows: m.rows, columns: m.columns, ...(m.chart ? { chart: m.chart } : {}), renders: entry.ack.renders + 1 };
      } else if (m.type === 'openEvaluation') {
        await vscode.commands.executeCommand('pipewise.openEvaluation', vscode.Uri.file(m.folder));
      } else if (m.type === 'error') {
        ctx.log.error(`[experiments] ${m.message}`);
      }
    });
  };
  ctx.extension.subscriptions.push(
    vscode.commands.registerCommand('pipewise.showExperiments', open),
    vscode.commands.registerCommand('pipewise.test.experimentsAck', (uri: unknown) => (uri instanceof vscode.Uri ? panels.get(path.resolve(uri.fsPath))?.ack : undefined)),
    vscode.commands.registerCommand('pipewise.test.experimentsPost', (uri: unknown, message: unknown) => {
      // Drives the webview as a click would (select runs, choose a metric): for the host tests.
      const p = uri instanceof vscode.Uri ? panels.get(path.resolve(uri.fsPath)) : undefined;
      return p ? p.panel.webview.postMessage(message) : false;
    }),
    { dispose: () => panels.forEach((p) => p.panel.dispose()) },
  );
}
