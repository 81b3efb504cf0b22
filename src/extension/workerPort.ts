import * as vscode from 'vscode';
import path from 'node:path';
import type { CancellationToken, NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import { recordDeathOf, WorkerClient, WorkerExitedError } from '../worker/client';

// The port's typed failures, for features that tell a dead worker from a failed request.
export { CancellationTokenSource, WorkerExitedError } from '../worker/client';
import { errorDetail, errorMessage, typedWorkerError } from '../protocol/errors';
import type { WorkerInfo } from '../protocol/worker';
import { parseWasmThreads, WASM_THREADS_ENV } from '../core/wasmThreads';
import { readConfig } from './config';
import { Disposable, own, type Owner } from './disposable';
import { NotificationFanout } from './workerPortFanout';

/**
 * The extension's one doorway to the background worker. It alone holds the worker client: it starts
 * the worker lazily on the first request and again on the next request after it died; `request`
 * maps the worker's error codes to typed errors (src/protocol/errors.ts); `on` fans each
 * notification out to every subscriber (a JSON-RPC connection keeps one handler per method, so
 * nothing else may call `onNotification`), re-subscribes on every new worker, and ties each
 * subscription to its owner. See docs/ARCHITECTURE.md, "The worker port".
 */
export class WorkerPort extends Disposable {
  private current: { client: WorkerClient; ready: Promise<WorkerInfo> } | undefined;
  private readonly fanout = new NotificationFanout((method, e) => this.log.error(`[worker] a ${method} subscriber failed: ${errorDetail(e)}`));
  private readonly onDidExitEmitter = this._register(new vscode.EventEmitter<WorkerExitedError>());
  /** Fires when a worker dies (killed, crashed, or shut down). */
  readonly onDidExit = this.onDidExitEmitter.event;
  private lastInfo: WorkerInfo | undefined;
  /** A dead worker's runs being recorded failed by the next worker (see `start`). */
  private recording: Promise<void> | undefined;

  constructor(
    private readonly extensionPath: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('pipewise.training.wasmThreads') && this.isRunning) {
          this.log.info('pipewise.training.wasmThreads changed: it applies to the next worker (restart the notebook kernel or reload the window)');
        }
      }),
    );
  }

  /** The last started worker's pid, TensorFlow.js backend and versions. */
  get info(): WorkerInfo | undefined {
    return this.lastInfo;
  }

  get isRunning(): boolean {
    return !!this.current?.client.isAlive;
  }

  /** A request to the worker (started if need be); fails with a typed error (src/protocol/errors.ts) or `WorkerExitedError`. */
  request<R>(type: RequestType0<R, void>, token?: CancellationToken): Promise<R>;
  request<P, R>(type: RequestType<P, R, void>, params: P, token?: CancellationToken): Promise<R>;
  async request(type: RequestType0<unknown, void> | RequestType<unknown, unknown, void>, ...rest: unknown[]): Promise<unknown> {
    if (this.recording) await this.recording;
    const client = await this.client();
    try {
      return await (client.request as (t: unknown, ...a: unknown[]) => Promise<unknown>)(type, ...rest);
    } catch (e) {
      throw typedWorkerError(e);
    }
  }

  /**
   * Calls `handler` with every `type` notification of this and every later worker, until the returned
   * disposable (also handed to `owner`, when given) is disposed. Never starts the worker.
   */
  on<P>(type: NotificationType<P>, handler: (params: P) => void, owner?: Owner): vscode.Disposable {
    return own(owner, new vscode.Disposable(this.fanout.subscribe(type, handler)));
  }

  /**
   * The running worker process, started if need be: its pid, whether it lives, and kill — for tests
   * that kill it. Features use `request` and `on`; the client stays the port's own.
   */
  async process(): Promise<Pick<WorkerClient, 'pid' | 'isAlive' | 'kill'>> {
    return this.client();
  }

  private async client(): Promise<WorkerClient> {
    if (!this.current || !this.current.client.isAlive) this.current = this.start();
    await this.current.ready;
    return this.current.client;
  }

  private start(): { client: WorkerClient; ready: Promise<WorkerInfo> } {
    const client = new WorkerClient({
      workerPath: path.join(this.extensionPath, 'out', 'worker.js'),
      cwd: this.extensionPath,
      env: this.trainingEnv(),
      onStderr: (s) => this.log.debug(`[worker stderr] ${s.trimEnd()}`),
    });
    this.fanout.attach(client);
    client.onExit((e) => {
      this.log.warn(e.message);
      this.onDidExitEmitter.fire(e);
      // Died of a signal mid-run (a native crash): a fresh worker records its runs and stages failed with the signal, in the store's lineage.
      // Requests wait for it (`request`): a run started at once must not find the store's lock held by the recording.
      if (e.signal && e.deadRuns.length && !this.isDisposed) {
        const recording = this.client()
          .then((next) => recordDeathOf(e, next))
          .then(
            () => this.log.info(`the run${e.deadRuns.length > 1 ? 's' : ''} of the worker that died of ${e.signal} are recorded failed`),
            (err: unknown) => this.log.error(`the runs of the worker that died of ${e.signal} could not be recorded (the next run's recovery marks them failed): ${errorDetail(err)}`),
          )
          .finally(() => {
            if (this.recording === recording) this.recording = undefined;
          });
        this.recording = recording;
      }
    });
    const ready = client.initialize().then((info) => {
      this.lastInfo = info;
      this.log.info(`Worker ${info.pid} ready (TensorFlow.js backend: ${info.backend ?? 'not loaded yet'})`);
      return info;
    });
    return { client, ready };
  }

  /**
   * `pipewise.training.wasmThreads` for the worker's TF.js (read when a worker starts; TF.js picks its
   * backend once per process). A wrong value is shown and the worker runs single-threaded.
   */
  private trainingEnv(): NodeJS.ProcessEnv {
    const setting = 'pipewise.training.wasmThreads';
    try {
      return { [WASM_THREADS_ENV]: String(parseWasmThreads(readConfig().training.wasmThreads, setting)) };
    } catch (e) {
      this.log.error(errorDetail(e));
      void vscode.window.showWarningMessage(`${errorMessage(e)}. Training runs single-threaded.`);
      return { [WASM_THREADS_ENV]: '0' };
    }
  }

  /** Stops the worker; the next request starts a fresh one (a notebook kernel restart uses this). */
  async restart(): Promise<void> {
    const c = this.current;
    this.current = undefined;
    if (c) await c.client.shutdown();
  }

  override dispose(): void {
    void this.current?.client.shutdown();
    this.fanout.clear();
    super.dispose();
  }
}
