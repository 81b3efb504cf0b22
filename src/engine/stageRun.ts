/**
 * One stage of a run: what runs it (a user module or a built-in executor), its parameters parsed by
 * its declaration, its inputs from the stages before it, the cache key; then an intact cached
 * execution is reused, or the component runs with its outputs in temporary folders that are renamed
 * into place only on success. Every step is recorded in the lineage.
 */
import type { z } from 'zod';
import type { ArtifactRef } from '../core/artifacts';
import { cacheKey } from '../core/cacheKey';
import { stageDeclaration } from '../core/catalogue';
import type { ComponentDeclaration } from '../core/component';
import { CancelledError, isCancelled, PipewiseError, errorMessage } from '../core/errors';
import { confinePath } from '../core/paths';
import type { PipelineSpec, StageSpec } from '../core/spec';
import type { RunEvent, StageResult, StageStatus } from '../protocol/runEvents';
import type { ComponentContext, ComponentExecutor } from './component';
import { runOwner, type ArtifactRecord, type ExecutionRecord, type InputEvent, type Lineage } from './lineage';
import { fingerprintArtifact, newId, type ArtifactStore } from './store';
import { ProgressGate } from './progressGate';
import type { UserComponent } from './userComponent';
import { forestRefusersOf } from '../core/dag';

export interface StageRun {
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
  /** Reuse from the cache or stop: a stage that would execute (or finds damaged cached outputs) throws `StageMustExecute`. */
  readonly cachedOnly?: boolean;
}

/** In a cached-only run: this stage must execute (or repair the cache), which is another process's work. */
export class StageMustExecute extends Error {
  constructor(readonly stage: string) {
    super(`stage '${stage}' must execute`);
    this.name = 'StageMustExecute';
  }
}

/** Builds a stage's result when it ends without outputs (failed, cancelled). */
type Fail = (status: StageStatus, error: string, executionId?: string) => StageResult;

/** What every execution record of one stage in one run shares. */
type ExecutionCommon = Omit<ExecutionRecord, 'id' | 'state' | 'outputs' | 'startedAt'>;

/** A stage whose component, parameters and inputs are resolved and whose cache key is known. */
interface ReadyStage {
  readonly s: StageRun;
  readonly declaration: ComponentDeclaration;
  readonly executor: ComponentExecutor;
  readonly params: Record<string, unknown>;
  readonly inputs: Record<string, ArtifactRef | undefined>;
  readonly resolvePath: (p: string, param: string) => string;
  readonly outputNames: readonly string[];
  readonly common: ExecutionCommon;
  readonly t0: number;
  readonly fail: Fail;
}

/** One stage: resolve what runs it, its parameters and inputs; reuse a cached execution, or execute it. */
export async function runStage(s: StageRun): Promise<StageResult> {
  const { stage } = s;
  const t0 = Date.now();
  const fail: Fail = (status, error, executionId) => ({ name: stage.name, component: stage.component, status, durationMs: Date.now() - t0, artifacts: {}, executionId, error });

  const component = await resolveComponent(s);
  if (typeof component === 'string') return fail('failed', component);
  const { declaration, executor } = component;
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
    return fail('failed', e instanceof PipewiseError ? e.message : `reading its inputs failed: ${errorMessage(e)}`);
  }
  // What downstream stages can take changes what `model: auto` may choose, so it joins the key.
  const forestRefusers = forestRefusersOf(s.spec, stage.name);
  const key = cacheKey({
    component: s.user ? `user:${declaration.name}` : declaration.name,
    version: declaration.version,
    params,
    inputs: Object.fromEntries(inputEvents.map((e) => [e.input, e.fingerprint])),
    external: forestRefusers.length ? `${external}|forest refused by ${forestRefusers.join(',')}` : external,
  });
  const common: ExecutionCommon = {
    pipeline: s.spec.name,
    pipelineFile: s.spec.file,
    runId: s.runId,
    stage: stage.name,
    component: stage.component,
    componentVersion: declaration.version,
    cacheKey: key,
    params,
    inputs: inputEvents,
    ...runOwner(),
  };
  const ready: ReadyStage = { s, declaration, executor, params, inputs, resolvePath, outputNames: Object.keys(declaration.outputs), common, t0, fail };
  if (!s.force) {
    const cached = await reuseCached(ready);
    if (cached) return cached;
  }
  if (s.cachedOnly) throw new StageMustExecute(stage.name);
  return execute(ready);
}

