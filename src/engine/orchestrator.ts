/**
 * Runs a pipeline locally, the TFX way: stages in topological order, each one's parameters parsed
 * by its component's schema, a cache key over component, version, parameters, input fingerprints and
 * outside content; an unchanged stage is `cached` and reuses its intact outputs; a failed stage
 * skips its downstream. Reports RunEvents through a callback (the CLI and the worker both listen).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { ArtifactRef } from '../core/artifacts';
import { cacheKey } from '../core/cacheKey';
import { findComponent } from '../core/catalogue';
import type { ComponentDeclaration } from '../core/component';
import { buildGraph, selectStages, type RunSelection } from '../core/dag';
import { CancelledError, isCancelled, PipewiseError } from '../core/errors';
import { parsePipeline, type ParsedPipeline } from '../core/parse';
import { confinePath, isUserComponentRef } from '../core/paths';
import type { PipelineSpec, SpecDiagnostic, StageSpec } from '../core/spec';
import { formatDiagnostic } from '../core/spec';
import { validatePipeline } from '../core/validate';
import type { RunEvent, RunResult, StageResult, StageStatus } from '../protocol/runEvents';
import type { ComponentContext, ComponentExecutor } from './component';
import { loadExecutor as loadBuiltinExecutor } from './components/index';
import { Lineage, processStartMs, type ArtifactRecord, type ExecutionRecord, type InputEvent, type RunRecord } from './lineage';
import { ArtifactStore, fingerprintArtifact, newId } from './store';
import { examineStore } from './doctor';
import { scheduleStages, type StageCost } from './scheduler';
import { acquireStoreLock, type LockHolder } from './storeLock';
import { loadedBackend } from './tf/backendState';
import { loadUserComponent, readUserDeclaration, type UserComponent } from './userComponent';
import type { StaticDeclaration } from '../core/declarationReader';
import { ProgressGate } from './progressGate';

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
      throw new PipewiseError(`cannot read the pipeline file: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, {
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
}

/**
 * Runs the pipeline and resolves with its result; a failed stage does not reject (see
 * `result.status`). Rejects with SpecError for an invalid file and PipewiseError (code `usage`)
 * for a bad selection.
 */
export async function runPipeline(options: RunPipelineOptions): Promise<RunResult> {
  const started = Date.now();
  const file = path.resolve(options.file);
  const loaded = await loadPipeline(file, options.text);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length || !loaded.spec) throw new SpecError(errors);
  const spec = loaded.spec;
  const pipelineDir = path.dirname(file);
  const graph = buildGraph(spec);
  const selection = selectStages(graph, { only: options.only, from: options.from });
  const store = new ArtifactStore(confinePath(pipelineDir, spec.store, 'store'));
  const lineage = new Lineage(store.metadataDir);
  const lock = await acquireStoreLock(store.root, {
    command: options.lockCommand ?? `pipewise run ${path.basename(file)}`,
    waitMs: options.lockWaitMs,
    onWait: options.onLockWait,
    signal: options.signal,
  });
  try {
    return await runLocked(options, { started, file, loaded, spec, pipelineDir, graph, selection, store, lineage });
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
}

