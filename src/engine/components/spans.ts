/**
 * ExampleGen's spans and versions, as TFX's input patterns: `data/span-{SPAN}/*.csv`,
 * `data/{YYYY}-{MM}-{DD}/*.csv` (the span is the day's number since 1970-01-01, as TFX's
 * `date_to_span_number`), with an optional `{VERSION}`. The latest span is read by default (and in
 * it the latest version); `span: N` picks one, `span: { from, to }` a range of them.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { PipewiseError, errorMessage } from '../../core/errors';
import { expandFiles } from '../duckdb';

export type SpanParam = 'latest' | number | { readonly from: number; readonly to: number };

export interface ResolvedInputs {
  /** The concrete files (or the patterns as given, when none has a placeholder). */
  readonly inputs: string[];
  /** The spans read (empty when the pattern has no span placeholder). */
  readonly spans: number[];
  /** The version read in the last span, when the pattern has `{VERSION}`. */
  readonly version?: number;
}

const PLACEHOLDER = /\{(SPAN|VERSION|YYYY|MM|DD)\}/;

export function hasSpanPlaceholder(pattern: string): boolean {
  return PLACEHOLDER.test(pattern);
}

/** A regex matching paths of the pattern, with a named group per placeholder. */
function patternRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; ) {
    const m = /^\{(SPAN|VERSION|YYYY|MM|DD)\}/.exec(pattern.slice(i));
    if (m) {
      const name = m[1] as string;
      re += name === 'SPAN' || name === 'VERSION' ? `(?<${name}>\\d+)` : name === 'YYYY' ? `(?<${name}>\\d{4})` : `(?<${name}>\\d{2})`;
      i += m[0].length;
    } else if (pattern.startsWith('**', i)) {
      re += '.*';
      i += 2;
    } else {
      const c = pattern[i] as string;
      re += c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^$()|[\]\\{}]/g, '\\$&');
      i++;
    }
  }
  return new RegExp(`^${re}$`);
}

/** One pattern resolved to the files of the chosen span(s). */
export async function resolveSpanPattern(conn: DuckDBConnection, pattern: string, span: SpanParam): Promise<ResolvedInputs> {
  if (!hasSpanPlaceholder(pattern)) return { inputs: [pattern], spans: [] };
  const hasSpan = /\{SPAN\}/.test(pattern);
  const hasDate = /\{YYYY\}/.test(pattern) && /\{MM\}/.test(pattern) && /\{DD\}/.test(pattern);
  const anyDate = /\{(YYYY|MM|DD)\}/.test(pattern);
  if (hasSpan ? anyDate : !hasDate) throw new PipewiseError('parameter \'input\': a span pattern needs {SPAN}, or {YYYY}, {MM} and {DD} together (not both)', { file: pattern, code: 'bad-span-pattern' });
  const glob = pattern.replace(/\{(SPAN|VERSION|YYYY|MM|DD)\}/g, '*');
  const files = await expandFiles(conn, glob).catch((e: unknown) => {
    throw new PipewiseError(`no file matches the span pattern (${errorMessage(e)})`, { file: pattern, code: 'file-not-found' });
  });
  const re = patternRegex(pattern);
  const found: { file: string; span: number; version: number }[] = [];
  for (const file of files) {
    const g = re.exec(file.replace(/\\/g, '/'))?.groups;
    if (!g) continue;
    let s: number;
    if (hasSpan) s = Number(g.SPAN);
    else {
      const t = Date.UTC(Number(g.YYYY), Number(g.MM) - 1, Number(g.DD));
      const back = new Date(t);
      if (back.getUTCMonth() !== Number(g.MM) - 1 || back.getUTCDate() !== Number(g.DD)) {
        throw new PipewiseError(`${g.YYYY}-${g.MM}-${g.DD} is not a date`, { file, code: 'bad-span-date' });
      }
      s = Math.round(t / 86_400_000);
    }
    found.push({ file, span: s, version: g.VERSION !== undefined ? Number(g.VERSION) : -1 });
  }
  if (found.length === 0) throw new PipewiseError('no file matches the span pattern', { file: pattern, code: 'file-not-found' });
  const spans = [...new Set(found.map((f) => f.span))].sort((a, b) => a - b);
  let chosen: number[];
  if (span === 'latest') chosen = [spans.at(-1) as number];
  else if (typeof span === 'number') {
    if (!spans.includes(span)) throw new PipewiseError(`parameter 'span': no span ${span} (spans found: ${spans.join(', ')})`, { file: pattern, code: 'unknown-span' });
    chosen = [span];
  } else {
    if (span.from > span.to) throw new PipewiseError(`parameter 'span': from ${span.from} is after to ${span.to}`, { code: 'bad-span-range' });
    chosen = spans.filter((s) => s >= span.from && s <= span.to);
    if (chosen.length === 0) throw new PipewiseError(`parameter 'span': no span from ${span.from} to ${span.to} (spans found: ${spans.join(', ')})`, { file: pattern, code: 'unknown-span' });
  }
  const inputs: string[] = [];
  let version: number | undefined;
  for (const s of chosen) {
    const inSpan = found.filter((f) => f.span === s);
    const latest = Math.max(...inSpan.map((f) => f.version));
    if (latest >= 0) version = latest;
    inputs.push(...inSpan.filter((f) => f.version === latest).map((f) => f.file).sort());
  }
  return { inputs, spans: chosen, ...(version !== undefined ? { version } : {}) };
}

/** Every input pattern resolved; the spans of all of them together. */
export async function resolveInputs(conn: DuckDBConnection, patterns: readonly string[], span: SpanParam): Promise<ResolvedInputs> {
  const inputs: string[] = [];
  const spans = new Set<number>();
  let version: number | undefined;
  for (const p of patterns) {
    const r = await resolveSpanPattern(conn, p, span);
    inputs.push(...r.inputs);
    r.spans.forEach((s) => spans.add(s));
    if (r.version !== undefined) version = r.version;
  }
  return { inputs, spans: [...spans].sort((a, b) => a - b), ...(version !== undefined ? { version } : {}) };
}
