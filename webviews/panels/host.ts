/** The webview's side of the panel protocol: one VS Code API handle, typed messages, saved state. */
import type { FromWebview, PanelState, ToWebview } from '../../src/protocol/data';

interface VsCodeApi {
  postMessage(m: FromWebview): void;
  getState(): PanelState | undefined;
  setState(s: PanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

export function post(m: FromWebview): void {
  api.postMessage(m);
}

let state: PanelState = api.getState() ?? (JSON.parse(document.body.dataset['state'] ?? '{}') as PanelState);

export function getState(): PanelState {
  return state;
}

/** Saved by VS Code with the panel, so the serializer restores it after a reload. */
export function setState(patch: Partial<PanelState>): void {
  state = { ...state, ...patch };
  api.setState(state);
}

export function onMessage(handler: (m: ToWebview) => void): void {
  window.addEventListener('message', (e: MessageEvent<ToWebview>) => handler(e.data));
}

export function reportError(e: unknown): void {
  post({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
}
