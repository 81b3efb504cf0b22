import * as vscode from 'vscode';
import os from 'node:os';
import path from 'node:path';

/** A first-line comment naming the pipeline: `# pipeline: penguins.pipeline.yaml` (also `//` or `--`). */
const PIPELINE_COMMENT = /^\s*(?:#|\/\/|--)\s*pipeline:\s*(\S+)\s*$/;

/**
 * The notebook's own metadata (nbformat's `metadata`). VS Code's ipynb serializer keeps it under
 * `metadata.metadata`; other serializers may put it at the top.
 */
export function nbMetadata(notebook: vscode.NotebookDocument): Record<string, unknown> {
  const m = notebook.metadata as { metadata?: Record<string, unknown> } & Record<string, unknown>;
  return m.metadata && typeof m.metadata === 'object' ? m.metadata : m;
}

export function pipewiseMetadata(notebook: vscode.NotebookDocument): { pipeline?: string } | undefined {
  const p = nbMetadata(notebook).pipewise;
  return p && typeof p === 'object' ? (p as { pipeline?: string }) : undefined;
}

/** Folder that relative paths in the notebook resolve against. */
export function notebookDir(notebook: vscode.NotebookDocument): string {
  if (notebook.uri.scheme === 'file') return path.dirname(notebook.uri.fsPath);
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.homedir();
}

/**
 * The pipeline file the notebook points to, as an absolute path: the metadata field, else a
 * first-line comment in the first code cell or in `cell`. Undefined when it names none.
 */
export function pipelineOf(notebook: vscode.NotebookDocument, cell?: vscode.NotebookCell): string | undefined {
  // `pipewise.pipeline` in the notebook's metadata names the pipeline file its stage cells build on.
  let ref = pipewiseMetadata(notebook)?.pipeline;
  if (!ref) {
    const firstCode = notebook.getCells().find((c) => c.kind === vscode.NotebookCellKind.Code);
    for (const c of [firstCode, cell]) {
      const m = c ? PIPELINE_COMMENT.exec(c.document.lineAt(0).text) : null;
      if (m?.[1]) {
        ref = m[1];
        break;
      }
    }
  }
  if (!ref) return undefined;
  return path.isAbsolute(ref) ? ref : path.resolve(notebookDir(notebook), ref);
}
