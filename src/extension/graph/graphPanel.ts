import * as vscode from 'vscode';
import path from 'node:path';
import type { FromGraphMessage, GraphAction, GraphModel, GraphTarget, GraphWebviewState, RunView, ToGraphMessage } from '../../protocol/graph';
import { onDidChangeConfig, readConfig } from '../config';
import type { PipewiseContext } from '../context';
import type { PipelineAnalysis, PipelineDocuments } from '../pipelineDocuments';
import type { RunController } from '../runs/runController';
import { readRunRecords, runViewOfRecord } from '../runs/runHistory';
import type { TrustGate } from '../trust';
import { executeCommand } from '../commands';
import { WebviewHost } from '../webviewHost';
import { PanelRegistry } from '../panelRegistry';
import { openArtifact, openStageOutputs } from './artifactActions';
import { buildGraphModel } from './graphModel';
import { errorMessage } from '../../protocol/errors';
import type { GraphAck } from '../../protocol/graph';
import { GRAPH_VIEW_TYPE } from '../contributionIds';


/** The least time between two run updates posted to a graph webview. */
const RUN_UPDATE_MS = 100;

// Run and Export start disabled: the page's script enables them with the first drawing, so a click
// never lands on a button whose handler is not attached yet (it would be lost without a sign).
const GRAPH_PAGE = `<div id="toolbar" role="toolbar" aria-label="Pipeline graph">
  <button id="run" class="primary" title="Run the pipeline" disabled>Run</button>
  <button id="cancel" hidden title="Cancel the run">Cancel</button>
  <button id="export" title="Export to Kubeflow Pipelines…" disabled>Export…</button>
  <span id="title"></span>
  <span id="summary" aria-live="polite"></span>
  <span class="spacer"></span>
  <button id="zoom-out" title="Zoom out (-)" aria-label="Zoom out">−</button>
  <button id="zoom-in" title="Zoom in (+)" aria-label="Zoom in">+</button>
  <button id="fit" title="Fit the graph (0)">Fit</button>
</div>
<div id="banner" role="status" hidden></div>
<svg id="graph" role="application" aria-label="Stages and artifacts of the pipeline; arrow keys move between nodes, Enter reveals, Shift+F10 opens actions">
  <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>
  <g id="viewport"></g>
  <g id="far-labels" aria-hidden="true"></g>
</svg>
<div id="menu" role="menu" hidden></div>`;

/** One graph webview, beside one pipeline file. The page, handshake and acknowledgements are the WebviewHost's. */
class GraphPanel extends WebviewHost<ToGraphMessage, FromGraphMessage, GraphAck> {
  private model: GraphModel | undefined;
  private ack: GraphAck;

  constructor(
    readonly uri: vscode.Uri,
    panel: vscode.WebviewPanel,
    private readonly manager: GraphPanels,
  ) {
    super(panel, {
      extensionUri: manager.extensionUri,
      bundle: 'graph',
      stylesheet: 'graph.css',
      icon: 'graph.svg',
      title: panel.title,
      body: GRAPH_PAGE,
      log: manager.ctx.log,
      label: 'graph',
    });
    this.ack = { ready: false, file: uri.fsPath, nodes: [], renders: 0, errors: [] };
  }

  get lastAck(): GraphAck {
    return this.ack;
  }

  private pendingRun: RunView | undefined;
  private runTimer: NodeJS.Timeout | undefined;
  private lastRunPost = 0;

  /**
   * Shows a run's state. Training reports progress every epoch, hundreds of times a second: the
   * webview gets at most one update per RUN_UPDATE_MS, always ending with the latest (a change of
   * whether the run is going is sent at once).
   */
  showRun(view: RunView): void {
    this.pendingRun = view;
    const wait = RUN_UPDATE_MS - (Date.now() - this.lastRunPost);
    if (wait <= 0 || !view.running) {
      this.flushRun();
    } else if (!this.runTimer) {
      this.runTimer = setTimeout(() => this.flushRun(), wait);
    }
  }

