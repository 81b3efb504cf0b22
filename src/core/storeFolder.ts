/**
 * The store is a folder of its own: Pipewise's recovery and clean-up remove what they find there,
 * so a `store:` naming the pipeline's folder, a folder containing it, or a folder of the user's
 * would put the user's files within their reach. A store is recognised by its marker file,
 * written when the store is created; a store made by an older Pipewise (before the marker) is
 * recognised by its layout, and marked when next opened for writing. `validate` (at the `store:`
 * line) and every writer of the store (run, doctor, gc) apply this one rule.
 */
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { realPathOf } from './paths';

/** The file in a store's root that says Pipewise made the folder. */
export const STORE_MARKER = 'pipewise-store.json';

/** What the marker holds (the layout may change one day; the marker will say which). */
export const STORE_MARKER_CONTENT = `${JSON.stringify({ pipewise: 'store', layout: 1, about: 'Made by Pipewise: its artifacts, temporary outputs and lineage. Pipewise may remove what it made in here.' }, null, 1)}\n`;

/** Everything a store made before the marker holds at its top level. */
const PRE_MARKER_LAYOUT = new Set(['artifacts', 'tmp', 'metadata', 'lock', 'lock.takeover']);

/** The marker half-written by a process killed while writing it (`writeFileAtomic`'s temporary name). */
export const STRAY_MARKER = /^pipewise-store\.json\.\d+\.[0-9a-f]+\.tmp$/;

/**
 * Why `storeDir` (absolute) cannot be the store of a pipeline in `pipelineDir`, or undefined when
 * it can: it does not exist yet, is empty, has the marker, or has the layout of an older store.
 */
export function storeFolderProblem(pipelineDir: string, storeDir: string): string | undefined {
  const realPipeline = realPathOf(path.resolve(pipelineDir));
  const realStore = realPathOf(path.resolve(storeDir));
  if (realStore === realPipeline) return "it is the pipeline's own folder; the store needs a folder of its own, such as .pipewise";
  const rel = path.relative(realStore, realPipeline);
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) return "it contains the pipeline's folder; the store needs a folder of its own, such as .pipewise";
  let st: ReturnType<typeof lstatSync> | undefined;
  try {
    st = lstatSync(realStore);
  } catch {
    return undefined; // not there yet: created (and marked) by the first run
  }
  if (!st.isDirectory()) return 'it is a file, not a folder';
  let entries: string[];
  try {
    entries = readdirSync(realStore);
  } catch (e) {
    return `it cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
  }
  if (entries.length === 0 || entries.includes(STORE_MARKER)) return undefined;
  if (isPreMarkerStore(realStore, entries)) return undefined;
  return `the folder ${realStore} has content but no Pipewise store marker (${STORE_MARKER}); the store needs a folder of its own: name a new or empty folder`;
}

/**
 * A store made by a Pipewise older than the marker: only the store's own entries, and its lineage
 * folder (or only a lock: a first run stopped before it wrote anything else).
 */
function isPreMarkerStore(dir: string, entries: readonly string[]): boolean {
  if (!entries.every((e) => PRE_MARKER_LAYOUT.has(e) || STRAY_MARKER.test(e))) return false;
  if (entries.every((e) => e === 'lock' || e === 'lock.takeover' || STRAY_MARKER.test(e))) return true;
  if (!entries.includes('metadata')) return false;
  try {
    return lstatSync(path.join(dir, 'metadata')).isDirectory();
  } catch {
    return false;
  }
}
