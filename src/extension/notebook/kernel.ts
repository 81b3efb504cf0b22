import * as vscode from 'vscode';
import { randomUUID } from 'node:crypto';
import type { PipewiseContext } from '../context';
import { CancellationTokenSource, WorkerExitedError } from '../workerPort';
import {
  ExecuteCell,
  NOTEBOOK_CELL_KINDS,
  NotebookMime,
  NotebookStreamNotification,
  type CellDiagnostic,
  type ExecuteCellResult,
  type NotebookCellKind,
  type NotebookOutputData,
  type NotebookStreamEvent,
} from '../../protocol/notebook';
import { metricsChartSpec } from '../../protocol/notebookCharts';
import type { MetricsPoint } from '../../protocol/runEvents';
import { notebookDir, pipelineOf } from './pipelineRef';
import { NOTEBOOK_TYPE } from '../contributionIds';

export const CONTROLLER_ID = 'pipewise-kernel';

/** Live chart updates at most this often: each one re-renders the chart in the notebook. */
const CHART_THROTTLE_MS = 300;
/** Console output is gathered this long before it is appended, so a chatty loop does not flood the notebook. */
const CONSOLE_THROTTLE_MS = 100;
/** After an interrupt, how long a cell may take to stop before the worker is restarted under it. */
const HARD_INTERRUPT_MS = 5000;
/** Longest wait for VS Code to apply one output edit. */
const OUTPUT_EDIT_TIMEOUT_MS = 5000;

/** One queued or running cell. */
interface QueuedCell {
  readonly cell: vscode.NotebookCell;
  readonly execution: vscode.NotebookCellExecution;
  readonly cancel: CancellationTokenSource;
}

/**
 * The Pipewise kernel for Jupyter notebooks: cells run one at a time per notebook in the worker,
 * queued cells show as pending, interrupt cancels the running cell (and restarts the worker if it
 * does not stop), outputs stream while a cell runs.
 */
