/**
 * Lineage in the spirit of ML Metadata: artifacts, executions (with their state), input and output
 * events, and two contexts (the pipeline and the run). Stored as one JSON file per execution and
 * per run under `.pipewise/metadata/`, each written atomically, so no database is needed and a
 * killed process leaves every record either old or new, never torn.
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ArtifactRef } from '../core/artifacts';
import type { StageResult } from '../protocol/runEvents';
import { OUTPUT_NAME, ownedPath, STORE_ID, verifyArtifact, writeFileAtomic } from './store';
import type { RunSelection } from '../core/dag';
import { PipewiseError, errorMessage } from '../core/errors';
import { SNAKE_CASE } from '../core/validate';
import { applyRunAnnotations, parseRunAnnotations, type RunAnnotations } from '../core/runAnnotations';

export type ExecutionState = 'running' | 'complete' | 'failed' | 'cancelled' | 'cached';

export interface ArtifactRecord extends ArtifactRef {
  /** Relative path → size of every file, to tell an intact artifact from a damaged one. */
  readonly files: Readonly<Record<string, number>>;
}

/** An input event: which artifact an execution read, under which input name. */
export interface InputEvent {
  readonly input: string;
  readonly artifactId: string;
  readonly uri: string;
  readonly fingerprint: string;
}

/** A process, told from a later one given the same pid by its start time. */
export interface ProcessRef {
  readonly pid: number;
  /** When it started (ms since the epoch); undefined where the system does not say. */
  readonly processStart?: number;
}

/**
 * Who owns what this process records (runs, executions, the store lock): the process itself, or,
 * in the child of a supervised `pipewise run` (src/cli/supervise.ts), the supervisor the user
 * started (its pid is the one to show and to kill) with this child as its `worker`.
 */
export interface RunOwner extends ProcessRef {
  readonly worker?: ProcessRef;
}

let owner: RunOwner | undefined;

/** Called once by a supervised child at its start: its records name the supervisor, and itself as worker. */
export function setRunOwner(o: RunOwner): void {
  owner = o;
}

export function runOwner(): RunOwner {
  owner ??= { pid: process.pid, processStart: processStartMs(process.pid) };
  return owner;
}

export interface ExecutionRecord {
  readonly id: string;
  /** Contexts: the pipeline (its name and file) and the run. */
  readonly pipeline: string;
  readonly pipelineFile: string;
  readonly runId: string;
  readonly stage: string;
  readonly component: string;
  readonly componentVersion: string;
  readonly state: ExecutionState;
  readonly cacheKey: string;
  /** Parameters after defaults. */
  readonly params: unknown;
  readonly inputs: readonly InputEvent[];
  /** Output events. A cached execution lists the artifacts it reused (made by `cachedFrom`). */
  readonly outputs: readonly ArtifactRecord[];
  readonly cachedFrom?: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly durationMs?: number;
  readonly error?: string;
  /** The process that ran it: a `running` execution whose process is gone was abandoned. */
  readonly pid: number;
  /** When that process started (ms since the epoch): tells it from a later process given the same pid. */
  readonly processStart?: number;
  /** The child doing the work when `pid` is a supervisor (`pipewise run`): the execution is live while either runs. */
  readonly worker?: ProcessRef;
  /**
   * Outputs of a complete execution that are no longer usable: `broken` (found damaged by the cache
   * check or `pipewise doctor --fix`; the files are left for inspection) or `collected` (removed by
   * `pipewise gc`). Such an output is never reused.
   */
  readonly artifactState?: Readonly<Record<string, ArtifactMark>>;
}

export interface ArtifactMark {
  readonly state: 'broken' | 'collected';
  readonly reason: string;
  readonly at: string;
}

