/**
 * Runs a pipeline locally, the TFX way: stages in topological order, each one's parameters parsed
 * by its component's schema, a cache key over component, version, parameters, input fingerprints and
 * outside content; an unchanged stage is `cached` and reuses its intact outputs; a failed stage
 * skips its downstream. Reports RunEvents through a callback (the CLI and the worker both listen).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ComponentDeclaration } from '../core/component';
import { buildGraph, selectStages, type RunSelection } from '../core/dag';
import { PipewiseError, errorMessage } from '../core/errors';
import { parsePipeline, type ParsedPipeline } from '../core/parse';
import { confinePath, isUserComponentRef } from '../core/paths';
import type { PipelineSpec, SpecDiagnostic, StageSpec } from '../core/spec';
import { formatDiagnostic } from '../core/spec';
import { validatePipeline } from '../core/validate';
import type { RunEvent, RunResult, StageResult } from '../protocol/runEvents';
import type { ComponentExecutor } from './component';
import { loadExecutor as loadBuiltinExecutor } from './components/index';
import { Lineage, runOwner, type ArtifactRecord, type RunRecord } from './lineage';
import { ArtifactStore, newId } from './store';
import { examineStore } from './doctor';
import { scheduleStages, type StageCost } from './scheduler';
import { acquireStoreLock, type LockHolder } from './storeLock';
import { loadedBackendLabel } from './tf/backendState';
import { loadUserComponent, readUserDeclaration, type UserComponent } from './userComponent';
import type { StaticDeclaration } from '../core/declarationReader';
import { describeError, runStage, StageMustExecute } from './stageRun';

/** The pipeline file is invalid: one diagnostic per problem (the CLI exits 2). */
export class SpecError extends PipewiseError {
  constructor(readonly diagnostics: readonly SpecDiagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'), { code: 'spec' });
    this.name = 'SpecError';
  }
}

export interface LoadedPipeline {
  readonly parsed: ParsedPipeline;
  /** Parse and validation diagnostics (errors and warnings). */
  readonly diagnostics: readonly SpecDiagnostic[];
  readonly spec: PipelineSpec | undefined;
  /** User components' declarations by the `component:` text, read without running their modules. */
  readonly userComponents: ReadonlyMap<string, StaticDeclaration | Error>;
}

/**
 * Reads (unless `text` is given), parses and validates a pipeline file. The user components it
 * names are checked against their declarations, read from their source text: nothing here runs a
 * module (validating a pull request must not run its code); `runPipeline` loads them to run them.
 */
export async function loadPipeline(file: string, text?: string): Promise<LoadedPipeline> {
  const abs = path.resolve(file);
  let source = text;
  if (source === undefined) {
    try {
      source = await fs.readFile(abs, 'utf8');
    } catch (e) {
      throw new PipewiseError(`cannot read the pipeline file: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : errorMessage(e)}`, {
        file: abs,
        code: 'usage',
      });
    }
  }
  const parsed = parsePipeline(source, abs);
  const userComponents = new Map<string, StaticDeclaration | Error>();
  for (const stage of parsed.spec?.stages ?? []) {
    if (!isUserComponentRef(stage.component) || userComponents.has(stage.component)) continue;
    try {
      userComponents.set(stage.component, await readUserDeclaration(path.dirname(abs), stage.component));
    } catch (e) {
      userComponents.set(stage.component, e instanceof Error ? e : new Error(String(e)));
    }
  }
  const declarations = new Map<string, ComponentDeclaration | Error>();
  for (const [k, v] of userComponents) declarations.set(k, v instanceof Error ? v : v.declaration);
  const diagnostics = validatePipeline(parsed, { userComponents: declarations });
  return { parsed, diagnostics, spec: parsed.spec, userComponents };
}

export interface RunPipelineOptions extends RunSelection {
  readonly file: string;
  /** Pipeline text not yet saved; the file's folder still anchors paths and the store. */
  readonly text?: string;
  /** Cancels the run: the running stage is marked cancelled, its temporary outputs removed. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (e: RunEvent) => void;
  /** The TF.js backend, when the caller knows it (reported in RunResult). */
  readonly backend?: string;
  /** Where executors come from; defaults to the built-in registry. */
  readonly loadExecutor?: (component: string) => Promise<ComponentExecutor<never> | undefined>;
  /**
   * When another live process holds the store's lock: wait up to this many ms (Infinity: no
   * bound) instead of being refused at once with a StoreLockedError naming the holder.
   */
  readonly lockWaitMs?: number;
  /** Independent stages run at once, up to this many (bounded by cores and memory; default 1). */
  readonly jobs?: number;
  /** Called once when the run starts waiting for another process's lock. */
  readonly onLockWait?: (holder: LockHolder) => void;
  /** What this run is, as other processes see it in the lock (default `pipewise run FILE`). */
  readonly lockCommand?: string;
  /** Called once the store's lock is held, with the store's root (a supervisor cleans up there if this process dies). */
  readonly onStoreLocked?: (storeRoot: string) => void;
}