export class PipewiseKernel implements vscode.Disposable {
  readonly controller: vscode.NotebookController;
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('pipewise-notebook');
  private readonly executionOrder = new Map<string, number>();
  private readonly queues = new Map<string, QueuedCell[]>();
  private readonly draining = new Set<string>();
  private readonly listeners = new Map<string, (e: NotebookStreamEvent) => void>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly ctx: PipewiseContext) {
    this.controller = vscode.notebooks.createNotebookController(CONTROLLER_ID, NOTEBOOK_TYPE, 'Pipewise');
    this.controller.description = 'SQL on DuckDB, pipeline stages, TypeScript with TensorFlow.js';
    this.controller.detail = 'Runs cells in the Pipewise worker';
    this.controller.supportedLanguages = [...NOTEBOOK_CELL_KINDS];
    this.controller.supportsExecutionOrder = true;
    this.controller.executeHandler = (cells, notebook) => this.enqueue(cells, notebook);
    this.disposables.push(
      this.controller,
      this.diagnostics,
      // A new worker has no notebook state: execution numbers start again, as after a kernel restart.
      ctx.worker.onDidExit(() => this.executionOrder.clear()),
      // Every cell's streamed output, routed to the cell by its execution id.
      ctx.worker.on(NotebookStreamNotification, (e) => this.listeners.get(e.executionId)?.(e)),
    );
  }

  /** Queues cells; each shows as pending until it runs. */
  private enqueue(cells: vscode.NotebookCell[], notebook: vscode.NotebookDocument): void {
    const key = notebook.uri.toString();
    const queue = this.queues.get(key) ?? [];
    this.queues.set(key, queue);
    for (const cell of cells) {
      const execution = this.controller.createNotebookCellExecution(cell);
      const cancel = new CancellationTokenSource();
      execution.token.onCancellationRequested(() => cancel.cancel());
      queue.push({ cell, execution, cancel });
    }
    if (!this.draining.has(key)) void this.drain(key);
  }

  private async drain(key: string): Promise<void> {
    this.draining.add(key);
    try {
      const queue = this.queues.get(key) ?? [];
      for (let next = queue.shift(); next; next = queue.shift()) {
        this.ctx.log.debug(`Notebook ${cellLabel(next.cell)}: next in the queue${next.execution.token.isCancellationRequested ? ' (interrupted)' : ''}`);
        if (next.execution.token.isCancellationRequested) {
          // Interrupted while waiting: it never ran.
          next.execution.start();
          next.execution.end(undefined);
          continue;
        }
        await this.run(next);
      }
    } finally {
      this.draining.delete(key);
    }
  }

  /** Cancels every queued and running cell (restart uses it). */
  cancelAll(): void {
    for (const queue of this.queues.values()) for (const q of queue) q.cancel.cancel();
    for (const l of this.running) l.cancel.cancel();
  }

  private readonly running = new Set<QueuedCell>();

  private async run(q: QueuedCell): Promise<void> {
    const { cell, execution } = q;
    const notebook = cell.notebook;
    const key = notebook.uri.toString();
    const order = (this.executionOrder.get(key) ?? 0) + 1;
    this.executionOrder.set(key, order);
    execution.executionOrder = order;
    execution.start(Date.now());
    this.ctx.log.debug(`Notebook ${cellLabel(cell)}: clearing its outputs`);
    await bounded(execution.clearOutput());
    this.diagnostics.delete(cell.document.uri);
    this.running.add(q);
    const live = new LiveOutputs(execution);
    try {
      if (!vscode.workspace.isTrusted) {
        await live.error({ name: 'Untrusted workspace', message: 'Pipewise runs no cells in an untrusted workspace: a cell runs code and writes files. Trust this folder (Manage Workspace Trust) to run it.' });
        execution.end(false, Date.now());
        return;
      }
      const kind = cell.document.languageId as NotebookCellKind;
      if (!(NOTEBOOK_CELL_KINDS as readonly string[]).includes(kind)) {
        await live.error({ name: 'Unsupported cell', message: `The Pipewise kernel runs ${NOTEBOOK_CELL_KINDS.join(', ')} cells; this one is ${cell.document.languageId}. Change the cell's language (bottom right of the cell).` });
        execution.end(false, Date.now());
        return;
      }
      const t0 = Date.now();
      this.ctx.log.info(`Notebook ${cellLabel(cell)} (${kind}) started`);
      const result = await this.execute(q, kind, live);
      this.ctx.log.info(`Notebook ${cellLabel(cell)} (${kind}) ${result.status} in ${Date.now() - t0} ms`);
      await live.finish(result);
      this.showDiagnostics(cell, result.diagnostics ?? []);
      execution.end(result.status === 'succeeded' ? true : result.status === 'failed' ? false : undefined, Date.now());
    } catch (e) {
      await live.flush();
      const message =
        e instanceof WorkerExitedError
          ? `${e.message}. The cell stopped; the next cell starts a new worker (this notebook's variables and DuckDB views are gone; artifacts on disk are kept).`
          : e instanceof Error
            ? e.message
            : String(e);
      await live.error({ name: e instanceof WorkerExitedError ? 'Worker stopped' : 'Error', message });
      execution.end(false, Date.now());
    } finally {
      this.running.delete(q);
      live.dispose();
    }
  }

  private async execute(q: QueuedCell, kind: NotebookCellKind, live: LiveOutputs): Promise<ExecuteCellResult> {
    const { cell } = q;
    const notebook = cell.notebook;
    const executionId = randomUUID();
    this.listeners.set(executionId, (e) => live.onStream(e));
    const earlierStages = notebook
      .getCells(new vscode.NotebookRange(0, cell.index))
      .filter((c) => c.kind === vscode.NotebookCellKind.Code && c.document.languageId === 'yaml')
      .map((c) => ({ label: cellLabel(c), source: c.document.getText() }));
    // Interrupt: cancel the request; a cell that does not stop (a busy loop) takes the worker with it.
    let hardStop: NodeJS.Timeout | undefined;
    const onCancel = q.cancel.token.onCancellationRequested(() => {
      hardStop = setTimeout(() => {
        this.ctx.log.warn(`Notebook cell did not stop within ${HARD_INTERRUPT_MS / 1000} s of the interrupt: restarting the worker`);
        live.note(`The cell did not stop within ${HARD_INTERRUPT_MS / 1000} s of the interrupt, so the worker was restarted: this notebook's variables and DuckDB views are gone.\n`);
        void this.ctx.worker.restart();
      }, HARD_INTERRUPT_MS);
    });
    try {
      return await this.ctx.worker.request(
        ExecuteCell,
        {
          executionId,
          notebook: { id: notebook.uri.toString(), dir: notebookDir(notebook), pipeline: pipelineOf(notebook, cell) },
          cell: { kind, source: cell.document.getText(), label: cellLabel(cell) },
          earlierStages,
        },
        q.cancel.token,
      );
    } catch (e) {
      if (q.cancel.token.isCancellationRequested && e instanceof WorkerExitedError) return { status: 'cancelled', outputs: [] };
      throw e;
    } finally {
      if (hardStop) clearTimeout(hardStop);
      onCancel.dispose();
      this.listeners.delete(executionId);
    }
  }

  private showDiagnostics(cell: vscode.NotebookCell, list: readonly CellDiagnostic[]): void {
    if (!list.length) return;
    const severity = { error: vscode.DiagnosticSeverity.Error, warning: vscode.DiagnosticSeverity.Warning, info: vscode.DiagnosticSeverity.Information };
    this.diagnostics.set(
      cell.document.uri,
      list.map((d) => {
        const range = new vscode.Range(d.line - 1, d.col - 1, Math.max(d.line, d.endLine) - 1, d.endLine > d.line || d.endCol > d.col ? d.endCol - 1 : d.col);
        const diag = new vscode.Diagnostic(cell.document.validateRange(range), d.message, severity[d.severity]);
        diag.source = 'Pipewise';
        if (d.code) diag.code = d.code;
        return diag;
      }),
    );
  }

  /** Kernel restart: stop everything, start a new worker, forget execution numbers. */
  async restart(): Promise<void> {
    this.cancelAll();
    await this.ctx.worker.restart();
    this.executionOrder.clear();
    this.diagnostics.clear();
  }

  dispose(): void {
    this.cancelAll();
    for (const d of this.disposables) d.dispose();
  }
}

