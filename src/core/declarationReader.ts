/**
 * Reads a user component's `declaration` from its source text without running the module, so that
 * validating a pipeline (the CLI's `validate` and `lineage`, the editor's diagnostics) never executes
 * code from the folder. The declaration must be an object literal assigned where the module starts:
 * `export const declaration = { … }` or `exports.declaration = { … }` (TypeScript's `as const`,
 * `satisfies` and a type annotation are fine). Its values are data; `params` may also be a zod
 * schema written with `z.…` calls, which is interpreted, not evaluated: only zod's own builders and
 * refinements with literal arguments are accepted. A params schema outside that subset is checked
 * when the stage runs instead.
 */
import * as z from 'zod';
import { ARTIFACT_TYPES } from './artifacts';
import type { ComponentDeclaration } from './component';
import { PipewiseError, errorMessage } from './errors';

const portShape = z.object({ type: z.enum(ARTIFACT_TYPES), description: z.string().default(''), optional: z.boolean().optional() });
/** The data part of a user component's declaration (params come separately). */
export const declarationShape = z.object({
  name: z.string().min(1),
  version: z.string().default('0'),
  description: z.string().default(''),
  inputs: z.record(z.string(), portShape).default({}),
  outputs: z.record(z.string(), portShape).default({}),
  pathParams: z.array(z.string()).optional(),
});

export interface StaticDeclaration {
  readonly declaration: ComponentDeclaration;
  /** False when `params` is code outside the zod subset read here: params are checked at run time. */
  readonly paramsChecked: boolean;
}

/** Where the declaration starts: an export of `declaration` at the start of a line. */
const START = /^[ \t]*(?:export[ \t]+(?:const|let|var)[ \t]+declaration\b[^=\n]*=|(?:module\.)?exports\.declaration[ \t]*=)/m;
const MAX_SOURCE = 5 * 1024 * 1024;

/** The declaration in `source`, or a PipewiseError naming `file`, line and column. */
export function readDeclaration(source: string, file: string): StaticDeclaration {
  if (source.length > MAX_SOURCE) throw new PipewiseError(`the module is larger than ${MAX_SOURCE / 1024 / 1024} MB; Pipewise reads its declaration without running it`, { file, code: 'user-component' });
  const m = START.exec(source);
  if (!m) {
    throw new PipewiseError(
      'no `export const declaration = { … }` (or `exports.declaration = { … }`) found: Pipewise reads a component\'s declaration as an object literal, without running the module',
      { file, line: 1, col: 1, code: 'user-component' },
    );
  }
  const start = m.index + m[0].length + (/^\s*/.exec(source.slice(m.index + m[0].length))?.[0].length ?? 0);
  const reader = new LiteralReader(source, start, file);
  const value = reader.value();
  if (!isRecord(value)) reader.fail(start, 'the declaration must be an object literal');
  const code = reader.code_.find((c) => c.key !== 'params');
  if (code) reader.fail(code.at, `${code.key ? `'${code.key}' ` : ''}must be written as data (strings, numbers, lists, objects): Pipewise reads the declaration without running it`);
  const { params, ...data } = value as Record<string, unknown>;
  const parsed = declarationShape.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PipewiseError(`declaration: ${issue ? `${issue.path.join('.') || 'declaration'}: ${issue.message}` : 'invalid'}`, { file, code: 'user-component' });
  }
  let schema: z.ZodType = z.record(z.string(), z.unknown());
  let paramsChecked = true;
  if (params instanceof z.ZodType) schema = params;
  else if (params === UNREADABLE) paramsChecked = false;
  else if (params !== undefined) throw new PipewiseError('declaration: params must be a zod schema (z.strictObject({ … }))', { file, code: 'user-component' });
  return { declaration: { ...parsed.data, params: schema }, paramsChecked };
}

/** Marks a value that is code this reader does not interpret. */
const UNREADABLE = Symbol('unreadable');
type Value = unknown;

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof z.ZodType);
}

/** zod builders (on `z`) and chained methods the reader will call; all take plain data. */
const Z_BUILDERS = new Set(['object', 'strictObject', 'looseObject', 'string', 'number', 'int', 'boolean', 'enum', 'literal', 'array', 'record', 'union', 'optional', 'nullable', 'tuple', 'any', 'unknown', 'null']);
const Z_METHODS = new Set([
  'optional', 'nullable', 'nullish', 'default', 'min', 'max', 'int', 'positive', 'nonnegative', 'negative', 'nonpositive', 'describe', 'length',
  'nonempty', 'gt', 'gte', 'lt', 'lte', 'multipleOf', 'strict', 'passthrough', 'finite',
]);

class LiteralReader {
  private pos: number;
  constructor(
    private readonly src: string,
    start: number,
    private readonly file: string,
  ) {
    this.pos = start;
  }

  fail(at: number, message: string): never {
    const before = this.src.slice(0, at).split('\n');
    throw new PipewiseError(message, { file: this.file, line: before.length, col: (before.at(-1)?.length ?? 0) + 1, code: 'user-component' });
  }

