import * as vscode from 'vscode';
import { promises as fs } from 'node:fs';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import type { PipewiseContext } from '../extension';
import {
  CompareDatasets,
  ComputeStatistics,
  GetFeatureDetail,
  PreviewRows,
  RunQuery,
  StatisticsProgress,
  ValidateStatistics,
  type Anomalies,
  type DataSource,
  type DatasetFeatureStatistics,
  type FromWebview,
  type PanelState,
  type QuickFix,
  type RenderedDigest,
  type ToWebview,
} from '../../protocol/data';
import { panelHtml } from './html';
import { applyQuickFix, parseSchema, quickFixesFor, schemaFormatOf, serializeSchema } from './schemaFile';
import { sourceFromPath, sourceLabel } from './sources';

export const DATA_PANEL_VIEW_TYPE = 'pipewise.dataPanel';

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * One data panel: statistics, compare, schema & anomalies, or preview & SQL, for one source.
 * It sends nothing until the webview says `ready`; it answers the webview's requests through the
 * worker, and keeps the panel state (selected feature, SQL text) so a reload restores it.
 */
export class DataPanel implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private running: CancellationTokenSource | undefined;
  private statistics: DatasetFeatureStatistics | undefined;
  private readonly digestWaiters: { accept: (d: RenderedDigest) => boolean; resolve: (d: RenderedDigest) => void }[] = [];
  /** What the webview reported drawing, latest last (bounded). */
  private readonly digests: RenderedDigest[] = [];
  private readonly onDidDisposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.onDidDisposeEmitter.event;

  constructor(
    private readonly ctx: PipewiseContext,
    readonly panel: vscode.WebviewPanel,
    public state: PanelState,
    readonly id: string,
  ) {
    const ext = ctx.extension.extensionUri;
    panel.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(ext, 'out', 'webviews'), vscode.Uri.joinPath(ext, 'media')],
    };
    panel.iconPath = vscode.Uri.joinPath(ext, 'media', 'panels-icon.svg');
    panel.title = state.title;
    panel.webview.html = panelHtml(panel.webview, ext, state);
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: FromWebview) => void this.onMessage(m)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  private post(m: ToWebview): void {
    if (this.ready) void this.panel.webview.postMessage(m);
  }

  /** Waits for the webview to report a render that `accept` takes (tests check what was drawn). */
  waitForDigest(accept: (d: RenderedDigest) => boolean, timeoutMs: number, fresh = false): Promise<RenderedDigest> {
    const seen = fresh ? undefined : [...this.digests].reverse().find(accept);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${this.state.kind} render matching the test's condition within ${timeoutMs} ms (last: ${JSON.stringify(this.digests.at(-1))?.slice(0, 300)})`)),
        timeoutMs,
      );
      this.digestWaiters.push({
        accept,
        resolve: (d) => {
          clearTimeout(timer);
          resolve(d);
        },
      });
    });
  }

  /** Handles a message as if the webview had sent it (the webview and tests both come here). */
  async onMessage(m: FromWebview): Promise<void> {
    try {
      switch (m.type) {
        case 'ready':
          this.ready = true;
          this.post({ type: 'init', state: this.state });
          await this.load();
          break;
        case 'refresh':
          this.statistics = undefined;
          await this.load();
          break;
        case 'chooseStatistics': {
          const picked = await vscode.window.showOpenDialog({
            title: 'Validate the schema against a data file or a statistics.json',
            canSelectMany: false,
            filters: { Data: ['csv', 'tsv', 'parquet', 'json', 'ndjson', 'jsonl'] },
          });
          const p = picked?.[0]?.fsPath;
          if (p) {
            const source = sourceFromPath(p);
            this.state = { ...this.state, source };
            this.post({ type: 'state', patch: { source } });
            this.statistics = undefined;
            await this.load();
          }
          break;
        }
        case 'cancel':
          this.running?.cancel();
          break;
        case 'selectFeature':
          this.state = { ...this.state, selected: m.feature };
          if (m.feature && this.state.kind === 'statistics' && this.state.source) {
            const client = await this.ctx.worker.client();
            const detail = await client.request(GetFeatureDetail, { source: this.state.source, feature: m.feature });
            this.post({ type: 'detail', detail });
          }
          break;
        case 'selectDataset':
          if (this.state.source?.kind === 'statistics') {
            this.state = { ...this.state, source: { ...this.state.source, dataset: m.dataset } };
            await this.load();
          }
          break;
        case 'preview':
          if (this.state.source) {
            const client = await this.ctx.worker.client();
            this.post({ type: 'preview', result: await client.request(PreviewRows, { source: this.state.source, offset: m.offset, limit: m.limit }) });
          }
          break;
        case 'query':
          if (this.state.source) {
            const source = this.state.source;
            this.state = { ...this.state, sql: m.sql };
            const client = await this.ctx.worker.client();
            this.post({ type: 'query', sql: m.sql, result: await client.request(RunQuery, { source, sql: m.sql, limit: 2000 }) });
          }
          break;
        case 'quickFix':
          await this.applyFix(m.fix);
          break;
        case 'setThreshold':
          this.state = { ...this.state, threshold: m.threshold };
          if (this.state.kind === 'compare') await this.load();
          break;
        case 'rendered':
          this.digests.push(m.digest);
          if (this.digests.length > 50) this.digests.shift();
          for (const w of [...this.digestWaiters]) {
            if (w.accept(m.digest)) {
              this.digestWaiters.splice(this.digestWaiters.indexOf(w), 1);
              w.resolve(m.digest);
            }
          }
          break;
        case 'error':
          this.ctx.log.error(`[panel ${this.state.title}] ${m.message}`);
          break;
      }
    } catch (e) {
      this.ctx.log.error(`[panel ${this.state.title}] ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      this.post({ type: 'error', message: message(e) });
    }
  }

  private async load(): Promise<void> {
    switch (this.state.kind) {
      case 'statistics':
        return this.loadStatistics();
      case 'compare':
        return this.loadCompare();
      case 'schema':
        return this.loadSchema();
      case 'preview':
        return; // the grid asks for its pages itself
    }
  }

  private async loadStatistics(): Promise<void> {
    const source = this.state.source;
    if (!source) return;
    this.running?.cancel();
    const cts = new CancellationTokenSource();
    this.running = cts;
    const progressId = `${this.id}-${Date.now()}`;
    const client = await this.ctx.worker.client();
    const sub = client.onNotification(StatisticsProgress, (p) => {
      if (p.progressId !== progressId) return;
      this.post({ type: 'progress', phase: p.phase, message: p.message });
      if (p.statistics) this.post({ type: 'statistics', partial: true, ...(p.sampledRows !== undefined ? { sampledRows: p.sampledRows } : {}), result: { statistics: p.statistics, datasets: [], exact: false, rows: p.totalRows ?? 0, elapsedMs: p.elapsedMs } });
    });
    try {
      this.post({ type: 'progress', phase: 'reading', message: `Reading ${sourceLabel(source)}…` });
      const result = await client.request(ComputeStatistics, { source, progressId }, cts.token);
      this.statistics = result.statistics;
      this.post({ type: 'statistics', partial: false, result });
      this.post({ type: 'progress', phase: 'done', message: `${result.rows.toLocaleString('en')} rows · ${(result.elapsedMs / 1000).toFixed(1)} s` });
    } catch (e) {
      if (cts.token.isCancellationRequested) this.post({ type: 'progress', phase: 'cancelled', message: 'Cancelled. Figures shown so far come from a sample.' });
      else throw e;
    } finally {
      sub.dispose();
      if (this.running === cts) this.running = undefined;
    }
  }

  private async loadCompare(): Promise<void> {
    const { source: left, right } = this.state;
    if (!left || !right) return;
    this.post({ type: 'progress', phase: 'reading', message: `Comparing ${sourceLabel(left)} with ${sourceLabel(right)}…` });
    const client = await this.ctx.worker.client();
    const result = await client.request(CompareDatasets, { left, right, defaultThreshold: this.state.threshold ?? 0.05 });
    this.post({ type: 'compare', result, leftLabel: sourceLabel(left), rightLabel: sourceLabel(right) });
    this.post({ type: 'progress', phase: 'done', message: `${result.drift.filter((d) => d.exceeded).length} of ${result.drift.length} features past the threshold` });
  }

  private async schemaDocument(): Promise<vscode.TextDocument | undefined> {
    return this.state.schemaPath ? vscode.workspace.openTextDocument(vscode.Uri.file(this.state.schemaPath)) : undefined;
  }

  private async loadSchema(): Promise<void> {
    const doc = await this.schemaDocument();
    let anomalies: Anomalies | undefined;
    if (!doc) {
      if (this.state.anomaliesPath) anomalies = JSON.parse(await fs.readFile(this.state.anomaliesPath, 'utf8')) as Anomalies;
      this.post({ type: 'schema', schema: { feature: [] }, path: '', ...(anomalies ? { anomalies } : {}), fixes: {} });
      return;
    }
    const schema = parseSchema(doc.getText(), doc.uri.fsPath);
    const source = this.state.source;
    if (source) {
      const client = await this.ctx.worker.client();
      if (!this.statistics) this.statistics = (await client.request(ComputeStatistics, { source, sampleRows: 0 })).statistics;
      anomalies = await client.request(ValidateStatistics, { statistics: source, schema, ...(this.state.baseline ? { baseline: this.state.baseline } : {}) });
    } else if (this.state.anomaliesPath) {
      anomalies = JSON.parse(await fs.readFile(this.state.anomaliesPath, 'utf8')) as Anomalies;
    }
    this.post({ type: 'schema', schema, path: doc.uri.fsPath, ...(anomalies ? { anomalies } : {}), fixes: quickFixesFor(anomalies, schema, this.statistics) });
  }

  /** Edits the schema file as one undoable WorkspaceEdit, saves it, and validates again at once. */
  private async applyFix(fix: QuickFix): Promise<void> {
    const doc = await this.schemaDocument();
    if (!doc) throw new Error('This panel has no schema file to edit.');
    const next = applyQuickFix(parseSchema(doc.getText(), doc.uri.fsPath), fix);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), serializeSchema(next, schemaFormatOf(doc.uri.fsPath)));
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`Could not edit ${doc.uri.fsPath}`);
    await doc.save();
    await this.loadSchema();
  }

  private disposed = false;
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.running?.cancel();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
    this.onDidDisposeEmitter.fire();
    this.onDidDisposeEmitter.dispose();
  }
}
