import * as vscode from 'vscode';
import { readConfig } from './config';
import { Disposable } from './disposable';
import type { PipewiseContext } from './context';
import { webviewOptions } from './webviewHost';

/** Where panels open: the active editor group, or beside it (`pipewise.panels.location`). */
export function panelColumn(): vscode.ViewColumn {
  return readConfig().panels.location === 'beside' ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
}

/** What the registry needs of a panel's host: its webview panel and the end of its life. */
export interface RegisteredPanel extends vscode.Disposable {
  readonly panel: vscode.WebviewPanel;
  readonly onDidDispose: vscode.Event<void>;
}

/**
 * One kind of panel: how it is identified, titled, built and (optionally) restored. `Saved` is what
 * its webview saves for a reload, when that is less than `State` (`revive` then rebuilds the state).
 */
export interface PanelKind<State, P extends RegisteredPanel, Saved = State> {
  readonly viewType: string;
  /** The panel's identity: one open panel per key; asking again reveals it. */
  readonly keyOf: (state: State) => string;
  /** The tab's title when the panel is created (the host may change it later). */
  readonly title: (state: State) => string;
  /** Builds the panel's host on a new or restored webview panel. */
  readonly create: (webviewPanel: vscode.WebviewPanel, state: State) => P;
  /**
   * Whether what VS Code saved for a webview of this kind is a state to restore it from after a
   * reload (the webview saves its page's `data-state`, see webviews/shared/host.ts). Without it, the
   * kind's panels close with the window.
   */
  readonly isState?: (s: unknown) => s is Saved;
  /**
   * Where a new panel opens, given the panels open now (default: `panelColumn()`, focused), and
   * whether a revealed one takes the focus.
   */
  readonly placement?: (state: State, open: readonly P[]) => { readonly viewColumn: vscode.ViewColumn; readonly preserveFocus?: boolean };
  /** Keep the page alive while its tab is hidden (default true; the graph redraws cheaply instead). */
  readonly retainContextWhenHidden?: boolean;
  /** The state to restore from what was saved; undefined closes the restored tab (its subject is gone). */
  readonly revive?: (saved: Saved) => Promise<State | undefined> | State | undefined;
}

/**
 * The open panels of one kind: show or reveal by key, restore after a reload, dispose all with the
 * extension. Every Pipewise panel kind has one; see docs/ARCHITECTURE.md, "Adding a panel".
 */
export class PanelRegistry<State, P extends RegisteredPanel, Saved = State> extends Disposable {
  private readonly open = new Map<string, P>();

  private readonly extensionUri: vscode.Uri;

  constructor(ctx: PipewiseContext, private readonly kind: PanelKind<State, P, Saved>) {
    super();
    this.extensionUri = ctx.extension.extensionUri;
    if (kind.isState) this._register(ctx.panelSerializers.register(kind.viewType, (webviewPanel, saved: Saved) => void this.restore(webviewPanel, saved), kind.isState));
  }

  private async restore(webviewPanel: vscode.WebviewPanel, saved: Saved): Promise<void> {
    const state = this.kind.revive ? await this.kind.revive(saved) : (saved as unknown as State);
    if (state === undefined || this.isDisposed) webviewPanel.dispose();
    else this.adopt(webviewPanel, state);
  }

  /** The open panel for `state`'s key, revealed; else a new one where panels open. */
  show(state: State): { readonly panel: P; readonly created: boolean } {
    const placement = this.kind.placement?.(state, this.all()) ?? { viewColumn: panelColumn() };
    const existing = this.open.get(this.kind.keyOf(state));
    if (existing) {
      existing.panel.reveal(undefined, placement.preserveFocus);
      return { panel: existing, created: false };
    }
    const webviewPanel = vscode.window.createWebviewPanel(this.kind.viewType, this.kind.title(state), placement, {
      ...webviewOptions(this.extensionUri),
      retainContextWhenHidden: this.kind.retainContextWhenHidden ?? true,
    });
    return { panel: this.adopt(webviewPanel, state), created: true };
  }

  get(key: string): P | undefined {
    return this.open.get(key);
  }

  /** The most recently opened panel that `accept`s, if any. */
  find(accept: (p: P) => boolean): P | undefined {
    return [...this.open.values()].reverse().find(accept);
  }

  all(): readonly P[] {
    return [...this.open.values()];
  }

  private adopt(webviewPanel: vscode.WebviewPanel, state: State): P {
    const key = this.kind.keyOf(state);
    const p = this.kind.create(webviewPanel, state);
    this.open.set(key, p);
    p.onDidDispose(() => {
      if (this.open.get(key) === p) this.open.delete(key);
    });
    return p;
  }

  override dispose(): void {
    if (this.isDisposed) return;
    for (const p of [...this.open.values()]) p.dispose();
    this.open.clear();
    super.dispose();
  }
}
