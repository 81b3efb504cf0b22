/**
 * Lineage-aware garbage collection (`pipewise gc FILE [--keep N] [--dry-run]`). Only the artifacts
 * made by this pipeline's executions are candidates (a folder's pipelines share one store; each
 * cleans up its own). An artifact stays when any of these needs it:
 *
 * - the last N runs (default 5) of each pipeline in the store: every artifact their stages made,
 *   reused or read;
 * - every starred run (`Lineage.annotateRun`), however old: the same artifacts;
 * - every blessed model (the model an execution with a `BLESSED` output read, and that blessing)
 *   and every pushed model (the model a Pusher execution pushed, and its pushed_model record);
 * - everything such a kept model's lineage reaches: upstream, every artifact it was made from (its
 *   transform, examples, the statistics and schema monitoring compares against), and downstream,
 *   the evaluations and blessings of executions that read it.
 *
 * Everything else made by a complete execution is removed and marked `collected` in its
 * execution's record (the history stays; the cache never reuses it, so a stage whose artifact was
 * collected runs again). Orphan folders go too, as `doctor --fix` would remove them. The report
 * says what is kept and why. Call with the store's lock held.
 */
import { folderBytes } from '../core/diskUsage';
import { DEFAULT_KEEP_RUNS, type GcReport } from '../protocol/store';
import { examineStore } from './doctor';
import path from 'node:path';
import { executionIdOf, type ArtifactRecord, type ExecutionRecord, type Lineage, type RunRecord } from './lineage';
import type { ArtifactStore } from './store';
import type { RunAnnotations } from '../core/runAnnotations';

export interface GcOptions {
  readonly keepRuns?: number;
  readonly dryRun?: boolean;
  /** The pipeline whose artifacts are collected (by file name: the store moves with its folder); all of the store's when absent. */
  readonly pipelineFile?: string;
}

/** Outputs of an execution that judged a model: kept with the model they judged. */
const JUDGEMENTS = new Set(['ModelEvaluation', 'ModelBlessing', 'InfraBlessing']);

export { DEFAULT_KEEP_RUNS, type GcReport };

/** Why each artifact is kept, by id: the first reason found. */
type Kept = Map<string, string>;

function hold(keep: Kept, id: string, why: string): void {
  if (!keep.has(id)) keep.set(id, why);
}

export async function collectGarbage(store: ArtifactStore, lineage: Lineage, options: GcOptions = {}): Promise<GcReport> {
  const keepRuns = options.keepRuns ?? DEFAULT_KEEP_RUNS;
  const dryRun = !!options.dryRun;
  const storeBytesBefore = await folderBytes(store.root);
  const orphans = await clearOrphans(store, lineage, dryRun);

  const executions = await lineage.executions();
  const byId = new Map(executions.map((e) => [e.id, e]));
  const artifacts = new Map<string, ArtifactRecord>();
  for (const e of executions) if (e.state === 'complete') for (const a of e.outputs) if (a.executionId === e.id) artifacts.set(a.id, a);
  const mine = (file: string | undefined): boolean => !options.pipelineFile || path.basename(file ?? '') === path.basename(options.pipelineFile);

  const keep: Kept = new Map();
  const allRuns = await lineage.listRuns();
  const runsByPipeline = recentRunsByPipeline(allRuns, keepRuns);
  holdRecentRuns(keep, runsByPipeline, byId, keepRuns);
  holdStarred(keep, allRuns, await lineage.allRunAnnotations(), byId);
  holdModelLineage(keep, keptModels(keep, executions, artifacts), executions, byId);

  const { removed, marks } = await collectable(store, executions, keep, mine, keepRuns);
  if (!dryRun) await removeCollected(store, lineage, marks, byId);
  const bytesFreed = removed.reduce((n, r) => n + r.bytes, 0) + orphans.reduce((n, o) => n + o.bytes, 0);
  return {
    storeDir: store.root,
    dryRun,
    keptRuns: options.pipelineFile ? (runsByPipeline.get(path.basename(options.pipelineFile))?.length ?? 0) : [...runsByPipeline.values()].flat().length,
    kept: [...keep].filter(([id]) => artifacts.has(id) && mine(byId.get(executionIdOf(id))?.pipelineFile)).map(([id, why]) => ({ id, why })),
    removed,
    orphans,
    bytesFreed,
    storeBytesBefore,
  };
}

/** Orphan folders (no one's artifact), measured and, unless a dry run, removed; a store holding a symbolic link is refused whole. */
async function clearOrphans(store: ArtifactStore, lineage: Lineage, dryRun: boolean): Promise<{ path: string; bytes: number }[]> {
  const check = await examineStore(store, lineage, { fix: false, refuseLinks: true });
  const orphans: { path: string; bytes: number }[] = [];
  for (const p of check.problems) if (p.kind === 'orphan-folder') orphans.push({ path: p.path, bytes: await folderBytes(p.path) });
  if (!dryRun && check.problems.length) await examineStore(store, lineage, { fix: true });
  return orphans;
}

/** The last N runs of each pipeline in the store, by pipeline file name (another pipeline's runs never push this one's out). */
function recentRunsByPipeline(runs: readonly RunRecord[], keepRuns: number): Map<string, RunRecord[]> {
  const byPipeline = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const key = path.basename(r.file ?? '');
    const list = byPipeline.get(key) ?? [];
    if (list.length < keepRuns) list.push(r);
    byPipeline.set(key, list);
  }
  return byPipeline;
}

