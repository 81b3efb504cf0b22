/**
 * ExampleGen: reads CSV/Parquet/JSON with DuckDB and writes `Split-<name>/data.parquet` per split.
 * The default split hashes each row's values (or the `split_key` columns) into buckets, as TFX's
 * `hash_buckets`, so the same rows land in the same split whatever their order in the file.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { ExampleGen } from '../../core/components/dataComponents';
import { PipewiseError } from '../../core/errors';
import { hasGlob } from '../../core/paths';
import type { ComponentExecutor } from '../component';
import {
  copyToParquet,
  expandFiles,
  isRemoteData,
  localDataFile,
  num,
  queryRows,
  quoteIdent,
  quoteLiteral,
  readSource,
  withConnection,
  type Source,
  type SourceColumn,
} from '../duckdb';
import { describeStrayTokens, findStrayTokens, removeCopies } from '../csvIntegrity';
import { statsTypeOf } from '../stats/computeStatistics';
import { hasSpanPlaceholder, resolveInputs } from './spans';

export type ExampleGenParams = z.output<typeof ExampleGen.params>;

/** The folder of one split inside an Examples artifact, and its data file. */
export function splitFile(examplesUri: string, split: string): string {
  return path.join(examplesUri, `Split-${split}`, 'data.parquet');
}

/** The split names of an Examples artifact: its recorded `splits`, or its `Split-*` folders. */
export async function splitsOf(examplesUri: string, properties?: Readonly<Record<string, unknown>>): Promise<string[]> {
  const recorded = properties?.splits;
  if (Array.isArray(recorded) && recorded.every((s) => typeof s === 'string')) return recorded as string[];
  const entries = await fs.readdir(examplesUri, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && e.name.startsWith('Split-')).map((e) => e.name.slice('Split-'.length)).sort();
}

/** A split name made from a column's value: safe as a folder name. */
function splitNameOf(value: string): string {
  const s = value.trim().replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^\.+/, '_');
  return s === '' ? 'empty' : s.slice(0, 80);
}

function columnOf(columns: readonly SourceColumn[], name: string, param: string): SourceColumn {
  const c = columns.find((x) => x.name === name);
  if (!c) throw new PipewiseError(`parameter '${param}': no column '${name}' in the data (columns: ${columns.map((x) => x.name).join(', ')})`, { code: 'unknown-column' });
  return c;
}

interface SplitPlan {
  /** The split names, in order. */
  readonly names: string[];
  /** An SQL expression giving each row's split name (NULL: in no split). */
  readonly expr: string;
}

