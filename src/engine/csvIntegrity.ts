/**
 * Checks that keep one bad CSV row from silently changing a whole dataset: a quote character the
 * sniffer gave up on (every value keeps its quotes, every column turns into text), duplicate header
 * names (DuckDB renames them `x_1`), and numeric columns that a few stray tokens turned into text.
 * Bad rows can be skipped on request: the file is then read through a copy without those lines.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import { PipewiseError } from '../core/errors';
import { num, queryRows, quoteIdent, quoteLiteral, type SourceColumn } from './duckdbSql';

/** Rows of a CSV file that cannot be read as they are; `lines` are the file's physical line numbers. */
export class BadRowsError extends PipewiseError {
  constructor(
    message: string,
    readonly file: string,
    readonly lines: readonly number[],
  ) {
    super(message, { file, line: lines[0], code: 'csv-bad-row' });
  }
}

export interface SniffedDialect {
  readonly delimiter: string;
  /** '' when the sniffer settled on no quote character. */
  readonly quote: string;
  readonly escape: string;
  readonly hasHeader: boolean;
  readonly skipRows: number;
}

/** DuckDB's sniffer's verdict for `file` under the read options `opts` (e.g. `delim=','`). */
export async function sniffDialect(conn: DuckDBConnection, file: string, opts: readonly string[]): Promise<SniffedDialect> {
  const rows = await queryRows(conn, `SELECT Delimiter, Quote, Escape, HasHeader, SkipRows FROM sniff_csv(${quoteLiteral(file)}${opts.map((o) => ', ' + o).join('')})`);
  const r = rows[0] ?? {};
  const clean = (v: unknown): string => (v === null || v === undefined || String(v) === '(empty)' || String(v) === '\0' ? '' : String(v));
  return { delimiter: clean(r.Delimiter), quote: clean(r.Quote), escape: clean(r.Escape), hasHeader: Boolean(r.HasHeader), skipRows: num(r.SkipRows) || 0 };
}

const rejectsIds = { next: 0 };

/**
 * When the sniffer chose no quote character but some field (or header name) starts with `"`, the
 * file does quote its fields and one of them is malformed: parse it strictly with `"` as the quote,
 * and throw the rows that parse rejects. Returns true when the strict parse reads the file whole
 * (then the caller reads it with `quote='"'`).
 */