  /** One value with its TypeScript suffixes (`as const`, `satisfies T`). */
  value(depth = 0): Value {
    if (depth > 64) this.fail(this.pos, 'the declaration nests too deeply');
    const v = this.primary(depth);
    this.skipSpace();
    while (/^(as|satisfies)\b/.test(this.src.slice(this.pos, this.pos + 10))) {
      this.pos += this.src.startsWith('as', this.pos) ? 2 : 9;
      this.skipType();
    }
    return v;
  }

  private primary(depth: number): Value {
    this.skipSpace();
    const c = this.src[this.pos];
    const start = this.pos;
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"' || c === "'") return this.string(c);
    if (c === '`') return this.template();
    if (c === '-' || c === '+' || (c !== undefined && /[0-9.]/.test(c))) return this.number();
    const word = this.identifier();
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (word === 'null') return null;
    if (word === 'undefined') return undefined;
    if (word === 'z') return this.zod(depth, start);
    if (c === undefined) this.fail(start, 'unexpected end of file in the declaration');
    return this.code(start);
  }

  /** Code where data was expected: skipped, not run; remembered with the top-level key it is under. */
  readonly code_: { at: number; key: string | undefined }[] = [];
  private topKey: string | undefined;
  private code(start: number): Value {
    this.pos = start;
    this.skipExpression();
    this.code_.push({ at: start, key: this.topKey });
    return UNREADABLE;
  }

  private object(depth: number): Record<string, Value> {
    const out: Record<string, Value> = {};
    this.pos++; // {
    for (;;) {
      this.skipSpace();
      if (this.src[this.pos] === '}') break;
      const at = this.pos;
      const q = this.src[this.pos];
      const key = q === '"' || q === "'" ? this.string(q) : this.identifier() ?? (/[0-9]/.test(q ?? '') ? String(this.number()) : undefined);
      if (key === undefined) this.fail(at, 'expected a property name (spread and computed keys are code, not data)');
      this.skipSpace();
      if (this.src[this.pos] !== ':') this.fail(this.pos, `property '${key}' needs a literal value (\`${key}: …\`), not a variable`);
      this.pos++;
      if (key === '__proto__') this.fail(at, 'the key __proto__ is not allowed');
      if (depth === 0) this.topKey = key;
      out[key] = this.value(depth + 1);
      if (!this.separator('}')) break;
    }
    this.pos++; // }
    return out;
  }

  private array(depth: number): Value[] {
    const out: Value[] = [];
    this.pos++;
    for (;;) {
      this.skipSpace();
      if (this.src[this.pos] === ']') break;
      out.push(this.value(depth + 1));
      if (!this.separator(']')) break;
    }
    this.pos++;
    return out;
  }

  /** After an item: true when another may follow; fails unless `,` or `close` comes. */
  private separator(close: string): boolean {
    this.skipSpace();
    const c = this.src[this.pos];
    if (c === ',') {
      this.pos++;
      return true;
    }
    if (c !== close) this.fail(this.pos, `expected ',' or '${close}' in the declaration`);
    return false;
  }

  private string(quote: string): string {
    const start = this.pos;
    let out = '';
    this.pos++;
    for (;;) {
      const c = this.src[this.pos++];
      if (c === undefined || c === '\n') this.fail(start, 'unterminated string');
      if (c === quote) return out;
      if (c === '\\') {
        const e = this.src[this.pos++] ?? '';
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0' };
        if (e === 'u' || e === 'x') {
          const hex = e === 'x' ? this.src.slice(this.pos, this.pos + 2) : this.src[this.pos] === '{' ? this.src.slice(this.pos + 1, this.src.indexOf('}', this.pos)) : this.src.slice(this.pos, this.pos + 4);
          if (!/^[0-9a-fA-F]+$/.test(hex)) this.fail(this.pos, 'bad escape in a string');
          this.pos += e === 'x' ? 2 : this.src[this.pos] === '{' ? hex.length + 2 : 4;
          out += String.fromCodePoint(parseInt(hex, 16));
        } else if (e !== '\n') out += simple[e] ?? e;
      } else out += c;
    }
  }

  private template(): string {
    const start = this.pos;
    const end = this.src.indexOf('`', this.pos + 1);
    const text = end < 0 ? '' : this.src.slice(this.pos + 1, end);
    if (end < 0) this.fail(start, 'unterminated template string');
    if (text.includes('${') || text.includes('\\')) this.fail(start, 'a template string with substitutions or escapes is code: write a plain string');
    this.pos = end + 1;
    return text;
  }

