import * as vscode from 'vscode';
import path from 'node:path';
import { WorkerClient, WorkerExitedError } from '../worker/client';
import { RunEventNotification, type WorkerInfo } from '../protocol/worker';
import type { RunEvent } from '../protocol/runEvents';

/**
 * Owns the background worker for the extension: started lazily on first need, started again on the
 * next request after it died. Features ask `client()` each time rather than keeping a client.
 */
export class WorkerHost implements vscode.Disposable {
  private current: { client: WorkerClient; ready: Promise<WorkerInfo> } | undefined;
  private readonly onDidStartEmitter = new vscode.EventEmitter<{ client: WorkerClient; info: WorkerInfo }>();
  private readonly onDidExitEmitter = new vscode.EventEmitter<WorkerExitedError>();
  /** Fires with each new worker, so features can subscribe to its notifications. */
  readonly onDidStart = this.onDidStartEmitter.event;
  /** Fires when a worker dies (killed, crashed, or shut down). */
  readonly onDidExit = this.onDidExitEmitter.event;
  private readonly onRunEventEmitter = new vscode.EventEmitter<RunEvent>();
  /**
   * Every RunEvent of every worker. A JSON-RPC connection keeps one handler per notification, so
   * features subscribe here rather than calling `client.onNotification(RunEventNotification, …)`.
   */
  readonly onRunEvent = this.onRunEventEmitter.event;
  private lastInfo: WorkerInfo | undefined;

  constructor(
    private readonly extensionPath: string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get info(): WorkerInfo | undefined {
    return this.lastInfo;
  }

  get isRunning(): boolean {
    return !!this.current?.client.isAlive;
  }

  async client(): Promise<WorkerClient> {
    if (!this.current || !this.current.client.isAlive) {
      const client = new WorkerClient({
        workerPath: path.join(this.extensionPath, 'out', 'worker.js'),
        cwd: this.extensionPath,
        onLog: (p) => this.log[p.level](`[worker] ${p.message}`),
        onStderr: (s) => this.log.debug(`[worker stderr] ${s.trimEnd()}`),
      });
      client.onNotification(RunEventNotification, (e) => this.onRunEventEmitter.fire(e));
      client.onExit((e) => {
        this.log.warn(e.message);
        this.onDidExitEmitter.fire(e);
      });
      const ready = client.initialize().then((info) => {
        this.lastInfo = info;
        this.log.info(`Worker ${info.pid} ready (TensorFlow.js backend: ${info.backend ?? 'not loaded yet'})`);
        this.onDidStartEmitter.fire({ client, info });
        return info;
      });
      this.current = { client, ready };
    }
    await this.current.ready;
    return this.current.client;
  }

  /** Stops the worker; the next `client()` starts a fresh one (a notebook kernel restart uses this). */
  async restart(): Promise<void> {
    const c = this.current;
    this.current = undefined;
    if (c) await c.client.shutdown();
  }

  dispose(): void {
    void this.current?.client.shutdown();
    this.onDidStartEmitter.dispose();
    this.onDidExitEmitter.dispose();
    this.onRunEventEmitter.dispose();
  }
}
