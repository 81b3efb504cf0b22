import * as vscode from 'vscode';
import { commandOf } from './commands';
import { readConfig } from './config';
import { isPipelineDocument, type PipelineDocuments } from './pipelineDocuments';
import type { RunController } from './runs/runController';
import { formatDuration } from './runs/runView';

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

  refresh(): void {
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
