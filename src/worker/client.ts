/**
 * The client side of the background worker: forks it, speaks JSON-RPC over Node IPC, and notices
 * when it dies. Used by the extension host (under Electron, with ELECTRON_RUN_AS_NODE), the CLI and
 * tests. A dead worker fails its pending requests with the reason; the owner starts a new one.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import {
  CancellationTokenSource,
  createMessageConnection,
  IPCMessageReader,
  IPCMessageWriter,
  type MessageConnection,
  type CancellationToken,
  type NotificationType,
  type RequestType,
  type RequestType0,
  Disposable,
} from 'vscode-jsonrpc/node';
import { Initialize, Shutdown, type WorkerInfo } from '../protocol/worker';
import { SupervisedRun, type DeadRun } from '../protocol/supervision';
import { RecordRunDeath, RunSupervisionNotification } from '../protocol/workerSupervision';

export interface WorkerClientOptions {
  /** Path of the bundled worker (`out/worker.js`). */
  readonly workerPath: string;
  /** The Node executable; in VS Code, `process.execPath` with ELECTRON_RUN_AS_NODE=1. */
  readonly execPath?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly onStderr?: (text: string) => void;
}

export class WorkerExitedError extends Error {
  constructor(
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderrTail: string,
    /** The runs it was doing when it died of a signal (their records still say running): `recordDeathOf` records them. */
    readonly deadRuns: readonly DeadRun[] = [],
    /** Its pid, as those runs' records name it. */
    readonly pid?: number,
  ) {
    const stages = deadRuns.flatMap((r) => r.running.map((x) => `'${x.stage}'`));
    super(
      `The Pipewise worker stopped (${signal ? `killed by ${signal}` : `exit code ${code}`})` +
        (stages.length ? ` during stage${stages.length > 1 ? 's' : ''} ${stages.join(', ')}` : '') +
        (stderrTail.trim() ? `: ${stderrTail.trim().split('\n').slice(-3).join(' | ')}` : ''),
    );
    this.name = 'WorkerExitedError';
  }
}

/**
 * After a worker died of a signal mid-run (a native crash: nothing in it could record why), has
 * `next` (a fresh worker) record its runs and their running stages failed with the signal, in the
 * store's lineage (src/engine/runDeath.ts, as `pipewise run`'s supervisor does). Resolves false
 * when there was nothing to record.
 */
export async function recordDeathOf(dead: WorkerExitedError, next: WorkerClient): Promise<boolean> {
  if (!dead.signal || dead.pid === undefined || !dead.deadRuns.length) return false;
  await next.request(RecordRunDeath, { runs: dead.deadRuns, pid: dead.pid, signal: dead.signal });
  return true;
}

export class WorkerClient implements Disposable {
  private readonly child: ChildProcess;
  readonly connection: MessageConnection;
  private stderrTail = '';
  private exitError: WorkerExitedError | undefined;
  private readonly exitListeners: ((e: WorkerExitedError) => void)[] = [];
  private readonly pending = new Set<(e: Error) => void>();
  /** The worker's runs going now, by its number for them (src/worker/handlers/runWatch.ts). */
  private readonly runs = new Map<number, SupervisedRun>();
  readonly exited: Promise<WorkerExitedError>;

  constructor(private readonly options: WorkerClientOptions) {
    this.child = fork(options.workerPath, [], {
      execPath: options.execPath ?? process.execPath,
      cwd: options.cwd ?? path.dirname(options.workerPath),
      env: { ...process.env, ...options.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
      // Not the parent's flags: a parent under --import tsx or --inspect would hand them to the worker.
      execArgv: [],
    });
    this.child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      this.stderrTail = (this.stderrTail + s).slice(-4000);
      options.onStderr?.(s);
    });
    this.child.stdout?.setEncoding('utf8').on('data', (s: string) => options.onStderr?.(s));
    this.connection = createMessageConnection(new IPCMessageReader(this.child), new IPCMessageWriter(this.child));
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        const dead = signal ? [...this.runs.values()].filter((r) => r.started).map((r) => r.snapshot()) : [];
        const err = new WorkerExitedError(code, signal, this.stderrTail, dead, this.child.pid);
        this.exitError = err;
        for (const reject of this.pending) reject(err);
        this.pending.clear();
        for (const l of this.exitListeners) l(err);
        this.connection.dispose();
        resolve(err);
      });
    });
    this.connection.onNotification(RunSupervisionNotification, (p) => {
      if ('ended' in p) {
        this.runs.delete(p.run);
        return;
      }
      const run = this.runs.get(p.run) ?? new SupervisedRun();
      run.hear(p.message);
      this.runs.set(p.run, run);
    });
    this.connection.listen();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get isAlive(): boolean {
    return !this.exitError;
  }

  onExit(listener: (e: WorkerExitedError) => void): Disposable {
    this.exitListeners.push(listener);
    return Disposable.create(() => {
      const i = this.exitListeners.indexOf(listener);
      if (i >= 0) this.exitListeners.splice(i, 1);
    });
  }

  initialize(): Promise<WorkerInfo> {
    return this.request(Initialize);
  }

  /** A request that fails with WorkerExitedError if the worker dies before answering. */
  request<R>(type: RequestType0<R, void>, token?: CancellationToken): Promise<R>;
  request<P, R>(type: RequestType<P, R, void>, params: P, token?: CancellationToken): Promise<R>;
  request(type: RequestType0<unknown, void> | RequestType<unknown, unknown, void>, ...rest: unknown[]): Promise<unknown> {
    if (this.exitError) return Promise.reject(this.exitError);
    return new Promise((resolve, reject) => {
      this.pending.add(reject);
      (this.connection.sendRequest as (t: unknown, ...a: unknown[]) => Promise<unknown>)(type, ...rest).then(
        (r) => {
          this.pending.delete(reject);
          resolve(r);
        },
        (e: unknown) => {
          this.pending.delete(reject);
          reject(this.exitError ?? e);
        },
      );
    });
  }

  onNotification<P>(type: NotificationType<P>, handler: (p: P) => void): Disposable {
    return this.connection.onNotification(type, handler);
  }

  /** Asks the worker to stop, and kills it if it has not within `graceMs`. */
  async shutdown(graceMs = 2000): Promise<void> {
    if (this.exitError) return;
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      await Promise.race([this.request(Shutdown), this.exited]);
    } catch {
      // The worker may exit before it answers: that is the point.
    }
    await this.exited;
    clearTimeout(timer);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child.kill(signal);
  }

  dispose(): void {
    void this.shutdown();
  }
}

export { CancellationTokenSource };