/** Waits for an output edit, but at most OUTPUT_EDIT_TIMEOUT_MS: a lost acknowledgement must not stall the queue. */
function bounded(p: Thenable<unknown>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((resolve) => (timer = setTimeout(resolve, OUTPUT_EDIT_TIMEOUT_MS)));
  return Promise.race([Promise.resolve(p), timeout]).finally(() => clearTimeout(timer));
}

export function cellLabel(cell: vscode.NotebookCell): string {
  return `Cell ${cell.index + 1}`;
}

/** Converts the worker's output data to VS Code's. */
export function toCellOutput(o: NotebookOutputData): vscode.NotebookCellOutput {
  return new vscode.NotebookCellOutput(
    o.items.map((i) => ('json' in i ? vscode.NotebookCellOutputItem.json(i.json, i.mime) : vscode.NotebookCellOutputItem.text(i.text, i.mime))),
    o.key ? { pipewise: { key: o.key } } : undefined,
  );
}

/**
 * A running cell's outputs: console text gathered and appended in batches, one training chart per
 * stage updated in place (throttled) as metric points arrive, displayed values appended; at the end
 * the worker's final outputs, the live chart's final version replacing its items in place.
 */
class LiveOutputs {
  private console: vscode.NotebookCellOutput | undefined;
  private pendingText: { kind: 'stdout' | 'stderr'; text: string }[] = [];
  private consoleTimer: NodeJS.Timeout | undefined;
  private readonly charts = new Map<string, { output: vscode.NotebookCellOutput; points: MetricsPoint[]; timer?: NodeJS.Timeout; dirty: boolean }>();
  /** Output writes in order: they must not overtake one another. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly execution: vscode.NotebookCellExecution) {}

  /**
   * Queues an output edit after the ones before it. An edit VS Code never acknowledges (the cell
   * was deleted or the notebook closed meanwhile) must not hold up the cell: each waits at most
   * OUTPUT_EDIT_TIMEOUT_MS.
   */
  private then(f: () => Thenable<unknown> | void): Promise<unknown> {
    const step = (): Promise<unknown> => bounded(Promise.resolve().then(f));
    this.chain = this.chain.then(step, step);
    return this.chain;
  }

