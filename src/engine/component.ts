import type { ArtifactRef } from '../core/artifacts';
import type { MetricsPoint } from '../protocol/runEvents';

/**
 * What a component's code gets when the orchestrator runs it. Outputs are empty temporary folders
 * that the orchestrator renames into place only after `run` resolves, so a crash or a cancel never
 * leaves a half artifact behind.
 */
export interface ComponentContext<P = Record<string, unknown>> {
  readonly stage: string;
  readonly runId: string;
  readonly executionId: string;
  /** Parameters after the component's zod schema applied its defaults. */
  readonly params: P;
  /** Input name → artifact (absent only for an optional input left out). */
  readonly inputs: Readonly<Record<string, ArtifactRef | undefined>>;
  /** Output name → an existing empty folder to write the artifact into. */
  readonly outputs: Readonly<Record<string, string>>;
  /** Folder of the pipeline file. */
  readonly pipelineDir: string;
  /** The store root (`.pipewise/` by default). */
  readonly storeDir: string;
  /**
   * A user path made absolute and confined to the pipeline's folder: `..` that escapes it, or an
   * absolute path outside it, throws a PipewiseError naming the parameter and the value.
   */
  resolvePath(path: string, param: string): string;
  /**
   * Stages downstream that cannot take a decision forest (`forestRefusersOf` in src/core/dag.ts): a
   * Trainer's `model: auto` then leaves trees out. Part of the stage's cache key.
   */
  readonly forestRefusers?: readonly string[];
  /** Aborted when the run is cancelled; long loops check it (and tf training stops on it). */
  readonly signal: AbortSignal;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  progress(fraction?: number, message?: string): void;
  metrics(point: MetricsPoint): void;
  /** Record small facts on an output artifact (split names, counts, blessed …). */
  setProperties(output: string, properties: Record<string, unknown>): void;
}

/** What a fingerprint may look at besides the params: the store (e.g. for the last blessed model). */
export interface FingerprintContext {
  readonly storeDir: string;
  readonly pipeline: string;
  /** The stage's input artifacts, as `run` will get them. */
  readonly inputs: Readonly<Record<string, ArtifactRef | undefined>>;
}

export interface ComponentExecutor<P = Record<string, unknown>> {
  readonly name: string;
  run(ctx: ComponentContext<P>): Promise<void>;
  /**
   * A fingerprint of what the component reads from outside the store (ExampleGen's data files, a
   * curated schema file, a user module), folded into the cache key.
   */
  externalFingerprint?(params: P, resolvePath: (path: string, param: string) => string, store: FingerprintContext): Promise<string>;
}