/**
 * Runs the pipeline and resolves with its result; a failed stage does not reject (see
 * `result.status`). Rejects with SpecError for an invalid file and PipewiseError (code `usage`)
 * for a bad selection.
 */
export async function runPipeline(options: RunPipelineOptions): Promise<RunResult> {
  const result = await startRun(options, false);
  // Only a cached-only run hands over (resolves undefined).
  if (!result) throw new Error('a run that may execute its stages ended without a result');
  return result;
}

/**
 * The run, if every selected stage is reused from the cache; otherwise undefined, having written
 * nothing of it (no run or execution record; recovery may have healed the store, as any run's
 * does) and released the store's lock. Undefined also, before any user module is loaded, when a
 * selected stage is a user component, and never with `force`. So no component executes here, and
 * no user code runs: `pipewise run` (src/cli/main.ts) finishes a cached re-run in its own process
 * and starts the supervised child only for a run that executes something.
 * Its events reach `onEvent` once the run is known to be cached, before it resolves.
 */
export async function runPipelineIfCached(options: RunPipelineOptions): Promise<RunResult | undefined> {
  if (options.force) return undefined;
  const events: RunEvent[] = [];
  const result = await startRun({ ...options, onEvent: (e) => events.push(e) }, true);
  if (result) {
    for (const e of events) {
      try {
        options.onEvent?.(e);
      } catch {
        // A listener's failure must not break the run (as in runLocked's emit).
      }
    }
  }
  return result;
}

async function startRun(options: RunPipelineOptions, cachedOnly: boolean): Promise<RunResult | undefined> {
  const started = Date.now();
  const file = path.resolve(options.file);
  const loaded = await loadPipeline(file, options.text);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length || !loaded.spec) throw new SpecError(errors);
  const spec = loaded.spec;
  const pipelineDir = path.dirname(file);
  const graph = buildGraph(spec);
  const selection = selectStages(graph, { only: options.only, from: options.from });
  // A user module runs its code when loaded: that is the supervised process's work (decided before the lock is taken).
  if (cachedOnly && selection.required.some((n) => isUserComponentRef(spec.stages.find((st) => st.name === n)?.component ?? ''))) return undefined;
  const store = ArtifactStore.dedicated(pipelineDir, confinePath(pipelineDir, spec.store, 'store'), spec.store);
  const lineage = new Lineage(store.metadataDir);
  const lock = await acquireStoreLock(store.root, {
    command: options.lockCommand ?? `pipewise run ${path.basename(file)}`,
    waitMs: options.lockWaitMs,
    onWait: options.onLockWait,
    signal: options.signal,
  });
  try {
    options.onStoreLocked?.(store.root);
    lineage.readUnderLock();
    return await runLocked(options, { started, file, loaded, spec, pipelineDir, graph, selection, store, lineage, cachedOnly });
  } finally {
    await lock.release();
  }
}

interface LockedRun {
  readonly started: number;
  readonly file: string;
  readonly loaded: LoadedPipeline;
  readonly spec: PipelineSpec;
  readonly pipelineDir: string;
  readonly graph: ReturnType<typeof buildGraph>;
  readonly selection: ReturnType<typeof selectStages>;
  readonly store: ArtifactStore;
  readonly lineage: Lineage;
  /** `runPipelineIfCached`: resolve undefined, having written nothing, if a stage must execute. */
  readonly cachedOnly: boolean;
}