async function planSplits(conn: DuckDBConnection, params: ExampleGenParams, relation: string, columns: readonly SourceColumn[]): Promise<SplitPlan> {
  if (params.split_time && params.split_column) {
    throw new PipewiseError('parameters `split_time` and `split_column` exclude each other: choose one way to split', { code: 'split-conflict' });
  }
  if (params.split_time) {
    const { column, boundary } = params.split_time;
    const c = columnOf(columns, column, 'split_time.column');
    const col = quoteIdent(c.name);
    const isNumber = statsTypeOf(c.type) !== 'STRING' && /^-?\d+(\.\d+)?$/.test(boundary.trim());
    if (isNumber) return { names: ['train', 'eval'], expr: `CASE WHEN ${col} IS NULL THEN NULL WHEN ${col} < ${Number(boundary)} THEN 'train' ELSE 'eval' END` };
    const parsed = await queryRows(conn, `SELECT TRY_CAST(${quoteLiteral(boundary)} AS TIMESTAMP) AS t`);
    if (parsed[0]?.t === null || parsed[0]?.t === undefined) {
      throw new PipewiseError(`parameter 'split_time.boundary': ${JSON.stringify(boundary)} is not a date or time (e.g. 2014-01-01 or 2014-01-01 12:00:00)`, { code: 'bad-boundary' });
    }
    const t = `TRY_CAST(${col} AS TIMESTAMP)`;
    return { names: ['train', 'eval'], expr: `CASE WHEN ${t} IS NULL THEN NULL WHEN ${t} < CAST(${quoteLiteral(boundary)} AS TIMESTAMP) THEN 'train' ELSE 'eval' END` };
  }
  if (params.split_column) {
    const c = columnOf(columns, params.split_column, 'split_column');
    const col = quoteIdent(c.name);
    if (params.split_values) {
      const names = Object.keys(params.split_values);
      const whens = names.map((name) => {
        const values = params.split_values?.[name] ?? [];
        if (values.length === 0) throw new PipewiseError(`parameter 'split_values.${name}': give at least one value`, { code: 'empty-split' });
        const tests = values.map((v) => (typeof v === 'number' ? `TRY_CAST(${col} AS DOUBLE) = ${v}` : `CAST(${col} AS VARCHAR) = ${quoteLiteral(v)}`));
        return `WHEN ${tests.join(' OR ')} THEN ${quoteLiteral(splitNameOf(name))}`;
      });
      return { names: names.map(splitNameOf), expr: `CASE ${whens.join(' ')} END` };
    }
    const rows = await queryRows(conn, `SELECT DISTINCT CAST(${col} AS VARCHAR) AS v FROM ${relation} WHERE ${col} IS NOT NULL ORDER BY v LIMIT 101`);
    if (rows.length > 100) {
      throw new PipewiseError(`parameter 'split_column': column '${c.name}' has more than 100 distinct values; give \`split_values\` to group them into splits`, { code: 'too-many-splits' });
    }
    const values = rows.map((r) => String(r.v));
    const names = values.map(splitNameOf);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new PipewiseError(`parameter 'split_column': two values of '${c.name}' give the same split name '${dup}'; use \`split_values\``, { code: 'split-name-clash' });
    return { names, expr: `CASE ${values.map((v, i) => `WHEN CAST(${col} AS VARCHAR) = ${quoteLiteral(v)} THEN ${quoteLiteral(names[i] as string)}`).join(' ')} END` };
  }
  // Hash split: DuckDB's hash of the key columns, modulo the total of the weights.
  const keys = params.split_key?.length ? params.split_key.map((k) => columnOf(columns, k, 'split_key')) : columns;
  const names = Object.keys(params.splits);
  const total = names.reduce((s, n) => s + (params.splits[n] ?? 0), 0);
  const bucket = `(hash(${keys.map((c) => quoteIdent(c.name)).join(', ')}) % ${total})`;
  let end = 0;
  const whens = names.map((n) => {
    end += params.splits[n] ?? 0;
    return `WHEN ${bucket} < ${end} THEN ${quoteLiteral(n)}`;
  });
  return { names, expr: `CASE ${whens.join(' ')} END` };
}

/**
 * `input` resolved in the pipeline's folder, after checking that every file it matches is there by
 * its real path too: a glob may cross a symbolic link into another folder.
 */
async function confinedPattern(conn: DuckDBConnection, input: string, resolve: (p: string) => string): Promise<string> {
  const pattern = resolve(input);
  if (hasGlob(pattern)) for (const file of await expandFiles(conn, pattern)) resolve(file);
  return pattern;
}

/** Reads every input (a path or glob each) into one relation, checking that they agree on columns. */
async function readInputs(conn: DuckDBConnection, params: ExampleGenParams, resolve: (p: string) => string): Promise<Source> {
  const inputs = Array.isArray(params.input) ? params.input : [params.input];
  const csv = { delimiter: params.csv.delimiter, header: params.csv.header, nullStrings: params.csv.null_strings, onBadRows: params.on_bad_rows };
  const sources: Source[] = [];
  for (const input of inputs) sources.push(await readSource(conn, await confinedPattern(conn, input, resolve), params.format, csv));
  const first = sources[0] as Source;
  const skipped = sources.flatMap((s) => s.skipped ?? []);
  const copies = new Map(sources.flatMap((s) => [...(s.copies ?? new Map<string, string>())]));
  try {
    assertSameInputColumns(first, sources);
  } catch (e) {
    await removeCopies([...copies.values()]);
    throw e;
  }
  if (sources.length === 1) return first;
  return {
    relation: `(${sources.map((s) => `SELECT * FROM ${s.relation}`).join(' UNION ALL BY NAME ')})`,
    format: first.format,
    files: sources.flatMap((s) => s.files),
    columns: first.columns,
    csvOptions: first.csvOptions,
    skipped,
    copies,
  };
}

