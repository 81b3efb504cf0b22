import type { PipewiseContext } from './context';
import { Disposable } from './disposable';
import { registerCommand, registerTestCommand, type CommandTable, type Handler, type TestCommandTable } from './commands';

/**
 * The base of a feature the composition root (src/extension/features.ts) builds: it owns every
 * disposable it creates — its commands included — so disposing the feature releases all of them,
 * and the root ties only the feature itself to the extension's lifetime.
 */
export abstract class Feature extends Disposable {
  constructor(protected readonly ctx: PipewiseContext) {
    super();
  }

  /** Registers a manifest command's handler (with `registerCommand`'s error handling), owned by this feature. */
  protected command<K extends keyof CommandTable>(id: K, handler: Handler<K>): void {
    registerCommand(this.ctx, id, handler, (d) => this._register(d));
  }

  /** Registers a test-only command (only when VS Code runs the tests), owned by this feature. */
  protected testCommand<K extends keyof TestCommandTable>(id: K, handler: Handler<K>): void {
    registerTestCommand(this.ctx, id, handler, (d) => this._register(d));
  }
}
