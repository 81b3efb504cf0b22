/**
 * User paths in pipeline files are relative to the pipeline's folder and may not leave it: a
 * pipeline shared with you must not read or overwrite files elsewhere on your machine.
 */
import path from 'node:path';
import { PipewiseError } from './errors';

/** Why `userPath` would leave `baseDir`, or undefined when it stays inside. */
export function pathEscape(baseDir: string, userPath: string): string | undefined {
  if (userPath.includes('\0')) return 'it contains a NUL character';
  const base = path.resolve(baseDir);
  const resolved = path.resolve(base, userPath);
  const rel = path.relative(base, resolved);
  if (rel === '') return undefined;
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    return path.isAbsolute(userPath) ? 'it is an absolute path outside the pipeline\'s folder' : 'it leaves the pipeline\'s folder through ..';
  }
  return undefined;
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
