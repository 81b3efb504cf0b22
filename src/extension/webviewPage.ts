import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';

/** Escapes text for an HTML attribute or element body. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export interface WebviewPageOptions {
  readonly webview: vscode.Webview;
  readonly extensionUri: vscode.Uri;
  /** The bundle's name: `out/webviews/<bundle>.js`. */
  readonly bundle: string;
  /** The stylesheet: `media/<stylesheet>`. */
  readonly stylesheet: string;
  readonly title: string;
  /** Markup inside <body>, before the script; builders escape what they interpolate. */
  readonly body: (nonce: string) => string;
  /** Attributes of <body>, already escaped. */
  readonly bodyAttributes?: (nonce: string) => string;
}

/**
 * Every Pipewise webview's page, in one place because it is the security boundary: a strict CSP
 * (`default-src 'none'`; scripts and inline styles only with this page's nonce; styles, images and
 * fonts only from the extension; no eval — Vega runs through vega-interpreter), a fresh nonce per
 * page, and the one bundle script.
 */
export function webviewPage(o: WebviewPageOptions): string {
  const nonce = randomBytes(16).toString('base64');
  const script = o.webview.asWebviewUri(vscode.Uri.joinPath(o.extensionUri, 'out', 'webviews', `${o.bundle}.js`));
  const css = o.webview.asWebviewUri(vscode.Uri.joinPath(o.extensionUri, 'media', o.stylesheet));
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${o.webview.cspSource} 'nonce-${nonce}'`,
    `img-src ${o.webview.cspSource} data:`,
    `font-src ${o.webview.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${css.toString()}" nonce="${nonce}">
<title>${escapeHtml(o.title)}</title>
</head>
<body${o.bodyAttributes ? ` ${o.bodyAttributes(nonce)}` : ''}>
${o.body(nonce)}
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}
