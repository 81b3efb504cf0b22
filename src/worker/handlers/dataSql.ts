/**
 * DuckDB access for the data panels: a source as a SQL relation, JSON cells for the grid, and
 * DuckDB's error position recovered from its message.
 */
import type { DuckDBConnection, DuckDBPreparedStatement, DuckDBResultReader } from '@duckdb/node-api';
import { duckdbModule } from '../../engine/duckdbModule';
import type { Cell, ColumnInfo, SqlErrorPosition } from '../../protocol/data';

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL.*)$/;

/**
 * The SQL box is read-only: `sql` must be one statement that DuckDB's own parser classifies as a
 * SELECT (which covers FROM-first queries, WITH, VALUES, DESCRIBE, SUMMARIZE and SHOW). COPY, ATTACH,
 * EXPORT, CREATE, INSERT, INSTALL/LOAD, SET, PRAGMA, CALL, EXPLAIN (ANALYZE runs its statement) and a
 * second statement after a first are refused before anything runs. Returns the prepared statement
 * (run that one: it is what was checked), or the reason for the refusal.
 */
export async function prepareReadOnly(conn: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement | { refused: string }> {
  const extracted = await conn.extractStatements(sql);
  if (extracted.count === 0) return { refused: 'nothing to run: write a SELECT query over `data`' };
  // DuckDB expands a PIVOT without an IN list into CREATE TYPE statements (an ENUM of the pivoted
  // values) and then its SELECT: one statement written, several extracted.
  const pivot = extracted.count > 1 && isOnePivot(sql);
  if (extracted.count > 1 && !pivot) return { refused: `the SQL box runs one statement at a time (found ${extracted.count}); it is read-only: only SELECT queries run` };
  // Classified by the parser alone first: preparing (binding) some statements already acts (EXPORT
  // DATABASE creates its folder), and json_serialize_sql accepts SELECT statements only.
  const keyword = /^[\s;(]*([A-Za-z]+)/.exec(sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' '))?.[1]?.toUpperCase() ?? 'such';
  const refused = { refused: `the SQL box is read-only: a ${keyword} statement is not run (SELECT, FROM, WITH, VALUES, DESCRIBE, SUMMARIZE and SHOW queries are)` };
  const parsed = (await conn.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql])).getRowsJson()[0]?.[0];
  const json = JSON.parse(String(parsed ?? '{}')) as { error?: boolean; error_type?: string };
  // (json_serialize_sql does not take a PIVOT; one that isOnePivot passed is checked statement by statement below.)
  if (json.error && json.error_type !== 'parser' && !pivot) return refused;
  const { StatementType } = duckdbModule();
  for (let i = 0; pivot && i < extracted.count - 1; i++) {
    // The enums of the pivot: CREATE statements DuckDB wrote, in this throwaway sandbox instance.
    const generated = await extracted.prepare(i);
    try {
      if (generated.statementType !== StatementType.CREATE) return refused;
      await generated.run();
    } finally {
      generated.destroySync();
    }
  }
  const statement = await extracted.prepare(extracted.count - 1);
  if (statement.statementType !== StatementType.SELECT) {
    statement.destroySync();
    return refused;
  }
  return statement;
}

/**
 * Whether `sql` is a single PIVOT or UNPIVOT statement as written: that keyword first, and no `;`
 * but a trailing one outside strings, quoted names and comments.
 */
function isOnePivot(sql: string): boolean {
  const bare = sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'|"(?:[^"]|"")*"/g, ' ');
  if (!/^[\s(]*(UN)?PIVOT\b/i.test(bare)) return false;
  return !bare.replace(/[\s;]*$/, '').includes(';');
}

/** Result columns with DuckDB's type names. */
export function columnsOf(result: DuckDBResultReader): ColumnInfo[] {
  const names = result.columnNames();
  const types = result.columnTypes();
  return names.map((name, i) => ({ name, type: String(types[i]) }));
}

/**
 * Rows as JSON cells: numbers stay numbers (BIGINTs arrive as strings from DuckDB's JSON view and
 * become numbers when they fit a double exactly), nested values become their JSON text, nulls stay null.
 */
export function cellsOf(result: DuckDBResultReader, columns: readonly ColumnInfo[]): Cell[][] {
  const numeric = columns.map((c) => NUMERIC.test(c.type));
  return result.getRowsJson().map((row) =>
    row.map((v, i): Cell => {
      if (v === null || v === undefined) return null;
      if (typeof v === 'number' || typeof v === 'boolean') return v;
      if (typeof v === 'string') {
        if (numeric[i]) {
          const n = Number(v);
          if (Number.isFinite(n) && (Number.isSafeInteger(n) || !/^-?\d+$/.test(v))) return n;
          if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return v;
        }
        return v;
      }
      return JSON.stringify(v);
    }),
  );
}

/**
 * The position DuckDB names in an error: parser errors through `json_serialize_sql` (exact offset),
 * others (binder, catalog) from the `LINE n:` context and caret DuckDB appends to its message.
 */
export async function errorPosition(conn: DuckDBConnection, sql: string, message: string): Promise<SqlErrorPosition | undefined> {
  let offset: number | undefined;
  try {
    const r = await conn.runAndReadAll('SELECT json_serialize_sql($1)', [sql]);
    const j = JSON.parse(String(r.getRowsJson()[0]?.[0] ?? '{}')) as { error?: boolean; position?: string };
    if (j.error && j.position !== undefined) offset = Number(j.position);
  } catch {
    // json_serialize_sql only takes SELECTs; fall back to the message.
  }
  if (offset === undefined) offset = caretOffset(sql, message);
  if (offset === undefined || !Number.isFinite(offset)) return undefined;
  offset = Math.max(0, Math.min(offset, sql.length));
  const before = sql.slice(0, offset).split('\n');
  return { offset, line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/** Offset from DuckDB's `LINE n: <context>` / `   ^` lines; the context may be cut with `...`. */
export function caretOffset(sql: string, message: string): number | undefined {
  const m = /\nLINE (\d+): (.*)\n( *)\^/.exec(message);
  if (!m) return undefined;
  const lineNo = Number(m[1]);
  const context = m[2] ?? '';
  const caretCol = (m[3]?.length ?? 0) - `LINE ${m[1]}: `.length;
  const lines = sql.split('\n');
  const line = lines[lineNo - 1];
  if (line === undefined) return undefined;
  const lineStart = lines.slice(0, lineNo - 1).reduce((a, l) => a + l.length + 1, 0);
  const cutStart = context.startsWith('...');
  const cutEnd = context.endsWith('...') && context.length > 3;
  const ctx = context.slice(cutStart ? 3 : 0, cutEnd ? -3 : undefined);
  // The context is a window of the line: anchor it at the end or start when it reaches them.
  let at = 0;
  if (!cutEnd) at = line.length - ctx.length;
  else if (!cutStart) at = 0;
  else at = Math.max(0, line.indexOf(ctx));
  const contextStart = at - (cutStart ? 3 : 0);
  return lineStart + Math.max(0, contextStart + caretCol);
}
