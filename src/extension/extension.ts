import * as vscode from 'vscode';

/** The composition root: every feature is built here and its disposal tracked. */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Pipewise', { log: true });
  context.subscriptions.push(log);
  log.info('Pipewise activated');
}

export function deactivate(): void {}
