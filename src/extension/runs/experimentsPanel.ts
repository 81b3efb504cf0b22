/**
 * The experiments table of a pipeline, opened from the Runs view (or the palette on a pipeline
 * file): its runs × the parameters that changed × the evaluation's metrics, from lineage alone
 * (run and execution records, metrics.json, the Trainer's history.json). One panel per pipeline.
 */
import * as vscode from 'vscode';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parsePipeline } from '../../core/parse';
import { buildExperiments, type EvaluationInput, type ExecutionInput, type TrialsInput, validIntervals } from '../../core/experiments';
import type { ExperimentsView, FromExperimentsMessage, ToExperimentsMessage } from '../../protocol/experiments';
import { executeCommand } from '../commands';
import { Feature } from '../feature';
import type { PipewiseContext } from '../context';
import { PanelRegistry } from '../panelRegistry';
import { WebviewHost } from '../webviewHost';
import { readRunRecords } from './runHistory';
import { readRunAnnotations } from './runAnnotations';
import { errorMessage } from '../../protocol/errors';
import type { ExperimentsAck, ExperimentsForest } from '../../protocol/experiments';
import { forestInput, parameterCorrelations } from '../../core/experimentsCompare';
import { ForestImportanceRequest } from '../../protocol/experimentsForest';
import { EXPERIMENTS_VIEW_TYPE } from '../contributionIds';


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
  const evaluations = new Map<string, EvaluationInput>();
  const histories = new Map<string, Record<string, number>[]>();
  const trials = new Map<string, TrialsInput>();
  for (const r of runs) {
    for (const s of r.stages) {
      const ev = s.component === 'Evaluator' ? s.artifacts.evaluation : undefined;
      if (ev && !evaluations.has(ev)) {
        const m = await readJson<{ slices: { slice: Record<string, unknown>; metrics: Record<string, number>; intervals?: Record<string, unknown> }[]; blessed: boolean }>(path.join(ev, 'metrics.json'));
        const overall = m?.slices.find((x) => Object.keys(x.slice).length === 0);
        if (m && overall) {
          const intervals = validIntervals(overall.intervals);
          evaluations.set(ev, { metrics: overall.metrics, blessed: m.blessed, ...(intervals ? { intervals } : {}) });
        }
      }
      const tuned = s.component === 'Tuner' ? s.artifacts.best_hyperparameters : undefined;
      if (tuned && !trials.has(tuned)) {
        const t = await readJson<TrialsInput>(path.join(tuned, 'trials.json'));
        if (t && typeof t.objective === 'string' && Array.isArray(t.trials)) trials.set(tuned, t);
      }
      const model = s.component === 'Trainer' || s.component === 'Tuner' ? s.artifacts.model : undefined;
      if (model && !histories.has(model)) {
        const h = await readJson<Record<string, number>[]>(path.join(model, 'history.json'));
        if (Array.isArray(h)) histories.set(model, h);
      }
    }
  }
  const built = buildExperiments(parsed.spec?.name ?? path.basename(pipelineFile), pipelineFile, runs, executions, evaluations, histories, trials);
  // A run's own rows carry its annotations; a damaged annotations file shows as no annotations here (the Runs view names it).
  const annotations = new Map(await Promise.all(runs.map(async (r) => [r.id, await readRunAnnotations(pipelineFile, store, r.id).catch(() => ({}))] as const)));
  return { ...built, rows: built.rows.map((row) => (row.trial || !annotations.has(row.runId) ? row : { ...row, annotations: annotations.get(row.runId) })) };
}


function experimentsTitle(file: string): string {
  return `Experiments: ${path.basename(file).replace(/\.pipeline\.ya?ml$/, '')}`;
}

