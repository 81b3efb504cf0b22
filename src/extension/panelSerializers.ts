import * as vscode from 'vscode';
import { errorDetail } from '../core/errors';
import { Disposable } from './disposable';

interface Restorer {
  readonly restore: (panel: vscode.WebviewPanel, state: unknown) => void;
  readonly isState: (s: unknown) => boolean;
}

/**
 * How VS Code's panels of each Pipewise kind come back after a window reload: one serializer per view
 * type, registered with VS Code once. A panel kind's `PanelRegistry` registers its restore here. A
 * kind whose feature has not loaded yet (src/extension/featureLoader.ts) is `expect`ed: VS Code's
 * restore of one of its panels loads the feature, whose registry then takes the panel. Without this
 * one doorway, a feature loaded late would either miss its panels' restore or register a second
 * serializer for the view type, which VS Code refuses.
 */
export class PanelSerializers extends Disposable {
  private readonly restorers = new Map<string, Restorer>();
  private readonly loaders = new Map<string, () => Promise<unknown>>();
  private readonly registered = new Set<string>();

  constructor(private readonly log: vscode.LogOutputChannel) {
    super();
  }

  /** The panels of `viewType` are restored by a feature that `load` loads, when the first one comes back. */
  expect(viewType: string, load: () => Promise<unknown>): void {
    this.loaders.set(viewType, load);
    this.ensureRegistered(viewType);
  }

  /** Restores `viewType`'s panels whose saved state `isState` accepts; a panel without one is closed. */
  register<S>(viewType: string, restore: (panel: vscode.WebviewPanel, state: S) => void, isState: (s: unknown) => s is S): vscode.Disposable {
    if (this.restorers.has(viewType)) throw new Error(`the panels of ${viewType} are restored twice`);
    const restorer: Restorer = { restore: restore as Restorer['restore'], isState };
    this.restorers.set(viewType, restorer);
    this.ensureRegistered(viewType);
    return new vscode.Disposable(() => {
      if (this.restorers.get(viewType) === restorer) this.restorers.delete(viewType);
    });
  }

  private ensureRegistered(viewType: string): void {
    if (this.registered.has(viewType) || this.isDisposed) return;
    this.registered.add(viewType);
    this._register(
      vscode.window.registerWebviewPanelSerializer(viewType, {
        deserializeWebviewPanel: (panel, state: unknown) => this.deserialize(viewType, panel, state),
      }),
    );
  }

  private async deserialize(viewType: string, panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    let restorer = this.restorers.get(viewType);
    const load = this.loaders.get(viewType);
    if (!restorer && load) {
      try {
        await load();
      } catch (e) {
        // The loader reported the failure to the user; the tab cannot be restored without its feature.
        this.log.error(`could not restore a ${viewType} panel: ${errorDetail(e)}`);
      }
      restorer = this.restorers.get(viewType);
    }
    if (!restorer || !restorer.isState(state)) {
      panel.dispose();
      return;
    }
    restorer.restore(panel, state);
  }
}
