/**
 * User paths in pipeline files are relative to the pipeline's folder and may not leave it: a
 * pipeline shared with you must not read or overwrite files elsewhere on your machine. The check is
 * made on the text (`..`, absolute paths) and then on the real path, with every symbolic link of
 * the path and of its parents resolved (a dangling link too, since writing through it would create
 * its target), so that a link inside the folder cannot lead out of it, for reading or for writing.
 */
import { lstatSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { PipewiseError } from './errors';

/** Why `userPath` would leave `baseDir`, or undefined when it stays inside. */
export function pathEscape(baseDir: string, userPath: string): string | undefined {
  if (userPath.includes('\0')) return 'it contains a NUL character';
  const base = path.resolve(baseDir);
  const resolved = path.resolve(base, userPath);
  const rel = path.relative(base, resolved);
  if (rel !== '' && (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel))) {
    return path.isAbsolute(userPath) ? 'it is an absolute path outside the pipeline\'s folder' : 'it leaves the pipeline\'s folder through ..';
  }
  return realEscape(base, hasGlob(resolved) ? staticPrefix(resolved) : resolved);
}

/**
 * `userPath` made absolute against `baseDir`, or a PipewiseError naming the parameter and the
 * value when it would leave that folder.
 */
export function confinePath(baseDir: string, userPath: string, param: string): string {
  const why = pathEscape(baseDir, userPath);
  if (why) {
    throw new PipewiseError(`parameter '${param}': path ${JSON.stringify(userPath)} is refused: ${why} (${path.resolve(baseDir)})`, {
      code: 'path-escape',
    });
  }
  return path.resolve(baseDir, userPath);
}

/** A `component:` value that names a module by path rather than a built-in component. */
export function isUserComponentRef(component: string): boolean {
  return /^\.{1,2}[\\/]/.test(component) || /\.(c|m)?(j|t)s$/.test(component) || path.isAbsolute(component);
}

export function hasGlob(p: string): boolean {
  return /[*?[]/.test(p);
}

/** The real path of `p`: links resolved, also a dangling one and those of folders not there yet. */
export function realPathOf(p: string, hops = 0): string {
  if (hops > 40) throw new PipewiseError(`too many levels of symbolic links at ${p}`, { code: 'path-escape' });
  try {
    return realpathSync.native(p);
  } catch {
    const st = lstatOf(p);
    if (st?.isSymbolicLink()) return realPathOf(path.resolve(path.dirname(p), readlinkSync(p)), hops + 1);
    const parent = path.dirname(p);
    if (parent === p) return p;
    return path.join(realPathOf(parent, hops), path.basename(p));
  }
}

/** Why the real path of `absPath` is outside the real `base`, or undefined. */
function realEscape(base: string, absPath: string): string | undefined {
  const realBase = realPathOf(base);
  const real = realPathOf(absPath);
  if (isInside(realBase, real)) return undefined;
  return `it leads through a symbolic link to ${real}, outside the pipeline's folder`;
}

function isInside(base: string, p: string): boolean {
  const rel = path.relative(base, p);
  return rel === '' || !(rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel));
}

function lstatOf(p: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

/** The folders of `pattern` before its first segment with a glob character. */
function staticPrefix(pattern: string): string {
  const parts = pattern.split(path.sep);
  const i = parts.findIndex(hasGlob);
  return parts.slice(0, i < 0 ? parts.length : i).join(path.sep) || path.sep;
}

/**
 * For a glob under `baseDir`: the first file or folder it would reach whose real path is outside
 * `baseDir` (a link met while walking the pattern's folders), as `[path, why]`, or undefined. The
 * walk is bounded; the reader checks every match again when the stage runs.
 */
export function globEscape(baseDir: string, pattern: string, limit = 20_000): [string, string] | undefined {
  const base = path.resolve(baseDir);
  const abs = path.resolve(base, pattern);
  if (!hasGlob(abs)) return undefined;
  const prefix = staticPrefix(abs);
  const segments = path.relative(prefix, abs).split(path.sep).map(globSegment);
  const realBase = realPathOf(base);
  let seen = 0;
  const walk = (dir: string, rest: readonly (RegExp | '**')[]): [string, string] | undefined => {
    if (rest.length === 0 || ++seen > limit) return undefined;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return undefined;
    }
    const [seg, ...tail] = rest as [RegExp | '**', ...(RegExp | '**')[]];
    for (const name of names) {
      const p = path.join(dir, name);
      const matches = seg === '**' || seg.test(name);
      if (!matches) continue;
      const real = realPathOf(p);
      if (!isInside(realBase, real)) return [p, `it leads through a symbolic link to ${real}, outside the pipeline's folder`];
      const st = lstatOf(p);
      if (st?.isDirectory()) {
        const found = (seg === '**' ? walk(p, rest) : undefined) ?? walk(p, tail);
        if (found) return found;
      }
    }
    return seg === '**' ? walk(dir, tail) : undefined;
  };
  return walk(prefix, segments);
}

/** One path segment of a glob as a regular expression (`**` kept as is). */
function globSegment(seg: string): RegExp | '**' {
  if (seg === '**') return '**';
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${seg.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
