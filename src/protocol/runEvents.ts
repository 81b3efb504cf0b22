/**
 * What a pipeline run reports while it goes and when it ends. Shared by the engine, the worker's
 * notifications, the CLI's `--json` output (docs/ARCHITECTURE.md, "Contracts"), the graph view and notebooks.
 */

export type StageStatus = 'pending' | 'running' | 'succeeded' | 'cached' | 'failed' | 'skipped' | 'cancelled';

export interface MetricsPoint {
  /** `epoch` points are per epoch; `batch` points are throttled within an epoch; `trial` for Tuner. */
  readonly scope: 'epoch' | 'batch' | 'trial';
  /** Counted from 1, as Keras prints them. */
  readonly epoch?: number;
  readonly batch?: number;
  readonly trial?: number;
  readonly values: Readonly<Record<string, number>>;
}

export type RunEvent =
  | {
      readonly kind: 'runStarted';
      readonly runId: string;
      readonly pipeline: string;
      readonly file: string;
      readonly stages: readonly { readonly name: string; readonly component: string; readonly planned: boolean }[];
      readonly backend?: string;
    }
  | { readonly kind: 'stageStarted'; readonly runId: string; readonly stage: string; readonly executionId: string }
  | { readonly kind: 'stageProgress'; readonly runId: string; readonly stage: string; readonly fraction?: number; readonly message?: string }
  | { readonly kind: 'stageLog'; readonly runId: string; readonly stage: string; readonly level: 'info' | 'warn' | 'error'; readonly message: string }
  | { readonly kind: 'stageMetrics'; readonly runId: string; readonly stage: string; readonly point: MetricsPoint }
  | { readonly kind: 'stageFinished'; readonly runId: string; readonly stage: StageResult }
  | { readonly kind: 'runFinished'; readonly runId: string; readonly result: RunResult };

/** One stage's outcome, as `pipewise run --json` prints it. */
export interface StageResult {
  readonly name: string;
  readonly component: string;
  readonly status: StageStatus;
  readonly durationMs: number;
  /** Output name → absolute path of the artifact folder. */
  readonly artifacts: Readonly<Record<string, string>>;
  readonly executionId?: string;
  readonly error?: string;
}

/** `pipewise run --json` prints exactly this object. */
export interface RunResult {
  readonly runId: string;
  readonly pipeline: string;
  readonly file: string;
  readonly status: 'succeeded' | 'failed' | 'cancelled';
  readonly durationMs: number;
  readonly backend?: string;
  readonly stages: readonly StageResult[];
  /** What went wrong with the run itself (not a stage), e.g. its record could not be written. */
  readonly error?: string;
}

/** What the editor (graph, status bar, Runs view) shows of one stage while and after a run: the run events folded (src/extension/runs/runView.ts). */
export interface StageView {
  readonly status: StageStatus;
  readonly durationMs?: number;
  /** 0..1 while running, when the stage reports it. */
  readonly fraction?: number;
  readonly message?: string;
  readonly error?: string;
  /** Output name → absolute artifact folder. */
  readonly artifacts?: Readonly<Record<string, string>>;
}

export interface RunView {
  readonly runId?: string;
  readonly running: boolean;
  readonly stages: Readonly<Record<string, StageView>>;
  readonly backend?: string;
  readonly status?: 'succeeded' | 'failed' | 'cancelled';
  readonly durationMs?: number;
}

/** What a run command returns: the worker's result, or why it did not start. */
export type RunOutcome =
  | { readonly status: 'refused'; readonly reason: 'untrusted' | 'busy' | 'invalid' | 'error'; readonly message: string }
  | (RunResult & { readonly error?: string });
