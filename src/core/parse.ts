/**
 * `*.pipeline.yaml` text → PipelineSpec, keeping the source range of every node so that each error
 * points at `FILE:LINE:COL`. This stage only checks the file's shape (a map of stages, each with a
 * component, inputs and params); what the components accept is checked in `validate.ts`.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode, type Pair, type YAMLMap } from 'yaml';
import type { InputRef, PipelineSpec, SourceRange, SpecDiagnostic, StageSpec } from './spec';
import { errorMessage } from './errors';

export const TOP_LEVEL_KEYS = ['pipeline', 'description', 'store', 'stages'] as const;
export const STAGE_KEYS = ['component', 'description', 'inputs', 'params'] as const;

/** A path inside a stage's body: `['params', 'hidden_units', 1]`. */
export type NodePath = readonly PropertyKey[];

export interface ParsedPipeline {
  readonly file: string;
  readonly text: string;
  /** Undefined only when the file is not a map of stages at all. */
  readonly spec: PipelineSpec | undefined;
  /** Syntax and shape problems (validation adds its own in `validate.ts`). */
  readonly diagnostics: readonly SpecDiagnostic[];
  /** The range of the value at `path` inside a stage's body, or of the nearest node that exists. */
  locate(stage: string, path: NodePath): SourceRange | undefined;
  /** The range of the key `key` of the map at `path` inside a stage (for unknown keys). */
  locateKey(stage: string, path: NodePath, key: string): SourceRange | undefined;
  rangeAt(offset: number, endOffset?: number): SourceRange;
}

/** A pipeline file is a page or two of YAML; far larger is a mistake (or an attack on the parser). */
export const MAX_PIPELINE_BYTES = 1024 * 1024;
/**
 * Anchors and aliases (`label: &label species` … `label: *label`) are fine; this many alias uses in
 * one file, or a params value whose aliases expand past this many nodes ("billion laughs"), is not.
 */
export const MAX_ALIASES = 100;

const INPUT_REF = /^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)$/;

export function parsePipeline(text: string, file: string): ParsedPipeline {
  if (text.length * 3 > MAX_PIPELINE_BYTES && utf8Length(text) > MAX_PIPELINE_BYTES) return tooLarge(text, file);
  return new PipelineReader(text, file).read();
}

/** The top-level keys as read. */
interface TopLevel {
  readonly name: string;
  readonly store: string;
  readonly storeRange: SourceRange | undefined;
  readonly stagesNode: YAMLMap | undefined;
}

