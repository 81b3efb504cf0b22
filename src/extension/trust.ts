import * as vscode from 'vscode';

/**
 * Workspace trust: in an untrusted workspace nothing runs (a pipeline runs user modules, reads and
 * writes files, and trains models); viewing, validation and the graph still work. Every command that
 * would execute something asks `allowsRun` first.
 */
export class TrustGate {
  /** Tests set this to act as an untrusted window (code-server cannot open one on demand). */
  private override: boolean | undefined;

  get isTrusted(): boolean {
    return this.override ?? vscode.workspace.isTrusted;
  }

  setOverride(trusted: boolean | undefined): void {
    this.override = trusted;
  }

  /** The refusal message when `action` may not run, else undefined. */
  refusal(action: string): string | undefined {
    return this.isTrusted
      ? undefined
      : `Pipewise does not ${action} in an untrusted workspace: a pipeline runs code and writes files. Trust this folder (Manage Workspace Trust) to run it; viewing and validation work without trust.`;
  }

  /** True when `action` may run; otherwise explains why not to the user and returns false. */
  allowsRun(action: string): boolean {
    const why = this.refusal(action);
    if (!why) return true;
    void vscode.window.showWarningMessage(why, 'Manage Workspace Trust').then((pick) => {
      if (pick) void vscode.commands.executeCommand('workbench.trust.manage');
    });
    return false;
  }
}
