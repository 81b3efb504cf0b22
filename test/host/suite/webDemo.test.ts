/**
 * "Open Web Demo" in a real VS Code: a web push (the built browser runtime beside an index.html) is
 * served from 127.0.0.1, confined to its folder, and opened in the Simple Browser at the address
 * `vscode.env.asExternalUri` gives for it (code-server forwards it through its own origin).
 */
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';

const REPO = path.resolve(__dirname, '../../../..');

suite('web demo', () => {
  test('Open Web Demo serves the pushed folder on 127.0.0.1 (nothing outside it) and opens the Simple Browser', async () => {
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(ws, 'a workspace folder');
    const dest = path.join(ws, `web-demo-${process.pid}`);
    const version = path.join(dest, '1700000000');
    fs.mkdirSync(version, { recursive: true });
    for (const f of ['pipewise-model.js', 'pipewise-demo.js', 'pipewise-demo.css']) fs.copyFileSync(path.join(REPO, 'out', 'web', f), path.join(version, f));
    fs.writeFileSync(path.join(version, 'index.html'), '<!doctype html><title>demo</title>');
    fs.writeFileSync(path.join(dest, 'secret.txt'), 'not served');
    try {
      const opened = await vscode.commands.executeCommand<{ served: string; shown: string } | undefined>('pipewise.openWebDemo', vscode.Uri.file(dest));
      assert.ok(opened?.served, `the command returns where it serves: ${JSON.stringify(opened)}`);
      const url = opened.served;
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      // The Simple Browser may run on another machine than the extension host (code-server, as
      // here): it is given the address VS Code forwards, not the host's 127.0.0.1.
      const external = (await vscode.env.asExternalUri(vscode.Uri.parse(url))).toString(true);
      assert.equal(opened.shown, external, `the Simple Browser gets asExternalUri's address (${external}), not ${opened.shown}`);
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.equal(await page.text(), '<!doctype html><title>demo</title>', 'the newest version of the destination is served');
      const js = await fetch(`${url}pipewise-model.js`);
      assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
      assert.equal((await js.arrayBuffer()).byteLength, fs.statSync(path.join(version, 'pipewise-model.js')).size);
      for (const escape of ['../secret.txt', '..%2fsecret.txt', '%2e%2e/secret.txt']) assert.equal((await fetch(`${url}${escape}`)).status, 404, escape);
      const deadline = Date.now() + 30_000;
      const browserTab = (): boolean => vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => /simple browser/i.test(t.label) || (t.input instanceof vscode.TabInputWebview && /simpleBrowser/i.test(t.input.viewType))));
      while (!browserTab() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.ok(browserTab(), `a Simple Browser tab is open (tabs: ${vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.label)).join(', ')})`);
    } finally {
      fs.rmSync(dest, { recursive: true, force: true });
    }
  });
});