function assertSameInputColumns(first: Source, sources: readonly Source[]): void {
  for (const s of sources.slice(1)) {
    const types = new Map(s.columns.map((c) => [c.name, c.type]));
    for (const c of first.columns) {
      const t = types.get(c.name);
      if (t === undefined) throw new PipewiseError(`column '${c.name}' of ${first.files[0]} is missing`, { file: s.files[0], code: 'column-missing' });
      if (t !== c.type) throw new PipewiseError(`column '${c.name}' is ${t} here but ${c.type} in ${first.files[0]}`, { file: s.files[0], code: 'column-type-changed' });
    }
    if (s.columns.length !== first.columns.length) {
      const extra = s.columns.find((c) => !first.columns.some((f) => f.name === c.name));
      throw new PipewiseError(`column '${extra?.name}' is not in ${first.files[0]}`, { file: s.files[0], code: 'column-new' });
    }
  }
}

/** Warns of mostly-numeric text columns (naming the tokens and their lines) and of rows left out. */
async function reportDataQuality(conn: DuckDBConnection, source: Source, log: (level: 'warn', message: string) => void, pipelineDir: string): Promise<void> {
  const rel = (f: string): string => path.relative(pipelineDir, f);
  for (const s of source.skipped ?? []) {
    log('warn', `${rel(s.file)}: left out ${s.lines.length} bad row${s.lines.length === 1 ? '' : 's'} (on_bad_rows: skip), on line${s.lines.length === 1 ? '' : 's'} ${s.lines.slice(0, 10).join(', ')}${s.lines.length > 10 ? ' …' : ''}`);
  }
  const copies = source.copies ?? new Map<string, string>();
  const csv = source.csvOptions !== undefined ? { files: source.files.map((f) => copies.get(f) ?? f), options: source.csvOptions } : undefined;
  for (const t of await findStrayTokens(conn, source.relation, source.columns, csv)) {
    const original = t.file ? (source.files.find((f) => (copies.get(f) ?? f) === t.file) ?? t.file) : undefined;
    const dropped = source.skipped?.find((s) => s.file === original)?.lines ?? [];
    log('warn', `${original ? `${rel(original)}: ` : ''}${describeStrayTokens(t, dropped)}`);
  }
}

/** Writes one Parquet file per split and records the examples' properties. */
async function writeSplits(
  conn: DuckDBConnection,
  ctx: Parameters<ComponentExecutor<ExampleGenParams>['run']>[0],
  source: Source,
  resolved: { readonly spans: readonly number[]; readonly version?: number },
): Promise<void> {
  const out = ctx.outputs.examples as string;
  const total = num((await queryRows(conn, `SELECT count(*) AS n FROM ${source.relation}`))[0]?.n);
  if (total === 0) throw new PipewiseError('the data has a header but no rows', { file: source.files[0], code: 'no-rows' });
  const plan = await planSplits(conn, ctx.params, source.relation, source.columns);
  const rows: Record<string, number> = {};
  const tagged = `(SELECT *, ${plan.expr} AS ${quoteIdent('__pipewise_split')} FROM ${source.relation})`;
  for (const [i, split] of plan.names.entries()) {
    if (ctx.signal.aborted) break;
    ctx.progress(i / plan.names.length, `writing split ${split}`);
    const file = splitFile(out, split);
    await fs.mkdir(path.dirname(file), { recursive: true });
    rows[split] = await copyToParquet(conn, `SELECT * EXCLUDE (${quoteIdent('__pipewise_split')}) FROM ${tagged} WHERE ${quoteIdent('__pipewise_split')} = ${quoteLiteral(split)}`, file);
    if (rows[split] === 0) ctx.log('warn', `split '${split}' has no rows`);
  }
  const placed = Object.values(rows).reduce((s, n) => s + n, 0);
  if (placed < total && !ctx.signal.aborted) ctx.log('warn', `${total - placed} of ${total} rows fall into no split (no value in the split column, or a value no split names); they are left out`);
  ctx.log('info', `${total} rows from ${source.files.length} file(s): ${plan.names.map((s) => `${s} ${rows[s]}`).join(', ')}`);
  ctx.setProperties('examples', {
    splits: plan.names,
    rows,
    ...(source.skipped?.length ? { skippedRows: Object.fromEntries(source.skipped.map((k) => [path.relative(ctx.pipelineDir, k.file), k.lines.length])) } : {}),
    columns: source.columns.map((c) => ({ name: c.name, type: c.type })),
    format: source.format,
    files: source.files.map((f) => (isRemoteData(f) ? f : path.relative(ctx.pipelineDir, f))),
    ...(resolved.spans.length ? { span: resolved.spans.at(-1), spans: resolved.spans } : {}),
    ...(resolved.version !== undefined ? { version: resolved.version } : {}),
  });
  ctx.progress(1);
}

