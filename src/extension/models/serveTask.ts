/**
 * The `pipewise-serve` task type: a local model server as a VS Code task, so it shows under
 * Terminal › Tasks, in the terminal panel with its log, and in `tasks.json` when a user wants one:
 *
 *   { "type": "pipewise-serve", "base": "penguins/serving/penguins", "port": 8501, "logDir": "penguins/requests/penguins" }
 *   { "type": "pipewise-serve", "base": "penguins/serving/penguins", "split": "champion=90,challenger=10" }   (canary)
 *
 * The task's terminal is a pseudoterminal over ModelServers: opening it starts the server (the same
 * child process, output channel and status bar item as ever), the server's output is echoed into
 * the terminal, the terminal closes with the server's exit code, and terminating the task stops the
 * server. The Models view starts its servers through these tasks.
 */
import * as vscode from 'vscode';
import path from 'node:path';
import { errorMessage } from '../../protocol/errors';
import type { ModelServers } from './modelServers';
import type { ServerInfo } from '../../protocol/models';
import type { PushedModel } from './pushedModels';

export const SERVE_TASK_TYPE = 'pipewise-serve';

export interface ServeTaskDefinition extends vscode.TaskDefinition {
  readonly type: typeof SERVE_TASK_TYPE;
  /** The model base path (a Pusher destination), relative to the workspace folder or absolute. */
  readonly base: string;
  /** TensorFlow Serving's model name; default the base path's folder name. */
  readonly modelName?: string;
  readonly port?: number;
  /** Log requests here (relative to the workspace folder or absolute); absent: no request log. */
  readonly logDir?: string;
  readonly logSample?: number;
  /** Canary traffic (`pipewise serve --split`): aliases or versions with their percent, e.g. `champion=90,challenger=10`. */
  readonly split?: string;
}

/** What a started serve task reports to whoever asked for it (the Models view's command). */
type Waiter = { resolve: (info: ServerInfo) => void; reject: (e: Error) => void };

export class ServeTasks implements vscode.TaskProvider, vscode.Disposable {
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly registration: vscode.Disposable;

  constructor(
    private readonly servers: ModelServers,
    /** The tasks offered by Run Task: one per pushed model with a version. */
    private readonly known: () => Promise<readonly PushedModel[]>,
    /** Where a model's requests are logged and which fraction of them, as the view's own servers do (undefined: not logged). */
    private readonly requestLogOf: (m: PushedModel) => { logDir: string; logSample: number } | undefined,
  ) {
    this.registration = vscode.tasks.registerTaskProvider(SERVE_TASK_TYPE, this);
  }

  async provideTasks(): Promise<vscode.Task[]> {
    return (await this.known()).map((m) => this.taskFor({ name: m.name, label: m.label, base: m.base, ...this.requestLogOf(m) }));
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const d = task.definition as ServeTaskDefinition;
    if (typeof d.base !== 'string' || !d.base) return undefined;
    return this.task(d, task.scope ?? vscode.TaskScope.Workspace, task.name);
  }

