import * as vscode from 'vscode';
import type { CommandHandler, CommandStubs as CommandStubsPort } from './context';

/**
 * Every manifest command, registered at activation with a stand-in: the features' code loads right
 * after `activate` returned (src/extension/extension.ts), and each feature then binds its handler
 * here (`registerCommand` in commands.ts). A command run before that — the one that activated the
 * extension, a CodeLens clicked at once — waits for the load instead of failing with "command not
 * found", and fails with the load's error if it failed. A command whose feature loads when first
 * used (src/extension/featureLoader.ts) has no handler once the features loaded: its run asks the
 * loader for it.
 */
export class CommandStubs implements CommandStubsPort, vscode.Disposable {
  private readonly handlers = new Map<string, CommandHandler>();
  private readonly ids = new Set<string>();
  private readonly registrations: vscode.Disposable[] = [];
  private readonly loaded: Promise<void>;
  private settleLoad: (error?: unknown) => void = () => undefined;
  private loader: ((id: string) => Promise<unknown> | undefined) | undefined;

  constructor(ids: Iterable<string>) {
    this.loaded = new Promise<void>((resolve, reject) => {
      this.settleLoad = (error) => (error === undefined ? resolve() : reject(error));
    });
    // Awaited by every stub; a failed load is reported by the entry, not as an unhandled rejection.
    this.loaded.catch(() => undefined);
    this.add(ids);
  }

  add(ids: Iterable<string>): void {
    for (const id of ids) {
      if (this.ids.has(id)) continue;
      this.ids.add(id);
      this.registrations.push(vscode.commands.registerCommand(id, (...args: unknown[]) => this.run(id, args)));
    }
  }

  setLoader(load: (id: string) => Promise<unknown> | undefined): void {
    this.loader = load;
  }

  bound(): ReadonlySet<string> {
    return new Set(this.handlers.keys());
  }

  bind(id: string, handler: CommandHandler): vscode.Disposable | undefined {
    if (!this.ids.has(id)) return undefined;
    if (this.handlers.has(id)) throw new Error(`the command ${id} is registered twice`);
    this.handlers.set(id, handler);
    return new vscode.Disposable(() => this.handlers.delete(id));
  }

  /** The features loaded (`error` undefined) or failed to: the stubs stop waiting. */
  settle(error?: unknown): void {
    this.settleLoad(error);
  }

  /** Manifest commands no feature bound a handler to (a bug: they would fail when run). */
  unbound(): string[] {
    return [...this.ids].filter((id) => !this.handlers.has(id));
  }

  private async run(id: string, args: unknown[]): Promise<unknown> {
    await this.loaded;
    // A command of a feature loaded when first used: this run loads it (a failed load rejects here).
    if (!this.handlers.has(id)) await this.loader?.(id);
    const handler = this.handlers.get(id);
    if (!handler) throw new Error(`Pipewise has no handler for the command ${id}`);
    return handler(...args);
  }

  dispose(): void {
    for (const r of this.registrations) r.dispose();
    this.handlers.clear();
  }
}

/** The command ids of the extension's manifest (`contributes.commands`). */
export function manifestCommandIds(packageJSON: unknown): ReadonlySet<string> {
  const commands = (packageJSON as { contributes?: { commands?: readonly { command?: unknown }[] } } | undefined)?.contributes?.commands ?? [];
  return new Set(commands.map((c) => c.command).filter((id): id is string => typeof id === 'string'));
}