async function runLocked(options: RunPipelineOptions, ctx: LockedRun): Promise<RunResult | undefined> {
  const { started, file, loaded, spec, pipelineDir, graph, selection, store, lineage, cachedOnly } = ctx;
  await recover(store, lineage);
  if (cachedOnly) lineage.deferWrites();
  /** Set when a stage of a cached-only run must execute: the run is dropped. */
  let mustExecute = false;
  // Now, and only to run them, the user modules of the selected stages are loaded (their code runs).
  const userModules = new Map<string, UserComponent | Error>();
  for (const name of selection.required) {
    const ref = spec.stages.find((st) => st.name === name)?.component;
    if (!ref || !isUserComponentRef(ref) || userModules.has(ref)) continue;
    userModules.set(ref, await loadUserComponent(pipelineDir, ref).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))));
  }

  const runId = newId();
  const emit = (e: RunEvent): void => {
    try {
      options.onEvent?.(e);
    } catch {
      // A listener's failure must not break the run.
    }
  };
  const stagesByName = new Map(spec.stages.map((s) => [s.name, s]));
  const results = new Map<string, StageResult>();
  /** Output artifacts of every finished (or cached) stage. */
  const produced = new Map<string, Record<string, ArtifactRecord>>();
  const runRecord = (status: RunRecord['status']): RunRecord => ({
    id: runId,
    pipeline: spec.name,
    file,
    status,
    startedAt: new Date(started).toISOString(),
    finishedAt: status === 'running' ? undefined : new Date().toISOString(),
    durationMs: status === 'running' ? undefined : Date.now() - started,
    ...runOwner(),
    selection: { only: options.only, from: options.from, force: options.force },
    stages: selection.required.map((n) => results.get(n)).filter((r): r is StageResult => !!r),
  });
  await lineage.putRun(runRecord('running'));
  emit({
    kind: 'runStarted',
    runId,
    pipeline: spec.name,
    file,
    stages: selection.required.map((n) => ({ name: n, component: stagesByName.get(n)?.component ?? '', planned: selection.planned.has(n) })),
    backend: options.backend,
  });

  const loadExecutor = options.loadExecutor ?? loadBuiltinExecutor;
  const runOne = async (name: string): Promise<void> => {
    const stage = stagesByName.get(name) as StageSpec;
    const finish = (r: StageResult): void => {
      results.set(name, r);
      emit({ kind: 'stageFinished', runId, stage: r });
    };
    const blocked = [...(graph.upstream.get(name) ?? [])].filter((u) => {
      const s = results.get(u)?.status;
      return s !== 'succeeded' && s !== 'cached';
    });
    if (mustExecute || options.signal?.aborted || blocked.length) {
      finish({
        name,
        component: stage.component,
        status: 'skipped',
        durationMs: 0,
        artifacts: {},
        error: options.signal?.aborted ? 'the run was cancelled' : `upstream stage ${blocked.join(', ')} did not succeed`,
      });
      return;
    }
    const r = await runStage({
      stage,
      spec,
      runId,
      pipelineDir,
      store,
      lineage,
      force: !!options.force && selection.planned.has(name),
      user: userModules.get(stage.component),
      loadExecutor,
      produced,
      signal: options.signal,
      emit,
      cachedOnly,
    }).catch((e: unknown): StageResult => {
      if (e instanceof StageMustExecute) mustExecute = true; // its downstream is skipped, and the run dropped below
      return { name, component: stage.component, status: 'failed', durationMs: 0, artifacts: {}, error: describeError(e) };
    });
    finish(r);
  };
  await scheduleStages({
    order: selection.required,
    upstream: (n) => graph.upstream.get(n) ?? [],
    jobs: options.jobs ?? 1,
    cost: (n) => stageCost(stagesByName.get(n)?.component ?? ''),
    run: runOne,
  });
  if (mustExecute) {
    lineage.dropWrites();
    return undefined;
  }

  const stages = selection.required.map((n) => results.get(n) as StageResult);
  const incomplete = stages.some((s) => s.status !== 'succeeded' && s.status !== 'cached');
  const status: RunResult['status'] = (options.signal?.aborted && incomplete) || stages.some((s) => s.status === 'cancelled')
    ? 'cancelled'
    : stages.some((s) => s.status === 'failed' || s.status === 'skipped')
      ? 'failed'
      : 'succeeded';
  // TF.js loads lazily, with the first model stage: after the stages, the process knows its backend.
  const backend = options.backend ?? loadedBackendLabel();
  let result: RunResult = { runId, pipeline: spec.name, file, status, durationMs: Date.now() - started, ...(backend ? { backend } : {}), stages };
  try {
    await lineage.putRun(runRecord(status));
    await lineage.commitWrites(); // a cached-only run's records, the run's last; nothing otherwise
  } catch (e) {
    // The record stays `running`; `lineage` reports it interrupted and the next start marks it failed.
    result = { ...result, status: status === 'succeeded' ? 'failed' : status, error: `the run's record could not be written: ${describeError(e)}` };
  }
  emit({ kind: 'runFinished', runId, result });
  return result;
}

/** Components that run TensorFlow.js (one engine per process): they run one at a time. */
const TF_COMPONENTS = new Set(['Trainer', 'Tuner', 'Evaluator', 'InfraValidator', 'BulkInferrer']);

function stageCost(component: string): StageCost {
  // A user's component may do anything: it runs alone with the TF.js stages, with their budget.
  if (TF_COMPONENTS.has(component) || isUserComponentRef(component)) return { memory: 1024 ** 3, exclusive: 'tfjs' };
  return { memory: 512 * 1024 ** 2 };
}

/**
 * Heals what a killed or crashed process left (under the lock, so nothing found is another run's
 * work in progress): executions and runs left running are marked failed, half-written lineage
 * files, orphan artifact folders and temporary outputs are removed, records naming paths outside
 * are moved aside. A store holding a symbolic link is refused (StoreLinkError names it); entries
 * the store did not make are left alone. Then the store gets its marker if it lacks it. See doctor.ts.
 */
async function recover(store: ArtifactStore, lineage: Lineage): Promise<void> {
  await examineStore(store, lineage, { fix: true, verifyArtifacts: false, refuseLinks: true });
  await store.mark();
}
