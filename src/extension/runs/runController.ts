import * as vscode from 'vscode';
import path from 'node:path';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { buildGraph, runSelection, selectStages, type RunSelection } from '../../core/dag';
import type { PipelineSpec } from '../../core/spec';
import { RequestCancelledError, errorMessage } from '../../protocol/errors';
import { RunEventNotification, RunPipeline, type RunPipelineParams } from '../../protocol/worker';
import type { RunEvent, RunResult } from '../../protocol/runEvents';
import type { RunView } from '../../protocol/graph';
import { WorkerExitedError } from '../workerPort';
import { commandOf } from '../commands';
import { readConfig } from '../config';
import type { PipewiseContext } from '../context';
import type { PipelineDocuments } from '../pipelineDocuments';
import type { TrustGate } from '../trust';
import { applyRunEvent, applyRunResult, emptyRunView, failRunView, startingRunView } from './runView';
import { formatDuration } from '../../core/format';
import type { RunOutcome } from '../../protocol/runEvents';

export interface RunRequest extends RunSelection {
  readonly uri: vscode.Uri;
}

export interface RunChange {
  readonly file: string;
  readonly view: RunView;
}

interface ActiveRun {
  readonly cancel: CancellationTokenSource;
  runId?: string;
  readonly label: string;
}

/**
 * Starts pipeline runs in the worker and keeps what each pipeline's last run shows. One run per
 * pipeline at a time: a second is refused with a message, never interleaved. The run belongs to
 * this controller, not to a view, so closing the graph mid-run leaves it going.
 */
export class RunController implements vscode.Disposable {
  private readonly views = new Map<string, RunView>();
  private readonly active = new Map<string, ActiveRun>();
  private readonly changeEmitter = new vscode.EventEmitter<RunChange>();
  private readonly finishedEmitter = new vscode.EventEmitter<RunResult>();
  private readonly statusBar = vscode.window.createStatusBarItem('pipewise.run', vscode.StatusBarAlignment.Left, 50);
  private readonly subscription: vscode.Disposable;
  /** The pipeline whose run (in this session) ended last: the one the status bar names. */
  private lastEnded: string | undefined;
  /** Fires whenever a pipeline's run view changes (events, start, end). */
  readonly onDidChange = this.changeEmitter.event;
  /** Fires with every finished run's result. */
  readonly onDidFinish = this.finishedEmitter.event;

  constructor(
    private readonly ctx: PipewiseContext,
    private readonly documents: PipelineDocuments,
    private readonly trust: TrustGate,
  ) {
    this.statusBar.name = 'Pipewise run';
    this.subscription = ctx.worker.on(RunEventNotification, (e) => this.onEvent(e));
  }

  viewOf(file: string): RunView {
    return this.views.get(keyOf(file)) ?? emptyRunView();
  }

  /** Shows a past run (from the run records) for a pipeline that has not run in this session. */
  seed(file: string, view: RunView): void {
    if (this.views.has(keyOf(file)) || this.active.has(keyOf(file))) return;
    this.setView(file, view);
  }

  isRunning(file: string): boolean {
    return this.active.has(keyOf(file));
  }

  /** Cancels the run of `file`, or every run. */
  cancel(file?: string): boolean {
    const runs = file ? [this.active.get(keyOf(file))] : [...this.active.values()];
    let any = false;
    for (const r of runs) {
      if (!r) continue;
      r.cancel.cancel();
      any = true;
    }
    return any;
  }

