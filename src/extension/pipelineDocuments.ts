import * as vscode from 'vscode';
import { parsePipeline, type ParsedPipeline } from '../core/parse';
import { validatePipeline } from '../core/validate';
import { localFiles } from '../core/fileLookup';
import type { SpecDiagnostic } from '../core/spec';
import { readConfig } from './config';
import { errorMessage } from '../protocol/errors';

export interface PipelineAnalysis {
  readonly uri: vscode.Uri;
  readonly version: number;
  readonly parsed: ParsedPipeline;
  readonly diagnostics: readonly SpecDiagnostic[];
}

export function isPipelineUri(uri: vscode.Uri): boolean {
  return uri.path.endsWith('.pipeline.yaml') || uri.path.endsWith('.pipeline.yml');
}

export function isPipelineDocument(doc: vscode.TextDocument): boolean {
  return isPipelineUri(doc.uri);
}

/**
 * Parses and validates open pipeline files once per document version (parse + validate are pure
 * and cheap, so they run here in the extension host), and tells listeners after edits settle, so
 * typing in a large file is not slowed by work on every keystroke.
 */
export class PipelineDocuments implements vscode.Disposable {
  private readonly cache = new Map<string, PipelineAnalysis>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly emitter = new vscode.EventEmitter<PipelineAnalysis>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Fires after a pipeline document was opened or its edits settled. */
  readonly onDidAnalyse = this.emitter.event;

  constructor() {
    this.disposables.push(
      this.emitter,
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document, readConfig(e.document.uri).editor.updateDelay)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        const key = d.uri.toString();
        this.cache.delete(key);
        const t = this.timers.get(key);
        if (t) clearTimeout(t);
        this.timers.delete(key);
      }),
    );
  }

  /** Every open pipeline document, analysed now (used at startup). */
  analyseOpen(): void {
    for (const d of vscode.workspace.textDocuments) if (isPipelineDocument(d)) this.emitter.fire(this.get(d));
  }

  get(doc: vscode.TextDocument): PipelineAnalysis {
    const key = doc.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === doc.version) return hit;
    const file = doc.uri.scheme === 'file' ? doc.uri.fsPath : doc.uri.path;
    const parsed = parsePipeline(doc.getText(), file);
    let diagnostics: readonly SpecDiagnostic[];
    try {
      diagnostics = validatePipeline(parsed, doc.uri.scheme === 'file' ? { files: localFiles } : {});
    } catch (e) {
      // A validator bug must not take the editor down: show the parse problems and the failure.
      diagnostics = [
        ...parsed.diagnostics,
        { file, range: parsed.rangeAt(0), severity: 'error', code: 'internal', message: `validation failed: ${errorMessage(e)}` },
      ];
    }
    const analysis: PipelineAnalysis = { uri: doc.uri, version: doc.version, parsed, diagnostics };
    this.cache.set(key, analysis);
    return analysis;
  }

  private schedule(doc: vscode.TextDocument, delay: number): void {
    if (!isPipelineDocument(doc)) return;
    const key = doc.uri.toString();
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        if (doc.isClosed) return;
        this.emitter.fire(this.get(doc));
      }, delay),
    );
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const d of this.disposables) d.dispose();
  }
}

/** A 1-based SourceRange as a VS Code range. */
export function toVsRange(r: SpecDiagnostic['range']): vscode.Range {
  return new vscode.Range(Math.max(0, r.start.line - 1), Math.max(0, r.start.col - 1), Math.max(0, r.end.line - 1), Math.max(0, r.end.col - 1));
}