  /** The task that serves a model (paths stored relative to its workspace folder, as tasks.json has them). */
  /** `label`: the model as the Models view calls it (the task's name); two pushes of one name differ there. */
  taskFor(m: { name: string; label?: string; base: string; port?: number; logDir?: string; logSample?: number; split?: string }): vscode.Task {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(m.base));
    const rel = (p: string): string => (folder ? path.relative(folder.uri.fsPath, p).split(path.sep).join('/') : p);
    const d: ServeTaskDefinition = {
      type: SERVE_TASK_TYPE,
      base: rel(m.base),
      modelName: m.name,
      ...(m.port !== undefined ? { port: m.port } : {}),
      ...(m.logDir ? { logDir: rel(m.logDir) } : {}),
      ...(m.logSample !== undefined ? { logSample: m.logSample } : {}),
      ...(m.split ? { split: m.split } : {}),
    };
    const label = m.label && m.label !== m.name ? m.label : undefined;
    return this.task(d, folder ?? vscode.TaskScope.Workspace, label ? `serve ${label}${m.split ? ` (canary ${m.split})` : ''}` : undefined);
  }

  /** Runs the task and resolves once its server serves a version (rejects with the server's words). */
  async run(task: vscode.Task): Promise<ServerInfo> {
    const key = this.baseOf(task.definition as ServeTaskDefinition, task.scope);
    // Its server already serves (a second click, another command naming the model): VS Code runs no
    // task that is already active, so no terminal would open and nothing would ever answer this start.
    const serving = this.servers.get(key);
    if (serving?.version !== undefined) return serving;
    // A start of this base under way (its terminal opening, its server loading): its outcome is this one's.
    const underWay = this.waiters.has(key);
    const started = new Promise<ServerInfo>((resolve, reject) => {
      const list = this.waiters.get(key) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(key, list);
    });
    if (underWay) return started;
    try {
      await vscode.tasks.executeTask(task);
    } catch (e) {
      this.settle(key, new Error(`could not start the task '${task.name}': ${errorMessage(e)}`));
    }
    return started;
  }

  private settle(key: string, outcome: ServerInfo | Error): void {
    const list = this.waiters.get(key) ?? [];
    this.waiters.delete(key);
    for (const w of list) outcome instanceof Error ? w.reject(outcome) : w.resolve(outcome);
  }

  private baseOf(d: ServeTaskDefinition, scope: vscode.Task['scope']): string {
    const root = typeof scope === 'object' && scope ? scope.uri.fsPath : (vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '');
    return path.resolve(root, d.base);
  }

  private task(d: ServeTaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope, name?: string): vscode.Task {
    const root = typeof scope === 'object' ? scope.uri.fsPath : (vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '');
    const base = path.resolve(root, d.base);
    const modelName = d.modelName ?? path.basename(base);
    const execution = new vscode.CustomExecution(async () => new ServeTerminal(this.servers, modelName, base, {
      ...(d.port !== undefined ? { port: d.port } : {}),
      ...(d.logDir ? { logDir: path.resolve(root, d.logDir) } : {}),
      ...(d.logSample !== undefined ? { logSample: d.logSample } : {}),
      ...(typeof d.split === 'string' && d.split ? { split: d.split } : {}),
    }, (outcome) => this.settle(base, outcome)));
    const task = new vscode.Task(d, scope, name ?? `serve ${modelName}${d.split ? ` (canary ${d.split})` : ''}`, 'pipewise', execution);
    task.isBackground = true;
    // The server's log also has its own output channel: the terminal comes up without taking focus.
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Silent, panel: vscode.TaskPanelKind.Dedicated, clear: true };
    return task;
  }

  dispose(): void {
    this.registration.dispose();
    for (const key of [...this.waiters.keys()]) this.settle(key, new Error('Pipewise is shutting down'));
  }
}

class ServeTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private closed = false;

  constructor(
    private readonly servers: ModelServers,
    private readonly name: string,
    private readonly base: string,
    private readonly options: { port?: number; logDir?: string; logSample?: number; split?: string },
    private readonly onStarted: (outcome: ServerInfo | Error) => void,
  ) {}

  private write(text: string): void {
    if (!this.closed) this.writeEmitter.fire(text.replace(/\r?\n/g, '\r\n'));
  }

  private finish(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.closeEmitter.fire(code);
  }

  open(): void {
    this.servers.start(this.name, this.base, { ...this.options, echo: (t) => this.write(t) }).then(
      (info) => {
        this.write(`Serving '${info.name}' ${info.split ? `with the canary split ${info.split}` : `version ${info.version ?? '?'}`} at ${info.url}${info.logDir ? `; requests logged to ${info.logDir}` : ''}\n`);
        this.onStarted(info);
        const exited = this.servers.whenExited(this.base);
        if (exited) void exited.then((code) => this.finish(code ?? 1));
        else this.finish(1);
      },
      (e: unknown) => {
        this.write(`error: ${errorMessage(e)}\n`);
        this.onStarted(e instanceof Error ? e : new Error(errorMessage(e)));
        this.finish(1);
      },
    );
  }

  /** The user terminated the task or closed its terminal: stop the server. */
  close(): void {
    this.closed = true;
    void this.servers.stop(this.base);
  }
}
