/**
 * The notebook kernel's side in the worker: `pipewise/notebook/execute` runs one cell of a
 * notebook session (SQL, stage YAML, JavaScript, TypeScript), streaming console lines and metric
 * points while it goes; `pipewise/notebook/reset` drops a session. See src/protocol/notebook.ts.
 */
import type { CancellationToken, MessageConnection } from 'vscode-jsonrpc';
import {
  ExecuteCell,
  NotebookMime,
  NotebookStreamNotification,
  ResetNotebook,
  type ExecuteCellParams,
  type ExecuteCellResult,
  type NotebookStreamEvent,
} from '../../protocol/notebook';
import { runCodeCell } from './notebookCode';
import { NotebookSession } from './notebookSession';
import { queryOutputs, runQuery } from './notebookSql';
import { runStageCell } from './notebookStage';
import { errorMessage } from '../../protocol/errors';

const sessions = new Map<string, NotebookSession>();

export function registerNotebookHandlers(connection: MessageConnection): void {
  connection.onRequest(ExecuteCell, (params, token) => executeCell(params, token, (e) => void connection.sendNotification(NotebookStreamNotification, e)));
  connection.onRequest(ResetNotebook, ({ id }) => {
    sessions.get(id)?.dispose();
    sessions.delete(id);
  });
}

function sessionFor(params: ExecuteCellParams): NotebookSession {
  let s = sessions.get(params.notebook.id);
  if (!s) {
    s = new NotebookSession(params.notebook.id, params.notebook);
    sessions.set(params.notebook.id, s);
  } else s.update(params.notebook);
  return s;
}

/** Runs one cell; exported for tests that drive it in-process. */
export async function executeCell(params: ExecuteCellParams, token: CancellationToken | undefined, notify: (e: NotebookStreamEvent) => void): Promise<ExecuteCellResult> {
  const session = sessionFor(params);
  const abort = new AbortController();
  const sub = token?.onCancellationRequested(() => abort.abort());
  if (token?.isCancellationRequested) abort.abort();
  const { executionId } = params;
  const { kind, source, label } = params.cell;
  try {
    switch (kind) {
      case 'sql': {
        await session.refreshViews();
        try {
          const r = await runQuery(await session.connection(), source, undefined, abort.signal);
          return { status: 'succeeded', outputs: queryOutputs(r) };
        } catch (e) {
          if (abort.signal.aborted) return { status: 'cancelled', outputs: [] };
          const message = errorMessage(e);
          return { status: 'failed', outputs: [], error: { name: 'SQL error', message, stack: message }, diagnostics: sqlDiagnostics(message, source) };
        }
      }
      case 'javascript':
      case 'typescript': {
        const r = await runCodeCell({
          session,
          kind,
          source,
          label,
          signal: abort.signal,
          stream: (k, text) => notify({ executionId, kind: k, text }),
          display: (output) => notify({ executionId, kind: 'display', output }),
        });
        if (r.error) return { status: abort.signal.aborted ? 'cancelled' : 'failed', outputs: r.outputs, error: r.error };
        return { status: 'succeeded', outputs: r.outputs };
      }
      case 'yaml':
        return await runStageCell({
          session,
          source,
          label,
          earlier: params.earlierStages ?? [],
          signal: abort.signal,
          stream: (e) => notify({ ...e, executionId } as NotebookStreamEvent),
        });
      default: {
        const message = `Pipewise runs sql, yaml, javascript and typescript cells, not ${String(kind)}: change the cell's language.`;
        return { status: 'failed', outputs: [{ items: [{ mime: NotebookMime.plain, text: message }] }], error: { name: 'Error', message } };
      }
    }
  } finally {
    sub?.dispose();
  }
}

/**
 * DuckDB marks where a query went wrong with `LINE n:` and a caret under the offending text; turn
 * that into a diagnostic at the cell's line and column.
 */
function sqlDiagnostics(message: string, source: string): ExecuteCellResult['diagnostics'] {
  const m = /LINE (\d+): (.*)\n( *)\^/.exec(message);
  if (!m) return [];
  const line = Number(m[1]);
  // The caret sits under the echoed text, which follows `LINE n: `; DuckDB may elide the line's start with `...`.
  const prefix = `LINE ${m[1]}: `.length;
  let col = (m[3]?.length ?? 0) - prefix + 1;
  const echoed = m[2] ?? '';
  const sourceLine = source.split('\n')[line - 1] ?? '';
  if (echoed.startsWith('...')) {
    const tail = echoed.slice(3, 40);
    const at = sourceLine.indexOf(tail.slice(0, 20));
    if (at >= 0) col = at + col - 3;
  }
  col = Math.max(1, Math.min(col, sourceLine.length + 1));
  const headline = message.split('\n')[0] ?? message;
  return [{ line, col, endLine: line, endCol: col + 1, severity: 'error', message: headline, code: 'sql' }];
}