  /** Runs a pipeline (or a selection of its stages) in the worker; refused when untrusted, busy or invalid. */
  async run(req: RunRequest, token?: vscode.CancellationToken, onEvent?: (e: RunEvent) => void): Promise<RunOutcome> {
    const what = req.only?.length ? `run stage ${req.only.join(', ')}` : req.from ? `run from stage ${req.from}` : 'run pipelines';
    const refused = this.refusal(req, what);
    if (refused) return refused;
    const planned = await this.plan(req);
    if ('status' in planned) return planned;
    const { doc, spec, required } = planned;

    const file = req.uri.fsPath;
    const key = keyOf(file);
    const label = spec.name || path.basename(file);
    const cancel = new CancellationTokenSource();
    const activeRun: ActiveRun = { cancel, label };
    this.active.set(key, activeRun);
    const previous = this.viewOf(file);
    this.setView(file, { ...startingRunView(required), stages: { ...previous.stages, ...startingRunView(required).stages } });
    void vscode.commands.executeCommand('setContext', 'pipewise.runActive', true);
    const tokenSub = token?.onCancellationRequested(() => cancel.cancel());
    const eventSub = onEvent ? this.ctx.worker.on(RunEventNotification, (e) => e.runId === activeRun.runId || (e.kind === 'runStarted' && sameFile(e.file, file)) ? onEvent(e) : undefined) : undefined;
    this.ctx.log.info(`[${label}] run started (${what.replace('run ', '').replace('pipelines', 'all stages')})`);

    const params: RunPipelineParams = {
      file,
      ...runSelection(req),
      ...(doc.isDirty ? { text: doc.getText() } : {}),
    };
    const work = (progress?: vscode.Progress<{ message?: string }>, progressToken?: vscode.CancellationToken): Promise<RunOutcome> =>
      this.request(params, spec, activeRun, progress, progressToken);
    try {
      if (readConfig(req.uri).runs.showProgressNotification) {
        return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Pipewise: running ${label}`, cancellable: true }, work);
      }
      return await work();
    } finally {
      this.active.delete(key);
      tokenSub?.dispose();
      eventSub?.dispose();
      cancel.dispose();
      void vscode.commands.executeCommand('setContext', 'pipewise.runActive', this.active.size > 0);
      // The status bar names the run that ended last, whichever pipeline ran before it.
      this.lastEnded = key;
      // Listeners (CodeLens, graph) see the run is over.
      this.setView(file, this.viewOf(file));
    }
  }

  /** Why a run may not start now: an untrusted workspace, or a run of the same pipeline going. */
  private refusal(req: RunRequest, what: string): RunOutcome | undefined {
    const refusal = this.trust.refusal(what);
    if (refusal) {
      this.trust.allowsRun(what);
      return { status: 'refused', reason: 'untrusted', message: refusal };
    }
    const file = req.uri.fsPath;
    if (!this.active.has(keyOf(file))) return undefined;
    const message = `${path.basename(file)} is already running: wait for it to finish or cancel it first.`;
    void vscode.window.showWarningMessage(message, 'Cancel Run').then((pick) => {
      if (pick) this.cancel(file);
    });
    return { status: 'refused', reason: 'busy', message };
  }

  /** The file as the editor has it (saved or not), valid, and the stages the selection requires; or why not. */
  private async plan(req: RunRequest): Promise<{ doc: vscode.TextDocument; spec: PipelineSpec; required: readonly string[] } | RunOutcome> {
    const file = req.uri.fsPath;
    const doc = await vscode.workspace.openTextDocument(req.uri);
    const analysis = this.documents.get(doc);
    const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
    const spec = analysis.parsed.spec;
    if (errors.length || !spec) {
      const first = errors[0];
      const message = `${path.basename(file)} has ${errors.length || 1} error(s)${first ? `; first at ${first.range.start.line}:${first.range.start.col}: ${first.message}` : ''}. Fix them to run.`;
      void vscode.window.showErrorMessage(message, 'Show Problems').then((pick) => {
        if (pick) void vscode.commands.executeCommand('workbench.actions.view.problems');
      });
      return { status: 'refused', reason: 'invalid', message };
    }
    try {
      return { doc, spec, required: selectStages(buildGraph(spec), { only: req.only, from: req.from }).required };
    } catch (e) {
      const message = errorMessage(e);
      void vscode.window.showErrorMessage(message);
      return { status: 'refused', reason: 'invalid', message };
    }
  }

  /** Sends the run to the worker and waits for its result; a failure or cancel becomes a result too (with the stages as last shown). */
  private async request(
    params: RunPipelineParams,
    spec: PipelineSpec,
    activeRun: ActiveRun,
    progress?: vscode.Progress<{ message?: string }>,
    progressToken?: vscode.CancellationToken,
  ): Promise<RunOutcome> {
    const { file } = params;
    const { cancel, label } = activeRun;
    const ptSub = progressToken?.onCancellationRequested(() => cancel.cancel());
    const progressSub = progress
      ? this.onDidChange((c) => {
          if (keyOf(c.file) !== keyOf(file)) return;
          const stages = Object.entries(c.view.stages);
          const done = stages.filter(([, s]) => !['pending', 'running'].includes(s.status)).length;
          const running = stages.filter(([, s]) => s.status === 'running').map(([n]) => n);
          progress.report({ message: `${running.join(', ') || 'starting'} (${done}/${stages.length})` });
        })
      : undefined;
    try {
      const result = await this.ctx.worker.request(RunPipeline, params, cancel.token);
      this.finish(file, result);
      return result;
    } catch (e) {
      const cancelled = cancel.token.isCancellationRequested || e instanceof RequestCancelledError;
      const reason = errorMessage(e);
      const view = failRunView(this.viewOf(file), cancelled ? 'cancelled' : reason, cancelled);
      this.setView(file, view);
      if (cancelled) {
        this.ctx.log.info(`[${label}] run cancelled`);
      } else {
        this.ctx.log.error(`[${label}] run failed: ${e instanceof Error ? (e.stack ?? e.message) : reason}`);
        const prefix = e instanceof WorkerExitedError ? 'The worker stopped during the run' : 'The run failed';
        void vscode.window.showErrorMessage(`${prefix}: ${reason}`, 'Show Log').then((pick) => {
          if (pick) this.ctx.log.show();
        });
      }
      const result: RunResult & { error?: string } = {
        runId: view.runId ?? activeRun.runId ?? '',
        pipeline: spec.name,
        file,
        status: cancelled ? 'cancelled' : 'failed',
        durationMs: 0,
        stages: Object.entries(view.stages).map(([name, s]) => ({
          name,
          component: spec.stages.find((x) => x.name === name)?.component ?? '',
          status: s.status,
          durationMs: s.durationMs ?? 0,
          artifacts: s.artifacts ?? {},
          ...(s.error ? { error: s.error } : {}),
        })),
        ...(cancelled ? {} : { error: reason }),
      };
      this.finishedEmitter.fire(result);
      return result;
    } finally {
      ptSub?.dispose();
      progressSub?.dispose();
    }
  }

  private finish(file: string, result: RunResult): void {
    const label = result.pipeline || path.basename(file);
    this.setView(file, applyRunResult(this.viewOf(file), result));
    this.ctx.log.info(`[${label}] run ${result.status} in ${formatDuration(result.durationMs)}${result.backend ? ` (TensorFlow.js backend: ${result.backend})` : ''}`);
    this.finishedEmitter.fire(result);
    if (result.status === 'failed') {
      const failed = result.stages.find((s) => s.status === 'failed');
      void vscode.window
        .showErrorMessage(`Pipewise: ${label} failed${failed ? ` at stage ${failed.name}: ${failed.error ?? 'see the log'}` : ''}`, 'Show Log')
        .then((pick) => {
          if (pick) this.ctx.log.show();
        });
    }
  }

  private onEvent(e: RunEvent): void {
    let file: string | undefined;
    if (e.kind === 'runStarted') {
      const key = keyOf(e.file);
      const run = this.active.get(key);
      if (run) run.runId = e.runId;
      file = e.file;
    } else {
      for (const [k, r] of this.active) if (r.runId === e.runId) file = k;
    }
    if (!file) return;
    const label = this.active.get(keyOf(file))?.label ?? path.basename(file);
    if (e.kind === 'stageFinished') {
      const s = e.stage;
      const line = `[${label}] ${s.name} (${s.component}): ${s.status}${s.status === 'skipped' ? '' : ` in ${formatDuration(s.durationMs)}`}${s.error ? ` — ${s.error}` : ''}`;
      if (s.status === 'failed') this.ctx.log.error(line);
      else this.ctx.log.info(line);
    } else if (e.kind === 'stageLog') {
      this.ctx.log[e.level](`[${label}] ${e.stage}: ${e.message}`);
    }
    // runFinished is applied from the request's result, so a lost notification cannot leave a run open.
    // Logs and metrics points leave the view as it is: nothing to tell the graph or the status bar.
    if (e.kind !== 'runFinished') {
      const previous = this.viewOf(file);
      const next = applyRunEvent(previous, e);
      if (next !== previous) this.setView(file, next);
    }
  }

  private setView(file: string, view: RunView): void {
    this.views.set(keyOf(file), view);
    this.changeEmitter.fire({ file, view });
    this.updateStatusBar();
  }

  private updateStatusBar(): void {
    const running = [...this.active.entries()];
    if (running.length) {
      const [key, run] = running[0] as [string, ActiveRun];
      const stages = Object.entries(this.viewOf(key).stages);
      const done = stages.filter(([, s]) => !['pending', 'running'].includes(s.status)).length;
      const current = stages.find(([, s]) => s.status === 'running')?.[0];
      this.statusBar.text = `$(sync~spin) ${run.label}${current ? `: ${current}` : ''} ${done}/${stages.length}`;
      this.statusBar.tooltip = 'Pipewise run in progress — click to cancel';
      this.statusBar.command = 'pipewise.cancelRun';
      this.statusBar.backgroundColor = undefined;
      this.statusBar.show();
      return;
    }
    // The run that ended last in this session; before any, the last past run seeded from the records.
    let last: [string, RunView] | undefined;
    const ended = this.lastEnded ? this.views.get(this.lastEnded) : undefined;
    if (this.lastEnded && ended?.status) last = [this.lastEnded, ended];
    else for (const entry of this.views) if (entry[1].status) last = entry;
    if (!last) {
      this.statusBar.hide();
      return;
    }
    const [key, v] = last;
    const icon = v.status === 'succeeded' ? '$(pass)' : v.status === 'cancelled' ? '$(circle-slash)' : '$(error)';
    this.statusBar.text = `${icon} ${path.basename(key, '.pipeline.yaml')} ${formatDuration(v.durationMs)}`;
    this.statusBar.tooltip = `Last Pipewise run: ${v.status} — click to show the graph`;
    this.statusBar.command = commandOf('pipewise.showGraph', 'Show Graph', [vscode.Uri.file(key)]);
    this.statusBar.backgroundColor = v.status === 'failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.statusBar.show();
  }

  /** The status bar item as shown: its text, tooltip and the pipeline file a click opens (tests read it). */
  statusShown(): { readonly text: string; readonly tooltip: string; readonly file?: string } {
    const args = typeof this.statusBar.command === 'object' ? this.statusBar.command.arguments : undefined;
    const target = args?.[0];
    return { text: this.statusBar.text, tooltip: typeof this.statusBar.tooltip === 'string' ? this.statusBar.tooltip : '', ...(target instanceof vscode.Uri ? { file: target.fsPath } : {}) };
  }

  dispose(): void {
    this.cancel();
    this.subscription.dispose();
    this.statusBar.dispose();
    this.changeEmitter.dispose();
    this.finishedEmitter.dispose();
  }
}

function keyOf(file: string): string {
  const p = path.resolve(file);
  return process.platform === 'win32' ? p.toLowerCase() : p;
}

function sameFile(a: string, b: string): boolean {
  return keyOf(a) === keyOf(b);
}
