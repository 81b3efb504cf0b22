/**
 * DuckDB for the engine: one instance per process (the worker or the CLI), a connection per task,
 * quoting helpers, and `readSource`, which turns a user's data file (or glob) into a relation with
 * the errors a user can act on: the file, the line, the column.
 */
import type { DuckDBInstance, DuckDBConnection } from '@duckdb/node-api';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PipewiseError, CancelledError } from '../core/errors';
import { DEFAULT_NULL_STRINGS as DEFAULT_NULLS } from '../core/components/dataComponents';
import { num, queryRows, quoteIdent, quoteLiteral, type SourceColumn } from './duckdbSql';
import { BadRowsError, checkDuplicateHeader, checkLostQuotes, copyWithoutLines, moreLines, originalLine, scanCsvText, sniffDialect, throwTextProblems } from './csvIntegrity';
import { duckdbModule } from './duckdbModule';
import { errorMessage } from '../protocol/errors';

// The SQL helpers live in ./duckdbSql (csvIntegrity needs them, and duckdb.ts needs csvIntegrity).
export { num, queryRows, quoteIdent, quoteLiteral, type Row, type SourceColumn } from './duckdbSql';

export type DataFormat = 'csv' | 'parquet' | 'json';

let instance: Promise<DuckDBInstance> | undefined;

/**
 * The process's DuckDB instance: in memory, within `memory_limit` (PIPEWISE_DUCKDB_MEMORY_LIMIT,
 * default 1GB, so a worker describing 100M rows stays under 2 GiB of RSS), spilling what does not
 * fit to a folder of its own under the system temp folder (never the user's working directory,
 * DuckDB's default).
 */
export function duckdbInstance(): Promise<DuckDBInstance> {
  instance ??= duckdbModule()
    .DuckDBInstance.create(':memory:', {
      memory_limit: memoryLimit(),
      temp_directory: path.join(os.tmpdir(), `pipewise-duckdb-spill-${process.pid}`),
    })
    .catch((e: unknown) => {
      instance = undefined;
      throw e;
    });
  return instance;
}

/** DuckDB's memory limit for every instance Pipewise opens: PIPEWISE_DUCKDB_MEMORY_LIMIT, default 1GB. */
export function memoryLimit(): string {
  return process.env.PIPEWISE_DUCKDB_MEMORY_LIMIT || '1GB';
}

/**
 * Runs `fn` on a fresh connection of the shared instance and closes it afterwards. An abort of
 * `signal` interrupts the running query, and the call rejects with a CancelledError.
 */
export async function withConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal?.aborted) throw new CancelledError();
  const conn = await (await duckdbInstance()).connect();
  return interruptible(conn, () => fn(conn), signal, () => conn.closeSync());
}

/** Runs `body` with `conn` interrupted when `signal` aborts (then rejecting with CancelledError). */
async function interruptible<T>(conn: DuckDBConnection, body: () => Promise<T>, signal: AbortSignal | undefined, close: () => void): Promise<T> {
  const onAbort = (): void => conn.interrupt();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await body();
  } catch (e) {
    if (signal?.aborted) throw new CancelledError();
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    close();
  }
}

/**
 * A connection to a separate, locked-down instance that can touch only `allowedDirectories`: for
 * queries that users write (the Sql component), so that a pipeline cannot read or write elsewhere.
 */
export async function withSandboxConnection<T>(
  allowedDirectories: readonly string[],
  fn: (conn: DuckDBConnection) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  if (signal?.aborted) throw new CancelledError();
  // DuckDB spills to its temp folder, which it may write (and allows) whatever allowed_directories
  // says: a private one, not the process's working folder, removed afterwards.
  const tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'pipewise-duckdb-'));
  let sandbox: DuckDBInstance;
  try {
    // Within the same memory limit as the engine's instance (DuckDB's default is 80% of the machine's memory).
    sandbox = await duckdbModule().DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      temp_directory: tempDir,
      memory_limit: memoryLimit(),
    });
  } catch (e) {
    await fs.rm(tempDir, { recursive: true, force: true });
    throw e;
  }
  const conn = await sandbox.connect();
  return interruptible(
    conn,
    async () => {
      const dirs = allowedDirectories.map((d) => quoteLiteral(d.endsWith(path.sep) ? d : d + path.sep)).join(', ');
      await conn.run(`SET allowed_directories = [${dirs}]`);
      await conn.run('SET enable_external_access = false');
      await conn.run('SET lock_configuration = true');
      return fn(conn);
    },
    signal,
    () => {
      conn.closeSync();
      sandbox.closeSync();
      void fs.rm(tempDir, { recursive: true, force: true });
    },
  );
}






