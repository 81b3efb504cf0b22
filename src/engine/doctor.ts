/**
 * Checks a store against its lineage and, with `fix`, heals it (`pipewise doctor FILE [--fix]`;
 * every run does the cheap part of the fix under the store's lock before it starts):
 *
 * - no symbolic link anywhere inside the store (reported, `--fix` removes the link itself; a run's
 *   recovery and gc refuse the store until it is gone: nothing is followed or deleted through);
 * - every lineage record's fields that become paths are names the store gives (a record naming a
 *   path outside is moved to `metadata/quarantine/`), and entries the store did not make (names
 *   it never gives) are reported and left alone — only the store's own entries are ever removed;
 * - every lineage record parses (an unreadable one is moved to `metadata/unreadable/`), and no
 *   half-written record file (`*.tmp` of a killed writer) is left beside them;
 * - no execution or run is left `running` by a process that is gone (marked failed);
 * - every live artifact (an output of a complete execution not marked broken or collected) is in
 *   its folder with its recorded files and fingerprint (a damaged one is marked broken and kept
 *   for inspection; the cache never reuses it);
 * - no orphan folders: `artifacts/<stage>/<execution>/<output>` that no complete execution owns,
 *   and `tmp/<execution>` that no live execution writes, are removed.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { STRAY_MARKER } from '../core/storeFolder';
import { SNAKE_CASE } from '../core/validate';
import { errorMessage } from '../core/errors';
import { executionAlive, Lineage, readRecordFile, recordProblem, runProcessAlive, type ExecutionRecord, type RunRecord } from './lineage';
import { ArtifactStore, OUTPUT_NAME, STORE_ID, StoreLinkError, verifyArtifact } from './store';
export { folderBytes } from '../core/diskUsage';

export type ProblemKind =
  | 'symbolic-link'
  | 'unreadable-record'
  | 'unsafe-record'
  | 'stray-temp-file'
  | 'foreign-entry'
  | 'abandoned'
  | 'broken-artifact'
  | 'orphan-folder';

export interface StoreProblem {
  readonly kind: ProblemKind;
  /** The file or folder at fault. */
  readonly path: string;
  readonly message: string;
  /** What `fix` did about it. */
  readonly fixed?: string;
}

export interface DoctorReport {
  readonly storeDir: string;
  readonly problems: readonly StoreProblem[];
  readonly checked: { readonly records: number; readonly liveArtifacts: number; readonly bytes: number };
}

export interface DoctorOptions {
  readonly fix?: boolean;
  /** Verify live artifacts (content hashes); a run's own recovery skips this. */
  readonly verifyArtifacts?: boolean;
  /**
   * Throw StoreLinkError at the first symbolic link inside the store instead of reporting it (a
   * run's recovery and gc: they change nothing in a store holding a link). Otherwise a link is
   * reported, and with `fix` the link itself is removed, never what it points to.
   */
  readonly refuseLinks?: boolean;
}

/** Names of lineage folders under `metadata/`. */
const METADATA_FOLDERS = new Set(['executions', 'runs', 'annotations', 'unreadable', 'quarantine']);
/** A record half-written by `writeFileAtomic` (`<id>.json.<pid>.<hex>.tmp`). */
const STRAY_TEMP = /^\d{8}-\d{6}-\d{3}-[0-9a-f]{6}\.json\.\d+\.[0-9a-f]+\.tmp$/;
/** Files the operating system leaves in any folder it shows: never the store's, never worth a report. */
const OS_LITTER = new Set(['.DS_Store', 'Thumbs.db', 'desktop.ini']);
const LEFT_ALONE = 'left alone: Pipewise did not make it (remove it yourself if it is not needed)';