/** One pipeline's experiments table; reads the store again when revealed. */
class ExperimentsPanel extends WebviewHost<ToExperimentsMessage, FromExperimentsMessage, ExperimentsAck, { file: string }> {
  ack: ExperimentsAck = { rows: [], columns: [], brushes: [], drawMs: 0, renders: 0 };
  /** The view last sent: the correlations are computed on it, here rather than in the webview. */
  private view: ExperimentsView | undefined;
  private csvRequests = 0;
  /** Refreshes begun: only the latest one's view is sent. */
  private refreshes = 0;
  /** Importance questions asked: only the latest one's forest is shown. */
  private importanceRequests = 0;
  private readonly csvWaiters = new Map<number, (csv: { csv: string; rows: number }) => void>();

  constructor(
    readonly file: string,
    panel: vscode.WebviewPanel,
    private readonly ctx: PipewiseContext,
  ) {
    super(panel, {
      extensionUri: ctx.extension.extensionUri,
      bundle: 'experiments',
      stylesheet: 'panels.css',
      title: experimentsTitle(file),
      body: '<main id="app"><p class="hint">Reading the runs…</p></main>',
      initialState: { file },
      log: ctx.log,
      label: 'experiments',
    });
  }

  async refresh(): Promise<void> {
    if (!this.isReady) return; // `onReady` loads
    const generation = ++this.refreshes;
    try {
      const view = await loadExperiments(this.file, 500);
      // Two quick annotations refresh twice; the first read may finish last and would show the store before the second.
      if (generation !== this.refreshes) return;
      this.view = view;
      this.post({ type: 'view', view });
    } catch (e) {
      this.ctx.log.error(`[experiments] ${this.file}: ${errorMessage(e)}`);
    }
  }

  /** For the host tests: a message as the webview's own controls would make it. */
  send(m: ToExperimentsMessage): void {
    this.post(m);
  }