/** One parse of one file: the YAML document, the diagnostics found so far, and the stage bodies for `locate`. */
class PipelineReader {
  private readonly lineCounter = new LineCounter();
  private readonly doc: Document;
  private readonly diagnostics: SpecDiagnostic[] = [];
  private readonly stageNodes = new Map<string, YAMLMap>();

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lineCounter, keepSourceTokens: true, uniqueKeys: true, prettyErrors: false, strict: true });
  }

  read(): ParsedPipeline {
    this.reportYamlProblems();
    // With a syntax error the tree is unreliable: report the syntax errors alone.
    if (this.diagnostics.some((d) => d.code === 'yaml-syntax')) return this.result(undefined);
    if (!this.aliasesWithinLimit()) return this.result(undefined);
    const root = this.doc.contents;
    if (!isMap(root)) {
      this.error(this.rangeOf(root), 'not-a-pipeline', 'a pipeline file is a map with `pipeline:` and `stages:`');
      return this.result(undefined);
    }
    const { name, store, storeRange, stagesNode } = this.readTopLevel(root);
    const stages = stagesNode ? this.readStages(stagesNode) : [];
    return this.result({ file: this.file, name, stages, store, storeRange });
  }

  private readonly rangeAt = (from: number, to = from): SourceRange => {
    // The YAML parser may point one past the end of the text (an unterminated quote): clamp into the file.
    const offset = Math.max(0, Math.min(from, this.text.length));
    const endOffset = Math.max(offset, Math.min(to, this.text.length));
    const s = this.lineCounter.linePos(offset);
    const e = this.lineCounter.linePos(endOffset);
    return { start: { line: s.line, col: s.col, offset }, end: { line: e.line, col: e.col, offset: endOffset } };
  };

  private rangeOf(n: YamlNode | null | undefined): SourceRange {
    return n?.range ? this.rangeAt(n.range[0], n.range[1]) : this.rangeAt(0);
  }

  private error(range: SourceRange, code: string, message: string): void {
    this.diagnostics.push({ file: this.file, range, severity: 'error', message, code });
  }

  /** The parser's errors and warnings. After the first syntax error its further complaints are mostly echoes of it. */
  private reportYamlProblems(): void {
    let syntaxReported = false;
    for (const e of this.doc.errors) {
      if (e.code !== 'DUPLICATE_KEY') {
        if (syntaxReported) continue;
        syntaxReported = true;
      }
      const duplicate = e.code === 'DUPLICATE_KEY';
      const message = duplicate ? `duplicate key '${keyTextAt(this.text, e.pos[0])}' (each key may appear once in a map)` : e.message;
      this.error(this.rangeAt(e.pos[0], e.pos[1]), duplicate ? 'duplicate-key' : 'yaml-syntax', message);
    }
    for (const w of this.doc.warnings) {
      this.diagnostics.push({ file: this.file, range: this.rangeAt(w.pos[0], w.pos[1]), severity: 'warning', message: w.message, code: 'yaml-warning' });
    }
  }

  /** Counts alias uses (and remembers their document for `locate`); past MAX_ALIASES it is an error. */
  private aliasesWithinLimit(): boolean {
    let aliases = 0;
    const doc = this.doc;
    visit(doc, {
      Alias: (_key, node) => {
        docOf.set(node, doc);
        if (++aliases <= MAX_ALIASES) return undefined;
        this.error(this.rangeOf(node), 'too-many-aliases', `more than ${MAX_ALIASES} aliases (*name) in one pipeline file: write the values out`);
        return visit.BREAK;
      },
    });
    return aliases <= MAX_ALIASES;
  }

  private readTopLevel(root: YAMLMap): TopLevel {
    let name = '';
    let store = '.pipewise';
    let storeRange: SourceRange | undefined;
    let stagesNode: YAMLMap | undefined;
    for (const pair of root.items) {
      const key = scalarText(pair.key);
      const value = deref(this.doc, pair.value as YamlNode | null);
      const where = this.rangeOf(value ?? (pair.key as YamlNode));
      switch (key) {
        case 'pipeline':
          if (isScalar(value) && typeof value.value === 'string' && value.value) name = value.value;
          else this.error(where, 'invalid-value', '`pipeline:` must be a name (a string)');
          break;
        case 'description':
          break;
        case 'store':
          if (isScalar(value) && typeof value.value === 'string' && value.value) {
            store = value.value;
            storeRange = this.rangeOf(value);
          } else this.error(where, 'invalid-value', '`store:` must be a folder path (a string)');
          break;
        case 'stages':
          if (isMap(value)) stagesNode = value;
          else this.error(where, 'invalid-value', '`stages:` must be a map of stage name → stage');
          break;
        default:
          this.error(this.rangeOf(pair.key as YamlNode), 'unknown-key', `unknown key '${key}' at the top level (expected one of: ${TOP_LEVEL_KEYS.join(', ')})`);
      }
    }
    const start = this.rangeAt(root.range?.[0] ?? 0);
    if (!name && !root.items.some((p) => scalarText(p.key) === 'pipeline')) this.error(start, 'missing-key', "missing `pipeline:` (the pipeline's name)");
    if (!stagesNode && !root.items.some((p) => scalarText(p.key) === 'stages')) this.error(start, 'missing-key', 'missing `stages:`');
    return { name, store, storeRange, stagesNode };
  }

  private readStages(stagesNode: YAMLMap): StageSpec[] {
    const stages: StageSpec[] = [];
    const seen = new Set<string>();
    for (const pair of stagesNode.items) {
      const stageName = scalarText(pair.key);
      if (stageName === undefined) {
        this.error(this.rangeOf(pair.key as YamlNode), 'invalid-key', 'a stage name must be a plain string');
        continue;
      }
      if (seen.has(stageName)) continue; // already reported as a duplicate key
      seen.add(stageName);
      const body = deref(this.doc, pair.value as YamlNode | null);
      if (!isMap(body)) {
        this.error(this.rangeOf(body ?? (pair.key as YamlNode)), 'invalid-value', `stage '${stageName}' must be a map with \`component:\``);
        continue;
      }
      this.stageNodes.set(stageName, body);
      const stage = this.readStage(stageName, pair, body);
      if (stage) stages.push(stage);
    }
    return stages;
  }

  private readStage(stageName: string, pair: Pair, body: YAMLMap): StageSpec | undefined {
    let component: string | undefined;
    let componentRange: SourceRange | undefined;
    let inputs: Record<string, InputRef> = {};
    let params: Record<string, unknown> = {};
    let paramRanges: Record<string, SourceRange> = {};
    for (const item of body.items) {
      const key = scalarText(item.key);
      const value = deref(this.doc, item.value as YamlNode | null);
      const empty = value === null || (isScalar(value) && value.value === null);
      switch (key) {
        case 'component':
          if (isScalar(value) && typeof value.value === 'string' && value.value) {
            component = value.value;
            componentRange = this.rangeOf(value);
          } else this.error(this.rangeOf(value ?? (item.key as YamlNode)), 'invalid-value', `stage '${stageName}': \`component:\` must be a component name or a path to a module`);
          break;
        case 'description':
          break;
        case 'inputs':
          if (!empty) inputs = this.readInputs(stageName, value);
          break;
        case 'params':
          if (!empty) ({ params, paramRanges } = this.readParams(stageName, value) ?? { params, paramRanges });
          break;
        default:
          this.error(this.rangeOf(item.key as YamlNode), 'unknown-key', `stage '${stageName}': unknown key '${key}' (expected one of: ${STAGE_KEYS.join(', ')})`);
      }
    }
    if (!component) {
      if (!body.items.some((i) => scalarText(i.key) === 'component')) this.error(this.rangeOf(pair.key as YamlNode), 'missing-key', `stage '${stageName}' has no \`component:\``);
      return undefined;
    }
    return { name: stageName, component, inputs, params, range: this.rangeOf(pair.key as YamlNode), bodyRange: this.rangeOf(body), componentRange, paramRanges };
  }

  /** `inputs: { name: <stage>.<output>, … }`; a value not written that way is an error at the value. */
  private readInputs(stageName: string, value: YamlNode | null): Record<string, InputRef> {
    const inputs: Record<string, InputRef> = {};
    if (!isMap(value)) {
      this.error(this.rangeOf(value), 'invalid-value', `stage '${stageName}': \`inputs:\` must be a map of input name → <stage>.<output>`);
      return inputs;
    }
    for (const inp of value.items) {
      const inputName = scalarText(inp.key);
      const v = deref(this.doc, inp.value as YamlNode | null);
      if (inputName === undefined) continue;
      const textValue = isScalar(v) && typeof v.value === 'string' ? v.value : undefined;
      const m = textValue !== undefined ? INPUT_REF.exec(textValue) : null;
      if (!m || textValue === undefined) {
        this.error(this.rangeOf(v ?? (inp.key as YamlNode)), 'invalid-input', `stage '${stageName}': input '${inputName}' must be written <stage>.<output>, got ${describeNode(v)}`);
        continue;
      }
      inputs[inputName] = { text: textValue, stage: m[1] as string, output: m[2] as string, range: this.rangeOf(v) };
    }
    return inputs;
  }

  /** `params:` as plain values (aliases expanded, within MAX_ALIASES nodes) and each parameter's range; undefined when unusable. */
  private readParams(stageName: string, value: YamlNode | null): { params: Record<string, unknown>; paramRanges: Record<string, SourceRange> } | undefined {
    if (!isMap(value)) {
      this.error(this.rangeOf(value), 'invalid-value', `stage '${stageName}': \`params:\` must be a map of parameter → value`);
      return undefined;
    }
    let params: Record<string, unknown>;
    try {
      params = (value.toJS(this.doc, { maxAliasCount: MAX_ALIASES }) ?? {}) as Record<string, unknown>;
    } catch (e) {
      this.error(this.rangeOf(value), 'too-many-aliases', `stage '${stageName}': \`params:\` expands its aliases past ${MAX_ALIASES} nodes (${errorMessage(e)}): write the values out`);
      return undefined;
    }
    const paramRanges: Record<string, SourceRange> = {};
    for (const p of value.items) {
      const pn = scalarText(p.key);
      if (pn !== undefined) paramRanges[pn] = this.rangeOf((p.value as YamlNode | null) ?? (p.key as YamlNode));
    }
    return { params, paramRanges };
  }

  private result(spec: PipelineSpec | undefined): ParsedPipeline {
    const { file, text, diagnostics, stageNodes, rangeAt } = this;
    const rangeOf = (n: YamlNode | null | undefined): SourceRange => this.rangeOf(n);
    return {
      file,
      text,
      spec,
      diagnostics,
      rangeAt,
      locate(stage, path) {
        const body = stageNodes.get(stage);
        if (!body) return undefined;
        let node: unknown = body;
        for (const p of path) {
          const next = child(node, p);
          if (next === undefined) break;
          node = next;
        }
        return rangeOf(node as YamlNode);
      },
      locateKey(stage, path, key) {
        const body = stageNodes.get(stage);
        if (!body) return undefined;
        let node: unknown = body;
        for (const p of path) {
          node = child(node, p);
          if (node === undefined) return undefined;
        }
        if (!isMap(node)) return rangeOf(node as YamlNode);
        const pair = node.items.find((it) => scalarText(it.key) === key);
        return pair ? rangeOf(pair.key as YamlNode) : rangeOf(node);
      },
    };
  }
}

