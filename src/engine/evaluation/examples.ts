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
import { streamRows } from '../transform/examplesIo';

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

/** A split opened for streaming: its columns and row count, read without reading its rows. */
export interface OpenedSplit {
  readonly columns: readonly string[];
  readonly rowCount: number;
  readonly glob: string;
}

export async function openSplit(conn: DuckDBConnection, examplesUri: string, split: string): Promise<OpenedSplit> {
  const glob = await splitGlob(examplesUri, split);
  const columns = (await conn.runAndReadAll(`${orderedSplitSql(glob)} LIMIT 0`)).columnNames();
  const counted = (await conn.runAndReadAll(`SELECT count(*) AS n FROM read_parquet(${quoteLiteral(glob)})`)).getRowObjectsJS()[0]?.n;
  return { columns, rowCount: Number(counted ?? 0), glob };
}

/**
 * The split's rows in `readSplit`'s order, one DuckDB chunk at a time: `onChunk` gets each chunk and
 * the index of its first row. Only that chunk is held, whatever the number of rows.
 */
export async function streamSplit(
  conn: DuckDBConnection,
  split: OpenedSplit,
  onChunk: (rows: RawRow[], first: number) => Promise<void> | void,
  signal?: AbortSignal,
): Promise<void> {
  let first = 0;
  await streamRows(
    conn,
    orderedSplitSql(split.glob),
    async (batch) => {
      const rows = batch.map((r) => {
        const row: RawRow = {};
        for (const c of split.columns) row[c] = toRawValue(r[c]);
        return row;
      });
      await onChunk(rows, first);
      first += rows.length;
    },
    signal,
  );
}

/** The label column must exist: a clear error names it and lists the columns there are. */
export function requireColumn(table: Pick<SplitTable, 'columns' | 'glob'>, column: string, role: string): void {
  if (!table.columns.includes(column)) {
    throw new PipewiseError(`${role} column '${column}' is not in the examples (${table.glob}); columns: ${table.columns.join(', ')}`, {
      code: 'column-not-found',
    });
  }
}
