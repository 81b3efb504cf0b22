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
import { verifyArtifact, writeFileAtomic } from './store';
import type { RunSelection } from '../core/dag';

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
  constructor(readonly metadataDir: string) {}

  private get executionsDir(): string {
    return path.join(this.metadataDir, 'executions');
  }
  private get runsDir(): string {
    return path.join(this.metadataDir, 'runs');
  }

  async putExecution(e: ExecutionRecord): Promise<void> {
    if (e.state === 'running') liveExecutions.add(e.id);
    else liveExecutions.delete(e.id);
    await writeFileAtomic(path.join(this.executionsDir, `${e.id}.json`), JSON.stringify(e, null, 1));
  }

  async putRun(r: RunRecord): Promise<void> {
    await writeFileAtomic(path.join(this.runsDir, `${r.id}.json`), JSON.stringify(r, null, 1));
  }

  async executions(): Promise<ExecutionRecord[]> {
    return readAll<ExecutionRecord>(this.executionsDir);
  }

  /** Every run, newest first. */
  async listRuns(): Promise<RunRecord[]> {
    return (await readAll<RunRecord>(this.runsDir)).sort((a, b) => (a.id < b.id ? 1 : -1));
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
    const file = path.join(this.executionsDir, `${executionId}.json`);
    const e = JSON.parse(await fs.readFile(file, 'utf8')) as ExecutionRecord;
    const at = new Date().toISOString();
    const artifactState = { ...e.artifactState };
    for (const [output, m] of Object.entries(marks)) artifactState[output] = { ...m, at };
    await writeFileAtomic(file, JSON.stringify({ ...e, artifactState }, null, 1));
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

/** Whether the process that wrote a run record still runs (the same process: pid and start time). */
export function runProcessAlive(r: Pick<RunRecord, 'pid' | 'processStart'>): boolean {
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
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readAll<T>(dir: string): Promise<T[]> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: T[] = [];
  for (const n of names) {
    try {
      out.push(JSON.parse(await fs.readFile(path.join(dir, n), 'utf8')) as T);
    } catch {
      // A record that cannot be read is skipped, not fatal: the rest of the history still answers.
    }
  }
  return out;
}