export async function checkLostQuotes(conn: DuckDBConnection, file: string, dialect: SniffedDialect, opts: readonly string[]): Promise<boolean> {
  if (dialect.quote !== '') return false;
  // Most files without a quote character have no `"` at all: a byte scan settles it without parsing.
  if (!/\.(gz|zst)$/i.test(file) && !(await fileHasByte(file, 0x22))) return false;
  const relation = `read_csv(${quoteLiteral(file)}${opts.map((o) => ', ' + o).join('')}, quote='', escape='', all_varchar=true)`;
  const columns = (await queryRows(conn, `DESCRIBE SELECT * FROM ${relation}`)).map((r) => ({ name: String(r.column_name) }));
  const startsQuoted = columns.map((c) => `starts_with(${quoteIdent(c.name)}, '"')`).join(' OR ');
  const headerQuoted = columns.some((c) => c.name.startsWith('"'));
  const found = headerQuoted || num((await queryRows(conn, `SELECT count(*) AS n FROM (SELECT 1 FROM ${relation} WHERE ${startsQuoted} LIMIT 1)`))[0]?.n) > 0;
  if (!found) return false;
  const id = ++rejectsIds.next;
  const table = `pipewise_quote_rejects_${id}`;
  const scan = `pipewise_quote_scans_${id}`;
  const names = `{${columns.map((_, i) => `'c${i}': 'VARCHAR'`).join(', ')}}`;
  try {
    await conn.run(
      `SELECT count(*) FROM read_csv(${quoteLiteral(file)}, auto_detect=false, columns=${names}, delim=${quoteLiteral(dialect.delimiter || ',')}, quote='"', escape='"', ` +
        `header=${dialect.hasHeader}, skip=${dialect.skipRows}, strict_mode=true, store_rejects=true, rejects_table=${quoteLiteral(table)}, rejects_scan=${quoteLiteral(scan)})`,
    );
    const rejects = await queryRows(conn, `SELECT line, error_message, csv_line FROM ${quoteIdent(table)} ORDER BY line LIMIT 10000`);
    const first = rejects[0];
    if (!first) return true;
    const lines = [...new Set(rejects.map((r) => num(r.line)))];
    const shown = String(first.csv_line ?? '').split('\n')[0] ?? '';
    throw new BadRowsError(
      `malformed quoted field: the file quotes its fields with ", but this row does not close its quotes as CSV requires (${String(first.error_message).replace(/\.$/, '')}); ` +
        `read as it is, every value would keep its quotes and the columns' types would change: ${JSON.stringify(shown)}${moreLines(lines)}`,
      file,
      lines,
    );
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${quoteIdent(table)}`).catch(() => undefined);
    await conn.run(`DROP TABLE IF EXISTS ${quoteIdent(scan)}`).catch(() => undefined);
  }
}

/** Whether `file` holds the byte `b` anywhere (read in chunks, stopping at the first). */
async function fileHasByte(file: string, b: number): Promise<boolean> {
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    if ((chunk as Buffer).includes(b)) return true;
  }
  return false;
}

/** ` (also lines 7, 9 …)` for the lines after the first. */
export function moreLines(lines: readonly number[]): string {
  if (lines.length < 2) return '';
  return ` (also line${lines.length > 2 ? 's' : ''} ${lines.slice(1, 6).join(', ')}${lines.length > 6 ? ` … ${lines.length} rows in all` : ''})`;
}

/** Refuses a header that names a column twice (DuckDB compares names without case, and renames `x` to `x_1`). */
export async function checkDuplicateHeader(conn: DuckDBConnection, file: string, dialect: SniffedDialect): Promise<void> {
  if (!dialect.hasHeader) return;
  const rows = await queryRows(
    conn,
    `SELECT * FROM read_csv(${quoteLiteral(file)}, auto_detect=true, header=false, all_varchar=true, delim=${quoteLiteral(dialect.delimiter || ',')}, ` +
      `quote=${quoteLiteral(dialect.quote)}, escape=${quoteLiteral(dialect.escape)}, skip=${dialect.skipRows}, null_padding=true) LIMIT 1`,
  );
  const names = Object.values(rows[0] ?? {}).map((v) => (v === null || v === undefined ? '' : String(v)));
  const seen = new Map<string, number>();
  const dups: string[] = [];
  let col: number | undefined;
  names.forEach((n, i) => {
    // DuckDB trims the names it reads: `species` and `species ` are the same column to it.
    const key = n.trim().toLowerCase();
    const before = seen.get(key);
    if (before === undefined) seen.set(key, i);
    else {
      dups.push(`'${names[before]}' (column ${before + 1}) and '${n}' (column ${i + 1})`);
      col ??= i + 1;
    }
  });
  if (dups.length) {
    throw new PipewiseError(`the header names a column twice: ${dups.join('; ')}; rename one (column names are compared without case and without surrounding spaces)`, {
      file,
      line: dialect.skipRows + 1,
      col,
      code: 'duplicate-columns',
    });
  }
}

/** A copy of `file` without the given physical lines (1-based), in the system temp folder. */
export async function copyWithoutLines(file: string, drop: ReadonlySet<number>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pipewise-skip-'));
  const copy = path.join(dir, path.basename(file).replace(/\.(gz|zst)$/i, ''));
  const out = createWriteStream(copy);
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (drop.has(n)) continue;
    if (!out.write(`${line}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  out.end();
  await finished(out);
  return copy;
}

/** Removes the copies `copyWithoutLines` made. */
export async function removeCopies(copies: readonly string[]): Promise<void> {
  for (const c of copies) await fs.rm(path.dirname(c), { recursive: true, force: true });
}

/** A line number of a copy (made without `dropped`, sorted) as the original file's line number. */
export function originalLine(copyLine: number, dropped: readonly number[]): number {
  let line = copyLine;
  for (const d of dropped) if (d <= line) line++;
  return line;
}

/** What a mostly-numeric text column holds besides numbers. */
export interface StrayTokens {
  readonly column: string;
  /** Share of the present values that are numbers, 0..1. */
  readonly numericShare: number;
  readonly present: number;
  readonly tokens: readonly { readonly value: string; readonly count: number }[];
  /** Physical lines (of `file`) holding them, the first few, when the data came from a CSV file. */
  readonly lines?: readonly number[];
  readonly file?: string;
}

/** A text column at least this numeric is taken for a numeric column with stray tokens. */
export const MOSTLY_NUMERIC = 0.9;

/**
 * Text columns of `relation` whose present values are mostly numbers: what else they hold, and for
 * CSV files (`csv` given: the file and its read options) on which lines.
 */
export async function findStrayTokens(
  conn: DuckDBConnection,
  relation: string,
  columns: readonly SourceColumn[],
  csv?: { readonly files: readonly string[]; readonly options: string },
): Promise<StrayTokens[]> {
  const text = columns.filter((c) => c.type === 'VARCHAR');
  if (!text.length) return [];
  const sel = text.map((c, i) => `count(${quoteIdent(c.name)}) AS p${i}, count(TRY_CAST(${quoteIdent(c.name)} AS DOUBLE)) AS n${i}`).join(', ');
  const counts = (await queryRows(conn, `SELECT ${sel} FROM ${relation}`))[0] ?? {};
  const out: StrayTokens[] = [];
  for (const [i, c] of text.entries()) {
    const present = num(counts[`p${i}`]);
    const numeric = num(counts[`n${i}`]);
    if (!(present > 0) || numeric === present || numeric / present < MOSTLY_NUMERIC) continue;
    const col = quoteIdent(c.name);
    const tokens = await queryRows(conn, `SELECT ${col} AS v, count(*) AS n FROM ${relation} WHERE ${col} IS NOT NULL AND TRY_CAST(${col} AS DOUBLE) IS NULL GROUP BY 1 ORDER BY n DESC, v LIMIT 5`);
    let lines: number[] | undefined;
    let file: string | undefined;
    if (csv) ({ lines, file } = await strayLines(conn, csv.files, csv.options, c.name));
    out.push({ column: c.name, numericShare: numeric / present, present, tokens: tokens.map((t) => ({ value: String(t.v), count: num(t.n) })), lines, file });
  }
  return out;
}

/** The lines where a column's values are not numbers: a read that types it DOUBLE, with DuckDB's rejects table. */
async function strayLines(conn: DuckDBConnection, files: readonly string[], options: string, column: string): Promise<{ lines?: number[]; file?: string }> {
  for (const file of files) {
    const id = ++rejectsIds.next;
    const table = `pipewise_token_rejects_${id}`;
    const scan = `pipewise_token_scans_${id}`;
    try {
      await conn.run(
        `SELECT count(COLUMNS(*)) FROM read_csv(${quoteLiteral(file)}${options}, types={${quoteLiteral(column)}: 'DOUBLE'}, store_rejects=true, rejects_table=${quoteLiteral(table)}, rejects_scan=${quoteLiteral(scan)})`,
      );
      const rows = await queryRows(conn, `SELECT line FROM ${quoteIdent(table)} WHERE column_name = ${quoteLiteral(column)} ORDER BY line LIMIT 10`);
      if (rows.length) return { lines: rows.map((r) => num(r.line)), file };
    } catch {
      return {};
    } finally {
      await conn.run(`DROP TABLE IF EXISTS ${quoteIdent(table)}`).catch(() => undefined);
      await conn.run(`DROP TABLE IF EXISTS ${quoteIdent(scan)}`).catch(() => undefined);
    }
  }
  return {};
}

/** `column 'x' is 99% numeric; 3 values `?` on lines 7, 52, 102 …`, for the run output. */
export function describeStrayTokens(s: StrayTokens, dropped: readonly number[] = []): string {
  const total = s.tokens.reduce((a, t) => a + t.count, 0);
  const pct = Math.floor(s.numericShare * 1000) / 10;
  const tokens = s.tokens.map((t) => `\`${t.value}\` ×${t.count}`).join(', ');
  const lines = s.lines?.length ? ` on line${s.lines.length > 1 ? 's' : ''} ${s.lines.map((l) => originalLine(l, dropped)).join(', ')}${total > s.lines.length ? ' …' : ''}` : '';
  return (
    `column '${s.column}' is ${pct}% numeric; ${total} value${total === 1 ? ' is' : 's are'} not: ${tokens}${lines}. ` +
    `It is read as text (a string feature); if these mean "missing", add them to \`csv.null_strings\``
  );
}

/** What a byte scan of a CSV file's text finds that DuckDB reads without a word. */
export interface CsvTextScan {
  /** Lines ending in CRLF and in a bare LF (outside quoted fields). */
  readonly crlf: number;
  readonly lf: number;
  /** Problems by physical line (1-based) and field (1-based), in file order, at most MAX_TEXT_PROBLEMS. */
  readonly problems: readonly { readonly line: number; readonly column: number; readonly what: string }[];
}

const MAX_TEXT_PROBLEMS = 10_000;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const NUL_BYTE = 'a NUL byte';

/**
 * Scans a CSV file's bytes with RFC 4180's quoting (`"` opens a field only at its start, `""`
 * inside one is a quote): a quote inside or at the end of an unquoted field (`Bi"scoe`,
 * `Biscoe"`), text after a closing quote, a quote never closed, a NUL byte; and the line endings.
 * DuckDB reads the first three as part of the value (a new category), keeps the NUL in it, and
 * blames the delimiter for mixed line endings. `delimiter` unset: the commonest of , ; tab | on the
 * first line. Compressed files are not scanned.
 */
export async function scanCsvText(file: string, delimiter?: string): Promise<CsvTextScan> {
  const problems: { line: number; column: number; what: string }[] = [];
  if (/\.(gz|zst)$/i.test(file)) return { crlf: 0, lf: 0, problems };
  const d = delimiter !== undefined ? delimiter : await guessDelimiter(file);
  const delim = d.length === 1 ? d.charCodeAt(0) : -1;
  let line = 1;
  let column = 1;
  let fieldStart = true;
  let quoted = false;
  let quoteInQuoted = false;
  let afterClose = false;
  let prev = -1;
  let crlf = 0;
  let lf = 0;
  let opened = { line: 0, column: 0 };
  const problem = (what: string): void => {
    const last = problems[problems.length - 1];
    if (problems.length < MAX_TEXT_PROBLEMS && !(last && last.line === line && last.column === column && last.what === what)) problems.push({ line, column, what });
  };
  for await (const data of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const chunk = data as Buffer;
    // Most chunks hold no quote, NUL or CR: count their lines natively.
    if (!quoted && !quoteInQuoted && !afterClose && !chunk.includes(QUOTE) && !chunk.includes(NUL) && !chunk.includes(CR)) {
      for (let at = chunk.indexOf(LF); at >= 0; at = chunk.indexOf(LF, at + 1)) {
        lf++;
        line++;
      }
      const last = chunk[chunk.length - 1] ?? -1;
      const lastLf = chunk.lastIndexOf(LF);
      let delims = 0;
      for (let i = lastLf + 1; delim >= 0 && i < chunk.length; i++) if (chunk[i] === delim) delims++;
      column = lastLf >= 0 ? 1 + delims : column + delims;
      fieldStart = last === LF || last === delim;
      prev = last;
      continue;
    }
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (quoteInQuoted) {
        quoteInQuoted = false;
        if (b === QUOTE) {
          prev = b;
          continue; // "" inside a quoted field
        }
        quoted = false;
        afterClose = true;
      }
      if (quoted) {
        if (b === QUOTE) quoteInQuoted = true;
        else if (b === LF) line++;
        else if (b === NUL) problem(NUL_BYTE);
        prev = b;
        continue;
      }
      if (b === LF) {
        if (prev === CR) crlf++;
        else lf++;
        line++;
        column = 1;
        fieldStart = true;
        afterClose = false;
      } else if (b === delim) {
        column++;
        fieldStart = true;
        afterClose = false;
      } else if (b === CR) {
        // part of a CRLF line ending (or stray, which DuckDB reads as one)
      } else {
        if (b === NUL) problem(NUL_BYTE);
        else if (b === QUOTE && fieldStart) {
          quoted = true;
          opened = { line, column };
        } else if (b === QUOTE) problem('a stray quote (") in a field that does not start with one');
        else if (afterClose) problem('text after the closing quote of a quoted field');
        fieldStart = false;
      }
      prev = b;
    }
  }
  if (quoted && !quoteInQuoted) {
    line = opened.line;
    column = opened.column;
    problem('a quote that is never closed (the rest of the file would be one value)');
  }
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  return { crlf, lf, problems };
}

