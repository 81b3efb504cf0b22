/**
 * `*.pipeline.yaml` text → PipelineSpec, keeping the source range of every node so that each error
 * points at `FILE:LINE:COL`. This stage only checks the file's shape (a map of stages, each with a
 * component, inputs and params); what the components accept is checked in `validate.ts`.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode, type Pair, type YAMLMap } from 'yaml';
import type { InputRef, PipelineSpec, SourceRange, SpecDiagnostic, StageSpec } from './spec';

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

const INPUT_REF = /^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)$/;

export function parsePipeline(text: string, file: string): ParsedPipeline {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: true, uniqueKeys: true, prettyErrors: false, strict: true });
  const diagnostics: SpecDiagnostic[] = [];

  const rangeAt = (from: number, to = from): SourceRange => {
    // The YAML parser may point one past the end of the text (an unterminated quote): clamp into the file.
    const offset = Math.max(0, Math.min(from, text.length));
    const endOffset = Math.max(offset, Math.min(to, text.length));
    const s = lineCounter.linePos(offset);
    const e = lineCounter.linePos(endOffset);
    return { start: { line: s.line, col: s.col, offset }, end: { line: e.line, col: e.col, offset: endOffset } };
  };
  const rangeOf = (n: YamlNode | null | undefined): SourceRange => (n?.range ? rangeAt(n.range[0], n.range[1]) : rangeAt(0));
  const error = (range: SourceRange, code: string, message: string): void => {
    diagnostics.push({ file, range, severity: 'error', message, code });
  };

  // After the first syntax error the parser's further complaints are mostly echoes of it.
  let syntaxReported = false;
  for (const e of doc.errors) {
    if (e.code !== 'DUPLICATE_KEY') {
      if (syntaxReported) continue;
      syntaxReported = true;
    }
    const code = e.code === 'DUPLICATE_KEY' ? 'duplicate-key' : 'yaml-syntax';
    let message = e.message;
    if (e.code === 'DUPLICATE_KEY') {
      const key = keyTextAt(text, e.pos[0]);
      message = `duplicate key '${key}' (each key may appear once in a map)`;
    }
    error(rangeAt(e.pos[0], e.pos[1]), code, message);
  }
  for (const w of doc.warnings) {
    diagnostics.push({ file, range: rangeAt(w.pos[0], w.pos[1]), severity: 'warning', message: w.message, code: 'yaml-warning' });
  }

  const stageNodes = new Map<string, YAMLMap>();
  const result = (spec: PipelineSpec | undefined): ParsedPipeline => ({
    file,
    text,
    spec,
    diagnostics,
    rangeAt,
    locate(stage, path) {
      const body = stageNodes.get(stage);
      if (!body) return undefined;
      let node: unknown = body;
      let last: unknown = body;
      for (const p of path) {
        const next = child(node, p);
        if (next === undefined) break;
        node = next;
        last = next;
      }
      return rangeOf(last as YamlNode);
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
  });

  // With a syntax error the tree is unreliable: report the syntax errors alone.
  if (diagnostics.some((d) => d.code === 'yaml-syntax')) return result(undefined);

  const root = doc.contents;
  if (!isMap(root)) {
    error(rangeOf(root), 'not-a-pipeline', 'a pipeline file is a map with `pipeline:` and `stages:`');
    return result(undefined);
  }

  let name = '';
  let store = '.pipewise';
  let stagesNode: YAMLMap | undefined;
  for (const pair of root.items) {
    const key = scalarText(pair.key);
    const value = pair.value as YamlNode | null;
    switch (key) {
      case 'pipeline':
        if (isScalar(value) && typeof value.value === 'string' && value.value) name = value.value;
        else error(rangeOf(value ?? (pair.key as YamlNode)), 'invalid-value', '`pipeline:` must be a name (a string)');
        break;
      case 'description':
        break;
      case 'store':
        if (isScalar(value) && typeof value.value === 'string' && value.value) store = value.value;
        else error(rangeOf(value ?? (pair.key as YamlNode)), 'invalid-value', '`store:` must be a folder path (a string)');
        break;
      case 'stages':
        if (isMap(value)) stagesNode = value;
        else error(rangeOf(value ?? (pair.key as YamlNode)), 'invalid-value', '`stages:` must be a map of stage name → stage');
        break;
      default:
        error(rangeOf(pair.key as YamlNode), 'unknown-key', `unknown key '${key}' at the top level (expected one of: ${TOP_LEVEL_KEYS.join(', ')})`);
    }
  }
  if (!name) {
    const hasKey = root.items.some((p) => scalarText(p.key) === 'pipeline');
    if (!hasKey) error(rangeAt(root.range?.[0] ?? 0), 'missing-key', 'missing `pipeline:` (the pipeline\'s name)');
  }
  if (!stagesNode) {
    if (!root.items.some((p) => scalarText(p.key) === 'stages')) error(rangeAt(root.range?.[0] ?? 0), 'missing-key', 'missing `stages:`');
    return result({ file, name, stages: [], store });
  }

  const stages: StageSpec[] = [];
  const seen = new Set<string>();
  for (const pair of stagesNode.items) {
    const stageName = scalarText(pair.key);
    const keyRange = rangeOf(pair.key as YamlNode);
    if (stageName === undefined) {
      error(keyRange, 'invalid-key', 'a stage name must be a plain string');
      continue;
    }
    if (seen.has(stageName)) continue; // already reported as a duplicate key
    seen.add(stageName);
    const body = pair.value as YamlNode | null;
    if (!isMap(body)) {
      error(rangeOf(body ?? (pair.key as YamlNode)), 'invalid-value', `stage '${stageName}' must be a map with \`component:\``);
      continue;
    }
    stageNodes.set(stageName, body);
    const stage = parseStage(stageName, pair, body);
    if (stage) stages.push(stage);
  }
  return result({ file, name, stages, store });

  function parseStage(stageName: string, pair: Pair, body: YAMLMap): StageSpec | undefined {
    let component: string | undefined;
    let componentRange: SourceRange | undefined;
    const inputs: Record<string, InputRef> = {};
    let params: Record<string, unknown> = {};
    const paramRanges: Record<string, SourceRange> = {};
    for (const item of body.items) {
      const key = scalarText(item.key);
      const value = item.value as YamlNode | null;
      switch (key) {
        case 'component':
          if (isScalar(value) && typeof value.value === 'string' && value.value) {
            component = value.value;
            componentRange = rangeOf(value);
          } else error(rangeOf(value ?? (item.key as YamlNode)), 'invalid-value', `stage '${stageName}': \`component:\` must be a component name or a path to a module`);
          break;
        case 'description':
          break;
        case 'inputs':
          if (value === null || (isScalar(value) && value.value === null)) break;
          if (!isMap(value)) {
            error(rangeOf(value), 'invalid-value', `stage '${stageName}': \`inputs:\` must be a map of input name → <stage>.<output>`);
            break;
          }
          for (const inp of value.items) {
            const inputName = scalarText(inp.key);
            const v = inp.value as YamlNode | null;
            if (inputName === undefined) continue;
            const textValue = isScalar(v) && typeof v.value === 'string' ? v.value : undefined;
            const m = textValue !== undefined ? INPUT_REF.exec(textValue) : null;
            if (!m || textValue === undefined) {
              error(rangeOf(v ?? (inp.key as YamlNode)), 'invalid-input', `stage '${stageName}': input '${inputName}' must be written <stage>.<output>, got ${describeNode(v)}`);
              continue;
            }
            inputs[inputName] = { text: textValue, stage: m[1] as string, output: m[2] as string, range: rangeOf(v) };
          }
          break;
        case 'params':
          if (value === null || (isScalar(value) && value.value === null)) break;
          if (!isMap(value)) {
            error(rangeOf(value), 'invalid-value', `stage '${stageName}': \`params:\` must be a map of parameter → value`);
            break;
          }
          params = (value.toJSON() ?? {}) as Record<string, unknown>;
          for (const p of value.items) {
            const pn = scalarText(p.key);
            if (pn !== undefined) paramRanges[pn] = rangeOf((p.value as YamlNode | null) ?? (p.key as YamlNode));
          }
          break;
        default:
          error(rangeOf(item.key as YamlNode), 'unknown-key', `stage '${stageName}': unknown key '${key}' (expected one of: ${STAGE_KEYS.join(', ')})`);
      }
    }
    if (!component) {
      if (!body.items.some((i) => scalarText(i.key) === 'component')) {
        error(rangeOf(pair.key as YamlNode), 'missing-key', `stage '${stageName}' has no \`component:\``);
      }
      return undefined;
    }
    return {
      name: stageName,
      component,
      inputs,
      params,
      range: rangeOf(pair.key as YamlNode),
      bodyRange: rangeOf(body),
      componentRange,
      paramRanges,
    };
  }
}

function scalarText(n: unknown): string | undefined {
  if (isScalar(n) && (typeof n.value === 'string' || typeof n.value === 'number')) return String(n.value);
  return undefined;
}

function child(node: unknown, key: PropertyKey): unknown {
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
