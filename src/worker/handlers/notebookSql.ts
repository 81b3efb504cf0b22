/**
 * SQL cells: DuckDB over files (relative to the notebook) and artifacts (views named
 * `<stage>_<output>[_<split>]`). The result shows as an HTML table plus its rows as JSON, and as a
 * chart when it has an obvious one.
 */
import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import { NotebookMime, type NotebookOutputData } from '../../protocol/notebook';
import { obviousChartSpec, type ColumnKind } from '../../protocol/notebookCharts';

/** Rows kept in a cell's output: enough to read, small enough for the notebook file. */
export const MAX_OUTPUT_ROWS = 500;
const MAX_HTML_ROWS = 100;

export interface QueryResult {
  readonly columns: readonly { readonly name: string; readonly type: string; readonly kind: ColumnKind }[];
  readonly rows: Record<string, unknown>[];
  /** Rows the query returned (may exceed `rows.length`). */
  readonly rowCount: number;
}

/** Runs one or more statements; the last one's result comes back, values made JSON-safe. */
export async function runQuery(conn: DuckDBConnection, sql: string, maxRows = MAX_OUTPUT_ROWS, signal?: AbortSignal): Promise<QueryResult> {
  const onAbort = (): void => conn.interrupt();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const reader = await conn.runAndReadAll(sql);
    const names = reader.columnNames();
    const types = reader.columnTypes();
    const columns = names.map((name, i) => ({ name, type: String(types[i]), kind: columnKind(types[i]) }));
    const all = reader.getRowObjectsJS();
    const rows = all.slice(0, maxRows).map((r) => {
      const o: Record<string, unknown> = {};
      for (const c of columns) o[c.name] = jsonSafe(r[c.name], c.kind);
      return o;
    });
    return { columns, rows, rowCount: all.length };
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

function columnKind(t: DuckDBType | undefined): ColumnKind {
  const s = String(t ?? '');
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/.test(s)) return 'number';
  if (/^(VARCHAR|BOOLEAN|ENUM|UUID)/.test(s)) return 'string';
  if (/^(DATE|TIMESTAMP)/.test(s)) return 'temporal';
  return 'other';
}

/** DuckDB's JS values (bigint, Date, nested values) as plain JSON. */
function jsonSafe(v: unknown, kind?: ColumnKind): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (v instanceof Date) return kind === 'temporal' && v.getUTCHours() + v.getUTCMinutes() + v.getUTCSeconds() === 0 ? v.toISOString().slice(0, 10) : v.toISOString();
  if (Array.isArray(v)) return v.map((x) => jsonSafe(x));
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  if (typeof v === 'object') {
    if (v.constructor !== Object && typeof (v as { toString?: unknown }).toString === 'function') return String(v);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonSafe(x)]));
  }
  return v;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/**
 * A value as the table shows it. Fractions are rounded to 6 decimals (pandas' default display
 * precision), very small ones to 6 significant digits; the JSON output beside keeps every digit.
 */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
    if (Math.abs(v) < 1e-4) return v.toPrecision(6).replace(/\.?0+e/, 'e');
    return v.toLocaleString('en-US', { maximumFractionDigits: 6, useGrouping: false });
  }
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** A plain HTML table (no scripts, no styles beyond alignment) that VS Code and JupyterLab both show. */
export function htmlTable(columns: readonly { name: string; kind?: ColumnKind }[], rows: readonly Record<string, unknown>[], caption?: string): string {
  const shown = rows.slice(0, MAX_HTML_ROWS);
  const head = columns.map((c) => `<th>${escapeHtml(c.name)}</th>`).join('');
  const body = shown
    .map((r) => `<tr>${columns.map((c) => `<td${c.kind === 'number' ? ' style="text-align:right"' : ''}>${escapeHtml(cellText(r[c.name]))}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table class="pipewise-table">${caption ? `<caption style="text-align:left">${escapeHtml(caption)}</caption>` : ''}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

export function rowsCaption(rowCount: number, shown: number): string {
  const n = `${rowCount.toLocaleString('en-US')} row${rowCount === 1 ? '' : 's'}`;
  return shown < rowCount ? `${n} (first ${shown.toLocaleString('en-US')} shown)` : n;
}

/** A query result as cell outputs: the table (HTML + JSON), then a chart when one is obvious. */
export function queryOutputs(r: QueryResult): NotebookOutputData[] {
  if (r.columns.length === 0) return [{ items: [{ mime: NotebookMime.plain, text: 'OK' }] }];
  const shown = Math.min(r.rows.length, MAX_HTML_ROWS);
  const outputs: NotebookOutputData[] = [
    {
      items: [
        { mime: NotebookMime.html, text: htmlTable(r.columns, r.rows, rowsCaption(r.rowCount, shown)) },
        { mime: NotebookMime.json, json: { columns: r.columns.map((c) => ({ name: c.name, type: c.type })), rowCount: r.rowCount, rows: r.rows } },
      ],
    },
  ];
  const chart = r.rowCount === r.rows.length ? obviousChartSpec(r.columns, r.rows) : undefined;
  if (chart) outputs.push({ items: [{ mime: NotebookMime.vegaLite, json: chart }] });
  return outputs;
}
