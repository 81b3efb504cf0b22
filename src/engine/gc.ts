/**
 * Lineage-aware garbage collection (`pipewise gc FILE [--keep N] [--dry-run]`). An artifact stays
 * when any of these needs it:
 *
 * - the last N runs (default 5): every artifact their stages made, reused or read;
 * - every blessed model: the model an execution with a `BLESSED` output read (and that blessing);
 * - every pushed model: the model a Pusher execution pushed (and its pushed_model record).
 *
 * Everything else made by a complete execution is removed and marked `collected` in its
 * execution's record (the history stays; the cache never reuses it). Orphan folders go too, as
 * `doctor --fix` would remove them. Call with the store's lock held.
 */
import { folderBytes } from '../core/diskUsage';
import { DEFAULT_KEEP_RUNS, type GcReport } from '../protocol/store';
import { examineStore } from './doctor';
import type { ArtifactRecord, ExecutionRecord, Lineage } from './lineage';
import type { ArtifactStore } from './store';

export interface GcOptions {
  readonly keepRuns?: number;
  readonly dryRun?: boolean;
}

export { DEFAULT_KEEP_RUNS, type GcReport };

export async function collectGarbage(store: ArtifactStore, lineage: Lineage, options: GcOptions = {}): Promise<GcReport> {
  const keepRuns = options.keepRuns ?? DEFAULT_KEEP_RUNS;
  const dryRun = !!options.dryRun;
  const storeBytesBefore = await folderBytes(store.root);

  // Orphans first (they are not anyone's artifact); a store holding a symbolic link is refused whole.
  const check = await examineStore(store, lineage, { fix: false, refuseLinks: true });
  const orphans: { path: string; bytes: number }[] = [];
  for (const p of check.problems) if (p.kind === 'orphan-folder') orphans.push({ path: p.path, bytes: await folderBytes(p.path) });
  if (!dryRun && check.problems.length) await examineStore(store, lineage, { fix: true });

  const executions = await lineage.executions();
  const byId = new Map(executions.map((e) => [e.id, e]));
  const artifacts = new Map<string, ArtifactRecord>();
  for (const e of executions) if (e.state === 'complete') for (const a of e.outputs) if (a.executionId === e.id) artifacts.set(a.id, a);

  const keep = new Map<string, string>();
  const hold = (id: string, why: string): void => {
    if (!keep.has(id)) keep.set(id, why);
  };
  const runs = (await lineage.listRuns()).slice(0, keepRuns);
  for (const r of runs) {
    for (const s of r.stages) {
      const e = s.executionId ? byId.get(s.executionId) : undefined;
      if (!e) continue;
      for (const a of e.outputs) hold(a.id, `run ${r.id}`);
      for (const i of e.inputs) hold(i.artifactId, `run ${r.id}`);
    }
  }
  for (const e of executions) {
    if (e.state !== 'complete' && e.state !== 'cached') continue;
    if (e.outputs.some((a) => 'BLESSED' in a.files)) {
      for (const i of e.inputs) if (artifacts.get(i.artifactId)?.type === 'Model') hold(i.artifactId, `blessed by execution ${e.id}`);
      for (const a of e.outputs) if ('BLESSED' in a.files) hold(a.id, `blessing of execution ${e.id}`);
    }
    if (e.component === 'Pusher' && e.outputs.some((a) => pushed(a))) {
      for (const i of e.inputs) if (artifacts.get(i.artifactId)?.type === 'Model') hold(i.artifactId, `pushed by execution ${e.id}`);
      for (const a of e.outputs) if (pushed(a)) hold(a.id, `push record of execution ${e.id}`);
    }
  }

  const removed: { id: string; uri: string; bytes: number }[] = [];
  const marks = new Map<string, Record<string, { state: 'collected'; reason: string }>>();
  for (const e of executions) {
    if (e.state !== 'complete') continue;
    for (const a of e.outputs) {
      if (a.executionId !== e.id || keep.has(a.id) || e.artifactState?.[a.output]?.state === 'collected') continue;
      // The folder comes from the record's validated names (lineage.ts recordProblem), never its recorded path.
      removed.push({ id: a.id, uri: store.artifactUri(a.stage, a.executionId, a.output), bytes: await folderBytes(store.artifactUri(a.stage, a.executionId, a.output)) });
      const m = marks.get(e.id) ?? {};
      m[a.output] = { state: 'collected', reason: `pipewise gc --keep ${keepRuns}` };
      marks.set(e.id, m);
    }
  }
  if (!dryRun) {
    for (const [execId, m] of marks) {
      // Mark first: a kill between the two leaves a marked artifact with files (removed next time), never a live one without.
      await lineage.markArtifacts(execId, m);
      const e = byId.get(execId) as ExecutionRecord;
      for (const output of Object.keys(m)) await store.remove(store.artifactUri(e.stage, execId, output));
      await store.removeIfEmpty(store.executionDir(e.stage, execId));
    }
  }
  const bytesFreed = removed.reduce((n, r) => n + r.bytes, 0) + orphans.reduce((n, o) => n + o.bytes, 0);
  return {
    storeDir: store.root,
    dryRun,
    keptRuns: runs.length,
    kept: [...keep].filter(([id]) => artifacts.has(id)).map(([id, why]) => ({ id, why })),
    removed,
    orphans,
    bytesFreed,
    storeBytesBefore,
  };
}

function pushed(a: ArtifactRecord): boolean {
  return a.type === 'PushedModel' && a.properties?.version !== undefined;
}
