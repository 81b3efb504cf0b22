/**
 * JavaScript and TypeScript cells, run in the worker with `tf`, the notebook's DuckDB connection
 * (`db`, and `sql(query)` for rows), the artifacts (`artifacts.<stage>.<output>.uri`), `display(x)`
 * and `signal` (aborted on interrupt) in scope. `console` streams into the cell; a returned
 * Vega-Lite spec, tensor, table or value is displayed. A throw shows the user's own stack, at the
 * cell's own lines (TypeScript through esbuild's source map), with Pipewise's frames removed.
 *
 * Bare assignments (`model = tf.sequential()`) are kept for later cells, the way a REPL keeps
 * globals; `let`/`const` stay local to the cell.
 */
import { createRequire, SourceMap } from 'node:module';
import path from 'node:path';
import { format, inspect } from 'node:util';
import vm from 'node:vm';
import { NotebookMime, type CellError, type NotebookOutputData } from '../../protocol/notebook';
import type { NotebookSession } from './notebookSession';
import { htmlTable, MAX_OUTPUT_ROWS, rowsCaption, runQuery } from './notebookSql';
import { errorMessage } from '../../core/errors';

export interface CodeCellRun {
  readonly session: NotebookSession;
  readonly kind: 'javascript' | 'typescript';
  readonly source: string;
  /** `Cell 3`: names the cell in stacks. */
  readonly label: string;
  readonly signal: AbortSignal;
  readonly stream: (kind: 'stdout' | 'stderr', text: string) => void;
  readonly display: (output: NotebookOutputData) => void;
}

export type CodeCellResult = { readonly outputs: NotebookOutputData[]; readonly error?: undefined } | { readonly outputs: NotebookOutputData[]; readonly error: CellError };

const CELL_FUNCTION = '__pipewiseCell';

/** Compiled cell: the script text (cell code on its own lines) and, for TypeScript, the map back to the cell. */
interface CompiledCell {
  readonly code: string;
  readonly map?: SourceMap;
}

export async function runCodeCell(run: CodeCellRun): Promise<CodeCellResult> {
  const filename = `${run.label}.${run.kind === 'typescript' ? 'ts' : 'js'}`;
  let compiled: CompiledCell;
  try {
    compiled = run.kind === 'typescript' ? await compileTypeScript(run.source, filename) : { code: `async function ${CELL_FUNCTION}() {\n${run.source}\n}` };
  } catch (e) {
    return { outputs: [], error: e as CellError };
  }

  // The compiled code starts on the script's second line. A JavaScript cell's own first line is
  // the compiled code's second (after the function header), a TypeScript cell's lines come from the
  // source map, which counts compiled lines: choose the offset that makes stacks count accordingly.
  const scriptText = `(function (__scope) { with (__scope) {\n${compiled.code}\nreturn ${CELL_FUNCTION}; } })`;
  let factory: (scope: object) => () => Promise<unknown>;
  try {
    factory = vm.runInThisContext(scriptText, { filename, lineOffset: compiled.map ? -1 : -2 }) as typeof factory;
  } catch (e) {
    return { outputs: [], error: syntaxError(e, filename) };
  }

  const builtins = await cellBuiltins(run);
  try {
    const value = await factory(scopeProxy(run.session.scope, builtins))();
    return { outputs: await displayOutputs(value) };
  } catch (e) {
    return { outputs: [], error: userError(e, filename, compiled.map) };
  }
}

async function compileTypeScript(source: string, filename: string): Promise<CompiledCell> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = createRequire(__filename)('esbuild') as typeof import('esbuild');
  } catch {
    throw { name: 'Error', message: 'TypeScript cells need esbuild, which is not installed here: write the cell in JavaScript, or install esbuild.' } satisfies CellError;
  }
  try {
    const r = await esbuild.transform(`async function ${CELL_FUNCTION}() {\n${source}\n}`, {
      loader: 'ts',
      sourcemap: 'external',
      sourcefile: filename,
      target: 'es2022',
      logLevel: 'silent',
    });
    return { code: r.code, map: new SourceMap(JSON.parse(r.map) as ConstructorParameters<typeof SourceMap>[0]) };
  } catch (e) {
    const first = (e as { errors?: { text: string; location?: { line: number; column: number; lineText: string } }[] }).errors?.[0];
    if (!first) throw { name: 'Error', message: errorMessage(e) } satisfies CellError;
    // Line 1 of the compiled text is our wrapper: the cell's line n is line n + 1 there.
    const line = (first.location?.line ?? 2) - 1;
    const col = (first.location?.column ?? 0) + 1;
    throw {
      name: 'SyntaxError',
      message: first.text,
      stack: `SyntaxError: ${first.text}\n    at ${filename}:${line}:${col}${first.location ? `\n\n  ${first.location.lineText}\n  ${' '.repeat(col - 1)}^` : ''}`,
    } satisfies CellError;
  }
}

