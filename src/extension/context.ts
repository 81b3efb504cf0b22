import type * as vscode from 'vscode';
import type { PanelSerializers } from './panelSerializers';
import type { WorkerPort } from './workerPort';

/**
 * What every feature of the extension is built from: one object, made once when the features load
 * (src/extension/features.ts, the composition root). Features tie their disposables to
 * `extension.subscriptions`. In its own file so no feature imports the composition root.
 */
export interface PipewiseContext {
  readonly extension: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  /** The one doorway to the background worker. */
  readonly worker: WorkerPort;
  /** Where every panel kind's restore after a reload is registered (src/extension/panelSerializers.ts). */
  readonly panelSerializers: PanelSerializers;
  /**
   * The manifest commands the entry registered at activation, before the features' code loaded
   * (src/extension/commandStubs.ts); `registerCommand` hands each handler to its stub. Absent where
   * the features are built without the entry (unit tests).
   */
  readonly commandStubs?: CommandStubs;
}

/** A manifest command's handler, as `vscode.commands.registerCommand` takes it. */
export type CommandHandler = (...args: unknown[]) => unknown;

/** The entry's stand-ins for the manifest commands (src/extension/commandStubs.ts). */
export interface CommandStubs {
  /** Gives the stub of `id` its handler; undefined when there is no stub of `id` (register it yourself). */
  bind(id: string, handler: CommandHandler): vscode.Disposable | undefined;
  /** Adds stubs for `ids` (the test-only commands of features loaded when first used). */
  add(ids: Iterable<string>): void;
  /**
   * Who brings the handler of a stub that has none once the features loaded: a feature loaded when
   * first used (src/extension/featureLoader.ts). The stub awaits it, then runs the handler.
   */
  setLoader(load: (id: string) => Promise<unknown> | undefined): void;
  /** The ids whose stubs have a handler now. */
  bound(): ReadonlySet<string>;
}

/**
 * What `activate` returns (the extension's exports, which tests read): the context once the features
 * loaded. `ready` settles when they did (or failed to); `worker` throws before that.
 */
export interface PipewiseApi extends Omit<PipewiseContext, 'panelSerializers'> {
  readonly ready: Promise<PipewiseContext>;
}
