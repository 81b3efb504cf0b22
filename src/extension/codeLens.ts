import * as vscode from 'vscode';
import { commandOf } from './commands';
import { readConfig } from './config';
import { isPipelineDocument, type PipelineDocuments } from './pipelineDocuments';
import type { RunController } from './runs/runController';
import { formatDuration } from '../core/format';
import type { RunView } from '../protocol/runEvents';

const STATUS_ICON: Record<string, string> = {
  succeeded: '$(pass)',
  cached: '$(pass)',
  failed: '$(error)',
  running: '$(sync~spin)',
  pending: '$(clock)',
  skipped: '$(debug-step-over)',
  cancelled: '$(circle-slash)',
};

/** "Run pipeline" / "Show graph" on the file, "Run stage" / "Run from here" and the last status on each stage. */
export class PipelineCodeLens implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(
    private readonly documents: PipelineDocuments,
    private readonly runs: RunController,
  ) {}

  /** What the lenses of each file last showed of its run: a change to anything else is not news. */
  private readonly shown = new Map<string, string>();

  refresh(): void {
    this.shown.clear();
    this.changed.fire();
  }

  /**
   * A run's view changed. Signal VS Code only when what the lenses show (running or not, each
   * stage's status and time) changed: each signal makes VS Code ask again and redraw every lens of
   * the file, and a model in training reports progress up to ten times a second, so a user's click
   * on "Cancel run" could land on a lens being replaced.
   */
  runChanged(file: string, view: RunView): void {
    const shown = `${this.runs.isRunning(file)}|${Object.entries(view.stages)
      .map(([name, s]) => `${name}:${s.status}:${s.status === 'pending' ? '' : (s.durationMs ?? '')}`)
      .join(',')}`;
    if (this.shown.get(file) === shown) return;
    this.shown.set(file, shown);
    this.changed.fire();
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!isPipelineDocument(doc) || !readConfig(doc.uri).editor.codeLens) return [];
    const spec = this.documents.get(doc).parsed.spec;
    if (!spec) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    const running = this.runs.isRunning(doc.uri.fsPath);
    const lenses = [
      running
        ? new vscode.CodeLens(top, commandOf('pipewise.cancelRun', '$(debug-stop) Cancel run', [doc.uri]))
        : new vscode.CodeLens(top, commandOf('pipewise.runPipeline', '$(play) Run pipeline', [doc.uri])),
      new vscode.CodeLens(top, commandOf('pipewise.showGraph', '$(type-hierarchy-sub) Show graph', [doc.uri])),
    ];
    const view = this.runs.viewOf(doc.uri.fsPath);
    for (const s of spec.stages) {
      const at = new vscode.Range(s.range.start.line - 1, 0, s.range.start.line - 1, 0);
      if (!running) {
        lenses.push(
          new vscode.CodeLens(at, commandOf('pipewise.runStage', 'Run stage', [doc.uri, s.name])),
          new vscode.CodeLens(at, commandOf('pipewise.runFromStage', 'Run from here', [doc.uri, s.name])),
        );
      }
      const st = view.stages[s.name];
      if (st) {
        const title = `${STATUS_ICON[st.status] ?? ''} ${st.status}${st.durationMs && st.status !== 'pending' ? ` ${formatDuration(st.durationMs)}` : ''}`;
        lenses.push(new vscode.CodeLens(at, commandOf('pipewise.showGraph', title, [doc.uri], st.error ?? 'Show the graph')));
      }
    }
    return lenses;
  }
}
