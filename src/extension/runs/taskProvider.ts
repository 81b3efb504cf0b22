import * as vscode from 'vscode';
import path from 'node:path';
import { executeCommand } from '../commands';
import { formatDuration } from '../../core/format';
import { errorMessage } from '../../protocol/errors';
import type { RunSelection } from '../../core/dag';
import { runSelection } from '../../core/dag';

export const TASK_TYPE = 'pipewise';

/** `tasks.json`: `{ "type": "pipewise", "pipeline": "examples/penguins/penguins.pipeline.yaml", "only": ["train"] }`. */
export interface PipewiseTaskDefinition extends vscode.TaskDefinition, RunSelection {
  readonly type: typeof TASK_TYPE;
  readonly pipeline: string;
}

/**
 * The `pipewise` task type: runs a pipeline through the same command as the editor, printing one line
 * per stage in the task's terminal. Closing the terminal cancels the run.
 */
export class PipewiseTaskProvider implements vscode.TaskProvider {
  async provideTasks(): Promise<vscode.Task[]> {
    const files = await vscode.workspace.findFiles('**/*.pipeline.{yaml,yml}', '**/{node_modules,.pipewise,.git}/**', 200);
    return files.map((uri) => {
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      const rel = folder ? path.relative(folder.uri.fsPath, uri.fsPath).split(path.sep).join('/') : uri.fsPath;
      return this.task({ type: TASK_TYPE, pipeline: rel }, folder ?? vscode.TaskScope.Workspace);
    });
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const d = task.definition as PipewiseTaskDefinition;
    if (typeof d.pipeline !== 'string') return undefined;
    return this.task(d, task.scope ?? vscode.TaskScope.Workspace, task.name);
  }

  private task(d: PipewiseTaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope, name?: string): vscode.Task {
    const label = name ?? `run ${path.basename(d.pipeline, '.pipeline.yaml')}${d.only?.length ? ` --only ${d.only.join(' ')}` : ''}${d.from ? ` --from ${d.from}` : ''}`;
    const base = typeof scope === 'object' ? scope.uri.fsPath : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    const execution = new vscode.CustomExecution(async () => new RunTerminal(vscode.Uri.file(path.resolve(base, d.pipeline)), d));
    const task = new vscode.Task(d, scope, label, 'pipewise', execution);
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
    return task;
  }
}

class RunTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private readonly cancel = new vscode.CancellationTokenSource();

  constructor(
    private readonly uri: vscode.Uri,
    private readonly d: PipewiseTaskDefinition,
  ) {}

  private line(s: string): void {
    this.writeEmitter.fire(`${s.replace(/\n/g, '\r\n')}\r\n`);
  }

  open(): void {
    this.line(`pipewise run ${this.uri.fsPath}`);
    // Through the command table, like every other way of starting a run; a task does not open the graph.
    void executeCommand('pipewise.runPipeline', this.uri, {
      ...runSelection(this.d),
      revealGraph: false,
      token: this.cancel.token,
      onEvent: (e) => {
        if (e.kind === 'stageStarted') this.line(`  ${e.stage} …`);
        else if (e.kind === 'stageFinished') this.line(`  ${e.stage.name}: ${e.stage.status} ${formatDuration(e.stage.durationMs)}${e.stage.error ? ` — ${e.stage.error}` : ''}`);
        else if (e.kind === 'stageLog' && e.level !== 'info') this.line(`  ${e.stage}: ${e.level}: ${e.message}`);
      },
    }).then(
        (outcome) => {
          if (!outcome) {
            this.line('The run did not start (see the Pipewise log).');
            this.closeEmitter.fire(1);
            return;
          }
          if (outcome.status === 'refused') {
            this.line(outcome.message);
            this.closeEmitter.fire(2);
            return;
          }
          this.line(`${outcome.status} in ${formatDuration(outcome.durationMs)}`);
          this.closeEmitter.fire(outcome.status === 'succeeded' ? 0 : 1);
        },
        (e: unknown) => {
          this.line(`error: ${errorMessage(e)}`);
          this.closeEmitter.fire(1);
        },
      );
  }

  close(): void {
    this.cancel.cancel();
  }
}