/** Call with the store's lock held (a run in progress would otherwise look like a crash). */
export async function examineStore(store: ArtifactStore, lineage: Lineage, options: DoctorOptions = {}): Promise<DoctorReport> {
  const problems: StoreProblem[] = [];
  const fix = !!options.fix;
  let records = 0;
  const foreign = (p: string, what: string): void => {
    if (!OS_LITTER.has(path.basename(p))) problems.push({ kind: 'foreign-entry', path: p, message: `${what} Pipewise did not make`, fixed: fix ? LEFT_ALONE : undefined });
  };

  // 0. Symbolic links: nothing below follows or deletes through one.
  const links = await store.symbolicLinks();
  if (links.length && options.refuseLinks) throw new StoreLinkError((links[0] as { link: string }).link, (links[0] as { target: string }).target);
  for (const { link, target } of links) {
    let fixed: string | undefined;
    if (fix) {
      // The link itself (unlink never follows it), and only if it is still a link.
      if ((await fs.lstat(link)).isSymbolicLink()) await fs.unlink(link);
      fixed = 'removed the link (not what it points to)';
    }
    problems.push({ kind: 'symbolic-link', path: link, message: `a symbolic link to ${target}: Pipewise never follows or deletes through a link inside its store`, fixed });
  }
  if (links.length && !fix) return { storeDir: store.root, problems, checked: { records: 0, liveArtifacts: 0, bytes: 0 } };

  // 1. Lineage records (and a marker half-written by a killed process).
  for (const e of await store.list(store.root)) {
    if (!e.isFile() || !STRAY_MARKER.test(e.name)) continue;
    const p = path.join(store.root, e.name);
    problems.push({ kind: 'stray-temp-file', path: p, message: 'a half-written store marker left by a process that stopped', fixed: fix ? await removed(store, p) : undefined });
  }
  const metadata = store.metadataDir;
  for (const e of await store.list(metadata)) if (!METADATA_FOLDERS.has(e.name) || !e.isDirectory()) foreign(path.join(metadata, e.name), 'an entry of metadata/');
  // The records that pass, each file read once: what steps 2 and 3 and the run's cache use.
  const valid = { executions: [] as ExecutionRecord[], runs: [] as RunRecord[] };
  for (const sub of ['executions', 'runs'] as const) {
    const dir = path.join(metadata, sub);
    for (const entry of await store.list(dir)) {
      const name = entry.name;
      const file = path.join(dir, name);
      if (entry.isFile() && STRAY_TEMP.test(name)) {
        problems.push({ kind: 'stray-temp-file', path: file, message: 'a half-written lineage file left by a process that stopped', fixed: fix ? await removed(store, file) : undefined });
        continue;
      }
      if (!entry.isFile() || !name.endsWith('.json')) {
        foreign(file, `an entry of metadata/${sub}/`);
        continue;
      }
      records++;
      const { value, problem } = readRecord(file, sub === 'executions' ? 'execution' : 'run');
      if (!problem) {
        // recordProblem has checked it is a record of its kind.
        if (sub === 'executions') valid.executions.push(value as ExecutionRecord);
        else valid.runs.push(value as RunRecord);
      } else {
        let fixed: string | undefined;
        if (fix) {
          const dest = path.join(metadata, problem.kind === 'unsafe' ? 'quarantine' : 'unreadable', `${sub}-${name}`);
          await store.move(file, dest);
          fixed = `moved to ${dest}`;
        }
        problems.push({ kind: problem.kind === 'unsafe' ? 'unsafe-record' : 'unreadable-record', path: file, message: problem.message, fixed });
      }
    }
  }

  // 2. Executions and runs left running by a process that is gone.
  const executions = lineage.adoptExecutions(valid.executions);
  const abandoned = executions.filter((e) => e.state === 'running' && !executionAlive(e));
  const runs: RunRecord[] = valid.runs.filter((r) => r.status === 'running' && r.pid !== process.pid && !runProcessAlive(r));
  if (abandoned.length || runs.length) {
    if (fix) await lineage.recoverAbandoned();
    for (const e of abandoned) {
      problems.push({
        kind: 'abandoned',
        path: path.join(metadata, 'executions', `${e.id}.json`),
        message: `execution ${e.id} (stage ${e.stage}) is recorded running, but its process ${e.pid} is gone`,
        fixed: fix ? 'marked failed' : undefined,
      });
    }
    for (const r of runs) {
      problems.push({ kind: 'abandoned', path: path.join(metadata, 'runs', `${r.id}.json`), message: `run ${r.id} is recorded running, but its process ${r.pid} is gone`, fixed: fix ? 'marked finished' : undefined });
    }
  }

  // 3. Orphan folders: only folders named as the store names them are ever removed.
  const complete = new Map<string, ExecutionRecord>();
  for (const e of executions) if (e.state === 'complete') complete.set(e.id, e);
  const artifactsDir = path.join(store.root, 'artifacts');
  for (const stageEntry of await store.list(artifactsDir)) {
    const stage = stageEntry.name;
    const stageDir = path.join(artifactsDir, stage);
    if (!stageEntry.isDirectory() || !SNAKE_CASE.test(stage)) {
      foreign(stageDir, 'an entry of artifacts/');
      continue;
    }
    for (const execEntry of await store.list(stageDir)) {
      const execId = execEntry.name;
      const execDir = path.join(stageDir, execId);
      if (!execEntry.isDirectory() || !STORE_ID.test(execId)) {
        foreign(execDir, `an entry of artifacts/${stage}/`);
        continue;
      }
      const rec = complete.get(execId);
      if (!rec || rec.stage !== stage) {
        problems.push({ kind: 'orphan-folder', path: execDir, message: 'no complete execution in the lineage owns this folder', fixed: fix ? await removed(store, execDir) : undefined });
        continue;
      }
      for (const outEntry of await store.list(execDir)) {
        const output = outEntry.name;
        const p = path.join(execDir, output);
        if (!OUTPUT_NAME.test(output)) {
          foreign(p, `an entry of an execution's folder`);
          continue;
        }
        const owned = rec.outputs.some((a) => a.output === output && a.executionId === execId) && rec.artifactState?.[output]?.state !== 'collected';
        if (owned) continue;
        problems.push({ kind: 'orphan-folder', path: p, message: `execution ${execId} has no live output '${output}'`, fixed: fix ? await removed(store, p) : undefined });
      }
    }
    if (fix) await store.removeIfEmpty(stageDir);
  }
  const liveIds = new Set(executions.filter((e) => e.state === 'running' && executionAlive(e)).map((e) => e.id));
  for (const entry of await store.list(path.join(store.root, 'tmp'))) {
    const p = path.join(store.root, 'tmp', entry.name);
    if (!entry.isDirectory() || !STORE_ID.test(entry.name)) {
      foreign(p, 'an entry of tmp/');
      continue;
    }
    if (liveIds.has(entry.name)) continue;
    problems.push({ kind: 'orphan-folder', path: p, message: 'temporary outputs of an execution that is not running', fixed: fix ? await removed(store, p) : undefined });
  }

  // 4. Live artifacts: present, with their recorded files and fingerprint.
  let liveArtifacts = 0;
  let bytes = 0;
  if (options.verifyArtifacts) {
    for (const e of complete.values()) {
      const marks: Record<string, { state: 'broken'; reason: string }> = {};
      for (const a of e.outputs) {
        if (a.executionId !== e.id || e.artifactState?.[a.output]) continue;
        liveArtifacts++;
        for (const size of Object.values(a.files)) bytes += size;
        const problem = await verifyArtifact(a.uri, a.files, a.fingerprint);
        if (!problem) continue;
        if (fix) marks[a.output] = { state: 'broken', reason: problem };
        problems.push({ kind: 'broken-artifact', path: a.uri, message: `artifact ${a.id}: ${problem}`, fixed: fix ? 'marked broken (never reused; files kept for inspection)' : undefined });
      }
      if (Object.keys(marks).length) await lineage.markArtifacts(e.id, marks);
    }
  }
  return { storeDir: store.root, problems, checked: { records, liveArtifacts, bytes } };
}

/** A record file parsed and checked: its value, and what is wrong with it (`recordProblem`) if anything. */
function readRecord(file: string, what: 'execution' | 'run'): { value?: unknown; problem?: { kind: 'unreadable' | 'unsafe'; message: string } } {
  let value: unknown;
  try {
    value = readRecordFile(file);
  } catch (e) {
    return { problem: { kind: 'unreadable', message: `the ${what} record does not parse: ${errorMessage(e)}` } };
  }
  return { value, problem: recordProblem(value, path.basename(file, '.json'), what) };
}

async function removed(store: ArtifactStore, p: string): Promise<string> {
  await store.remove(p);
  return 'removed';
}