export interface RunRecord {
  readonly id: string;
  readonly pipeline: string;
  readonly file: string;
  readonly status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly durationMs?: number;
  readonly pid: number;
  /** When that process started (ms since the epoch, as the system counts it): tells it from a later process given the same pid. */
  readonly processStart?: number;
  /** The child doing the work when `pid` is a supervisor (`pipewise run`): the run is live while either runs. */
  readonly worker?: ProcessRef;
  readonly selection: RunSelection;
  readonly stages: readonly StageResult[];
}

/** "Which data and parameters made this artifact?" — its producing execution and, recursively, theirs. */
export interface Provenance {
  readonly artifact: ArtifactRecord;
  /** Undefined when the producing execution's record is gone. */
  readonly execution?: ExecutionRecord;
  readonly inputs: readonly (Provenance & { readonly input: string })[];
}

/** "What did this artifact feed?" — the executions that read it and, recursively, what their outputs fed. */
export interface Consumer {
  readonly input: string;
  readonly execution: ExecutionRecord;
  readonly outputs: readonly { readonly artifact: ArtifactRecord; readonly consumers: readonly Consumer[] }[];
}

/** Executions started by this process that are still going (a second run in the same worker must not abandon them). */
const liveExecutions = new Set<string>();

/** Whether an execution recorded `running` is really going: in this process, or in another live one. */
export function executionAlive(e: Pick<ExecutionRecord, 'id' | 'pid'>): boolean {
  return liveExecutions.has(e.id) || (e.pid !== process.pid && runProcessAlive(e));
}

export class Lineage {
  /**
   * The valid execution records by id, kept only while this instance's run holds the store lock
   * (`readUnderLock`): then no other process writes records, so they are read from disk once and
   * follow this instance's own writes. Without it a cached re-run read every record once per stage.
   */
  private held: Map<string, ExecutionRecord> | undefined;
  private holding = false;

  constructor(readonly metadataDir: string) {}

  /** Called by the holder of the store lock (src/engine/orchestrator.ts), for the lock's duration only. */
  readUnderLock(): void {
    this.holding = true;
  }

  /** A record this instance wrote, as a read from disk would give it (JSON round trip, checked, this store's paths). */
  private remember(e: ExecutionRecord): void {
    if (!this.held) return;
    const value: unknown = JSON.parse(JSON.stringify(e));
    if (recordProblem(value, e.id, 'execution')) this.held.delete(e.id);
    else this.held.set(e.id, withStorePaths(value as ExecutionRecord, this.storeRoot));
  }

  /** The store's root: every record written or read lies below it, through no symbolic link. */
  private get storeRoot(): string {
    return path.dirname(path.resolve(this.metadataDir));
  }

  private get executionsDir(): string {
    return path.join(this.metadataDir, 'executions');
  }
  private get runsDir(): string {
    return path.join(this.metadataDir, 'runs');
  }
  private get annotationsDir(): string {
    return path.join(this.metadataDir, 'annotations');
  }

