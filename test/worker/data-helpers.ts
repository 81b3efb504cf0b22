/** A hand-built ComponentContext for calling data component executors directly in a temp folder. */
import { promises as fs, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ArtifactRef, ArtifactType } from '../../src/core/artifacts';
import { findComponent } from '../../src/core/catalogue';
import { confinePath } from '../../src/core/paths';
import type { ComponentContext, ComponentExecutor } from '../../src/engine/component';

export interface RunOutcome {
  readonly outputs: Record<string, ArtifactRef>;
  readonly logs: string[];
}

let counter = 0;

const made: string[] = [];
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary folder, removed when the test process exits. */
export async function tempDir(prefix = 'pipewise-data-'): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

/**
 * Runs `executor` as the orchestrator would: parameters through the component's zod schema (so
 * defaults apply), empty output folders under `dir/.pipewise`, paths confined to `dir`.
 */
export async function runComponent<P>(
  executor: ComponentExecutor<P>,
  dir: string,
  params: Record<string, unknown>,
  inputs: Record<string, ArtifactRef | undefined> = {},
  signal: AbortSignal = new AbortController().signal,
): Promise<RunOutcome> {
  const declaration = findComponent(executor.name);
  if (!declaration) throw new Error(`no declaration for ${executor.name}`);
  const parsed = declaration.params.parse(params) as P;
  const executionId = `e${++counter}`;
  const outputs: Record<string, string> = {};
  for (const name of Object.keys(declaration.outputs)) {
    outputs[name] = path.join(dir, '.pipewise', executor.name, executionId, name);
    await fs.mkdir(outputs[name] as string, { recursive: true });
  }
  const properties: Record<string, Record<string, unknown>> = {};
  const logs: string[] = [];
  const ctx: ComponentContext<P> = {
    stage: executor.name.toLowerCase(),
    runId: 'test-run',
    executionId,
    params: parsed,
    inputs,
    outputs,
    pipelineDir: dir,
    storeDir: path.join(dir, '.pipewise'),
    resolvePath: (p, param) => confinePath(dir, p, param),
    signal,
    log: (level, message) => logs.push(`${level}: ${message}`),
    progress: () => undefined,
    metrics: () => undefined,
    setProperties: (output, props) => {
      properties[output] = { ...(properties[output] ?? {}), ...props };
    },
  };
  await executor.run(ctx);
  const refs: Record<string, ArtifactRef> = {};
  for (const [name, uri] of Object.entries(outputs)) {
    refs[name] = {
      id: `${ctx.stage}/${executionId}/${name}`,
      type: declaration.outputs[name]?.type as ArtifactType,
      uri,
      stage: ctx.stage,
      output: name,
      executionId,
      fingerprint: executionId,
      properties: properties[name] ?? {},
    };
  }
  return { outputs: refs, logs };
}
