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
import type { EvaluationRun, FeatureImportanceFile, FromEvaluationMessage, PredictionsFile, ToEvaluationMessage } from '../../protocol/evaluation';
import { executeCommand } from '../commands';
import { Feature } from '../feature';
import type { PipewiseContext } from '../context';
import { WebviewHost } from '../webviewHost';
import { PanelRegistry } from '../panelRegistry';
import { errorMessage } from '../../protocol/errors';
import type { EvaluationAck } from '../../protocol/evaluation';
import { EVALUATION_VIEW_TYPE } from '../contributionIds';


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

interface ExecutionFile {
  readonly id: string;
  readonly pipeline: string;
  readonly pipelineFile: string;
  readonly runId: string;
  readonly stage: string;
  readonly state?: string;
  readonly finishedAt?: string;
  readonly outputs?: readonly { readonly type: string; readonly uri: string }[];
}

/** `<store>/artifacts/<stage>/<execution>/evaluation/metrics.json`: the store's executions folder and the execution id. */
function executionPlace(metricsFile: string): { readonly dir: string; readonly id: string } {
  const executionDir = path.dirname(path.dirname(metricsFile));
  return { dir: path.join(path.dirname(path.dirname(path.dirname(executionDir))), 'metadata', 'executions'), id: path.basename(executionDir) };
}

/** The run that wrote an evaluation, and a later run's evaluation of the same stage (then this one is stale). */
async function runsOf(metricsFile: string): Promise<{ source?: EvaluationRun; newer?: EvaluationRun & { file: string } }> {
  const { dir, id } = executionPlace(metricsFile);
  const own = await readJson<ExecutionFile>(path.join(dir, `${id}.json`)).catch(() => undefined);
  if (!own) return {};
  const runOf = (e: ExecutionFile): EvaluationRun => ({ pipeline: e.pipeline, stage: e.stage, runId: e.runId, ...(e.finishedAt ? { at: e.finishedAt } : {}) });
  // Execution ids begin with their start time: only those after this one can be newer; the newest first.
  const later = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json') && n.slice(0, -5) > id).sort().reverse();
  for (const n of later) {
    const e = await readJson<ExecutionFile>(path.join(dir, n)).catch(() => undefined);
    if (!e || e.state !== 'complete' || e.stage !== own.stage || path.resolve(e.pipelineFile) !== path.resolve(own.pipelineFile)) continue;
    const uri = e.outputs?.find((o) => o.type === 'ModelEvaluation')?.uri;
    // A cached re-run reuses this very evaluation: still current.
    if (!uri || path.resolve(uri) === path.resolve(path.dirname(metricsFile))) return { source: runOf(own) };
    return { source: runOf(own), newer: { ...runOf(e), file: path.join(uri, 'metrics.json') } };
  }
  return { source: runOf(own) };
}

/** A time short enough for a tab title, with seconds: two runs a minute apart are still told apart. */
function shortTime(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  return d.toDateString() === new Date().toDateString() ? time : `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${time}`;
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
      const { source, newer } = await runsOf(this.file);
      // Tabs of two runs' (or two pipelines') evaluations are told apart by their titles.
      if (source) this.panel.title = `Evaluation: ${source.pipeline} · ${source.stage}${source.at ? ` · ${shortTime(source.at)}` : ''}`;
      this.post({ type: 'view', view: { ...buildEvaluationView(this.file, metrics, predictions, importance), ...(source ? { source } : {}), ...(newer ? { newer } : {}) } });
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
        this.ack = { ...this.ack, charts: m.charts, slices: m.slices, verdict: m.verdict, overall: m.overall, ...(m.deltas ? { deltas: m.deltas } : {}), ...(m.shows ? { shows: m.shows } : {}), ...(m.stale ? { stale: m.stale } : {}), renders: this.ack.renders + 1, ...(this.panel.viewColumn ? { viewColumn: this.panel.viewColumn } : {}) };
        this.rendered(this.ack);
        break;
      case 'openEvaluation':
        await executeCommand('pipewise.openEvaluation', vscode.Uri.file(m.file));
        break;
      case 'openFile':
        await vscode.window.showTextDocument(vscode.Uri.file(m.file), { viewColumn: vscode.ViewColumn.Active });
        break;
      case 'exportReport': {
        // The run and pipeline file come from the evaluation's own execution record.
        const { dir, id } = executionPlace(this.file);
        const own = await readJson<ExecutionFile>(path.join(dir, `${id}.json`)).catch(() => undefined);
        if (!own) {
          void vscode.window.showWarningMessage(`No lineage record for ${this.file}: export the report from the Runs view instead.`);
          break;
        }
        await executeCommand('pipewise.exportReport', { pipelineFile: own.pipelineFile, runId: own.runId });
        break;
      }
    }
  }
}

/** The evaluation panels and their command, owned by this feature. `runEnded`: fires when a run started in the editor ends; open panels read their evaluation's runs again (a newer one makes them stale). */
export class EvaluationFeature extends Feature {
  constructor(ctx: PipewiseContext, runEnded?: vscode.Event<unknown>) {
    super(ctx);
    const panels = this._register(new PanelRegistry(ctx, {
      viewType: EVALUATION_VIEW_TYPE,
      keyOf: (s: { file: string }) => path.resolve(s.file),
      title: () => 'Evaluation',
      create: (webviewPanel, s) => new EvaluationPanel(path.resolve(s.file), webviewPanel, ctx),
      isState: (st): st is { file: string } => typeof (st as { file?: unknown } | undefined)?.file === 'string',
    }));
    if (runEnded) this._register(runEnded(() => panels.all().forEach((p) => void p.load())));
    this.command('pipewise.openEvaluation', async (arg?: unknown) => {
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
    this.testCommand('pipewise.test.evaluationAck', (arg: unknown) => {
      const file = metricsFileOf(arg);
      return file ? panels.get(path.resolve(file))?.ack : undefined;
    });
  }
}