/** Everything the kept runs' executions read or wrote. */
function holdRecentRuns(keep: Kept, runsByPipeline: ReadonlyMap<string, readonly RunRecord[]>, byId: ReadonlyMap<string, ExecutionRecord>, keepRuns: number): void {
  for (const r of [...runsByPipeline.values()].flat()) {
    for (const s of r.stages) {
      const e = s.executionId ? byId.get(s.executionId) : undefined;
      if (!e) continue;
      const why = `one of the last ${keepRuns} runs of ${path.basename(r.file)} (run ${r.id})`;
      for (const a of e.outputs) hold(keep, a.id, why);
      for (const i of e.inputs) hold(keep, i.artifactId, why);
    }
  }
}

/** Everything a starred run's executions read or wrote: a person marked it worth keeping. */
function holdStarred(keep: Kept, runs: readonly RunRecord[], annotations: ReadonlyMap<string, RunAnnotations>, byId: ReadonlyMap<string, ExecutionRecord>): void {
  for (const r of runs) {
    const a = annotations.get(r.id);
    if (!a?.starred) continue;
    const why = `starred run ${r.id}${a.name ? ` (${a.name})` : ''}`;
    for (const s of r.stages) {
      const e = s.executionId ? byId.get(s.executionId) : undefined;
      if (!e) continue;
      for (const o of e.outputs) hold(keep, o.id, why);
      for (const i of e.inputs) hold(keep, i.artifactId, why);
    }
  }
}

/** Models blessed or pushed (by id, with why), holding the blessings and push records themselves. */
function keptModels(keep: Kept, executions: readonly ExecutionRecord[], artifacts: ReadonlyMap<string, ArtifactRecord>): Map<string, string> {
  const models = new Map<string, string>();
  for (const e of executions) {
    if (e.state !== 'complete' && e.state !== 'cached') continue;
    if (e.outputs.some((a) => 'BLESSED' in a.files)) {
      for (const i of e.inputs) if (artifacts.get(i.artifactId)?.type === 'Model') models.set(i.artifactId, `blessed by execution ${e.id}`);
      for (const a of e.outputs) if ('BLESSED' in a.files) hold(keep, a.id, `blessing of execution ${e.id}`);
    }
    if (e.component === 'Pusher' && e.outputs.some((a) => pushed(a))) {
      for (const i of e.inputs) if (artifacts.get(i.artifactId)?.type === 'Model') models.set(i.artifactId, `pushed by execution ${e.id}`);
      for (const a of e.outputs) if (pushed(a)) hold(keep, a.id, `push record of execution ${e.id}`);
    }
  }
  return models;
}

/** A kept model keeps its lineage: what it was made from, and the judgements of it (with what they read). */
function holdModelLineage(keep: Kept, models: ReadonlyMap<string, string>, executions: readonly ExecutionRecord[], byId: ReadonlyMap<string, ExecutionRecord>): void {
  const upstream = (artifactId: string, why: string, seen: Set<string>): void => {
    if (seen.has(artifactId)) return;
    seen.add(artifactId);
    hold(keep, artifactId, why);
    for (const i of byId.get(executionIdOf(artifactId))?.inputs ?? []) upstream(i.artifactId, why, seen);
  };
  for (const [model, why] of models) {
    hold(keep, model, why);
    const seen = new Set<string>();
    upstream(model, `made model ${model} (${why})`, seen);
    for (const e of executions) {
      if ((e.state !== 'complete' && e.state !== 'cached') || !e.inputs.some((i) => i.artifactId === model)) continue;
      for (const a of e.outputs) {
        if (!JUDGEMENTS.has(a.type)) continue;
        hold(keep, a.id, `judges model ${model} (${why})`);
        for (const i of e.inputs) upstream(i.artifactId, `read by the judgement of model ${model} (${why})`, seen);
      }
    }
  }
}

/** The artifacts of this pipeline nothing keeps, with their sizes, and the marks that record them collected. */
async function collectable(
  store: ArtifactStore,
  executions: readonly ExecutionRecord[],
  keep: Kept,
  mine: (file: string | undefined) => boolean,
  keepRuns: number,
): Promise<{ removed: { id: string; uri: string; bytes: number }[]; marks: Map<string, Record<string, { state: 'collected'; reason: string }>> }> {
  const removed: { id: string; uri: string; bytes: number }[] = [];
  const marks = new Map<string, Record<string, { state: 'collected'; reason: string }>>();
  for (const e of executions) {
    if (e.state !== 'complete' || !mine(e.pipelineFile)) continue;
    for (const a of e.outputs) {
      if (a.executionId !== e.id || keep.has(a.id) || e.artifactState?.[a.output]?.state === 'collected') continue;
      // The folder comes from the record's validated names (lineage.ts recordProblem), never its recorded path.
      removed.push({ id: a.id, uri: store.artifactUri(a.stage, a.executionId, a.output), bytes: await folderBytes(store.artifactUri(a.stage, a.executionId, a.output)) });
      const m = marks.get(e.id) ?? {};
      m[a.output] = { state: 'collected', reason: `pipewise gc --keep ${keepRuns}` };
      marks.set(e.id, m);
    }
  }
  return { removed, marks };
}

/** Marks each collected output in its record, then removes its folder. */
async function removeCollected(
  store: ArtifactStore,
  lineage: Lineage,
  marks: ReadonlyMap<string, Record<string, { state: 'collected'; reason: string }>>,
  byId: ReadonlyMap<string, ExecutionRecord>,
): Promise<void> {
  for (const [execId, m] of marks) {
    // Mark first: a kill between the two leaves a marked artifact with files (removed next time), never a live one without.
    await lineage.markArtifacts(execId, m);
    const e = byId.get(execId) as ExecutionRecord;
    for (const output of Object.keys(m)) await store.remove(store.artifactUri(e.stage, execId, output));
    await store.removeIfEmpty(store.executionDir(e.stage, execId));
  }
}

function pushed(a: ArtifactRecord): boolean {
  return a.type === 'PushedModel' && a.properties?.version !== undefined;
}