/**
 * The `with` scope: our builtins, then the notebook's kept values, then real globals. Names that
 * are none of those are claimed too, so that `x = 1` lands in the notebook's scope rather than the
 * worker's global object, and reading an unknown name still throws a ReferenceError.
 */
function scopeProxy(scope: Record<string, unknown>, builtins: Readonly<Record<string, unknown>>): object {
  const global = globalThis as unknown as Record<string, unknown>;
  return new Proxy(scope, {
    has: (t, k) => typeof k === 'string' && k !== CELL_FUNCTION && (k in builtins || k in t || !(k in global)),
    get: (t, k) => {
      if (typeof k !== 'string') return undefined; // Symbol.unscopables: nothing is hidden
      if (k in t) return t[k];
      if (k in builtins) return builtins[k];
      if (k in global) return global[k];
      throw new ReferenceError(`${k} is not defined`);
    },
    set: (t, k, v) => {
      if (typeof k === 'string') t[k] = v;
      return true;
    },
  });
}

async function cellBuiltins(run: CodeCellRun): Promise<Record<string, unknown>> {
  const { session } = run;
  const artifacts = Object.fromEntries([...(await session.artifacts())].map(([stage, outputs]) => [stage, outputs]));
  const needsDb = /\b(db|sql)\b/.test(run.source);
  if (needsDb) await session.refreshViews();
  const b: Record<string, unknown> = {
    console: cellConsole(run),
    display: (x: unknown) => void displayOutputs(x).then((outs) => outs.forEach((o) => run.display(o))),
    artifacts,
    signal: run.signal,
    require: createRequire(path.join(session.folder, '__notebook__.js')),
    sql: async (query: string) => (await runQuery(await session.connection(), query, Number.MAX_SAFE_INTEGER, run.signal)).rows,
  };
  if (needsDb) b.db = await session.connection();
  // Loading TensorFlow.js takes a moment: only cells that name `tf` wait for it.
  if (/\btf\b/.test(run.source)) b.tf = await loadTf();
  return b;
}

type Tf = typeof import('@tensorflow/tfjs');
let tfPromise: Promise<Tf> | undefined;
async function loadTf(): Promise<Tf> {
  tfPromise ??= import('@tensorflow/tfjs').then(async (tf) => {
    await tf.ready();
    return tf;
  });
  return tfPromise;
}

function cellConsole(run: CodeCellRun): Pick<Console, 'log' | 'info' | 'debug' | 'warn' | 'error' | 'dir' | 'table' | 'trace'> {
  const out = (...a: unknown[]): void => run.stream('stdout', format(...a) + '\n');
  const err = (...a: unknown[]): void => run.stream('stderr', format(...a) + '\n');
  return {
    log: out,
    info: out,
    debug: out,
    warn: err,
    error: err,
    trace: err,
    dir: (x: unknown) => out(inspect(x, { depth: 4 })),
    table: (x: unknown) => void displayOutputs(x).then((outs) => outs.forEach((o) => run.display(o))),
  };
}

interface TensorLike {
  readonly shape: number[];
  readonly dtype: string;
  readonly size: number;
  dataSync(): unknown;
  arraySync(): unknown;
  toString(verbose?: boolean): string;
}

function isTensor(v: object): v is TensorLike {
  const t = v as Partial<TensorLike>;
  return Array.isArray(t.shape) && typeof t.dtype === 'string' && typeof t.dataSync === 'function' && typeof t.arraySync === 'function';
}

const VEGA_LITE_VIEWS = ['mark', 'layer', 'facet', 'hconcat', 'vconcat', 'concat', 'repeat'];
function isVegaLiteSpec(v: object): boolean {
  const s = v as Record<string, unknown>;
  if (typeof s.$schema === 'string') return s.$schema.includes('vega-lite');
  return VEGA_LITE_VIEWS.some((k) => k in s) && ('data' in s || 'encoding' in s || 'spec' in s);
}