/**
 * What ExampleGen's fingerprint reads: the spans chosen and the input files in order (a remote
 * input stands for itself). Plain local files (no glob, span placeholder or URI) need no DuckDB:
 * a cached re-run then never loads its native module (about 90 ms of a cached run's start).
 */
async function fingerprintInputs(
  patterns: readonly string[],
  span: ExampleGenParams['span'],
  resolvePath: (p: string, what: string) => string,
): Promise<{ readonly spans: readonly number[]; readonly version?: number; readonly files: readonly string[] }> {
  if (patterns.every((p) => !isRemoteData(p) && !hasGlob(p) && !hasSpanPlaceholder(p))) {
    const files: string[] = [];
    for (const p of patterns) files.push(await localDataFile(p));
    return { spans: [], files };
  }
  return withConnection(async (conn) => {
    const resolved = await resolveInputs(conn, [...patterns], span);
    const files: string[] = [];
    for (const input of resolved.inputs) {
      if (isRemoteData(input)) files.push(input);
      else files.push(...(await expandFiles(conn, await confinedPattern(conn, input, (p) => resolvePath(p, 'input')))));
    }
    return { spans: resolved.spans, ...(resolved.version !== undefined ? { version: resolved.version } : {}), files };
  });
}

export const exampleGen: ComponentExecutor<ExampleGenParams> = {
  name: 'ExampleGen',

  async run(ctx) {
    const out = ctx.outputs.examples;
    if (!out) throw new Error('ExampleGen: no `examples` output folder');
    await withConnection(async (conn) => {
      ctx.progress(0, 'reading');
      // Span patterns ({SPAN}, {YYYY}{MM}{DD}, {VERSION}) become the files of the chosen span(s).
      const patterns = (Array.isArray(ctx.params.input) ? ctx.params.input : [ctx.params.input]).map((p) => (isRemoteData(p) ? p : ctx.resolvePath(p, 'input')));
      const resolved = await resolveInputs(conn, patterns, ctx.params.span);
      if (resolved.spans.length) ctx.log('info', `span${resolved.spans.length > 1 ? 's' : ''} ${resolved.spans.join(', ')}${resolved.version !== undefined ? `, version ${resolved.version}` : ''}`);
      const source = await readInputs(conn, { ...ctx.params, input: resolved.inputs }, (p) => (isRemoteData(p) ? p : ctx.resolvePath(p, 'input')));
      try {
        await reportDataQuality(conn, source, ctx.log, ctx.pipelineDir);
        await writeSplits(conn, ctx, source, resolved);
      } finally {
        await removeCopies([...(source.copies?.values() ?? [])]);
      }
    }, ctx.signal);
  },

  /**
   * The content of every local input file (sha256), so that an edited file runs the stage again.
   * Object-storage and web inputs count by their URI only: version them by path (a span folder).
   */
  async externalFingerprint(params, resolvePath) {
    const patterns = (Array.isArray(params.input) ? params.input : [params.input]).map((p) => (isRemoteData(p) ? p : resolvePath(p, 'input')));
    const read = await fingerprintInputs(patterns, params.span, resolvePath);
    const h = createHash('sha256');
    // A new span (or version) changes the files read, hence the key. Remote data counts by its URI.
    h.update(`spans\0${read.spans.join(',')}\0${read.version ?? ''}\0`);
    for (const input of read.files) {
      if (isRemoteData(input)) {
        h.update(`${input}\0remote\0`);
        continue;
      }
      h.update(`${path.basename(input)}\0`);
      await new Promise<void>((resolve, reject) => {
        createReadStream(input)
          .on('data', (c) => h.update(c))
          .on('error', reject)
          .on('end', () => resolve());
      });
    }
    return h.digest('hex');
  },
};
