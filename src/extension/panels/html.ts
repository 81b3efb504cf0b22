import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { PanelState } from '../../protocol/data';

/** Escapes text for an HTML attribute or element body. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/**
 * The panel's page: a strict CSP (nothing but our nonce'd script and styles, no eval — Vega runs
 * through vega-interpreter), the bundle from `out/webviews/panels.js`, and the initial state in an
 * escaped attribute so the first paint needs no round trip.
 */
export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, state: PanelState): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'out', 'webviews', 'panels.js'));
  const css = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'panels.css'));
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${css.toString()}" nonce="${nonce}">
<title>${escapeHtml(state.title)}</title>
</head>
<body data-state="${escapeHtml(JSON.stringify(state))}" data-nonce="${nonce}">
<main id="app" aria-live="polite"></main>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}