function isRowArray(v: unknown): v is Record<string, unknown>[] {
  return Array.isArray(v) && v.length > 0 && v.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r) && Object.getPrototypeOf(r) === Object.prototype);
}

/** What a returned (or displayed) value shows as. */
export async function displayOutputs(value: unknown): Promise<NotebookOutputData[]> {
  if (value === undefined) return [];
  if (typeof value === 'string') return [{ items: [{ mime: NotebookMime.plain, text: value }] }];
  if (value === null || typeof value !== 'object') return [{ items: [{ mime: NotebookMime.plain, text: String(value) }] }];
  if (isTensor(value)) {
    const items: NotebookOutputData['items'][number][] = [{ mime: NotebookMime.plain, text: value.toString() }];
    if (value.size <= 10_000) items.push({ mime: NotebookMime.json, json: { dtype: value.dtype, shape: value.shape, values: value.arraySync() } });
    return [{ items }];
  }
  if (isVegaLiteSpec(value)) {
    const spec = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', ...(JSON.parse(JSON.stringify(value)) as Record<string, unknown>) };
    return [{ items: [{ mime: NotebookMime.vegaLite, json: spec }] }];
  }
  if (isRowArray(value)) {
    const names = [...new Set(value.flatMap((r) => Object.keys(r)))];
    const rows = value.slice(0, MAX_OUTPUT_ROWS);
    const columns = names.map((name) => ({ name, kind: rows.every((r) => r[name] === null || typeof r[name] === 'number') ? ('number' as const) : ('string' as const) }));
    return [
      {
        items: [
          { mime: NotebookMime.html, text: htmlTable(columns, rows, rowsCaption(value.length, Math.min(rows.length, 100))) },
          { mime: NotebookMime.json, json: safeJson(rows) },
        ],
      },
    ];
  }
  const json = safeJson(value);
  return [
    {
      items: [
        ...(json !== undefined ? [{ mime: NotebookMime.json, json }] : []),
        { mime: NotebookMime.plain, text: inspect(value, { depth: 4, maxArrayLength: 100 }) },
      ],
    },
  ];
}

function safeJson(v: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))) as unknown;
  } catch {
    return undefined;
  }
}

const FRAME = /^\s*at (?:(.*?) \()?(.*?):(\d+):(\d+)\)?$/;

/** The error as its user wrote it: their frames only, at the cell's lines. */
export function userError(e: unknown, filename: string, map?: SourceMap): CellError {
  if (!(e instanceof Error)) return { name: 'Error', message: `Uncaught ${inspect(e)}`, stack: `Uncaught ${inspect(e)}` };
  const lines = (e.stack ?? `${e.name}: ${e.message}`).split('\n');
  const firstFrame = lines.findIndex((l) => FRAME.test(l));
  const header = firstFrame < 0 ? lines : lines.slice(0, firstFrame);
  const frames: string[] = [];
  for (const l of firstFrame < 0 ? [] : lines.slice(firstFrame)) {
    const m = FRAME.exec(l);
    if (!m || m[2] !== filename) continue;
    let line = Number(m[3]);
    let col = Number(m[4]);
    if (map) {
      const entry = map.findEntry(line - 1, col - 1) as { originalLine?: number; originalColumn?: number };
      if (entry.originalLine !== undefined) {
        // The wrapper's first line precedes the cell's: original 0-based line n is the cell's line n.
        line = entry.originalLine;
        col = (entry.originalColumn ?? 0) + 1;
      }
    }
    const fn = m[1] && !m[1].includes(CELL_FUNCTION) ? m[1].replace(/^async /, '') : undefined;
    frames.push(fn ? `    at ${fn} (${filename}:${line}:${col})` : `    at ${filename}:${line}:${col}`);
  }
  return { name: e.name, message: e.message, stack: [...header, ...frames].join('\n') };
}

/** A syntax error from compiling a JavaScript cell: V8 puts `file:line` and the code above the message. */
function syntaxError(e: unknown, filename: string): CellError {
  if (!(e instanceof Error)) return userError(e, filename);
  const m = /^(.*):(\d+)\n([^\n]*)\n([^\n]*)/.exec(e.stack ?? '');
  if (m && m[1] === filename) {
    return { name: e.name, message: e.message, stack: `${e.name}: ${e.message}\n    at ${filename}:${m[2]}\n\n  ${m[3]}\n  ${m[4]}` };
  }
  return { name: e.name, message: e.message, stack: `${e.name}: ${e.message}` };
}