  onStream(e: NotebookStreamEvent): void {
    switch (e.kind) {
      case 'stdout':
      case 'stderr':
        this.pendingText.push({ kind: e.kind, text: e.text });
        this.consoleTimer ??= setTimeout(() => void this.flushConsole(), CONSOLE_THROTTLE_MS);
        break;
      case 'metrics':
        this.onMetrics(e.stage, e.point);
        break;
      case 'display':
        void this.then(() => this.execution.appendOutput(toCellOutput(e.output)));
        break;
      case 'progress':
        break;
    }
  }

  note(text: string): void {
    this.pendingText.push({ kind: 'stderr', text });
    void this.flushConsole();
  }

  private flushConsole(): Promise<unknown> {
    if (this.consoleTimer) clearTimeout(this.consoleTimer);
    this.consoleTimer = undefined;
    const batch = this.pendingText;
    this.pendingText = [];
    if (!batch.length) return this.chain;
    const items = batch.map((b) => (b.kind === 'stdout' ? vscode.NotebookCellOutputItem.stdout(b.text) : vscode.NotebookCellOutputItem.stderr(b.text)));
    return this.then(() => {
      if (!this.console) {
        this.console = new vscode.NotebookCellOutput(items);
        return this.execution.appendOutput(this.console);
      }
      return this.execution.appendOutputItems(items, this.console);
    });
  }

  private onMetrics(stage: string, point: MetricsPoint): void {
    let chart = this.charts.get(stage);
    if (!chart) {
      chart = { output: new vscode.NotebookCellOutput([this.chartItem(stage, [point], true)], { pipewise: { key: `metrics:${stage}` } }), points: [point], dirty: false };
      this.charts.set(stage, chart);
      const output = chart.output;
      void this.then(() => this.execution.appendOutput(output));
      return;
    }
    chart.points.push(point);
    chart.dirty = true;
    const c = chart;
    c.timer ??= setTimeout(() => {
      c.timer = undefined;
      void this.updateChart(stage);
    }, CHART_THROTTLE_MS);
  }

  private updateChart(stage: string): Promise<unknown> {
    const c = this.charts.get(stage);
    if (!c?.dirty) return this.chain;
    c.dirty = false;
    const item = this.chartItem(stage, c.points, true);
    return this.then(() => this.execution.replaceOutputItems(item, c.output));
  }

  private chartItem(stage: string, points: readonly MetricsPoint[], live: boolean): vscode.NotebookCellOutputItem {
    return vscode.NotebookCellOutputItem.json(metricsChartSpec(points, { title: `${stage}: training`, live }), NotebookMime.vegaLite);
  }

  async flush(): Promise<void> {
    for (const c of this.charts.values()) if (c.timer) clearTimeout(c.timer);
    await this.flushConsole();
    await this.chain;
  }

  /** The worker's final outputs: live charts get their final items in place, the rest is appended. */
  async finish(result: ExecuteCellResult): Promise<void> {
    await this.flush();
    const rest: vscode.NotebookCellOutput[] = [];
    for (const o of result.outputs) {
      const live = o.key ? this.charts.get(o.key.replace(/^metrics:/, '')) : undefined;
      if (live && o.key?.startsWith('metrics:')) {
        const items = toCellOutput(o).items;
        await this.then(() => this.execution.replaceOutputItems(items, live.output));
        this.charts.delete(o.key.replace(/^metrics:/, ''));
      } else rest.push(toCellOutput(o));
    }
    // A chart left live (the stage was interrupted): freeze it as it stands.
    for (const [stage, c] of this.charts) {
      const item = this.chartItem(stage, c.points, false);
      await this.then(() => this.execution.replaceOutputItems(item, c.output));
    }
    this.charts.clear();
    if (rest.length) await this.then(() => this.execution.appendOutput(rest));
    if (result.error) await this.error(result.error);
    else if (result.status === 'cancelled') await this.then(() => this.execution.appendOutput(new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.stderr('Interrupted.\n')])));
  }

  async error(e: { name: string; message: string; stack?: string }): Promise<void> {
    await this.flush();
    const err = Object.assign(new Error(e.message), { name: e.name });
    err.stack = e.stack ?? `${e.name}: ${e.message}`;
    await this.then(() => this.execution.appendOutput(new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error(err)])));
  }

  dispose(): void {
    if (this.consoleTimer) clearTimeout(this.consoleTimer);
    for (const c of this.charts.values()) if (c.timer) clearTimeout(c.timer);
  }
}
