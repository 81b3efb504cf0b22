import * as vscode from 'vscode';
import { errorDetail, errorMessage } from '../core/errors';
import type { CommandTable, TestCommandTable } from './commands';
import type { PipewiseContext } from './context';
import { Disposable } from './disposable';
import type { Feature } from './feature';

/**
 * A feature built when it is first used: its module is imported (evaluated then; esbuild keeps it in
 * the features bundle, see src/extension/features.ts) when one of its commands runs, VS Code restores
 * one of its panels after a reload, or the root sees what it serves (a notebook opened). What triggers
 * it is declared in the root, without its code; the loader checks the declaration against what the
 * feature binds.
 */
export interface LateFeature {
  readonly name: string;
  /** The manifest commands it handles. */
  readonly commands: readonly (keyof CommandTable)[];
  /** Its test-only commands (stubs for them exist only when VS Code runs the extension's tests). */
  readonly testCommands: readonly (keyof TestCommandTable)[];
  /** The webview panel kinds it restores after a reload. */
  readonly viewTypes: readonly string[];
  /** Imports its module; the constructor it returns builds it (synchronously, so what it binds is its own). */
  readonly load: () => Promise<() => Feature>;
}

/** What the tests read of a late feature: its name, whether it is loaded, its commands and those bound now. */
export type LateFeatureState = ReturnType<TestCommandTable['pipewise.test.features']>['late'][number];

/**
 * Loads each late feature once, on its first use, and owns it. A load that fails is reported (log and
 * message) and tried again on the next use; disposing the loader disposes every loaded feature.
 */
export class FeatureLoader extends Disposable {
  private readonly loading = new Map<string, Promise<Feature>>();
  private readonly built = new Map<string, Feature>();
  private readonly byName = new Map<string, LateFeature>();
  private readonly inTests: boolean;

  constructor(
    private readonly ctx: PipewiseContext,
    features: readonly LateFeature[],
  ) {
    super();
    this.inTests = ctx.extension.extensionMode === vscode.ExtensionMode.Test;
    const byCommand = new Map<string, string>();
    for (const f of features) {
      this.byName.set(f.name, f);
      for (const id of this.commandsOf(f)) byCommand.set(id, f.name);
      for (const viewType of f.viewTypes) ctx.panelSerializers.expect(viewType, () => this.load(f.name));
      if (this.inTests) ctx.commandStubs?.add(f.testCommands);
    }
    ctx.commandStubs?.setLoader((id) => {
      const name = byCommand.get(id);
      return name === undefined ? undefined : this.load(name);
    });
  }

  /** The commands a late feature binds: its manifest commands, and its test commands in tests. */
  private commandsOf(f: LateFeature): readonly string[] {
    return this.inTests ? [...f.commands, ...f.testCommands] : f.commands;
  }

  /** Every command any late feature declares (none of them is bound until its feature loads). */
  declaredCommands(): ReadonlySet<string> {
    return new Set([...this.byName.values()].flatMap((f) => this.commandsOf(f)));
  }

  /** The feature `name`, loaded and built on the first call. */
  load(name: string): Promise<Feature> {
    const pending = this.loading.get(name);
    if (pending) return pending;
    const f = this.byName.get(name);
    if (!f) return Promise.reject(new Error(`Pipewise has no feature named ${name}`));
    const loading = this.build(f);
    this.loading.set(name, loading);
    loading.catch((e: unknown) => {
      this.loading.delete(name);
      this.ctx.log.error(`Pipewise could not load its ${name} feature: ${errorDetail(e)}`);
      void vscode.window.showErrorMessage(`Pipewise could not load its ${name} feature: ${errorMessage(e)}`);
    });
    return loading;
  }

  private async build(f: LateFeature): Promise<Feature> {
    const started = performance.now();
    const create = await f.load();
    if (this.isDisposed) throw new Error('Pipewise is shutting down');
    // Built synchronously: what is bound between these two reads is this feature's.
    const before = this.ctx.commandStubs?.bound() ?? new Set<string>();
    const feature = create();
    this.built.set(f.name, feature);
    const after = this.ctx.commandStubs?.bound() ?? new Set<string>();
    const declared = new Set(this.commandsOf(f));
    const bound = [...after].filter((id) => !before.has(id));
    const undeclared = bound.filter((id) => !declared.has(id));
    const missing = [...declared].filter((id) => !after.has(id));
    // A declaration out of step with the code: a command that would load the wrong feature, or none.
    if (undeclared.length) this.ctx.log.error(`the ${f.name} feature binds commands it does not declare in features.ts: ${undeclared.join(', ')}`);
    if (missing.length) this.ctx.log.error(`the ${f.name} feature declares commands it does not bind: ${missing.join(', ')}`);
    this.ctx.log.info(`Pipewise ${f.name} feature loaded in ${(performance.now() - started).toFixed(1)} ms`);
    return feature;
  }

  /**
   * Disposes a loaded feature: its commands, panels and listeners go, and its next use loads it
   * again. Returns whether it was loaded.
   */
  unload(name: string): boolean {
    const feature = this.built.get(name);
    if (!feature) return false;
    this.built.delete(name);
    this.loading.delete(name);
    feature.dispose();
    return true;
  }

  state(): LateFeatureState[] {
    const bound = this.ctx.commandStubs?.bound() ?? new Set<string>();
    return [...this.byName.values()].map((f) => {
      const commands = this.commandsOf(f);
      return { name: f.name, loaded: this.built.has(f.name), commands, bound: commands.filter((id) => bound.has(id)) };
    });
  }

  override dispose(): void {
    if (this.isDisposed) return;
    for (const feature of [...this.built.values()].reverse()) feature.dispose();
    this.built.clear();
    super.dispose();
  }
}