  private flushRun(): void {
    if (this.runTimer) clearTimeout(this.runTimer);
    this.runTimer = undefined;
    const view = this.pendingRun;
    this.pendingRun = undefined;
    if (!view || this.isDisposed) return;
    this.lastRunPost = Date.now();
    this.post({ type: 'run', run: view });
  }

  override dispose(): void {
    if (this.runTimer) clearTimeout(this.runTimer);
    this.runTimer = undefined;
    super.dispose();
  }

  update(analysis: PipelineAnalysis): void {
    const config = readConfig(this.uri).graph;
    this.model = buildGraphModel(analysis.parsed, analysis.diagnostics, {
      showArtifacts: config.showArtifacts,
      ...(this.model ? { previous: this.model } : {}),
    });
    this.panel.title = `Graph: ${this.model.pipeline || path.basename(this.uri.fsPath)}`;
    // Before `ready` there is nothing to queue: `onReady` sends the model as it is then.
    if (this.isReady) this.post({ type: 'pipeline', model: this.model, trusted: this.manager.trust.isTrusted, layout: config.layout });
  }

  protected override async onReady(): Promise<void> {
    this.ack = { ...this.ack, ready: true };
    await this.manager.refresh(this);
    this.showRun(this.manager.runs.viewOf(this.uri.fsPath));
  }

  protected override onWebviewError(message: string): void {
    this.ack = { ...this.ack, errors: [...this.ack.errors, message] };
  }

  protected override async onMessage(m: FromGraphMessage): Promise<void> {
    switch (m.type) {
      case 'rendered':
        this.ack = { ...this.ack, nodes: m.nodes, renders: this.ack.renders + 1, ...(m.runId ? { runId: m.runId } : {}) };
        this.rendered(this.ack);
        break;
      case 'runPipeline':
        await executeCommand('pipewise.runPipeline', this.uri);
        break;
      case 'cancelRun':
        this.manager.runs.cancel(this.uri.fsPath);
        break;
      case 'exportKfp':
        await executeCommand('pipewise.exportKfp', this.uri);
        break;
      case 'action':
        await this.manager.act(this, m.action, m.target);
        break;
    }
  }
}

/**
 * The graph webviews: one per pipeline file, opened beside it, following its edits and its runs.
 * Panels survive window reloads through a WebviewPanelSerializer. Closing one does not touch a run.
 */
export class GraphPanels implements vscode.Disposable {
  private readonly registry: PanelRegistry<vscode.Uri, GraphPanel, GraphWebviewState>;
  private readonly disposables: vscode.Disposable[] = [];
  readonly extensionUri: vscode.Uri;