async function runLocked(options: RunPipelineOptions, ctx: LockedRun): Promise<RunResult> {
  const { started, file, loaded, spec, pipelineDir, graph, selection, store, lineage } = ctx;
  await recover(store, lineage);
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
    pid: process.pid,
    processStart: processStartMs(process.pid),
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
    if (options.signal?.aborted || blocked.length) {
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
    }).catch((e: unknown): StageResult => ({ name, component: stage.component, status: 'failed', durationMs: 0, artifacts: {}, error: describeError(e) }));
    finish(r);
  };
  await scheduleStages({
    order: selection.required,
    upstream: (n) => graph.upstream.get(n) ?? [],
    jobs: options.jobs ?? 1,
    cost: (n) => stageCost(stagesByName.get(n)?.component ?? ''),
    run: runOne,
  });

  const stages = selection.required.map((n) => results.get(n) as StageResult);
  const incomplete = stages.some((s) => s.status !== 'succeeded' && s.status !== 'cached');
  const status: RunResult['status'] = (options.signal?.aborted && incomplete) || stages.some((s) => s.status === 'cancelled')
    ? 'cancelled'
    : stages.some((s) => s.status === 'failed' || s.status === 'skipped')
      ? 'failed'
      : 'succeeded';
  // TF.js loads lazily, with the first model stage: after the stages, the process knows its backend.
  const backend = options.backend ?? loadedBackend();
  let result: RunResult = { runId, pipeline: spec.name, file, status, durationMs: Date.now() - started, ...(backend ? { backend } : {}), stages };
  try {
    await lineage.putRun(runRecord(status));
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
 * files, orphan artifact folders and temporary outputs are removed. See doctor.ts.
 */
async function recover(store: ArtifactStore, lineage: Lineage): Promise<void> {
  await examineStore(store, lineage, { fix: true, verifyArtifacts: false });
}

interface StageRun {
  readonly stage: StageSpec;
  readonly spec: PipelineSpec;
  readonly runId: string;
  readonly pipelineDir: string;
  readonly store: ArtifactStore;
  readonly lineage: Lineage;
  readonly force: boolean;
  readonly user: UserComponent | Error | undefined;
  readonly loadExecutor: (component: string) => Promise<ComponentExecutor<never> | undefined>;
  readonly produced: Map<string, Record<string, ArtifactRecord>>;
  readonly signal?: AbortSignal;
  readonly emit: (e: RunEvent) => void;
}

async function runStage(s: StageRun): Promise<StageResult> {
  const { stage, runId, store, lineage, emit } = s;
  const t0 = Date.now();
  const base = { name: stage.name, component: stage.component };
  const fail = (status: StageStatus, error: string, executionId?: string): StageResult => ({ ...base, status, durationMs: Date.now() - t0, artifacts: {}, executionId, error });

  // What runs it: a user module, or a built-in executor.
  let declaration: ComponentDeclaration | undefined;
  let executor: ComponentExecutor | undefined;
  if (s.user instanceof Error) return fail('failed', s.user.message);
  if (s.user) {
    declaration = s.user.declaration;
    executor = s.user.executor;
  } else {
    declaration = findComponent(stage.component);
    if (!declaration) return fail('failed', `unknown component '${stage.component}'`);
    try {
      executor = (await s.loadExecutor(stage.component)) as ComponentExecutor | undefined;
    } catch (e) {
      return fail('failed', `component ${stage.component} could not be loaded: ${(e as Error).message}`);
    }
    if (!executor) return fail('failed', `component ${stage.component} has no executor in this version of Pipewise yet`);
  }

  const parsedParams = (declaration.params as z.ZodType).safeParse(stage.params);
  if (!parsedParams.success) return fail('failed', `invalid parameters: ${parsedParams.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const params = parsedParams.data as Record<string, unknown>;
  const resolvePath = (p: string, param: string): string => confinePath(s.pipelineDir, p, param);

  // Inputs: the artifacts the upstream stages produced (or reused) in this run.
  const inputs: Record<string, ArtifactRef | undefined> = {};
  const inputEvents: InputEvent[] = [];
  for (const [inputName, ref] of Object.entries(stage.inputs)) {
    const a = s.produced.get(ref.stage)?.[ref.output];
    if (!a) return fail('failed', `input '${inputName}': stage '${ref.stage}' produced no output '${ref.output}'`);
    inputs[inputName] = a;
    inputEvents.push({ input: inputName, artifactId: a.id, uri: a.uri, fingerprint: a.fingerprint });
  }

  let external = '';
  try {
    external = executor.externalFingerprint ? await executor.externalFingerprint(params, resolvePath, { storeDir: s.store.root, pipeline: s.spec.name, inputs }) : '';
  } catch (e) {
    return fail('failed', e instanceof PipewiseError ? e.message : `reading its inputs failed: ${(e as Error).message}`);
  }
  const key = cacheKey({
    component: s.user ? `user:${declaration.name}` : declaration.name,
    version: declaration.version,
    params,
    inputs: Object.fromEntries(inputEvents.map((e) => [e.input, e.fingerprint])),
    external,
  });
  const outputNames = Object.keys(declaration.outputs);
  const common = {
    pipeline: s.spec.name,
    pipelineFile: s.spec.file,
    runId,
    stage: stage.name,
    component: stage.component,
    componentVersion: declaration.version,
    cacheKey: key,
    params,
    inputs: inputEvents,
    pid: process.pid,
    processStart: processStartMs(process.pid),
  };

  if (!s.force) {
    const { hit, damaged } = await lineage.findCached(key, outputNames);
    for (const d of damaged) {
      // A cached artifact that is not what was made: say so, never reuse it, and run the stage.
      emit({
        kind: 'stageLog',
        runId,
        stage: stage.name,
        level: 'warn',
        message: `the cached output '${d.output}' of execution ${d.execution.id} is damaged: ${d.problem}; ${hit ? 'using an older intact copy' : 'running the stage again'}`,
      });
      if (!d.marked) await lineage.markArtifacts(d.execution.id, { [d.output]: { state: 'broken', reason: d.problem } }).catch(() => undefined);
    }
    if (hit) {
      const executionId = newId();
      const outputs = hit.outputs.filter((o) => outputNames.includes(o.output));
      try {
        await lineage.putExecution({
          ...common,
          id: executionId,
          state: 'cached',
          outputs,
          cachedFrom: hit.id,
          startedAt: new Date(t0).toISOString(),
          finishedAt: new Date().toISOString(),
          durationMs: Date.now() - t0,
        });
      } catch (e) {
        const message = describeError(e);
        emit({ kind: 'stageLog', runId, stage: stage.name, level: 'error', message });
        return fail('failed', message, executionId);
      }
      s.produced.set(stage.name, Object.fromEntries(outputs.map((o) => [o.output, o])));
      return { ...base, status: 'cached', durationMs: Date.now() - t0, artifacts: Object.fromEntries(outputs.map((o) => [o.output, o.uri])), executionId };
    }
  }

  // Run it: outputs go to temporary folders, renamed into place only on success.
  const executionId = newId();
  const startedAt = new Date().toISOString();
  const running: ExecutionRecord = { ...common, id: executionId, state: 'running', outputs: [], startedAt };
  let tmpOutputs: Record<string, string>;
  try {
    tmpOutputs = await store.prepareOutputs(executionId, outputNames);
    await lineage.putExecution(running);
  } catch (e) {
    // The store cannot be written (a full disk): nothing ran; what was recorded is repaired by the next start.
    await store.discard(executionId).catch(() => undefined);
    const message = describeError(e);
    emit({ kind: 'stageLog', runId, stage: stage.name, level: 'error', message });
    return fail('failed', message, executionId);
  }
  emit({ kind: 'stageStarted', runId, stage: stage.name, executionId });
  const properties: Record<string, Record<string, unknown>> = {};
  const stageAbort = new AbortController();
  const onAbort = (): void => stageAbort.abort(s.signal?.reason);
  s.signal?.addEventListener('abort', onAbort, { once: true });
  if (s.signal?.aborted) stageAbort.abort(s.signal.reason);
  const progressGate = new ProgressGate();
  const ctx: ComponentContext = {
    stage: stage.name,
    runId,
    executionId,
    params,
    inputs,
    outputs: tmpOutputs,
    pipelineDir: s.pipelineDir,
    storeDir: store.root,
    resolvePath,
    signal: stageAbort.signal,
    log: (level, message) => emit({ kind: 'stageLog', runId, stage: stage.name, level, message }),
    progress: (fraction, message) => {
      if (progressGate.pass(fraction, message)) emit({ kind: 'stageProgress', runId, stage: stage.name, fraction, message });
    },
    metrics: (point) => emit({ kind: 'stageMetrics', runId, stage: stage.name, point }),
    setProperties: (output, props) => {
      if (!outputNames.includes(output)) throw new Error(`setProperties: ${declaration?.name} has no output '${output}'`);
      properties[output] = { ...properties[output], ...props };
    },
  };

  try {
    await untilAborted(executor.run(ctx), stageAbort.signal);
    if (stageAbort.signal.aborted) throw new CancelledError();
    const outputs: ArtifactRecord[] = [];
    for (const o of outputNames) {
      const manifest = await fingerprintArtifact(tmpOutputs[o] as string);
      outputs.push({
        id: `${stage.name}/${executionId}/${o}`,
        type: declaration.outputs[o]?.type ?? 'Examples',
        uri: store.artifactUri(stage.name, executionId, o),
        stage: stage.name,
        output: o,
        executionId,
        fingerprint: manifest.fingerprint,
        properties: properties[o] ?? {},
        files: manifest.files,
      });
    }
    await store.commitOutputs(stage.name, executionId);
    const durationMs = Date.now() - t0;
    await lineage.putExecution({ ...running, state: 'complete', outputs, finishedAt: new Date().toISOString(), durationMs });
    s.produced.set(stage.name, Object.fromEntries(outputs.map((o) => [o.output, o])));
    return { ...base, status: 'succeeded', durationMs, artifacts: Object.fromEntries(outputs.map((o) => [o.output, o.uri])), executionId };
  } catch (e) {
    const cancelled = stageAbort.signal.aborted || isCancelled(e);
    let message = cancelled ? 'cancelled' : describeError(e, store.tmpDir(executionId));
    await store.discard(executionId, stage.name).catch(() => undefined);
    try {
      await lineage.putExecution({ ...running, state: cancelled ? 'cancelled' : 'failed', finishedAt: new Date().toISOString(), durationMs: Date.now() - t0, error: message });
    } catch (w) {
      // Still recorded `running` by a process about to end: the next start marks it failed.
      message += `; its failure could not be recorded either (${describeError(w)})`;
    }
    if (!cancelled) emit({ kind: 'stageLog', runId, stage: stage.name, level: 'error', message });
    return fail(cancelled ? 'cancelled' : 'failed', message, executionId);
  } finally {
    s.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Waits for the stage, or for the abort and then briefly for the stage to notice it: a component
 * that ignores its signal cannot hold a cancelled run hostage.
 */
async function untilAborted(work: Promise<void>, signal: AbortSignal, graceMs = 2000): Promise<void> {
  if (signal.aborted) throw new CancelledError();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([work, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
  if (signal.aborted) {
    work.catch(() => undefined);
    await Promise.race([work.catch(() => undefined), new Promise((r) => setTimeout(r, graceMs).unref())]);
    throw new CancelledError();
  }
}

/** An error as the run output shows it; a write error without a path names the stage's output folder. */
function describeError(e: unknown, writingUnder?: string): string {
  if (e instanceof PipewiseError) return e.describe();
  if (e instanceof Error) {
    const err = e as NodeJS.ErrnoException;
    const disk = err.code === 'ENOSPC' || err.code === 'EDQUOT' || err.code === 'EROFS' || /No space left on device/i.test(err.message);
    if (disk && writingUnder && !(err.path && err.message.includes(err.path)) && !err.message.includes(writingUnder)) return `${err.message} (writing the stage's outputs under ${writingUnder})`;
    return err.message || err.name;
  }
  return String(e);
}