/** What runs a stage: its user module, or a built-in executor; a string says why there is none. */
async function resolveComponent(s: StageRun): Promise<{ declaration: ComponentDeclaration; executor: ComponentExecutor } | string> {
  const { stage } = s;
  if (s.user instanceof Error) return s.user.message;
  if (s.user) return { declaration: s.user.declaration, executor: s.user.executor };
  const declaration = stageDeclaration(stage.component, stage.params);
  if (!declaration) return `unknown component '${stage.component}'`;
  let executor: ComponentExecutor | undefined;
  try {
    executor = (await s.loadExecutor(stage.component)) as ComponentExecutor | undefined;
  } catch (e) {
    return `component ${stage.component} could not be loaded: ${errorMessage(e)}`;
  }
  return executor ? { declaration, executor } : `component ${stage.component} has no executor in this version of Pipewise yet`;
}

/**
 * An intact earlier execution with the same cache key, recorded as a `cached` execution of this run;
 * damaged cached outputs are reported and marked, never reused. Undefined: the stage must run.
 */
async function reuseCached(r: ReadyStage): Promise<StageResult | undefined> {
  const { s, outputNames, common, t0, fail } = r;
  const { stage, runId, lineage, emit } = s;
  const { hit, damaged } = await lineage.findCached(common.cacheKey, outputNames);
  // Damaged outputs are reported and marked by the run that may execute the stage again.
  if (damaged.length && s.cachedOnly) throw new StageMustExecute(stage.name);
  for (const d of damaged) {
    emit({
      kind: 'stageLog',
      runId,
      stage: stage.name,
      level: 'warn',
      message: `the cached output '${d.output}' of execution ${d.execution.id} is damaged: ${d.problem}; ${hit ? 'using an older intact copy' : 'running the stage again'}`,
    });
    if (!d.marked) await lineage.markArtifacts(d.execution.id, { [d.output]: { state: 'broken', reason: d.problem } }).catch(() => undefined);
  }
  if (!hit) return undefined;
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
  return { name: stage.name, component: stage.component, status: 'cached', durationMs: Date.now() - t0, artifacts: Object.fromEntries(outputs.map((o) => [o.output, o.uri])), executionId };
}

/** Runs the component: outputs go to temporary folders, renamed into place only on success, with the execution recorded at each step. */
async function execute(r: ReadyStage): Promise<StageResult> {
  const { s, declaration, executor, outputNames, common, t0, fail } = r;
  const { stage, runId, store, lineage, emit } = s;
  const executionId = newId();
  const running: ExecutionRecord = { ...common, id: executionId, state: 'running', outputs: [], startedAt: new Date().toISOString() };
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
  const ctx = componentContext(r, executionId, tmpOutputs, stageAbort.signal, properties);

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
    return { name: stage.name, component: stage.component, status: 'succeeded', durationMs, artifacts: Object.fromEntries(outputs.map((o) => [o.output, o.uri])), executionId };
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

/** What the component sees: its parameters, inputs, temporary output folders, and where it reports logs, progress, metrics and output properties. */
function componentContext(
  r: ReadyStage,
  executionId: string,
  outputs: Record<string, string>,
  signal: AbortSignal,
  properties: Record<string, Record<string, unknown>>,
): ComponentContext {
  const { s, declaration, params, inputs, resolvePath, outputNames } = r;
  const { stage, runId, emit } = s;
  const progressGate = new ProgressGate();
  return {
    stage: stage.name,
    runId,
    executionId,
    params,
    inputs,
    outputs,
    pipelineDir: s.pipelineDir,
    storeDir: s.store.root,
    resolvePath,
    forestRefusers: forestRefusersOf(s.spec, stage.name),
    signal,
    log: (level, message) => emit({ kind: 'stageLog', runId, stage: stage.name, level, message }),
    progress: (fraction, message) => {
      if (progressGate.pass(fraction, message)) emit({ kind: 'stageProgress', runId, stage: stage.name, fraction, message });
    },
    metrics: (point) => emit({ kind: 'stageMetrics', runId, stage: stage.name, point }),
    setProperties: (output, props) => {
      if (!outputNames.includes(output)) throw new Error(`setProperties: ${declaration.name} has no output '${output}'`);
      properties[output] = { ...properties[output], ...props };
    },
  };
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
export function describeError(e: unknown, writingUnder?: string): string {
  if (e instanceof PipewiseError) return e.describe();
  if (e instanceof Error) {
    const err = e as NodeJS.ErrnoException;
    const disk = err.code === 'ENOSPC' || err.code === 'EDQUOT' || err.code === 'EROFS' || /No space left on device/i.test(err.message);
    if (disk && writingUnder && !(err.path && err.message.includes(err.path)) && !err.message.includes(writingUnder)) return `${err.message} (writing the stage's outputs under ${writingUnder})`;
    return err.message || err.name;
  }
  return String(e);
}