  /** A run's name, note and star (empty when none were given); a damaged file is an error naming it. */
  async runAnnotations(runId: string): Promise<RunAnnotations> {
    const file = this.recordFile(this.annotationsDir, runId);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new PipewiseError(`cannot read the run's annotations: ${errorMessage(e)}`, { file });
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new PipewiseError(`the run's annotations are not JSON: ${errorMessage(e)}`, { file });
    }
    return parseRunAnnotations(value, file);
  }

  /** Every annotated run's annotations, by run id (gc keeps the starred ones; listings show them). */
  async allRunAnnotations(): Promise<Map<string, RunAnnotations>> {
    let names: string[];
    try {
      names = (await fs.readdir(ownedPath(this.storeRoot, this.annotationsDir))).filter((n) => n.endsWith('.json'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      if (e instanceof PipewiseError) throw e;
      throw new PipewiseError(`cannot read the run annotations folder: ${errorMessage(e)}`, { file: this.annotationsDir });
    }
    const out = new Map<string, RunAnnotations>();
    for (const n of names) {
      const id = path.basename(n, '.json');
      // A name the store did not make is not a run's annotations (doctor reports foreign entries).
      if (STORE_ID.test(id)) out.set(id, await this.runAnnotations(id));
    }
    return out;
  }

  /**
   * Changes a run's annotations ('' or false removes a field) and returns them. Written atomically
   * in a file of their own, so the run's own process, rewriting its record, never loses them.
   */
  async annotateRun(runId: string, change: RunAnnotations): Promise<RunAnnotations> {
    if (!(await this.listRuns()).some((r) => r.id === runId)) throw new PipewiseError(`no run ${JSON.stringify(runId)} in this store's lineage`, { file: this.runsDir });
    const file = this.recordFile(this.annotationsDir, runId);
    const next = applyRunAnnotations(await this.runAnnotations(runId), parseRunAnnotations(change, 'the requested change'));
    await writeFileAtomic(file, `${JSON.stringify(next, null, 1)}\n`);
    return next;
  }

  async putExecution(e: ExecutionRecord): Promise<void> {
    if (e.state === 'running') liveExecutions.add(e.id);
    else liveExecutions.delete(e.id);
    await this.write(this.recordFile(this.executionsDir, e.id), JSON.stringify(e, null, 1));
    this.remember(e);
  }

  async putRun(r: RunRecord): Promise<void> {
    await this.write(this.recordFile(this.runsDir, r.id), JSON.stringify(r, null, 1));
  }

  /** Records put while writes are deferred: file → its last content, in the order last put. */
  private deferred: Map<string, string> | undefined;

  /**
   * Until `commitWrites` or `dropWrites`, the records put are kept in memory, not written: a run that
   * may turn out to need another process (src/engine/orchestrator.ts `runPipelineIfCached`) leaves no
   * trace until it knows it does not.
   */
  deferWrites(): void {
    this.deferred = new Map();
  }

  /** Writes the deferred records, each file once with its last content, the run's record last. */
  async commitWrites(): Promise<void> {
    const pending = this.deferred;
    this.deferred = undefined;
    for (const [file, data] of pending ?? []) await writeFileAtomic(file, data);
  }

  /** Forgets the deferred records (nothing of them was written). */
  dropWrites(): void {
    this.deferred = undefined;
    this.held = undefined; // its view held the dropped records: read the store again if asked
  }

  private async write(file: string, data: string): Promise<void> {
    if (!this.deferred) return writeFileAtomic(file, data);
    this.deferred.delete(file); // a record put again moves to the end: the run's final record is written last
    this.deferred.set(file, data);
  }

  /** The file of a record, for writing: an id of the store's own making, inside the store, through no link. */
  private recordFile(dir: string, id: string): string {
    if (!STORE_ID.test(id)) throw new PipewiseError(`refused to write a lineage record with the id ${JSON.stringify(id)}: not an id Pipewise makes`, { file: dir });
    return ownedPath(this.storeRoot, path.join(dir, `${id}.json`));
  }

  /** Every execution record that is valid (see `recordProblem`), its artifacts' paths those of this store. */
  async executions(): Promise<ExecutionRecord[]> {
    if (this.held) return [...this.held.values()];
    const root = this.storeRoot;
    const all = (await readAll<ExecutionRecord>(root, this.executionsDir, 'execution')).map((e) => withStorePaths(e, root));
    if (this.holding) this.held = new Map(all.map((e) => [e.id, e]));
    return all;
  }

  /**
   * The valid execution records recovery has just read and checked (src/engine/doctor.ts reads each
   * file once), with this store's paths; kept as this instance's view while it holds the lock
   * instead of reading every record again for the cache.
   */
  adoptExecutions(records: readonly ExecutionRecord[]): ExecutionRecord[] {
    const root = this.storeRoot;
    const all = records.map((e) => withStorePaths(e, root));
    if (this.holding) this.held = new Map(all.map((e) => [e.id, e]));
    return all;
  }

  /** Every valid run record, newest first. */
  async listRuns(): Promise<RunRecord[]> {
    return (await readAll<RunRecord>(this.storeRoot, this.runsDir, 'run')).sort((a, b) => (a.id < b.id ? 1 : -1));
  }

  /**
   * The newest complete execution with this cache key whose artifacts are all still intact: the one
   * whose outputs a cached stage reuses.
   */
  async findCached(key: string, outputs: readonly string[]): Promise<CacheLookup> {
    const candidates = (await this.executions()).filter((e) => e.state === 'complete' && e.cacheKey === key).sort((a, b) => (a.id < b.id ? 1 : -1));
    const damaged: CacheLookup['damaged'][number][] = [];
    for (const e of candidates) {
      if (!outputs.every((o) => e.outputs.some((a) => a.output === o))) continue;
      const marked = e.outputs.find((a) => e.artifactState?.[a.output]?.state === 'broken');
      if (marked) damaged.push({ execution: e, output: marked.output, problem: `it was marked broken: ${e.artifactState?.[marked.output]?.reason}`, marked: true });
      if (e.outputs.some((a) => e.artifactState?.[a.output])) continue;
      let intact = true;
      for (const a of e.outputs) {
        const problem = await verifyArtifact(a.uri, a.files, a.fingerprint, { deepUpToBytes: DEEP_CHECK_BYTES });
        if (problem) {
          intact = false;
          damaged.push({ execution: e, output: a.output, problem });
        }
      }
      if (intact) return { hit: e, damaged };
    }
    return { damaged };
  }

  /** Records outputs of a complete execution as broken or collected (never reused after). */
  async markArtifacts(executionId: string, marks: Readonly<Record<string, Omit<ArtifactMark, 'at'>>>): Promise<void> {
    const file = this.recordFile(this.executionsDir, executionId);
    const e = JSON.parse(await fs.readFile(file, 'utf8')) as ExecutionRecord;
    const at = new Date().toISOString();
    const artifactState = { ...e.artifactState };
    for (const [output, m] of Object.entries(marks)) artifactState[output] = { ...m, at };
    const marked: ExecutionRecord = { ...e, artifactState };
    await writeFileAtomic(file, JSON.stringify(marked, null, 1));
    this.remember(marked);
  }

  /**
   * Executions left `running` by a process that is gone (killed, crashed) are marked failed, and
   * runs left `running` likewise: their outputs are never trusted. Returns the executions marked.
   */
  async recoverAbandoned(): Promise<ExecutionRecord[]> {
    const marked: ExecutionRecord[] = [];
    for (const e of await this.executions()) {
      if (e.state !== 'running' || liveExecutions.has(e.id) || (e.pid !== process.pid && runProcessAlive(e))) continue;
      const abandoned: ExecutionRecord = {
        ...e,
        state: 'failed',
        finishedAt: new Date().toISOString(),
        error: `abandoned: the process that ran it (pid ${e.pid}) stopped before it finished`,
      };
      await this.putExecution(abandoned);
      marked.push(abandoned);
    }
    for (const r of await this.listRuns()) {
      if (r.status !== 'running' || (r.pid === process.pid) || runProcessAlive(r)) continue;
      await this.putRun({ ...r, status: 'failed', finishedAt: new Date().toISOString() });
    }
    return marked;
  }

  /** Whether an execution id is running now (in this process or another live one). */
  async isLive(executionId: string): Promise<boolean> {
    if (liveExecutions.has(executionId)) return true;
    const e = (await this.executions()).find((x) => x.id === executionId);
    return !!e && e.state === 'running' && runProcessAlive(e);
  }

  /**
   * An artifact by its id, by a path to its folder or to a file inside it, or by `stage.output`
   * (the newest one that stage made).
   */
  async findArtifact(idOrPath: string): Promise<ArtifactRecord | undefined> {
    const complete = (await this.executions()).filter((e) => e.state === 'complete').sort((a, b) => (a.id < b.id ? 1 : -1));
    const all = complete.flatMap((e) => e.outputs);
    const byId = all.find((a) => a.id === idOrPath);
    if (byId) return byId;
    const abs = path.resolve(idOrPath);
    const byPath = all.find((a) => abs === a.uri || abs.startsWith(a.uri + path.sep));
    if (byPath) return byPath;
    const m = /^([a-z][a-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(idOrPath);
    return m ? all.find((a) => a.stage === m[1] && a.output === m[2]) : undefined;
  }

  async producerOf(idOrPath: string): Promise<Provenance | undefined> {
    const executions = await this.executions();
    const producers = new Map<string, ExecutionRecord>();
    for (const e of executions) if (e.state === 'complete') producers.set(e.id, e);
    const start = await this.findArtifact(idOrPath);
    if (!start) return undefined;
    const walk = (artifact: ArtifactRecord, seen: Set<string>): Provenance => {
      const execution = producers.get(artifact.executionId);
      const inputs: (Provenance & { input: string })[] = [];
      if (execution && !seen.has(artifact.id)) {
        const next = new Set(seen).add(artifact.id);
        for (const ev of execution.inputs) {
          const upstream = producers.get(executionIdOf(ev.artifactId));
          const a = upstream?.outputs.find((o) => o.id === ev.artifactId);
          if (a) inputs.push({ input: ev.input, ...walk(a, next) });
        }
      }
      return { artifact, execution, inputs };
    };
    return walk(start, new Set());
  }

  async consumersOf(idOrPath: string): Promise<{ artifact: ArtifactRecord; consumers: Consumer[] } | undefined> {
    const executions = (await this.executions()).filter((e) => e.state === 'complete' || e.state === 'cached');
    const start = await this.findArtifact(idOrPath);
    if (!start) return undefined;
    const visited = new Set<string>();
    const walk = (artifactId: string): Consumer[] => {
      if (visited.has(artifactId)) return [];
      visited.add(artifactId);
      const out: Consumer[] = [];
      for (const e of executions) {
        for (const ev of e.inputs) {
          if (ev.artifactId !== artifactId) continue;
          out.push({ input: ev.input, execution: e, outputs: e.outputs.map((a) => ({ artifact: a, consumers: walk(a.id) })) });
        }
      }
      return out;
    };
    return { artifact: start, consumers: walk(start.id) };
  }
}

/** What the cache found for a key: the execution to reuse, and the damaged candidates it passed over. */
export interface CacheLookup {
  readonly hit?: ExecutionRecord;
  /** `marked`: it was already marked broken (by an earlier run or `doctor --fix`). */
  readonly damaged: readonly { readonly execution: ExecutionRecord; readonly output: string; readonly problem: string; readonly marked?: boolean }[];
}

/**
 * Artifacts up to this total size are re-hashed before the cache reuses them (a flipped byte is
 * caught); larger ones are checked by their files' names and sizes (a truncated or deleted file is).
 */
export const DEEP_CHECK_BYTES = 64 * 1024 * 1024;

/** Artifact ids are `<stage>/<executionId>/<output>`. */
export function executionIdOf(artifactId: string): string {
  return artifactId.split('/')[1] ?? '';
}

/** A run as it stands now: one recorded `running` whose process is gone (killed, crashed) was interrupted. */
export type RunStatusNow = RunRecord['status'] | 'interrupted';

export function runStatusNow(r: RunRecord): RunStatusNow {
  return r.status === 'running' && r.pid !== process.pid && !runProcessAlive(r) ? 'interrupted' : r.status;
}

/**
 * Whether the process that wrote a run record still runs (the same process: pid and start time),
 * or its worker does: a supervisor killed outright takes its child down a moment later, and until
 * then the child may still write, so its records and lock are not stale yet.
 */
export function runProcessAlive(r: Pick<RunRecord, 'pid' | 'processStart' | 'worker'>): boolean {
  return sameProcessAlive(r) || (r.worker !== undefined && sameProcessAlive(r.worker));
}

/**
 * The run's own process is gone but its supervised child (worker) still lives: an orphan, which
 * kills itself when its IPC channel to the dead parent closes (src/cli/supervise.ts), within moments.
 */
export function orphanedWorker(r: Pick<RunRecord, 'pid' | 'processStart' | 'worker'>): boolean {
  return r.worker !== undefined && !sameProcessAlive(r) && sameProcessAlive(r.worker);
}

function sameProcessAlive(r: ProcessRef): boolean {
  if (!processAlive(r.pid)) return false;
  if (r.processStart === undefined) return true;
  const started = processStartMs(r.pid);
  // Start times come from the kernel in clock ticks since boot (boot time to the second): allow 3 s.
  return started === undefined || Math.abs(started - r.processStart) < 3000;
}

/** When a process started (ms since the epoch), from /proc on Linux; undefined elsewhere. */
export function processStartMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime, in clock ticks since boot) counts from after the `(comm)` field, which may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    if (!Number.isFinite(ticks) || !Number.isFinite(btime)) return undefined;
    return btime * 1000 + (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !zombie(pid);
}

/**
 * Whether a process has exited but is not reaped yet (Linux's state Z or X): it answers kill(pid, 0)
 * but runs nothing. A supervised run's child whose supervisor was SIGKILLed is an orphan, and in a
 * container whose init does not reap orphans it stays a zombie for good: alive to kill(), it would
 * hold the store's lock forever.
 */
function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state === 'Z' || state === 'X';
  } catch {
    return false;
  }
}

