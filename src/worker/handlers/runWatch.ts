/**
 * Tells the worker's client what each run is doing (the store it locked, its id, the stages
 * running; src/protocol/supervision.ts), so that if this process dies of a signal mid-stage (a
 * native crash inside DuckDB, TensorFlow.js or a user component's module) the client can have the
 * run and the stage recorded failed with the signal (RecordRunDeath, in a fresh worker).
 */
import type { MessageConnection } from 'vscode-jsonrpc/node';
import type { RunEvent } from '../../protocol/runEvents';
import { supervisionMessageOf } from '../../protocol/supervision';
import { RunSupervisionNotification, type RunSupervisionParams } from '../../protocol/workerSupervision';

let send: ((p: RunSupervisionParams) => void) | undefined;
let nextRun = 0;

/** Called once by the worker's main: the connection the runs are reported on. */
export function reportRunsTo(connection: MessageConnection): void {
  send = (p) => void connection.sendNotification(RunSupervisionNotification, p);
}

export interface WatchedRun {
  /** Pass each of the run's events (runPipeline's `onEvent`). */
  readonly onEvent: (e: RunEvent) => void;
  /** runPipeline's `onStoreLocked`. */
  readonly onStoreLocked: (storeRoot: string) => void;
  /** The run's request is answered: nothing of it is left to record. */
  readonly end: () => void;
}

/** The reporting of one run (its number tells concurrent runs apart). */
export function watchRun(): WatchedRun {
  const run = nextRun++;
  return {
    onEvent: (e) => {
      const message = supervisionMessageOf(e);
      if (message) send?.({ run, message });
    },
    onStoreLocked: (storeRoot) => send?.({ run, message: { pipewiseStore: storeRoot } }),
    end: () => send?.({ run, ended: true }),
  };
}