  constructor(
    readonly ctx: PipewiseContext,
    private readonly documents: PipelineDocuments,
    readonly runs: RunController,
    readonly trust: TrustGate,
  ) {
    this.extensionUri = ctx.extension.extensionUri;
    this.registry = new PanelRegistry(ctx, {
      viewType: GRAPH_VIEW_TYPE,
      keyOf: (uri: vscode.Uri) => uri.toString(),
      title: (uri) => `Graph: ${path.basename(uri.fsPath, '.pipeline.yaml')}`,
      create: (panel, uri) => new GraphPanel(uri, panel, this),
      // One column for graphs: beside the pipeline file, or the column an open graph already uses.
      placement: (uri, open) => {
        const file = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString())?.viewColumn;
        const graphColumn = open.map((p) => p.panel.viewColumn).find((c) => c !== undefined && c !== file);
        return { viewColumn: graphColumn ?? vscode.ViewColumn.Beside, preserveFocus: true };
      },
      retainContextWhenHidden: false,
      isState: (s): s is GraphWebviewState => !!(s as GraphWebviewState | undefined)?.file,
      revive: (saved) => vscode.Uri.file(saved.file),
    });
    this.disposables.push(
      documents.onDidAnalyse((a) => this.get(a.uri)?.update(a)),
      runs.onDidChange((c) => {
        for (const p of this.registry.all()) if (path.resolve(p.uri.fsPath) === path.resolve(c.file)) p.showRun(c.view);
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        for (const p of this.registry.all()) void this.refresh(p);
      }),
      onDidChangeConfig(() => {
        for (const p of this.registry.all()) void this.refresh(p);
      }),
    );
  }

  /** Opens (or reveals) the graph of `uri` beside the editor. */
  show(uri: vscode.Uri): GraphPanel {
    return this.registry.show(uri).panel;
  }

  get(uri: vscode.Uri): GraphPanel | undefined {
    return this.registry.get(uri.toString());
  }

  async refresh(p: GraphPanel): Promise<void> {
    try {
      const doc = await vscode.workspace.openTextDocument(p.uri);
      const analysis = this.documents.get(doc);
      p.update(analysis);
      // A pipeline that has not run in this session shows its last recorded run.
      const spec = analysis.parsed.spec;
      if (spec && !this.runs.viewOf(p.uri.fsPath).runId) {
        const [last] = await readRunRecords(p.uri.fsPath, spec.store, 1);
        if (last) this.runs.seed(p.uri.fsPath, runViewOfRecord(last));
      }
    } catch (e) {
      this.ctx.log.error(`[graph] cannot read ${p.uri.fsPath}: ${errorMessage(e)}`);
    }
  }

  /** A graph action on a stage, an artifact (acting on its stage, or opening it) or a missing stage (revealed where it is read). */
  async act(p: GraphPanel, action: GraphAction, target: GraphTarget): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(p.uri);
    const spec = this.documents.get(doc).parsed.spec;
    const stageName = target.stage;
    switch (action) {
      case 'reveal':
        await this.reveal(p.uri, target.kind === 'missing' ? { reference: stageName } : { stage: stageName });
        break;
      case 'runStage':
        await executeCommand('pipewise.runStage', p.uri, stageName);
        break;
      case 'runFrom':
        await executeCommand('pipewise.runFromStage', p.uri, stageName);
        break;
      case 'showLogs': {
        this.ctx.log.show(true);
        const error = this.runs.viewOf(p.uri.fsPath).stages[stageName]?.error;
        if (error) void vscode.window.showErrorMessage(`Stage ${stageName} failed: ${error}`);
        break;
      }
      case 'openOutputs':
        if (!spec) return;
        if (target.kind === 'artifact') await openArtifact(spec, this.runs.viewOf(p.uri.fsPath), stageName, target.output);
        else await openStageOutputs(spec, this.runs.viewOf(p.uri.fsPath), stageName);
        break;
    }
  }

  /** Reveals a stage's key (or the first place a missing stage is read) in the YAML editor. */
  async reveal(uri: vscode.Uri, target: { stage?: string; reference?: string }): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(uri);
    const spec = this.documents.get(doc).parsed.spec;
    let range: vscode.Range | undefined;
    const stage = target.stage ? spec?.stages.find((s) => s.name === target.stage) : undefined;
    if (stage) range = new vscode.Range(stage.range.start.line - 1, stage.range.start.col - 1, stage.range.end.line - 1, stage.range.end.col - 1);
    if (!range && (target.reference ?? target.stage)) {
      const name = target.reference ?? target.stage ?? '';
      for (const s of spec?.stages ?? []) {
        const ref = Object.values(s.inputs).find((r) => r.stage === name);
        if (ref) {
          range = new vscode.Range(ref.range.start.line - 1, ref.range.start.col - 1, ref.range.end.line - 1, ref.range.end.col - 1);
          break;
        }
      }
      if (!range) {
        // A stage the parser dropped (no component): find its key by text.
        const m = new RegExp(`^\\s+${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*:`, 'm').exec(doc.getText());
        if (m) range = new vscode.Range(doc.positionAt(m.index + m[0].indexOf(name)), doc.positionAt(m.index + m[0].indexOf(name) + name.length));
      }
    }
    const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: visible?.viewColumn ?? vscode.ViewColumn.One, preserveFocus: false });
    if (range) {
      editor.selection = new vscode.Selection(range.start, range.end);
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }
  }

  /** For the host tests: what the graph of `uri` last acknowledged, or undefined when none is open. */
  ackOf(uri: vscode.Uri): GraphAck | undefined {
    return this.get(uri)?.lastAck;
  }

  dispose(): void {
    this.registry.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
