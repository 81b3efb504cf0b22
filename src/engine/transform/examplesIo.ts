/**
 * Reading and writing Examples artifacts (`Split-<split>/data.parquet`) for the model components,
 * over the engine's DuckDB helper (src/engine/duckdb.ts).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CancelledError, PipewiseError } from '../../core/errors';
import { duckdbModule } from '../duckdbModule';
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
 * Streams the rows of `sql` one DuckDB chunk (2,048 rows) at a time, as plain JS values (as
 * `queryRows` gives them), never holding more than that chunk: memory is bounded whatever the number
 * of rows, and the short-lived row objects stay in the young generation of the JS heap.
 */
export async function streamRows(conn: DuckDBConnection, sql: string, onBatch: (rows: Row[]) => Promise<void> | void, signal?: AbortSignal): Promise<number> {
  const result = await conn.stream(sql);
  const names = result.deduplicatedColumnNames();
  const { JSDuckDBValueConverter } = duckdbModule();
  let total = 0;
  for (;;) {
    if (signal?.aborted) throw new CancelledError();
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const batch: Row[] = [];
    for (const values of chunk.convertRows(JSDuckDBValueConverter)) {
      const row: Row = {};
      for (let i = 0; i < names.length; i++) row[names[i] as string] = values[i];
      batch.push(row);
    }
    total += batch.length;
    await onBatch(batch);
  }
  return total;
}

/** Rows a NumericParquetWriter keeps in DuckDB before writing them out as one Parquet part. */
export const PART_ROWS = 262_144;

/**
 * Writes rows of numbers to one Parquet file in pieces: rows go through DuckDB's appender into a
 * temporary table, written out as a Parquet part every PART_ROWS rows; `close` joins the parts in
 * order into a temporary file renamed into place (a reader never sees half a file). Memory stays at
 * one part whatever the number of rows.
 */
export class NumericParquetWriter {
  private readonly parts: string[] = [];
  private readonly partsDir: string;
  private readonly table = `pw_out_${Math.random().toString(36).slice(2, 10)}`;
  private appender: Awaited<ReturnType<DuckDBConnection['createAppender']>> | undefined;
  private pending = 0;

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly file: string,
    private readonly columns: readonly OutputColumn[],
  ) {
    this.partsDir = `${file}.parts-${process.pid}`;
  }

  async write(rows: readonly Readonly<Record<string, number | null>>[]): Promise<void> {
    if (!this.appender) {
      await this.conn.run(`CREATE OR REPLACE TEMP TABLE ${this.table} (${this.columns.map((c) => `${sqlIdent(c.name)} ${c.type}`).join(', ')})`);
      this.appender = await this.conn.createAppender(this.table);
    }
    const appender = this.appender;
    for (const row of rows) {
      for (const c of this.columns) {
        const v = row[c.name];
        if (v === null || v === undefined || Number.isNaN(v)) appender.appendNull();
        else if (c.type === 'INTEGER') appender.appendInteger(v);
        else appender.appendDouble(v);
      }
      appender.endRow();
    }
    this.pending += rows.length;
    if (this.pending >= PART_ROWS) await this.flush();
  }

  /** Writes the rows appended so far as the next part. */
  private async flush(): Promise<void> {
    if (!this.appender) return;
    this.appender.closeSync();
    this.appender = undefined;
    await fs.mkdir(this.partsDir, { recursive: true });
    const part = path.join(this.partsDir, `${String(this.parts.length).padStart(6, '0')}.parquet`);
    await this.conn.run(`COPY ${this.table} TO ${sqlString(part)} (FORMAT parquet)`);
    await this.conn.run(`DROP TABLE IF EXISTS ${this.table}`);
    this.parts.push(part);
    this.pending = 0;
  }

  async close(): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}`;
    try {
      if (this.appender || !this.parts.length) {
        if (!this.appender) await this.write([]);
        await this.flush();
      }
      const list = `[${this.parts.map(sqlString).join(', ')}]`;
      await this.conn.run(`COPY (SELECT * FROM read_parquet(${list})) TO ${sqlString(tmp)} (FORMAT parquet)`);
      await fs.rename(tmp, this.file);
    } finally {
      await this.discard();
      await fs.rm(tmp, { force: true });
    }
  }

  /** Removes the parts and the pending rows (after close, or when the write is abandoned). */
  async discard(): Promise<void> {
    if (this.appender) {
      try {
        this.appender.closeSync();
      } catch {
        // Already failing: the table goes next.
      }
      this.appender = undefined;
    }
    await this.conn.run(`DROP TABLE IF EXISTS ${this.table}`).catch(() => undefined);
    await fs.rm(this.partsDir, { recursive: true, force: true });
  }
}

