/**
 * Where a pipeline's store is and how much disk it takes: read-only file work that the editor (the
 * Runs view's store sizes), the engine (gc, doctor) and the CLI share.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { confinePath } from './paths';

/** The store folder of a pipeline file (its `store:` setting, default `.pipewise`), confined to the pipeline's folder. */
export function storeDirOf(pipelineFile: string, store = '.pipewise'): string {
  return confinePath(path.dirname(path.resolve(pipelineFile)), store, 'store');
}

/** Bytes under a path (files and folders, links not followed); 0 when it does not exist. */
export async function folderBytes(p: string): Promise<number> {
  const st = await fs.lstat(p).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const name of await fs.readdir(p).catch(() => [] as string[])) n += await folderBytes(path.join(p, name));
  return n;
}

/** "72 KiB", "1.4 GiB": binary units, three significant figures at most. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
