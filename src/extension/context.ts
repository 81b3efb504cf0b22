import type * as vscode from 'vscode';
import type { WorkerPort } from './workerPort';

/**
 * What every feature of the extension is built from: one object, made once in `activate`
 * (src/extension/extension.ts, the composition root). Features tie their disposables to
 * `extension.subscriptions`. In its own file so no feature imports the composition root.
 */
export interface PipewiseContext {
  readonly extension: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  /** The one doorway to the background worker. */
  readonly worker: WorkerPort;
}