/** The commonest of , ; tab | on the file's first line (`,` if none). */
async function guessDelimiter(file: string): Promise<string> {
  const lines = createInterface({ input: createReadStream(file, { end: 1 << 20 }), crlfDelay: Infinity });
  let first = '';
  for await (const l of lines) {
    first = l;
    break;
  }
  lines.close();
  let best = ',';
  let most = 0;
  for (const c of [',', ';', '\t', '|']) {
    const n = first.split(c).length - 1;
    if (n > most) {
      best = c;
      most = n;
    }
  }
  return best;
}

/**
 * Throws what `scanCsvText` found: a problem on the header line (when the file has one) as an error
 * no row skipping can mend, problems on data lines as bad rows (each line once) that `on_bad_rows:
 * skip` leaves out.
 */
export function throwTextProblems(file: string, scan: CsvTextScan, header: boolean | undefined): void {
  const first = scan.problems[0];
  if (!first) return;
  // A NUL on the first line (or on many) is no stray byte in a field: the file is not UTF-8 text.
  const nuls = scan.problems.filter((p) => p.what === NUL_BYTE);
  if (nuls[0]?.line === 1 || nuls.length > 100) {
    throw new PipewiseError(`is not a UTF-8 text file (binary data, or another encoding such as UTF-16): it holds NUL bytes, the first on line ${nuls[0]?.line ?? 1}`, {
      file,
      line: nuls[0]?.line,
      code: 'bad-data',
    });
  }
  if (first.line === 1 && header !== false) {
    throw new PipewiseError(`the header has ${first.what} in column ${first.column}; DuckDB would keep it in the column's name. Remove it, or quote the whole name ("name")`, {
      file,
      line: 1,
      col: first.column,
      code: 'csv-bad-header',
    });
  }
  const lines = [...new Set(scan.problems.map((p) => p.line))];
  throw new BadRowsError(`${first.what} in column ${first.column}; read as it is, it would become part of the value (a new category)${moreLines(lines)}`, file, lines);
}
