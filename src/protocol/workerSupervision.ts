/**
 * The worker's side of run supervision (src/protocol/supervision.ts): it tells its client about each
 * run as it goes, and a fresh worker records the runs of one that died of a signal.
 */
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { DeadRun, SupervisionMessage } from './supervision';

/** The worker → client form: `run` tells the worker's concurrent runs apart; `ended` when its request is answered. */
export type RunSupervisionParams = { readonly run: number; readonly message: SupervisionMessage } | { readonly run: number; readonly ended: true };
export const RunSupervisionNotification = new NotificationType<RunSupervisionParams>('pipewise/runSupervision');

export interface RecordRunDeathParams {
  /** The runs the dead worker was doing. */
  readonly runs: readonly DeadRun[];
  /** The dead worker's pid: its records and lock name it. */
  readonly pid: number;
  readonly signal: string;
}
/** Asked of a fresh worker after one died of a signal mid-run: records its runs and stages failed with the signal. */
export const RecordRunDeath = new RequestType<RecordRunDeathParams, void, void>('pipewise/recordRunDeath');
