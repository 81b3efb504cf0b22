/**
 * Whether a path parameter names something on disk: a file or folder that exists, or a glob
 * (`*`, `?`, `[…]`, `**`) that matches at least one file. Used by the validator to warn before a run;
 * synchronous and bounded (a glob walks at most 20,000 entries under its fixed prefix).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface FileLookup {
  exists(absPath: string): boolean;
  globMatches(absPattern: string): boolean;
}

export function isGlob(p: string): boolean {
  return /[*?[]/.test(p);
}

/** A glob as a regular expression over `/`-separated paths (`**` crosses folders, `*` does not). */
export function globRegExp(pattern: string): RegExp {
  let re = '';
  const p = pattern.replace(/\\/g, '/');
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    if (c === '*' && p[i + 1] === '*') {
      re += p[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += p[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = p.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${p.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const WALK_LIMIT = 20_000;

export const localFiles: FileLookup = {
  exists: (absPath) => fs.existsSync(absPath),
  globMatches(absPattern) {
    const parts = absPattern.replace(/\\/g, '/').split('/');
    const fixed: string[] = [];
    for (const part of parts) {
      if (isGlob(part)) break;
      fixed.push(part);
    }
    const root = fixed.join('/') || '/';
    const re = globRegExp(absPattern.replace(/\\/g, '/'));
    let seen = 0;
    const stack = [root];
    while (stack.length) {
      const dir = stack.pop() as string;
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        // Past the bound, assume it matches: a warning must never be a false alarm.
        if (++seen > WALK_LIMIT) return true;
        const full = path.posix.join(dir.replace(/\\/g, '/'), e.name);
        if (e.isDirectory()) stack.push(full);
        else if (re.test(full)) return true;
      }
    }
    return false;
  },
};
