/**
 * What a process doing a run tells the process that watches it, so that the watcher can record the
 * run's end if the worker dies of a signal (a native crash: nothing inside it could). Two pairs use
 * it: the supervised child of `pipewise run` and its supervisor (src/cli/supervise.ts, over the
 * child's IPC channel), and the editor's background worker and its client (src/worker/client.ts,
 * as `RunSupervisionNotification`, src/protocol/workerSupervision.ts). The watcher folds the messages into a `SupervisedRun`; after a
 * signal death the runs still going are recorded failed by src/engine/runDeath.ts — one place for both.
 * No import with weight: `pipewise run`'s supervisor loads this module and little else.
 */
import type { RunEvent } from './runEvents';

/** Signals that mean a crash of the process itself (native code), not a request to stop. */
export const CRASH_SIGNALS: ReadonlySet<string> = new Set(['SIGFPE', 'SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGABRT', 'SIGTRAP', 'SIGSYS']);

/** What the working process says about its run, as it goes. */
export type SupervisionMessage =
  /** The stage (or other work) it has started; `executionId` for a stage of a run. */
  | { readonly pipewiseStage: string; readonly executionId?: string }
  /** A stage's execution has ended (its records are written). */
  | { readonly pipewiseStageEnded: string }
  /** It holds the lock of the store at this root. */
  | { readonly pipewiseStore: string }
  /** Its run has started: the run's id and its stages' components. */
  | { readonly pipewiseRun: string; readonly components: Readonly<Record<string, string>> };

export function isSupervisionMessage(m: unknown): m is SupervisionMessage {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  return (
    typeof o.pipewiseStage === 'string' ||
    typeof o.pipewiseStageEnded === 'string' ||
    typeof o.pipewiseStore === 'string' ||
    (typeof o.pipewiseRun === 'string' && typeof o.components === 'object' && o.components !== null)
  );
}

/** What a run event tells the watcher (the run, the stages running), if anything. */
export function supervisionMessageOf(e: RunEvent): SupervisionMessage | undefined {
  if (e.kind === 'runStarted') return { pipewiseRun: e.runId, components: Object.fromEntries(e.stages.map((s) => [s.name, s.component])) };
  if (e.kind === 'stageStarted') return { pipewiseStage: e.stage, executionId: e.executionId };
  if (e.kind === 'stageFinished' && e.stage.executionId) return { pipewiseStageEnded: e.stage.executionId };
  return undefined;
}

/** A run as its watcher knows it: enough to record its end if its process dies. */
export interface DeadRun {
  /** The store's root, once its lock is held. */
  readonly store?: string;
  readonly runId?: string;
  /** Stage → component. */
  readonly components: Readonly<Record<string, string>>;
  /** Executions running at the death, with their stages. */
  readonly running: readonly { readonly executionId: string; readonly stage: string }[];
}

/** One run, folded from its messages. */
export class SupervisedRun {
  private store?: string;
  private runId?: string;
  private components: Readonly<Record<string, string>> = {};
  /** Executions running now: id → stage. */
  private readonly running = new Map<string, string>();
  /** The last stage (or work) started, executions or not: `pipewise stats` names it. */
  lastStage?: string;

  hear(m: SupervisionMessage): void {
    if ('pipewiseStore' in m) this.store = m.pipewiseStore;
    else if ('pipewiseRun' in m) {
      this.runId = m.pipewiseRun;
      this.components = m.components;
    } else if ('pipewiseStageEnded' in m) this.running.delete(m.pipewiseStageEnded);
    else {
      this.lastStage = m.pipewiseStage;
      if (m.executionId) this.running.set(m.executionId, m.pipewiseStage);
    }
  }

  /** Whether it has anything a death would leave unrecorded (a store it locked). */
  get started(): boolean {
    return this.store !== undefined;
  }

  snapshot(): DeadRun {
    return {
      ...(this.store !== undefined ? { store: this.store } : {}),
      ...(this.runId !== undefined ? { runId: this.runId } : {}),
      components: this.components,
      running: [...this.running].map(([executionId, stage]) => ({ executionId, stage })),
    };
  }
}