/**
 * The valid records of one kind. A record that does not parse, or whose fields would not name paths
 * inside the store (see `recordProblem`), is skipped, not fatal: the rest of the history still
 * answers, and `pipewise doctor` reports it (`--fix`, and each run's recovery, move it aside).
 * A folder that cannot be read is an error, never an empty history.
 */
async function readAll<T>(root: string, dir: string, what: 'execution' | 'run'): Promise<T[]> {
  let names: string[];
  try {
    names = (await fs.readdir(ownedPath(root, dir))).filter((n) => n.endsWith('.json'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    if (e instanceof PipewiseError) throw e;
    throw new PipewiseError(`cannot read the lineage folder: ${errorMessage(e)}`, { file: dir });
  }
  const out: T[] = [];
  for (const n of names) {
    let value: unknown;
    try {
      value = readRecordFile(path.join(dir, n));
    } catch {
      continue;
    }
    if (!recordProblem(value, path.basename(n, '.json'), what)) out.push(value as T);
  }
  return out;
}

/**
 * A lineage record file, parsed (throws if it cannot be read or parsed). Read synchronously: a
 * record is a few KB, and one `readFileSync` costs a fifth of the CPU of `fs.promises.readFile`'s
 * open/stat/read/close round trips (bench/cached-rerun.ts: a store of 300 records, 7 ms against 35-50 ms),
 * which every run pays for every record of the store's history.
 */
export function readRecordFile(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** What is wrong with a lineage record: `unreadable` (not a record of its kind) or `unsafe` (a field would name a path outside the store). */
export interface RecordProblem {
  readonly kind: 'unreadable' | 'unsafe';
  readonly message: string;
}

/**
 * Checks a parsed record. Every field that becomes a path (its id, an execution's stage, each
 * artifact's stage, execution id and output, a run's stage names and execution ids) must be a name
 * the store gives: a stage name token, an id as `newId` makes it, an output name — never `..` or
 * a separator. An artifact's recorded `uri` must name the folder those fields give (under any
 * store root: a store moved with its folder keeps its history; readers use this store's path).
 */
export function recordProblem(value: unknown, stem: string, what: 'execution' | 'run'): RecordProblem | undefined {
  const r = value as Partial<ExecutionRecord & RunRecord> | null;
  if (!r || typeof r !== 'object' || r.id !== stem) return { kind: 'unreadable', message: `the ${what} record is not one (its id is not ${JSON.stringify(stem)})` };
  const unsafe = (message: string): RecordProblem => ({ kind: 'unsafe', message: `the ${what} record ${message}; it would name a path outside the store's own folders` });
  if (!STORE_ID.test(r.id)) return unsafe(`has the id ${JSON.stringify(r.id)}, not one Pipewise makes`);
  if (what === 'execution') {
    if (typeof r.stage !== 'string' || typeof r.state !== 'string' || !Array.isArray(r.outputs) || !Array.isArray(r.inputs)) {
      return { kind: 'unreadable', message: 'the execution record lacks its stage, state, inputs or outputs' };
    }
    if (!SNAKE_CASE.test(r.stage)) return unsafe(`names the stage ${JSON.stringify(r.stage)}, not a stage name`);
    for (const a of r.outputs as unknown[]) {
      const why = artifactProblem(a);
      if (why) return unsafe(`lists an output that ${why}`);
    }
    for (const i of r.inputs as unknown[]) {
      const ev = i as Partial<InputEvent> | null;
      if (!ev || typeof ev.artifactId !== 'string' || typeof ev.input !== 'string') return { kind: 'unreadable', message: 'the execution record has an input event without its artifact' };
    }
    return undefined;
  }
  if (typeof r.status !== 'string' || !Array.isArray(r.stages)) return { kind: 'unreadable', message: 'the run record lacks its status or stages' };
  for (const st of r.stages as unknown[]) {
    const s = st as Partial<StageResult> | null;
    if (!s || typeof s.name !== 'string' || !SNAKE_CASE.test(s.name)) return unsafe(`lists a stage named ${JSON.stringify(s?.name)}, not a stage name`);
    if (s.executionId !== undefined && (typeof s.executionId !== 'string' || !STORE_ID.test(s.executionId))) return unsafe(`lists the execution id ${JSON.stringify(s.executionId)}`);
  }
  return undefined;
}

function artifactProblem(value: unknown): string | undefined {
  const a = value as Partial<ArtifactRecord> | null;
  if (!a || typeof a !== 'object') return 'is not an artifact';
  if (typeof a.stage !== 'string' || !SNAKE_CASE.test(a.stage)) return `names the stage ${JSON.stringify(a.stage)}`;
  if (typeof a.executionId !== 'string' || !STORE_ID.test(a.executionId)) return `names the execution ${JSON.stringify(a.executionId)}`;
  if (typeof a.output !== 'string' || !OUTPUT_NAME.test(a.output)) return `names the output ${JSON.stringify(a.output)}`;
  if (a.id !== `${a.stage}/${a.executionId}/${a.output}`) return `has the id ${JSON.stringify(a.id)}, not ${a.stage}/${a.executionId}/${a.output}`;
  const tail = path.join('artifacts', a.stage, a.executionId, a.output);
  if (typeof a.uri !== 'string' || !path.isAbsolute(a.uri) || !path.normalize(a.uri).endsWith(path.sep + tail)) return `records its folder as ${JSON.stringify(a.uri)}, not …/${tail}`;
  if (!a.files || typeof a.files !== 'object') return 'lacks its files';
  return undefined;
}

/** An execution read from the store at `root`: its artifacts' folders are this store's (it may have moved since they were recorded). */
function withStorePaths(e: ExecutionRecord, root: string): ExecutionRecord {
  const uriOf = (a: ArtifactRecord): string => path.join(root, 'artifacts', a.stage, a.executionId, a.output);
  if (e.outputs.every((a) => a.uri === uriOf(a))) return e;
  return { ...e, outputs: e.outputs.map((a) => ({ ...a, uri: uriOf(a) })) };
}
