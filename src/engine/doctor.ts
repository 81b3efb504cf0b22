/**
 * Checks a store against its lineage and, with `fix`, heals it (`pipewise doctor FILE [--fix]`;
 * every run does the cheap part of the fix under the store's lock before it starts):
 *
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
import { executionAlive, Lineage, runProcessAlive, type ExecutionRecord, type RunRecord } from './lineage';
import { ArtifactStore, verifyArtifact } from './store';
import { errorMessage } from '../core/errors';
export { folderBytes } from '../core/diskUsage';

export type ProblemKind = 'unreadable-record' | 'stray-temp-file' | 'abandoned' | 'broken-artifact' | 'orphan-folder';

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
}

/** Call with the store's lock held (a run in progress would otherwise look like a crash). */
export async function examineStore(store: ArtifactStore, lineage: Lineage, options: DoctorOptions = {}): Promise<DoctorReport> {
  const problems: StoreProblem[] = [];
  const fix = !!options.fix;
  let records = 0;

  // 1. Lineage records.
  const metadata = store.metadataDir;
  for (const sub of ['executions', 'runs']) {
    const dir = path.join(metadata, sub);
    for (const name of await readdirSafe(dir)) {
      const file = path.join(dir, name);
      if (!name.endsWith('.json')) {
        problems.push({ kind: 'stray-temp-file', path: file, message: 'a half-written lineage file left by a process that stopped', fixed: fix ? await rm(file, 'removed') : undefined });
        continue;
      }
      records++;
      const problem = await recordProblem(file, sub === 'executions' ? 'execution' : 'run');
      if (problem) {
        let fixed: string | undefined;
        if (fix) {
          const dest = path.join(metadata, 'unreadable', `${sub}-${name}`);
          await fs.mkdir(path.dirname(dest), { recursive: true });
          await fs.rename(file, dest);
          fixed = `moved to ${dest}`;
        }
        problems.push({ kind: 'unreadable-record', path: file, message: problem, fixed });
      }
    }
  }

  // 2. Executions and runs left running by a process that is gone.
  const executions = await lineage.executions();
  const abandoned = executions.filter((e) => e.state === 'running' && !executionAlive(e));
  const runs: RunRecord[] = (await lineage.listRuns()).filter((r) => r.status === 'running' && r.pid !== process.pid && !runProcessAlive(r));
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

  // 3. Orphan folders.
  const complete = new Map<string, ExecutionRecord>();
  for (const e of executions) if (e.state === 'complete') complete.set(e.id, e);
  const artifactsDir = path.join(store.root, 'artifacts');
  for (const stage of await readdirSafe(artifactsDir)) {
    const stageDir = path.join(artifactsDir, stage);
    for (const execId of await readdirSafe(stageDir)) {
      const execDir = path.join(stageDir, execId);
      const rec = complete.get(execId);
      if (!rec || rec.stage !== stage) {
        problems.push({ kind: 'orphan-folder', path: execDir, message: 'no complete execution in the lineage owns this folder', fixed: fix ? await rm(execDir, 'removed') : undefined });
        continue;
      }
      for (const output of await readdirSafe(execDir)) {
        const owned = rec.outputs.some((a) => a.output === output && a.executionId === execId) && rec.artifactState?.[output]?.state !== 'collected';
        if (owned) continue;
        const p = path.join(execDir, output);
        problems.push({ kind: 'orphan-folder', path: p, message: `execution ${execId} has no live output '${output}'`, fixed: fix ? await rm(p, 'removed') : undefined });
      }
    }
    if (fix && !(await readdirSafe(stageDir)).length) await fs.rmdir(stageDir).catch(() => undefined);
  }
  const liveIds = new Set(executions.filter((e) => e.state === 'running' && executionAlive(e)).map((e) => e.id));
  for (const id of await store.listTmp()) {
    if (liveIds.has(id)) continue;
    const p = store.tmpDir(id);
    problems.push({ kind: 'orphan-folder', path: p, message: 'temporary outputs of an execution that is not running', fixed: fix ? await rm(p, 'removed') : undefined });
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

async function recordProblem(file: string, what: 'execution' | 'run'): Promise<string | undefined> {
  let value: unknown;
  try {
    value = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    return `the ${what} record does not parse: ${errorMessage(e)}`;
  }
  const r = value as Partial<ExecutionRecord & RunRecord> | null;
  const stem = path.basename(file, '.json');
  if (!r || typeof r !== 'object' || r.id !== stem) return `the ${what} record is not one (its id is not ${JSON.stringify(stem)})`;
  if (what === 'execution' && (typeof r.stage !== 'string' || typeof r.state !== 'string' || !Array.isArray(r.outputs))) return 'the execution record lacks its stage, state or outputs';
  if (what === 'run' && (typeof r.status !== 'string' || !Array.isArray(r.stages))) return 'the run record lacks its status or stages';
  return undefined;
}

async function readdirSafe(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).sort();
  } catch {
    return [];
  }
}

async function rm(p: string, done: string): Promise<string> {
  await fs.rm(p, { recursive: true, force: true });
  return done;
}

/** Bytes under a folder (0 when it is not there). */
