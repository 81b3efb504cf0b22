/**
 * The requests and notifications between a client (extension host, CLI, tests) and the background
 * worker, declared once. Feature areas declare theirs in their own files beside this one
 * (`data.ts`, `notebook.ts` …) in the same style. No `vscode` import: webviews, worker and tests
 * share this file.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { RunEvent, RunResult } from './runEvents';
import type { SpecDiagnostic } from '../core/spec';
import type { RunSelection } from '../core/dag';

export interface WorkerInfo {
  readonly pid: number;
  /** The TensorFlow.js backend in use: `tensorflow` (tfjs-node), `wasm` or `cpu`; undefined until loaded. */
  readonly backend?: string;
  readonly versions: Readonly<Record<string, string>>;
}

export const Initialize = new RequestType0<WorkerInfo, void>('pipewise/initialize');
export const Shutdown = new RequestType0<void, void>('pipewise/shutdown');

export interface RunPipelineParams extends RunSelection {
  readonly file: string;
  /** Pipeline text not yet saved (from an editor); the file's folder still anchors paths. */
  readonly text?: string;
}
/** Cancellable: the run stops, running stages are marked `cancelled`, nothing half-written is kept. */
export const RunPipeline = new RequestType<RunPipelineParams, RunResult, void>('pipewise/runPipeline');
/** Streamed while a run goes. */
export const RunEventNotification = new NotificationType<RunEvent>('pipewise/runEvent');

export interface ValidateParams {
  readonly file: string;
  readonly text?: string;
}
export const ValidatePipeline = new RequestType<ValidateParams, readonly SpecDiagnostic[], void>('pipewise/validate');