  private number(): number {
    const m = /^[+-]?\s*(0[xX][0-9a-fA-F_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?|Infinity)/.exec(this.src.slice(this.pos, this.pos + 64));
    if (!m) this.fail(this.pos, 'expected a number');
    this.pos += m[0].length;
    const n = Number(m[0].replace(/[\s_]/g, ''));
    if (Number.isNaN(n)) this.fail(this.pos - m[0].length, 'expected a number');
    return n;
  }

  private identifier(): string | undefined {
    const m = /^[A-Za-z_$][\w$]*/.exec(this.src.slice(this.pos, this.pos + 256));
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }

  /** `z.builder(args).method(args)…` applied to Pipewise's own zod, or UNREADABLE. */
  private zod(depth: number, start: number): Value {
    let cur: unknown = z;
    let readable = true;
    for (;;) {
      this.skipSpace();
      if (this.src[this.pos] !== '.') break;
      this.pos++;
      this.skipSpace();
      const at = this.pos;
      const name = this.identifier();
      if (!name) this.fail(at, 'expected a method name after .');
      this.skipSpace();
      if (this.src[this.pos] !== '(') {
        readable = false;
        continue;
      }
      this.pos++;
      const args: Value[] = [];
      for (;;) {
        this.skipSpace();
        if (this.src[this.pos] === ')') break;
        args.push(this.value(depth + 1));
        if (!this.separator(')')) break;
      }
      this.pos++;
      const allowed = cur === z ? Z_BUILDERS.has(name) : Z_METHODS.has(name);
      if (!readable || !allowed || args.some(containsUnreadable)) {
        readable = false;
        continue;
      }
      try {
        cur = (cur as Record<string, (...a: unknown[]) => unknown>)[name]!(...args);
      } catch (e) {
        this.fail(at, `z.${name}(…): ${errorMessage(e)}`);
      }
    }
    if (!readable || cur === z) return this.code(start);
    return cur;
  }

  /** Skips code up to the `,` `}` `]` or `)` that ends the current item (strings, comments, regexes aware). */
  private skipExpression(): void {
    const stack: string[] = [];
    let prev = '(';
    for (;;) {
      this.skipSpace();
      const c = this.src[this.pos];
      if (c === undefined) this.fail(this.pos, 'unexpected end of file in the declaration');
      if (stack.length === 0 && (c === ',' || c === '}' || c === ']' || c === ')' || c === ';')) return;
      if (c === '"' || c === "'") this.string(c);
      else if (c === '`') this.skipTemplate();
      else if (c === '/' && /[(,=:[!&|?{};+\-*%<>~^]/.test(prev)) this.skipRegex();
      else {
        if (c === '(' || c === '[' || c === '{') stack.push(c === '(' ? ')' : c === '[' ? ']' : '}');
        else if (c === ')' || c === ']' || c === '}') {
          if (stack.pop() !== c) this.fail(this.pos, `unbalanced ${c}`);
        }
        this.pos++;
        prev = c;
        continue;
      }
      prev = 'x';
    }
  }

  private skipTemplate(): void {
    const start = this.pos++;
    let depth = 0;
    for (;;) {
      const c = this.src[this.pos++];
      if (c === undefined) this.fail(start, 'unterminated template string');
      if (c === '\\') this.pos++;
      else if (c === '`' && depth === 0) return;
      else if (c === '$' && this.src[this.pos] === '{') {
        depth++;
        this.pos++;
      } else if (c === '}' && depth > 0) depth--;
    }
  }

  private skipRegex(): void {
    const start = this.pos++;
    let inClass = false;
    for (;;) {
      const c = this.src[this.pos++];
      if (c === undefined || c === '\n') this.fail(start, 'unterminated regular expression');
      if (c === '\\') this.pos++;
      else if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      else if (c === '/' && !inClass) break;
    }
    while (/[a-z]/.test(this.src[this.pos] ?? '')) this.pos++;
  }

  /** A TypeScript type after `as`/`satisfies`: a (dotted, generic) name or `const`. */
  private skipType(): void {
    this.skipSpace();
    if (!this.identifier()) this.fail(this.pos, 'expected a type');
    for (;;) {
      this.skipSpace();
      const c = this.src[this.pos];
      if (c === '.') {
        this.pos++;
        this.identifier();
      } else if (c === '<' || c === '[') {
        const close = c === '<' ? '>' : ']';
        let depth = 0;
        do {
          const d = this.src[this.pos++];
          if (d === undefined) this.fail(this.pos, 'unterminated type');
          if (d === c) depth++;
          else if (d === close) depth--;
        } while (depth > 0);
      } else return;
    }
  }

  private skipSpace(): void {
    for (;;) {
      const c = this.src[this.pos];
      if (c !== undefined && /\s/.test(c)) this.pos++;
      else if (c === '/' && this.src[this.pos + 1] === '/') {
        const nl = this.src.indexOf('\n', this.pos);
        this.pos = nl < 0 ? this.src.length : nl;
      } else if (c === '/' && this.src[this.pos + 1] === '*') {
        const end = this.src.indexOf('*/', this.pos + 2);
        if (end < 0) this.fail(this.pos, 'unterminated comment');
        this.pos = end + 2;
      } else return;
    }
  }
}

function containsUnreadable(v: unknown): boolean {
  if (v === UNREADABLE) return true;
  if (Array.isArray(v)) return v.some(containsUnreadable);
  if (isRecord(v)) return Object.values(v).some(containsUnreadable);
  return false;
}