  /** The table as the webview shows it (filter, brushes, sort), as CSV. */
  tableCsv(timeoutMs = 10_000): Promise<{ csv: string; rows: number }> {
    const requestId = ++this.csvRequests;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.csvWaiters.delete(requestId);
        reject(new Error(`the experiments panel of ${this.file} did not hand over its table within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.csvWaiters.set(requestId, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.post({ type: 'requestCsv', requestId });
    });
  }

  protected override async onReady(): Promise<void> {
    await this.refresh();
  }

  protected override async onMessage(m: FromExperimentsMessage): Promise<void> {
    if (m.type === 'rendered') {
      const { type: _type, ...rendered } = m;
      this.ack = { ...rendered, renders: this.ack.renders + 1 };
      this.rendered(this.ack);
    } else if (m.type === 'openEvaluation') {
      await executeCommand('pipewise.openEvaluation', vscode.Uri.file(m.folder));
    } else if (m.type === 'exportReport') {
      await executeCommand('pipewise.exportReport', { pipelineFile: this.file, ...(m.runId ? { runId: m.runId } : {}), ...(m.against ? { against: m.against } : {}) });
    } else if (m.type === 'importance') {
      const view = this.view;
      if (!view) return;
      const shown = new Set(m.runs);
      const rows = view.rows.filter((r) => shown.has(r.runId));
      const answer = { type: 'importance', metric: m.metric, runs: rows.length, correlations: parameterCorrelations(view, rows, m.metric) } as const;
      const input = forestInput(view, rows, m.metric);
      const asked = ++this.importanceRequests;
      this.post(input ? { ...answer, forest: 'computing' } : answer);
      if (!input) return;
      // The forest is fitted in the worker; an answer overtaken by a newer question (another brush, metric) is dropped.
      let forest: ExperimentsForest | { error: string };
      try {
        forest = await this.ctx.worker.request(ForestImportanceRequest, input);
      } catch (e) {
        forest = { error: errorMessage(e) };
        this.ctx.log.warn(`[experiments] ${this.file}: the forest importance failed: ${forest.error}`);
      }
      if (asked === this.importanceRequests) this.post({ ...answer, forest });
    } else if (m.type === 'annotate') {
      const row = this.view?.rows.find((r) => r.runId === m.runId && !r.trial);
      if (!row) return;
      const target = { pipelineFile: this.file, runId: row.runId, annotations: row.annotations ?? {} };
      if (m.action === 'rename') await executeCommand('pipewise.renameRun', target);
      else if (m.action === 'note') await executeCommand('pipewise.editRunNote', target);
      else await executeCommand('pipewise.toggleRunStar', target);
      await this.refresh();
    } else if (m.type === 'exportCsv') {
      await executeCommand('pipewise.exportExperimentsCsv', vscode.Uri.file(this.file));
    } else if (m.type === 'csv') {
      this.csvWaiters.get(m.requestId)?.({ csv: m.csv, rows: m.rows });
      this.csvWaiters.delete(m.requestId);
    }
  }
}

/** What an experiments panel restores from after a reload: its pipeline file. */
interface ExperimentsState {
  readonly file: string;
}

/** The experiments panels and their commands, owned by this feature. */
export class ExperimentsFeature extends Feature {
  constructor(ctx: PipewiseContext) {
    super(ctx);
    const panels = this._register(new PanelRegistry(ctx, {
      viewType: EXPERIMENTS_VIEW_TYPE,
      keyOf: (s: ExperimentsState) => path.resolve(s.file),
      title: (s) => experimentsTitle(s.file),
      create: (webviewPanel, s) => new ExperimentsPanel(path.resolve(s.file), webviewPanel, ctx),
      isState: (s): s is ExperimentsState => typeof (s as Partial<ExperimentsState> | undefined)?.file === 'string',
    }));
    this.command('pipewise.showExperiments', async (arg?: unknown) => {
      const uri = arg instanceof vscode.Uri ? arg : arg && typeof arg === 'object' && 'uri' in arg && (arg as { uri: unknown }).uri instanceof vscode.Uri ? (arg as { uri: vscode.Uri }).uri : vscode.window.activeTextEditor?.document.uri;
      if (!uri || !/\.pipeline\.ya?ml$/.test(uri.fsPath)) {
        void vscode.window.showInformationMessage('Open the experiments of a pipeline from the Runs view, or with its *.pipeline.yaml file active.');
        return;
      }
      const { panel, created } = panels.show({ file: uri.fsPath });
      if (!created) await panel.refresh();
    });
    this.command('pipewise.exportExperimentsCsv', async (arg?: unknown, target?: vscode.Uri) => {
      const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
      const panel = uri ? panels.get(path.resolve(uri.fsPath)) : undefined;
      if (!panel) {
        void vscode.window.showInformationMessage('Open the experiments of a pipeline first (Pipewise: Show Experiments), then export its table.');
        return undefined;
      }
      const { csv, rows } = await panel.tableCsv();
      const name = `${path.basename(panel.file).replace(/\.pipeline\.ya?ml$/, '')}-experiments.csv`;
      const to = target ?? (await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(path.join(path.dirname(panel.file), name)), filters: { CSV: ['csv'] }, saveLabel: 'Export' }));
      if (!to) return undefined;
      // Whole or not at all: a spreadsheet open on a half-written file would read a short table.
      const tmp = `${to.fsPath}.${process.pid}.tmp`;
      await fs.writeFile(tmp, csv);
      await fs.rename(tmp, to.fsPath);
      ctx.log.info(`[experiments] wrote ${rows} run(s) as shown to ${to.fsPath}`);
      void vscode.window.showInformationMessage(`Exported ${rows} run(s) to ${path.basename(to.fsPath)}.`);
      return to.fsPath;
    });
    this.testCommand('pipewise.test.experimentsAck', (uri: unknown) => (uri instanceof vscode.Uri ? panels.get(path.resolve(uri.fsPath))?.ack : undefined));
    this.testCommand('pipewise.test.experimentsPost', (uri: unknown, message: ToExperimentsMessage) => {
      const p = uri instanceof vscode.Uri ? panels.get(path.resolve(uri.fsPath)) : undefined;
      p?.send(message);
      return !!p;
    });
  }
}
