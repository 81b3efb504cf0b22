/**
 * The monitoring panel: skew and schema anomalies of a model server's request log against the
 * pipeline's training data, over the whole log and per hour or day. The numbers come from the
 * worker (src/worker/handlers/monitoring.ts runs the engine's monitor); this class asks for them on
 * `ready`, on Refresh, on a new --by, and — while the panel is visible — whenever the log's files
 * change (checked every few seconds), cancelling a request still in flight when a new one starts.
 */
import * as vscode from 'vscode';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { errorMessage } from '../../protocol/errors';
import { MonitorRequests, type FromMonitoringWebview, type MonitoringAck, type MonitoringState, type ToMonitoringWebview } from '../../protocol/monitoring';
import { executeCommand } from '../commands';
import type { PipewiseContext } from '../context';
import type { MonitoringVerdicts } from './monitoringVerdicts';
import { WebviewHost } from '../webviewHost';
import { MONITORING_VIEW_TYPE } from '../contributionIds';

/** How often a visible panel looks at the log's files for new requests. */
export const AUTO_REFRESH_MS = 3000;

/** Names, sizes and times of the log's files: changes when the server flushes requests. */
async function logSignature(logDir: string): Promise<string> {
  try {
    const names = (await fs.readdir(logDir)).sort();
    const parts = await Promise.all(
      names.map(async (n) => {
        const s = await fs.stat(path.join(logDir, n)).catch(() => undefined);
        return `${n}:${s?.size ?? '-'}:${s?.mtimeMs ?? '-'}`;
      }),
    );
    return parts.join('|');
  } catch (e) {
    return `missing:${(e as NodeJS.ErrnoException).code ?? ''}`;
  }
}

export class MonitoringPanel extends WebviewHost<ToMonitoringWebview, FromMonitoringWebview, MonitoringAck, MonitoringState> {
  private running: CancellationTokenSource | undefined;
  private signature: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Requests answered (a test reads that auto-refresh happened). */
  loads = 0;

  constructor(
    private readonly ctx: PipewiseContext,
    panel: vscode.WebviewPanel,
    public state: MonitoringState,
    private readonly verdicts?: MonitoringVerdicts,
  ) {
    super(panel, {
      extensionUri: ctx.extension.extensionUri,
      bundle: 'monitoring',
      stylesheet: 'panels.css',
      icon: 'panels-icon.svg',
      title: `Monitoring: ${path.basename(state.logDir)}`,
      initialState: state,
      log: ctx.log,
      label: 'monitoring',
    });
    this._register({ dispose: () => this.running?.cancel() });
    this._register({ dispose: () => this.timer && clearInterval(this.timer) });
    this.timer = setInterval(() => void this.autoRefresh(), AUTO_REFRESH_MS);
  }

  get key(): string {
    return MonitoringPanel.keyOf(this.state.pipelineFile, this.state.logDir);
  }

  static keyOf(pipelineFile: string, logDir: string): string {
    return `${path.resolve(pipelineFile)}\n${path.resolve(logDir)}`;
  }

  waitForAck(accept: (a: MonitoringAck) => boolean, timeoutMs: number, fresh = false): Promise<MonitoringAck> {
    return this.waitForRender(accept, timeoutMs, fresh, 'monitoring render');
  }

  protected override async onReady(): Promise<void> {
    await this.load();
  }

  protected override onMessageError(e: unknown): void {
    this.post({ type: 'error', message: errorMessage(e) });
  }

  protected override async onMessage(m: FromMonitoringWebview): Promise<void> {
    switch (m.type) {
      case 'refresh':
        await this.load();
        break;
      case 'setBy':
        this.state = { ...this.state, by: m.by };
        await this.load();
        break;
      case 'select':
        this.state = { ...this.state, selected: m.feature };
        break;
      case 'chooseLabels':
        await this.chooseLabels();
        break;
      case 'rendered':
        this.rendered(m.ack);
        break;
    }
  }

  private async autoRefresh(): Promise<void> {
    if (this.isDisposed || !this.isReady || !this.panel.visible || this.running) return;
    const sig = await logSignature(this.state.logDir);
    if (sig !== this.signature) await this.load();
  }

  /** Records the verdict; a log that just turned anomalous is announced once, with a way back to this panel. */
  private announce(summary: string | undefined): void {
    if (!this.verdicts?.set(this.state.pipelineFile, this.state.logDir, summary)) return;
    const what = `${path.basename(this.state.pipelineFile)} (log ${path.basename(this.state.logDir)})`;
    void vscode.window.showWarningMessage(`Pipewise: the requests served from ${what} are anomalous: ${summary ?? ''}`, 'Open Monitoring').then((choice) => {
      if (choice === 'Open Monitoring') void executeCommand('pipewise.openMonitoring', vscode.Uri.file(this.state.pipelineFile), this.state.logDir);
    });
  }

  /** The labels file quality is measured from: picked by the user (a CSV or Parquet of request ids and labels). */
  private async chooseLabels(): Promise<void> {
    const picked = await vscode.window.showOpenDialog({
      title: 'Labels that arrived later (request_id and the label, CSV or Parquet)',
      canSelectFiles: true,
      canSelectFolders: false,
      canSelectMany: false,
      filters: { Labels: ['csv', 'parquet'] },
      defaultUri: vscode.Uri.file(this.state.labelsFile ?? this.state.logDir),
      openLabel: 'Measure quality',
    });
    const file = picked?.[0]?.fsPath;
    if (!file) return;
    this.state = { ...this.state, labelsFile: file };
    await this.load();
  }

  /** Asks the worker for the report, cancelling one still in flight. */
  async load(): Promise<void> {
    this.running?.cancel();
    const cts = new CancellationTokenSource();
    this.running = cts;
    const sig = await logSignature(this.state.logDir);
    this.post({ type: 'loading' });
    try {
      const { pipelineFile, logDir, by, labelsFile } = this.state;
      const result = await this.ctx.worker.request(MonitorRequests, { pipelineFile, logDir, by, ...(labelsFile ? { labelsFile } : {}) }, cts.token);
      if (cts.token.isCancellationRequested) return;
      this.signature = sig;
      this.loads++;
      this.post({ type: 'result', result, by: this.state.by });
      if (result.kind === 'report') this.announce(result.anomalous ? result.summary : undefined);
    } catch (e) {
      if (cts.token.isCancellationRequested) return;
      this.signature = sig;
      this.log.error(`[monitoring] ${errorMessage(e)}`);
      this.post({ type: 'error', message: errorMessage(e) });
    } finally {
      if (this.running === cts) this.running = undefined;
      cts.dispose();
    }
  }
}
