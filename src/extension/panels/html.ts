import * as vscode from 'vscode';
import type { PanelState } from '../../protocol/data';
import { escapeHtml, webviewPage } from '../webviewPage';

/**
 * The panel's page: the shared strict-CSP shell (../webviewPage.ts), the bundle from
 * `out/webviews/panels.js`, and the initial state in an escaped attribute so the first paint needs
 * no round trip.
 */
export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, state: PanelState): string {
  return webviewPage({
    webview,
    extensionUri,
    bundle: 'panels',
    stylesheet: 'panels.css',
    title: state.title,
    bodyAttributes: (nonce) => `data-state="${escapeHtml(JSON.stringify(state))}" data-nonce="${nonce}"`,
    body: () => '<main id="app" aria-live="polite"></main>',
  });
}