/** Cells read as missing in CSV files unless a pipeline says otherwise. */
export { DEFAULT_NULL_STRINGS } from '../core/components/dataComponents';

export interface CsvOptions {
  readonly delimiter?: string;
  readonly header?: boolean;
  readonly nullStrings?: readonly string[];
  /** `skip`: leave out the rows that cannot be read (reported in `Source.skipped`); default: fail naming the first. */
  readonly onBadRows?: 'fail' | 'skip';
}

/** Rows left out of one file (`on_bad_rows: skip`): its physical line numbers. */
export interface SkippedRows {
  readonly file: string;
  readonly lines: readonly number[];
}

export interface Source {
  /** A relation to use after FROM, e.g. `read_parquet(['/abs/a.parquet'])`. */
  readonly relation: string;
  readonly format: DataFormat;
  /** Absolute paths of the files read, sorted. */
  readonly files: readonly string[];
  readonly columns: readonly SourceColumn[];
  /** CSV: the read_csv options (dialect) every file is read with. */
  readonly csvOptions?: string;
  /** CSV read with `onBadRows: 'skip'`: the rows left out, per file that had any. */
  readonly skipped?: readonly SkippedRows[];
  /** Files actually read (copies without the skipped rows), by original file; remove with `removeCopies`. */
  readonly copies?: ReadonlyMap<string, string>;
}

const EXTENSION_FORMATS: Readonly<Record<string, DataFormat>> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.txt': 'csv',
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.json': 'json',
  '.ndjson': 'json',
  '.jsonl': 'json',
};

