/**
 * The model-evaluation panel: one per Evaluator artifact (its metrics.json), reused when asked
 * again, opened in the active editor group (or beside, by `pipewise.panels.location`). It reads
 * metrics.json and predictions.json from the artifact, builds the view (src/core/evaluationView.ts)
 * and sends it to the webview (webviews/evaluation). Restored after a reload by its serializer.
 */
import * as vscode from 'vscode';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { buildEvaluationView, buildImportanceView, type MetricsFile } from '../../core/evaluationView';
import type { FeatureImportanceFile, FromEvaluationMessage, PredictionsFile, ToEvaluationMessage } from '../../protocol/evaluation';
import { registerCommand, registerTestCommand } from '../commands';
import type { PipewiseContext } from '../context';
import { WebviewHost } from '../webviewHost';
import { PanelRegistry } from '../panelRegistry';
import { errorMessage } from '../../protocol/errors';
import type { EvaluationAck } from '../../protocol/evaluation';

export const EVALUATION_VIEW_TYPE = 'pipewise.evaluation';

/** A command argument as the metrics.json it means: the file, its evaluation folder, or a Runs view artifact. */
export function metricsFileOf(arg: unknown): string | undefined {
  let p: string | undefined;
  if (arg instanceof vscode.Uri) p = arg.fsPath;
  else if (typeof arg === 'string') p = arg;
  else if (arg && typeof arg === 'object' && 'folder' in arg && typeof (arg as { folder: unknown }).folder === 'string') p = (arg as { folder: string }).folder;
  if (!p) return undefined;
  return path.basename(p) === 'metrics.json' ? p : path.join(p, 'metrics.json');
}

async function readJson<T>(file: string): Promise<T> {
  const text = await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new Error(e.code === 'ENOENT' ? `${file}: not found (is this an Evaluator's evaluation artifact?)` : `${file}: ${e.message}`);
  });
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${file}: not JSON (${errorMessage(e)})`);
  }
}

class EvaluationPanel extends WebviewHost<ToEvaluationMessage, FromEvaluationMessage, EvaluationAck> {
  ack: EvaluationAck;

  constructor(
    readonly file: string,
    panel: vscode.WebviewPanel,
    private readonly ctx: PipewiseContext,
  ) {
    super(panel, {
      extensionUri: ctx.extension.extensionUri,
      bundle: 'evaluation',
      stylesheet: 'panels.css',
      icon: 'panels-icon.svg',
      // …/artifacts/<stage>/<execution>/evaluation/metrics.json: named after its stage.
      title: `Evaluation: ${path.basename(path.dirname(path.dirname(path.dirname(file))))}`,
      body: '<main id="app" aria-live="polite"><p class="hint">Reading the evaluation…</p></main>',
      log: ctx.log,
      label: 'evaluation',
    });
    this.ack = { file, charts: [], slices: 0, verdict: '', overall: {}, renders: 0, errors: [] };
  }

  /** Reads metrics.json (and predictions.json beside it) and sends the view; an unreadable file is shown as an error. */
  async load(): Promise<void> {
    if (!this.isReady) return; // `onReady` loads
    try {
      const metrics = await readJson<MetricsFile>(this.file);
      const predictionsPath = path.join(path.dirname(this.file), 'predictions.json');
      const predictions = await readJson<PredictionsFile>(predictionsPath).catch(() => undefined);
      // Older evaluations (and `feature_importance: { repeats: 0 }`) have none: the panel leaves the chart out.
      const importancePath = path.join(path.dirname(this.file), 'feature_importance.json');
      const importanceFile = await readJson<FeatureImportanceFile>(importancePath).catch(() => undefined);
      const importance = importanceFile ? buildImportanceView(importancePath, importanceFile) : undefined;
      this.post({ type: 'view', view: buildEvaluationView(this.file, metrics, predictions, importance) });
    } catch (e) {
      const message = errorMessage(e);
      this.ctx.log.error(`[evaluation] ${message}`);
      this.post({ type: 'error', message });
    }
  }

  protected override async onReady(): Promise<void> {
    await this.load();
  }

  protected override onWebviewError(message: string): void {
    this.ack = { ...this.ack, errors: [...this.ack.errors, message] };
  }

  protected override async onMessage(m: FromEvaluationMessage): Promise<void> {
    switch (m.type) {
      case 'rendered':
        this.ack = { ...this.ack, charts: m.charts, slices: m.slices, verdict: m.verdict, overall: m.overall, renders: this.ack.renders + 1, ...(this.panel.viewColumn ? { viewColumn: this.panel.viewColumn } : {}) };
        this.rendered(this.ack);
        break;
      case 'openFile':
        await vscode.window.showTextDocument(vscode.Uri.file(m.file), { viewColumn: vscode.ViewColumn.Active });
        break;
    }
  }
}

export function registerEvaluation(ctx: PipewiseContext): void {
  const panels = new PanelRegistry(ctx.extension.extensionUri, {
    viewType: EVALUATION_VIEW_TYPE,
    keyOf: (s: { file: string }) => path.resolve(s.file),
    title: () => 'Evaluation',
    create: (webviewPanel, s) => new EvaluationPanel(path.resolve(s.file), webviewPanel, ctx),
    isState: (st): st is { file: string } => typeof (st as { file?: unknown } | undefined)?.file === 'string',
  });
  registerCommand(ctx, 'pipewise.openEvaluation', async (arg?: unknown) => {
    let file = metricsFileOf(arg);
    if (!file) {
      const active = vscode.window.activeTextEditor?.document.uri;
      if (active?.scheme === 'file' && path.basename(active.fsPath) === 'metrics.json') file = active.fsPath;
    }
    if (!file) {
      const picked = await vscode.window.showOpenDialog({ title: 'Open an evaluation (metrics.json)', canSelectMany: false, filters: { Evaluation: ['json'] } });
      file = picked?.[0] ? metricsFileOf(picked[0]) : undefined;
    }
    if (!file) return;
    const { panel, created } = panels.show({ file });
    if (!created) await panel.load();
  });
  registerTestCommand(ctx, 'pipewise.test.evaluationAck', (arg: unknown) => {
    const file = metricsFileOf(arg);
    return file ? panels.get(path.resolve(file))?.ack : undefined;
  });
  ctx.extension.subscriptions.push(panels);
}
