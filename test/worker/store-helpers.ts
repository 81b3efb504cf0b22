/**
 * Helpers of the store tests. What they compare before and after: every entry of a tree, links not followed, as
 * `relative path → kind and content hash (or link target)`. Two equal hashes mean nothing in the
 * tree was deleted, added, renamed, rewritten or re-linked.
 */
import { createHash } from 'node:crypto';
import { cpSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
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

/** The tiny two-stage pipeline the store's tests run (user components from test/fixtures/engine, no DuckDB or TF.js). */
const fixtures = path.resolve(__dirname, '../fixtures/engine');

/** The pipeline's text, with a `store:` line when one is given. */
export function tinyPipeline(store?: string): string {
  return `pipeline: tiny
${store === undefined ? '' : `store: ${store}\n`}stages:
  numbers:
    component: ./components/emit_numbers.js
    params: { count: 4 }
  scaled:
    component: ./components/scale_numbers.js
    inputs: { examples: numbers.examples }
    params: { factor: 10 }
`;
}

/** Writes the components and `tiny.pipeline.yaml` (with `pipeline` as its text) into `dir`; returns the file. */
export function writeTinyProject(dir: string, pipeline = tinyPipeline()): string {
  mkdirSync(path.join(dir, 'components'), { recursive: true });
  for (const f of readdirSync(fixtures)) cpSync(path.join(fixtures, f), path.join(dir, 'components', f));
  const file = path.join(dir, 'tiny.pipeline.yaml');
  writeFileSync(file, pipeline);
  return file;
}
