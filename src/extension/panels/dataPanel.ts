import * as vscode from 'vscode';
import { promises as fs } from 'node:fs';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import type { PipewiseContext } from '../context';
import {
  CompareDatasets,
  ComputeStatistics,
  GetFeatureDetail,
  PreviewRows,
  RunQuery,
  StatisticsProgress,
  ValidateStatistics,
  type Anomalies,
  type DatasetFeatureStatistics,
  type FromWebview,
  type PanelState,
  type QuickFix,
  type RenderedDigest,
  type ToWebview,
  statisticsFromWire,
} from '../../protocol/data';
import { errorMessage } from '../../protocol/errors';
import { WebviewHost } from '../webviewHost';
import { applyQuickFix, parseSchema, quickFixesFor, schemaFormatOf, serializeSchema } from './schemaFile';
import { sourceFromPath, sourceLabel } from './sources';
import { DATA_PANEL_VIEW_TYPE } from '../contributionIds';


/**
 * One data panel: statistics, compare, schema & anomalies, or preview & SQL, for one source.
 * The page, the ready handshake, queued posts and render acknowledgements are the WebviewHost's;
 * this class answers the webview's requests through the worker port, and keeps the panel state
 * (selected feature, SQL text) so a reload restores it.
 */
export class DataPanel extends WebviewHost<ToWebview, FromWebview, RenderedDigest, PanelState> {
  private running: CancellationTokenSource | undefined;
  private statistics: DatasetFeatureStatistics | undefined;
  /** Where the last statistics computation stands, and since when (epoch ms): tests time a cancel with it. */
  statisticsStatus: { readonly state: 'idle' | 'running' | 'done' | 'cancelled' | 'failed'; readonly since: number } = { state: 'idle', since: Date.now() };

  constructor(
    private readonly ctx: PipewiseContext,
    panel: vscode.WebviewPanel,
    public state: PanelState,
    readonly id: string,
  ) {
    super(panel, {
      extensionUri: ctx.extension.extensionUri,
      bundle: 'panels',
      stylesheet: 'panels.css',
      icon: 'panels-icon.svg',
      title: state.title,
      initialState: state,
      log: ctx.log,
      label: `panel ${state.title}`,
    });
    this._register({ dispose: () => this.running?.cancel() });
  }

  /** Waits for the webview to report a render that `accept` takes (tests check what was drawn). */
  waitForDigest(accept: (d: RenderedDigest) => boolean, timeoutMs: number, fresh = false): Promise<RenderedDigest> {
    return this.waitForRender(accept, timeoutMs, fresh, `${this.state.kind} render`);
  }

  protected override async onReady(): Promise<void> {
    this.post({ type: 'init', state: this.state });
    await this.load();
  }

  protected override onMessageError(e: unknown): void {
    this.post({ type: 'error', message: errorMessage(e) });
  }

  protected override async onMessage(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'refresh':
        this.statistics = undefined;
        await this.load();
        break;
      case 'chooseStatistics':
        await this.chooseStatistics();
        break;
      case 'cancel':
        this.running?.cancel();
        break;
      case 'selectFeature':
        this.state = { ...this.state, selected: m.feature };
        if (m.feature && this.state.kind === 'statistics' && this.state.source) {
          const detail = await this.ctx.worker.request(GetFeatureDetail, { source: this.state.source, feature: m.feature });
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
        if (this.state.source) this.post({ type: 'preview', result: await this.ctx.worker.request(PreviewRows, { source: this.state.source, offset: m.offset, limit: m.limit }) });
        break;
      case 'query':
        if (this.state.source) {
          const source = this.state.source;
          this.state = { ...this.state, sql: m.sql };
          this.post({ type: 'query', sql: m.sql, result: await this.ctx.worker.request(RunQuery, { source, sql: m.sql, limit: 2000 }) });
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
        this.rendered(m.digest);
        break;
    }
  }

  private async chooseStatistics(): Promise<void> {
    const picked = await vscode.window.showOpenDialog({
      title: 'Validate the schema against a data file or a statistics.json',
      canSelectMany: false,
      filters: { Data: ['csv', 'tsv', 'parquet', 'json', 'ndjson', 'jsonl'] },
    });
    const p = picked?.[0]?.fsPath;
    if (!p) return;
    const source = sourceFromPath(p);
    this.state = { ...this.state, source };
    this.post({ type: 'state', patch: { source } });
    this.statistics = undefined;
    await this.load();
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
    // One subscription per computation, through the port: every panel computing at once gets its own progress.
    const sub = this.ctx.worker.on(StatisticsProgress, (p) => {
      if (p.progressId !== progressId) return;
      this.post({ type: 'progress', phase: p.phase, message: p.message });
      if (p.statistics) this.post({ type: 'statistics', partial: true, ...(p.sampledRows !== undefined ? { sampledRows: p.sampledRows } : {}), result: { statistics: p.statistics, datasets: [], exact: false, rows: p.totalRows ?? 0, elapsedMs: p.elapsedMs } });
    });
    const settle = (state: 'done' | 'cancelled' | 'failed'): void => {
      if (this.running === cts) this.statisticsStatus = { state, since: Date.now() };
    };
    try {
      this.statisticsStatus = { state: 'running', since: Date.now() };
      this.post({ type: 'progress', phase: 'reading', message: `Reading ${sourceLabel(source)}…` });
      const result = await this.ctx.worker.request(ComputeStatistics, { source, progressId }, cts.token);
      settle('done');
      // The webview gets the wire form (it reads ±Infinity back itself); the quick fixes read numbers.
      this.statistics = statisticsFromWire(result.statistics);
      this.post({ type: 'statistics', partial: false, result });
      this.post({ type: 'progress', phase: 'done', message: `${result.rows.toLocaleString('en')} rows · ${(result.elapsedMs / 1000).toFixed(1)} s` });
    } catch (e) {
      settle(cts.token.isCancellationRequested ? 'cancelled' : 'failed');
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
    const result = await this.ctx.worker.request(CompareDatasets, { left, right, defaultThreshold: this.state.threshold ?? 0.05 });
    this.post({ type: 'compare', result, leftLabel: sourceLabel(left), rightLabel: sourceLabel(right) });
    // A column in one file only is flagged, but it is not drift: count the shared ones.
    const shared = result.drift.filter((d) => !d.onlyIn);
    const oneSided = result.drift.length - shared.length;
    const message = shared.length === 0 ? 'No column in common' : `${shared.filter((d) => d.exceeded).length} of ${shared.length} shared features past the threshold${oneSided ? `; ${oneSided} in one file only` : ''}`;
    this.post({ type: 'progress', phase: 'done', message });
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
      if (!this.statistics) this.statistics = statisticsFromWire((await this.ctx.worker.request(ComputeStatistics, { source, sampleRows: 0 })).statistics);
      anomalies = await this.ctx.worker.request(ValidateStatistics, { statistics: source, schema, ...(this.state.baseline ? { baseline: this.state.baseline } : {}) });
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
}
