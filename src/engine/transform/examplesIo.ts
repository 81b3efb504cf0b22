/**
 * Reading and writing Examples artifacts (`Split-<split>/data.parquet`) for the model components,
 * over the engine's DuckDB helper (src/engine/duckdb.ts).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PipewiseError } from '../../core/errors';
import { queryRows as engineQueryRows, quoteIdent, quoteLiteral, withConnection } from '../duckdb';

export type Row = Record<string, unknown>;

/** A connection of the engine's DuckDB instance for `fn`; an abort of `signal` interrupts its query. */
export function withDuckDb<T>(fn: (conn: DuckDBConnection) => Promise<T>, signal?: AbortSignal): Promise<T> {
  return withConnection(fn, signal);
}

export async function queryRows(conn: DuckDBConnection, sql: string): Promise<Row[]> {
  return engineQueryRows(conn, sql);
}

export const sqlString = quoteLiteral;
export const sqlIdent = quoteIdent;

export function splitFile(examplesUri: string, split: string): string {
  return path.join(examplesUri, `Split-${split}`, 'data.parquet');
}

/** The split names of an Examples artifact, from its `Split-<name>` folders. */
export async function listSplits(examplesUri: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await fs.readdir(examplesUri);
  } catch {
    throw new PipewiseError(`the examples artifact ${examplesUri} cannot be read`, { file: examplesUri });
  }
  return entries.filter((e) => e.startsWith('Split-')).map((e) => e.slice('Split-'.length)).sort();
}

/** `read_parquet('…/Split-x/data.parquet')`, after checking the split is there. */
export async function splitTable(examplesUri: string, split: string): Promise<string> {
  const file = splitFile(examplesUri, split);
  try {
    await fs.access(file);
  } catch {
    const splits = await listSplits(examplesUri);
    throw new PipewiseError(`the examples have no '${split}' split (they have: ${splits.join(', ') || 'none'})`, { file: examplesUri });
  }
  return `read_parquet(${sqlString(file)})`;
}

export interface ColumnInfo {
  readonly name: string;
  /** DuckDB's type name, e.g. DOUBLE, BIGINT, VARCHAR, TIMESTAMP. */
  readonly type: string;
}

export async function describeColumns(conn: DuckDBConnection, table: string): Promise<ColumnInfo[]> {
  const rows = await queryRows(conn, `DESCRIBE SELECT * FROM ${table}`);
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

const NUMERIC_TYPES = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/;
const STRING_TYPES = /^(VARCHAR|BOOLEAN|ENUM.*)$/;

export function isNumericType(t: string): boolean {
  return NUMERIC_TYPES.test(t);
}

export function isStringType(t: string): boolean {
  return STRING_TYPES.test(t);
}

export interface OutputColumn {
  readonly name: string;
  readonly type: 'DOUBLE' | 'INTEGER';
}

/**
 * Writes rows of numbers as Parquet, atomically (a temporary file renamed into place), so a reader
 * never sees half a file.
 */
export async function writeNumericParquet(
  conn: DuckDBConnection,
  file: string,
  columns: readonly OutputColumn[],
  rows: readonly Readonly<Record<string, number | null>>[],
): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const table = `pw_out_${Math.random().toString(36).slice(2, 10)}`;
  await conn.run(`CREATE TEMP TABLE ${table} (${columns.map((c) => `${sqlIdent(c.name)} ${c.type}`).join(', ')})`);
  try {
    const appender = await conn.createAppender(table);
    for (const row of rows) {
      for (const c of columns) {
        const v = row[c.name];
        if (v === null || v === undefined || Number.isNaN(v)) appender.appendNull();
        else if (c.type === 'INTEGER') appender.appendInteger(v);
        else appender.appendDouble(v);
      }
      appender.endRow();
    }
    appender.closeSync();
    const tmp = `${file}.tmp-${process.pid}`;
    await conn.run(`COPY ${table} TO ${sqlString(tmp)} (FORMAT parquet)`);
    await fs.rename(tmp, file);
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${table}`);
  }
}
