/**
 * The webview side of every Pipewise panel (its extension side is src/extension/webviewHost.ts):
 * one `acquireVsCodeApi()` handle, typed messages both ways, saved state, the `ready` handshake and
 * error reports. See docs/ARCHITECTURE.md, "Adding a panel".
 */

interface VsCodeApi<State> {
  postMessage(m: unknown): void;
  getState(): State | undefined;
  setState(s: State): void;
}
declare function acquireVsCodeApi<State>(): VsCodeApi<State>;

/** The typed channel of one webview: `To` is what the extension sends, `From` what the webview sends. */
export interface WebviewChannel<To, From, State> {
  post(m: From): void;
  onMessage(handler: (m: To) => void): void;
  /** What VS Code saved for this webview (restored after a reload), else the page's `data-state`. */
  getState(): State | undefined;
  setState(s: State): void;
  /** Posts `{ type: 'error' }` with the stack or message of `e`. */
  reportError(e: unknown): void;
  /** Tells the extension the webview listens: it sends nothing before this. Call last, once. */
  ready(): void;
}

let api: VsCodeApi<unknown> | undefined;

/**
 * The webview's channel. VS Code allows one `acquireVsCodeApi()` per page, so it is taken once here.
 * Uncaught errors and rejections are reported to the extension's log.
 */
export function connect<To, From extends { readonly type: string }, State>(): WebviewChannel<To, From, State> {
  api ??= acquireVsCodeApi<unknown>();
  const vscode = api as VsCodeApi<State>;
  // VS Code restores a panel after a reload from what its page saved (the extension's PanelRegistry),
  // so the page's initial state is saved until the page saves its own.
  if (vscode.getState() === undefined) {
    const initial = initialState<State>();
    if (initial !== undefined) vscode.setState(initial);
  }
  const post = (m: From): void => vscode.postMessage(m);
  const reportError = (e: unknown): void => vscode.postMessage({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  window.addEventListener('error', (e) => reportError(e.error ?? e.message));
  window.addEventListener('unhandledrejection', (e) => reportError(e.reason));
  return {
    post,
    onMessage: (handler) =>
      window.addEventListener('message', (e: MessageEvent<To>) => {
        try {
          handler(e.data);
        } catch (err) {
          reportError(err);
        }
      }),
    getState: () => vscode.getState() ?? initialState<State>(),
    setState: (s) => vscode.setState(s),
    reportError,
    ready: () => vscode.postMessage({ type: 'ready' }),
  };
}

/** The state the extension put in the page (`data-state` on <body>), if any. */
export function initialState<State>(): State | undefined {
  const raw = document.body.dataset['state'];
  return raw ? (JSON.parse(raw) as State) : undefined;
}
