/**
 * Reading an Examples artifact's split for the model components (Evaluator, BulkInferrer,
 * InfraValidator) through the engine's DuckDB (src/engine/duckdb.ts). Rows come back as plain JS values
 * (BIGINT as number, timestamps as ISO strings, missing as null): what `ServingModel.predict` takes.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { PipewiseError } from '../../core/errors';
import { quoteLiteral } from '../duckdb';

export type RawValue = string | number | boolean | null;
export type RawRow = Record<string, RawValue>;

export interface SplitTable {
  /** Column names in file order. */
  readonly columns: readonly string[];
  readonly rows: readonly RawRow[];
  /** The Parquet files read, for messages and for joining predictions back. */
  readonly glob: string;
}

/** The Parquet glob of one split (`Split-<split>/*.parquet`); a missing split names the ones there are. */
export async function splitGlob(examplesUri: string, split: string): Promise<string> {
  const dir = path.join(examplesUri, `Split-${split}`);
  const files = await fs.readdir(dir).catch(() => undefined);
  if (!files?.some((f) => f.endsWith('.parquet'))) {
    const splits = (await fs.readdir(examplesUri).catch(() => [] as string[])).filter((d) => d.startsWith('Split-')).map((d) => d.slice('Split-'.length));
    throw new PipewiseError(
      `split '${split}' not found in the examples ${examplesUri}` + (splits.length ? ` (splits there: ${splits.join(', ')})` : ' (it has no Split-* folders)'),
      { code: 'split-not-found' },
    );
  }
  return path.join(dir, '*.parquet');
}

/** The split's rows in a stable order: by file, then by row within the file. */
export function orderedSplitSql(glob: string, extraSelect = ''): string {
  return (
    `SELECT * EXCLUDE (filename, file_row_number)${extraSelect} FROM read_parquet(${quoteLiteral(glob)}, filename = true, file_row_number = true) ` +
    `ORDER BY filename, file_row_number`
  );
}

function toRawValue(v: unknown): RawValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

/** Reads a whole split. */
export async function readSplit(conn: DuckDBConnection, examplesUri: string, split: string): Promise<SplitTable> {
  const glob = await splitGlob(examplesUri, split);
  const reader = await conn.runAndReadAll(orderedSplitSql(glob));
  const columns = reader.columnNames();
  const rows = reader.getRowObjectsJS().map((r) => {
    const row: RawRow = {};
    for (const c of columns) row[c] = toRawValue(r[c]);
    return row;
  });
  return { columns, rows, glob };
}

/** The label column must exist: a clear error names it and lists the columns there are. */
export function requireColumn(table: SplitTable, column: string, role: string): void {
  if (!table.columns.includes(column)) {
    throw new PipewiseError(`${role} column '${column}' is not in the examples (${table.glob}); columns: ${table.columns.join(', ')}`, {
      code: 'column-not-found',
    });
  }
}