function scalarText(n: unknown): string | undefined {
  if (isScalar(n) && (typeof n.value === 'string' || typeof n.value === 'number')) return String(n.value);
  return undefined;
}

function child(node: unknown, key: PropertyKey): unknown {
  if (isAlias(node)) node = node.resolve(docOf.get(node) as Document) ?? node;
  if (isMap(node)) {
    const pair = node.items.find((it) => isPair(it) && scalarText(it.key) === String(key));
    return pair ? (pair.value ?? pair.key) : undefined;
  }
  if (isSeq(node) && typeof key === 'number') return node.items[key];
  return undefined;
}

function describeNode(n: YamlNode | null): string {
  if (n === null) return 'nothing';
  if (isScalar(n)) return JSON.stringify(n.value);
  return isMap(n) ? 'a map' : 'a list';
}

/** The key written at `offset` (the parser's error range covers only its first character). */
function keyTextAt(text: string, offset: number): string {
  return /^[^:\n,{}]*/.exec(text.slice(offset))?.[0]?.trim() ?? '';
}

/** The documents of aliases, for `child` (which walks nodes without their document). */
const docOf = new WeakMap<object, Document>();

/** The node an alias (`*name`) stands for; any other node as it is. */
function deref(doc: Document, n: YamlNode | null): YamlNode | null {
  if (!isAlias(n)) return n;
  docOf.set(n, doc);
  return (n.resolve(doc) as YamlNode | undefined) ?? n;
}

function tooLarge(text: string, file: string): ParsedPipeline {
  const range: SourceRange = { start: { line: 1, col: 1, offset: 0 }, end: { line: 1, col: 1, offset: 0 } };
  const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;
  const message = `the pipeline file is ${mb(utf8Length(text))}; a pipeline file may be at most ${mb(MAX_PIPELINE_BYTES)} (put data in data files, not in the pipeline)`;
  return {
    file,
    text,
    spec: undefined,
    diagnostics: [{ file, range, severity: 'error', message, code: 'too-large' }],
    locate: () => undefined,
    locateKey: () => undefined,
    rangeAt: () => range,
  };
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}
