/**
 * What the store tests compare before and after: every entry of a tree, links not followed, as
 * `relative path → kind and content hash (or link target)`. Two equal hashes mean nothing in the
 * tree was deleted, added, renamed, rewritten or re-linked.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export function hashTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (abs: string, rel: string): void => {
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) out[rel] = `link → ${readlinkSync(abs)}`;
    else if (st.isDirectory()) {
      out[rel] = 'folder';
      for (const name of readdirSync(abs).sort()) walk(path.join(abs, name), rel ? `${rel}/${name}` : name);
    } else out[rel] = `file ${createHash('sha256').update(readFileSync(abs)).digest('hex')} mode ${(st.mode & 0o777).toString(8)}`;
  };
  walk(dir, '');
  return out;
}