/** The format a file's extension names (`.csv.gz` counts as `.csv`), or undefined. */
export function formatOf(file: string): DataFormat | undefined {
  const base = file.toLowerCase().replace(/^(https?:\/\/[^?#]*)[?#].*$/, '$1').replace(/\.(gz|zst)$/, '');
  return EXTENSION_FORMATS[path.extname(base)];
}

/** Whether `pattern` names object storage or the web (read through DuckDB's httpfs) rather than a local file. */
export function isRemoteData(pattern: string): boolean {
  return /^(s3|gs|gcs|https?):\/\//i.test(pattern);
}

/**
 * Loads DuckDB's httpfs extension (installing it when DuckDB can download it) and hands it S3
 * credentials from the usual AWS_* variables. `PIPEWISE_DUCKDB_EXTENSION_DIR` points at extensions
 * installed ahead, as the exported Kubeflow image does at build time.
 */
export async function loadHttpfs(conn: DuckDBConnection, uri: string): Promise<void> {
  const dir = process.env.PIPEWISE_DUCKDB_EXTENSION_DIR;
  if (dir) await conn.run(`SET extension_directory = ${quoteLiteral(dir)}`);
  try {
    await conn.run('LOAD httpfs');
  } catch {
    try {
      await conn.run('INSTALL httpfs');
      await conn.run('LOAD httpfs');
    } catch (e) {
      const why = errorMessage(e).split('\n')[0]?.replace(/^[A-Za-z ]+ Error: /, '');
      throw new PipewiseError(
        `cannot read it: DuckDB's httpfs extension (which reads s3://, gs:// and https:// data) could not be loaded: ${why}. ` +
          `Install it where DuckDB can download it (the image from \`pipewise export --target kfp\` does so at build time), ` +
          `or put httpfs.duckdb_extension into ${dir ?? '~/.duckdb/extensions/<version>/<platform>/'} (PIPEWISE_DUCKDB_EXTENSION_DIR sets the folder)`,
        { file: uri, code: 'httpfs-unavailable' },
      );
    }
  }
  const env = process.env;
  if (/^s3:/i.test(uri) && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    const opts = [`TYPE s3`, `KEY_ID ${quoteLiteral(env.AWS_ACCESS_KEY_ID)}`, `SECRET ${quoteLiteral(env.AWS_SECRET_ACCESS_KEY)}`];
    if (env.AWS_SESSION_TOKEN) opts.push(`SESSION_TOKEN ${quoteLiteral(env.AWS_SESSION_TOKEN)}`);
    if (env.AWS_REGION ?? env.AWS_DEFAULT_REGION) opts.push(`REGION ${quoteLiteral((env.AWS_REGION ?? env.AWS_DEFAULT_REGION) as string)}`);
    const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
    if (endpoint) {
      const u = new URL(endpoint);
      opts.push(`ENDPOINT ${quoteLiteral(u.host)}`, `URL_STYLE 'path'`, `USE_SSL ${u.protocol === 'https:'}`);
    }
    await conn.run(`CREATE OR REPLACE SECRET pipewise_s3 (${opts.join(', ')})`);
  }
}

/** A local data file named without a glob, checked to exist and be a file (DuckDB is not needed, nor loaded). */
export async function localDataFile(file: string): Promise<string> {
  const st = await fs.stat(file).catch(() => undefined);
  if (!st) throw new PipewiseError('data file not found', { file, code: 'file-not-found' });
  if (!st.isFile()) throw new PipewiseError('is not a file (a folder? use a glob such as dir/*.csv)', { file, code: 'not-a-file' });
  return file;
}

/** Absolute files matching `pattern` (a path or a glob), sorted; through DuckDB's own glob. */
export async function expandFiles(conn: DuckDBConnection, pattern: string): Promise<string[]> {
  if (isRemoteData(pattern)) {
    await loadHttpfs(conn, pattern);
    if (!/[*?[]/.test(pattern) || /^https?:/i.test(pattern)) return [pattern];
  } else if (!/[*?[]/.test(pattern)) {
    return [await localDataFile(pattern)];
  }
  const rows = await queryRows(conn, `SELECT file FROM glob(${quoteLiteral(pattern)}) ORDER BY file`);
  const files = rows.map((r) => String(r.file));
  if (files.length === 0) throw new PipewiseError('no file matches this pattern', { file: pattern, code: 'file-not-found' });
  return files;
}

/**
 * A relation over the data in `pattern` (one file or a glob), after checking what a user would
 * otherwise discover late: the file exists and is not empty, its format can be read, a CSV has no
 * ragged or garbled rows (the error names the line), and all files agree on every column's type.
 */
export async function readSource(
  conn: DuckDBConnection,
  pattern: string,
  format: DataFormat | 'auto' = 'auto',
  csv: CsvOptions = {},
): Promise<Source> {
  const files = await expandFiles(conn, pattern);
  const fmt = format === 'auto' ? formatOf(files[0] ?? pattern) : format;
  if (!fmt) {
    throw new PipewiseError(`cannot tell the format from the file name; set \`format\` to csv, parquet or json`, { file: files[0], code: 'unknown-format' });
  }
  const perFile: { file: string; columns: SourceColumn[]; options: string }[] = [];
  const skipped: SkippedRows[] = [];
  const copies = new Map<string, string>();
  for (const file of files) {
    const st = isRemoteData(file) ? { size: -1 } : await fs.stat(file);
    if (st.size === 0) throw new PipewiseError('the file is empty', { file, code: 'empty-file' });
    if (formatOf(file) && formatOf(file) !== fmt) {
      throw new PipewiseError(`is ${formatOf(file)}, but the other files are ${fmt}; read one format per input`, { file, code: 'mixed-formats' });
    }
    let options = '';
    if (fmt === 'csv') {
      const checked = await checkCsvSkipping(conn, file, csv);
      options = checked.options;
      if (checked.copy) copies.set(file, checked.copy);
      if (checked.dropped.length) skipped.push({ file, lines: checked.dropped });
    }
    const target = copies.get(file) ?? file;
    let columns = await describe(conn, reader(fmt, [target], options), file);
    if (fmt === 'csv') {
      // `Yes`/`No` columns stay strings (DuckDB would read them as booleans).
      const words = await booleanWordColumns(conn, target, options, columns);
      if (words.length) {
        options += `, types={${words.map((c) => `${quoteLiteral(c)}: 'VARCHAR'`).join(', ')}}`;
        columns = await describe(conn, reader(fmt, [target], options), file);
      }
    }
    perFile.push({ file, columns, options });
  }
  const first = perFile[0];
  if (!first) throw new PipewiseError('no file to read', { file: pattern });
  for (const other of perFile.slice(1)) assertSameColumns(first, other);
  // Files of one CSV input are read with the first file's dialect; its columns are the contract.
  const relation = reader(fmt, files.map((f) => copies.get(f) ?? f), first.options);
  return { relation, format: fmt, files, columns: first.columns, ...(fmt === 'csv' ? { csvOptions: first.options, skipped, copies } : {}) };
}

/** How many times rows are dropped and the file read again before giving up (each pass reads it whole). */
const MAX_SKIP_PASSES = 20;

/**
 * checkCsv, and with `onBadRows: 'skip'` the rows it rejects left out: each pass drops the rejected
 * lines (a malformed quote can hide the rows after it, so the file is checked again) until it reads clean.
 */
async function checkCsvSkipping(conn: DuckDBConnection, file: string, csv: CsvOptions): Promise<{ options: string; copy?: string; dropped: number[] }> {
  const dropped: number[] = [];
  let copy: string | undefined;
  for (let pass = 0; ; pass++) {
    try {
      const scan = await scanCsvText(copy ?? file, csv.delimiter);
      if (scan.crlf > 0 && scan.lf > 0 && !copy) {
        // Mixed CRLF and LF endings defeat DuckDB's sniffer: read a copy with LF endings (same lines).
        copy = await copyWithoutLines(file, new Set());
        continue;
      }
      throwTextProblems(file, scan, csv.header);
      return { options: await checkCsv(conn, copy ?? file, csv), copy, dropped };
    } catch (e) {
      if (copy) await fs.rm(path.dirname(copy), { recursive: true, force: true });
      if (!(e instanceof BadRowsError) || csv.onBadRows !== 'skip') {
        if (e instanceof BadRowsError && copy) {
          // Name the original file and its line, not the copy's.
          throw new PipewiseError(e.message, { file, line: originalLine(e.lines[0] ?? 0, dropped), code: 'csv-bad-row' });
        }
        throw e;
      }
      if (pass >= MAX_SKIP_PASSES) throw new PipewiseError(`${e.message}; still bad rows after leaving out ${dropped.length}`, { file, line: originalLine(e.lines[0] ?? 0, dropped), code: 'csv-bad-row' });
      for (const l of e.lines.map((l) => originalLine(l, dropped))) dropped.push(l);
      dropped.sort((a, b) => a - b);
      copy = await copyWithoutLines(file, new Set(dropped));
    }
  }
}

function reader(fmt: DataFormat, files: readonly string[], options: string): string {
  const list = `[${files.map(quoteLiteral).join(', ')}]`;
  switch (fmt) {
    case 'csv':
      return `read_csv(${list}${options})`;
    case 'parquet':
      return `read_parquet(${list})`;
    case 'json':
      return `read_json_auto(${list})`;
  }
}

async function describe(conn: DuckDBConnection, relation: string, file: string): Promise<SourceColumn[]> {
  try {
    const rows = await queryRows(conn, `DESCRIBE SELECT * FROM ${relation}`);
    const columns = rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    // JSON is typed from a sample too: a full read (of every column) finds a bad record further down.
    if (relation.startsWith('read_json')) await conn.run(`SELECT count(COLUMNS(*)) FROM ${relation}`);
    return columns;
  } catch (e) {
    throw dataError(e, file);
  }
}

function assertSameColumns(a: { file: string; columns: SourceColumn[] }, b: { file: string; columns: SourceColumn[] }): void {
  const bByName = new Map(b.columns.map((c) => [c.name, c.type]));
  for (const c of a.columns) {
    const t = bByName.get(c.name);
    if (t === undefined) throw new PipewiseError(`column '${c.name}' is in ${a.file} but missing here`, { file: b.file, code: 'column-missing' });
    if (t !== c.type) {
      throw new PipewiseError(`column '${c.name}' is ${t} here but ${c.type} in ${a.file}`, { file: b.file, code: 'column-type-changed' });
    }
  }
  const aNames = new Set(a.columns.map((c) => c.name));
  for (const c of b.columns) {
    if (!aNames.has(c.name)) throw new PipewiseError(`column '${c.name}' is not in ${a.file}`, { file: b.file, code: 'column-new' });
  }
}

/**
 * CSV columns DuckDB's sniffer typed BOOLEAN although the file spells them as words (`Yes`/`No`,
 * `y`/`n`, `on`/`off`): those are labels or categories, and must keep the strings written in the
 * data. Only `true`/`false`/`t`/`f`/`1`/`0` stay booleans.
 */
async function booleanWordColumns(conn: DuckDBConnection, file: string, options: string, columns: readonly SourceColumn[]): Promise<string[]> {
  const booleans = columns.filter((c) => c.type === 'BOOLEAN').map((c) => c.name);
  const words: string[] = [];
  for (const name of booleans) {
    const rows = await queryRows(
      conn,
      `SELECT count(*) AS n FROM (SELECT DISTINCT lower(trim(${quoteIdent(name)})) AS v FROM read_csv(${quoteLiteral(file)}${options}, all_varchar=true)) WHERE v IS NOT NULL AND v NOT IN ('true', 'false', 't', 'f', '1', '0')`,
    );
    if (num(rows[0]?.n) > 0) words.push(name);
  }
  return words;
}

let rejectsCounter = 0;

/**
 * Reads the whole CSV once with DuckDB's rejects tables on, so that every ragged or garbled row is
 * found with its line number, and returns the read_csv options (dialect) to read it with. Without
 * this, DuckDB's sniffer may settle on a wrong dialect (one column per line) when a row is ragged.
 */
async function checkCsv(conn: DuckDBConnection, file: string, csv: CsvOptions): Promise<string> {
  const base: string[] = [];
  if (csv.delimiter !== undefined) base.push(`delim=${quoteLiteral(csv.delimiter)}`);
  if (csv.header !== undefined) base.push(`header=${csv.header}`);
  base.push(`nullstr=[${(csv.nullStrings ?? DEFAULT_NULLS).map(quoteLiteral).join(', ')}]`);
  for (const fullSample of [false, true]) {
    const opts = fullSample ? [...base, 'sample_size=-1'] : base;
    const id = ++rejectsCounter;
    const table = `pipewise_rejects_${id}`;
    const scan = `pipewise_scans_${id}`;
    try {
      await conn.run(
        // count(COLUMNS(*)) converts every column; count(*) alone would skip the casts.
        `SELECT count(COLUMNS(*)) FROM read_csv(${quoteLiteral(file)}${opts.map((o) => ', ' + o).join('')}, store_rejects=true, rejects_table=${quoteLiteral(table)}, rejects_scan=${quoteLiteral(scan)})`,
      );
    } catch (e) {
      throw dataError(e, file);
    }
    try {
      const rejects = await queryRows(
        conn,
        `SELECT line, error_type, error_message, csv_line, column_name FROM ${quoteIdent(table)} ORDER BY line, error_type LIMIT 10000`,
      );
      const scans = await queryRows(conn, `SELECT delimiter, quote, escape, has_header FROM ${quoteIdent(scan)} LIMIT 1`);
      const onlyCasts = rejects.length > 0 && rejects.every((r) => String(r.error_type) === 'CAST');
      // Types guessed from a sample may not fit a later row: sniff the whole file once more.
      if (onlyCasts && !fullSample) continue;
      const first = rejects[0];
      if (first) {
        const line = num(first.line);
        const lines = [...new Set(rejects.map((r) => num(r.line)))];
        const more = moreLines([line, ...lines.filter((l) => l !== line)]);
        const type = String(first.error_type);
        const counts = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(String(first.error_message));
        const what =
          counts && /COLUMNS/.test(type)
            ? `ragged row: ${Number(counts[2]) > Number(counts[1]) ? 'too many' : 'missing'} columns (expected ${counts[1]}, found ${counts[2]})`
            : type === 'CAST'
              ? `value in column '${String(first.column_name)}' does not fit the column's type: ${String(first.error_message)}`
              : `${type.toLowerCase()}: ${String(first.error_message)}`;
        throw new BadRowsError(`${what}: ${JSON.stringify(String(first.csv_line ?? '').split('\n')[0])}${more}`, file, [line, ...lines.filter((l) => l !== line)]);
      }
      const s = scans[0];
      const dialect = [...opts];
      if (s) {
        if (csv.delimiter === undefined) dialect.push(`delim=${quoteLiteral(String(s.delimiter))}`);
        if (csv.header === undefined) dialect.push(`header=${Boolean(s.has_header)}`);
        const quote = String(s.quote);
        const escape = String(s.escape);
        if (quote !== '(empty)') dialect.push(`quote=${quoteLiteral(quote)}`);
        if (escape !== '(empty)') dialect.push(`escape=${quoteLiteral(escape)}`);
      }
      // A sniffer that gave up on quotes keeps them in every value; a renamed duplicate column hides a mistake.
      const sniffed = await sniffDialect(conn, file, opts).catch((e: unknown) => {
        throw dataError(e, file);
      });
      if (await checkLostQuotes(conn, file, sniffed, opts)) {
        dialect.push(`quote='"'`, `escape='"'`);
        await checkDuplicateHeader(conn, file, { ...sniffed, quote: '"', escape: '"' });
      } else {
        await checkDuplicateHeader(conn, file, sniffed);
      }
      return dialect.map((o) => ', ' + o).join('');
    } finally {
      await conn.run(`DROP TABLE IF EXISTS ${quoteIdent(table)}`).catch(() => undefined);
      await conn.run(`DROP TABLE IF EXISTS ${quoteIdent(scan)}`).catch(() => undefined);
    }
  }
  throw new PipewiseError('could not settle the column types of this CSV', { file, code: 'csv-types' });
}

/** A DuckDB error about a data file as a PipewiseError naming the file (and the line, when known). */
export function dataError(e: unknown, file: string): Error {
  if (e instanceof PipewiseError) return e;
  if (!(e instanceof Error)) return new PipewiseError(String(e), { file });
  const msg = e.message;
  const line = /CSV Error on Line: (\d+)/.exec(msg)?.[1];
  const firstLine = msg.split('\n').find((l) => l.trim() !== '' && !/^CSV Error on Line/.test(l)) ?? msg;
  let text = firstLine.replace(/^[A-Za-z ]+ Error: /, '');
  if (/No magic bytes found|not a parquet file/i.test(msg)) text = 'is not a Parquet file (no Parquet footer)';
  else if (/Malformed JSON|JSON/i.test(msg) && /Invalid Input|Malformed/.test(msg)) text = `is not valid JSON/NDJSON: ${text}`;
  else if (/not utf-8|Invalid unicode/i.test(msg)) text = 'is not a UTF-8 text file (binary data, or another encoding)';
  else if (/Error when sniffing file|not possible to automatically detect the CSV/i.test(msg)) {
    text = 'cannot be read as CSV: no delimiter gives every line the same columns (binary data? else set `csv.delimiter`)';
  }
  return new PipewiseError(text, { file, line: line ? Number(line) : undefined, code: 'bad-data' });
}

/** Writes the result of `select` to `file` as Parquet (ZSTD), returning the number of rows. */
export async function copyToParquet(conn: DuckDBConnection, select: string, file: string): Promise<number> {
  const rows = await queryRows(conn, `COPY (${select}) TO ${quoteLiteral(file)} (FORMAT parquet, COMPRESSION zstd)`);
  return num(rows[0]?.Count);
}

/** The columns of a relation or query. */
export async function columnsOf(conn: DuckDBConnection, relation: string): Promise<SourceColumn[]> {
  const rows = await queryRows(conn, `DESCRIBE SELECT * FROM ${relation}`);
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}
