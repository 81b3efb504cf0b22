/**
 * SQL helpers over a DuckDB connection that need nothing else of the engine: quoting, rows as JS
 * values, numbers from DuckDB's values, a column's name and type. Their own module so that
 * src/engine/duckdb.ts and src/engine/csvIntegrity.ts both import them without importing each other.
 */
import type { DuckDBConnection, JS } from '@duckdb/node-api';
import { PipewiseError } from '../core/errors';

export type Row = Record<string, JS>;

/** Rows of a query as plain JS values (BIGINT → bigint; use `num` to read numbers). */
export async function queryRows(conn: DuckDBConnection, sql: string): Promise<Row[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJS();
}

/** A numeric JS value from DuckDB as a number (BIGINT/HUGEINT arrive as bigint). */
export function num(v: JS | undefined): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === null || v === undefined) return Number.NaN;
  return Number(v);
}

/** An SQL identifier, double-quoted with inner quotes doubled. */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new PipewiseError(`identifier ${JSON.stringify(name)} contains a NUL character`);
  return `"${name.replace(/"/g, '""')}"`;
}

/** An SQL string literal, single-quoted with inner quotes doubled. */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new PipewiseError(`value ${JSON.stringify(value)} contains a NUL character`);
  return `'${value.replace(/'/g, "''")}'`;
}

export interface SourceColumn {
  readonly name: string;
  /** DuckDB's type name, e.g. BIGINT, DOUBLE, VARCHAR, TIMESTAMP. */
  readonly type: string;
}
