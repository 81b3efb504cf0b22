import * as vscode from 'vscode';
import { errorDetail } from '../protocol/errors';
import { Disposable } from './disposable';
import { escapeHtml, webviewPage } from './webviewPage';

/** Every webview message names its type; `ready` and `error` mean the same in every webview. */
export interface WebviewMessage {
  readonly type: string;
}

export interface WebviewHostOptions<State> {
  readonly extensionUri: vscode.Uri;
  /** The bundle `out/webviews/<bundle>.js` (a folder `webviews/<bundle>/`). */
  readonly bundle: string;
  /** `media/<stylesheet>`. */
  readonly stylesheet: string;
  /** `media/<icon>`, the tab's icon. */
  readonly icon?: string;
  readonly title: string;
  /** Markup inside <body> before the script; builders escape what they interpolate. */
  readonly body?: string;
  /** Handed to the page as `data-state` (the webview side reads it with `initialState()`), so the first paint needs no round trip. */
  readonly initialState?: State;
  /** Where errors go. */
  readonly log: vscode.LogOutputChannel;
  /** A short name for log lines, e.g. `graph`. */
  readonly label: string;
  /** How many render acknowledgements are kept for `waitForRender` (default 50). */
  readonly keepRenders?: number;
}

/** The webview options every Pipewise webview gets: scripts, and resources only from the extension's bundles and media. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'out', 'webviews'), vscode.Uri.joinPath(extensionUri, 'media')] };
}

/**
 * The extension side of one webview panel, the base of every Pipewise panel. It owns the strict-CSP
 * page (./webviewPage.ts), `localResourceRoots`, the ready handshake (the webview says `ready`;
 * posts before that wait in a queue), the webview's `error` reports (logged), render
 * acknowledgements that tests wait for, and disposal. A panel keeps only its message switch
 * (`onMessage`) and what it does on `ready` (`onReady`). Its webview side is
 * `webviews/shared/host.ts`. How to add one: docs/ARCHITECTURE.md, "Adding a panel".
 */
export abstract class WebviewHost<ToWebview extends WebviewMessage, FromWebview extends WebviewMessage, Render = never, State = unknown> extends Disposable {
  private ready = false;
  private readonly queue: ToWebview[] = [];
  private readonly renders: Render[] = [];
  private readonly renderWaiters = new Set<{ accept: (r: Render) => boolean; resolve: (r: Render) => void }>();
  private readonly onDidDisposeEmitter = new vscode.EventEmitter<void>();
  /** Fires once, when the panel closes or the host is disposed. */
  readonly onDidDispose = this.onDidDisposeEmitter.event;
  protected readonly log: vscode.LogOutputChannel;
  private readonly label: string;
  private readonly keepRenders: number;

  protected constructor(
    readonly panel: vscode.WebviewPanel,
    options: WebviewHostOptions<State>,
  ) {
    super();
    this.log = options.log;
    this.label = options.label;
    this.keepRenders = options.keepRenders ?? 50;
    const webview = panel.webview;
    webview.options = webviewOptions(options.extensionUri);
    if (options.icon) panel.iconPath = vscode.Uri.joinPath(options.extensionUri, 'media', options.icon);
    panel.title = options.title;
    const state = options.initialState;
    webview.html = webviewPage({
      webview,
      extensionUri: options.extensionUri,
      bundle: options.bundle,
      stylesheet: options.stylesheet,
      title: options.title,
      ...(state !== undefined ? { bodyAttributes: (nonce: string) => `data-state="${escapeHtml(JSON.stringify(state))}" data-nonce="${nonce}"` } : {}),
      body: () => options.body ?? '<main id="app" aria-live="polite"></main>',
    });
    this._register(webview.onDidReceiveMessage((m: FromWebview) => void this.receive(m)));
    this._register(panel.onDidDispose(() => this.dispose()));
  }

  /** True once the webview said `ready` (it has its message listener). */
  protected get isReady(): boolean {
    return this.ready;
  }

  /** Sends a message to the webview; before `ready` it waits in a queue, in order. */
  protected post(m: ToWebview): void {
    if (this.isDisposed) return;
    if (this.ready) void this.panel.webview.postMessage(m);
    else this.queue.push(m);
  }

  /**
   * Handles a message as the webview sent it: `ready` flushes the queue then calls `onReady`;
   * `error` is logged and handed to `onWebviewError`; the rest go to `onMessage`. A handler that
   * throws is logged and handed to `onMessageError`. (Tests come here too, through test commands.)
   */
  async receive(m: FromWebview): Promise<void> {
    try {
      if (m.type === 'ready') {
        this.ready = true;
        for (const q of this.queue.splice(0)) void this.panel.webview.postMessage(q);
        await this.onReady();
      } else if (m.type === 'error') {
        const message = String((m as { message?: unknown }).message);
        this.log.error(`[${this.label}] ${message}`);
        this.onWebviewError(message);
      } else {
        await this.onMessage(m);
      }
    } catch (e) {
      this.log.error(`[${this.label}] ${errorDetail(e)}`);
      this.onMessageError(e);
    }
  }

  /** The webview is listening: send what it shows. */
  protected abstract onReady(): Promise<void> | void;
  /** The panel's message switch. */
  protected abstract onMessage(m: FromWebview): Promise<void> | void;
  /** The webview reported an error of its own (already logged). */
  protected onWebviewError(_message: string): void {}
  /** Handling a message threw (already logged). */
  protected onMessageError(_e: unknown): void {}

  /** Records what the webview acknowledged having drawn and wakes the tests waiting for it. */
  protected rendered(r: Render): void {
    this.renders.push(r);
    if (this.renders.length > this.keepRenders) this.renders.shift();
    for (const w of [...this.renderWaiters]) {
      if (w.accept(r)) {
        this.renderWaiters.delete(w);
        w.resolve(r);
      }
    }
  }

  /** The latest acknowledged render, if any. */
  protected get lastRender(): Render | undefined {
    return this.renders.at(-1);
  }

  /**
   * Resolves with the latest acknowledged render `accept` takes, or (with `fresh`, or when none has
   * yet) the next one; rejects after `timeoutMs`, naming what was awaited and the last render.
   */
  waitForRender(accept: (r: Render) => boolean, timeoutMs: number, fresh = false, what = 'render'): Promise<Render> {
    const seen = fresh ? undefined : [...this.renders].reverse().find(accept);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        accept,
        resolve: (r: Render) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        this.renderWaiters.delete(waiter);
        reject(new Error(`no ${what} matching the test's condition within ${timeoutMs} ms (last: ${JSON.stringify(this.renders.at(-1))?.slice(0, 300)})`));
      }, timeoutMs);
      this.renderWaiters.add(waiter);
    });
  }

  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    this.panel.dispose();
    this.onDidDisposeEmitter.fire();
    this.onDidDisposeEmitter.dispose();
  }
}
