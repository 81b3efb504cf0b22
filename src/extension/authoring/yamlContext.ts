/**
 * Where the cursor is in a pipeline file, read from indentation alone: completion must work while
 * the file is half-typed and does not parse. Pure (no `vscode`); unit-tested.
 */

export interface YamlContext {
  /** Keys from the top down to the map the cursor is in, e.g. `['stages', 'train', 'params']`. */
  readonly path: readonly string[];
  /** `key`: the cursor is where a key is written; `value`: after `key:` (then `key` is that key). */
  readonly position: 'key' | 'value';
  readonly key?: string;
  /** The partial word before the cursor. */
  readonly prefix: string;
}

const KEY_LINE = /^(\s*)(?:-\s+)?([A-Za-z_][\w.-]*|"[^"]*"|'[^']*')\s*:(?:\s|$)/;

function unquote(k: string): string {
  return /^(["']).*\1$/.test(k) ? k.slice(1, -1) : k;
}

function indentOf(line: string): number {
  return /^\s*/.exec(line)?.[0].length ?? 0;
}

/** The keys of the block maps enclosing a line at `indent`, scanning upwards from line `row`. */
function ancestors(lines: readonly string[], row: number, indent: number): string[] {
  const path: string[] = [];
  let want = indent;
  for (let i = row - 1; i >= 0 && want > 0; i--) {
    const line = lines[i] ?? '';
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    const ind = indentOf(line);
    if (ind >= want) continue;
    const m = KEY_LINE.exec(line);
    if (m?.[2]) path.unshift(unquote(m[2]));
    want = ind;
  }
  return path;
}

export function yamlContextAt(text: string, offset: number): YamlContext {
  const before = text.slice(0, offset);
  const lines = before.split('\n');
  const row = lines.length - 1;
  const current = lines[row] ?? '';
  const prefix = /[\w./-]*$/.exec(current)?.[0] ?? '';
  const indent = indentOf(current);

  const m = KEY_LINE.exec(current);
  if (m?.[2]) {
    const key = unquote(m[2]);
    const rest = current.slice(m[0].length);
    // A flow map on this line: `inputs: { examples: exa|`.
    const brace = rest.lastIndexOf('{');
    if (brace >= 0 && rest.indexOf('}', brace) < 0) {
      const inner = rest.slice(brace + 1);
      const seg = inner.slice(Math.max(inner.lastIndexOf(','), -1) + 1);
      const colon = seg.indexOf(':');
      const path = [...ancestors(lines, row, indent), key];
      if (colon >= 0) return { path, position: 'value', key: seg.slice(0, colon).trim(), prefix };
      return { path, position: 'key', prefix };
    }
    return { path: ancestors(lines, row, indent), position: 'value', key, prefix };
  }
  return { path: ancestors(lines, row, indent), position: 'key', prefix };
}

/** The `component:` written directly under stage `stage` (found by text, so it works mid-edit). */
export function componentOfStage(text: string, stage: string): string | undefined {
  const lines = text.split('\n');
  let inStages = false;
  let stagesIndent = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const m = KEY_LINE.exec(line);
    if (!m?.[2]) continue;
    const ind = indentOf(line);
    if (!inStages) {
      if (ind === 0 && m[2] === 'stages') {
        inStages = true;
        stagesIndent = ind;
      }
      continue;
    }
    if (ind <= stagesIndent) return undefined;
    if (unquote(m[2]) !== stage) continue;
    const flow = /component\s*:\s*([^,}\s#]+)/.exec(line.slice(m[0].length));
    if (flow?.[1]) return flow[1];
    for (let j = i + 1; j < lines.length; j++) {
      const l = lines[j] ?? '';
      if (!l.trim() || l.trimStart().startsWith('#')) continue;
      if (indentOf(l) <= ind) break;
      const c = /^\s*component\s*:\s*([^\s#]+)/.exec(l);
      if (c?.[1]) return unquote(c[1]);
    }
    return undefined;
  }
  return undefined;
}
