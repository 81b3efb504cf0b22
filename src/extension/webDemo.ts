import * as vscode from 'vscode';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { modelVersions } from '../engine/serving/modelVersions';
import { startStaticServer, type StaticServer } from '../engine/serving/staticServer';
import type { TrustGate } from './trust';

/** Where a web demo is served (on the extension host) and the address the Simple Browser was given. */
export interface WebDemoOpened {
  readonly served: string;
  /** `served` through `vscode.env.asExternalUri`. */
  readonly shown: string;
}

/**
 * "Open Web Demo": serves a web push (Pusher `target: web`: index.html beside pipewise-model.js)
 * from a static server on 127.0.0.1 confined to that folder, and opens it in the Simple Browser at
 * the address `asExternalUri` gives (forwarded when VS Code runs remotely).
 * One server per folder, kept until the extension deactivates. The page runs the pushed model's
 * JavaScript, so an untrusted workspace is refused.
 */
export class WebDemos implements vscode.Disposable {
  private readonly servers = new Map<string, Promise<StaticServer>>();

  constructor(private readonly trust: TrustGate) {}

  /** Opens the demo of `target` (a pushed folder, or a destination: its newest version); returns where. */
  async open(target?: vscode.Uri | string): Promise<WebDemoOpened | undefined> {
    if (!this.trust.allowsRun('open a pushed web model')) return undefined;
    const picked = target === undefined ? await pickWebFolder() : await webFolderOf(typeof target === 'string' ? target : target.fsPath);
    if (!picked) return undefined;
    let server = this.servers.get(picked);
    if (!server) {
      server = startStaticServer(picked);
      this.servers.set(picked, server);
      server.catch(() => this.servers.delete(picked));
    }
    const { url } = await server;
    // The server listens on the extension host's 127.0.0.1: in a remote or browser VS Code
    // (code-server, Codespaces) the Simple Browser runs elsewhere and needs the forwarded address.
    const shown = (await vscode.env.asExternalUri(vscode.Uri.parse(url))).toString(true);
    await vscode.commands.executeCommand('simpleBrowser.show', shown);
    return { served: url, shown };
  }

  dispose(): void {
    for (const s of this.servers.values()) void s.then((x) => x.close(), () => undefined);
    this.servers.clear();
  }
}

/** `dir` when it holds a web push, else its newest numbered version that does. */
async function webFolderOf(dir: string): Promise<string> {
  if (existsSync(path.join(dir, 'index.html')) && existsSync(path.join(dir, 'pipewise-model.js'))) return dir;
  const newest = (await modelVersions(dir)).find((v) => existsSync(path.join(dir, String(v), 'pipewise-model.js')));
  if (newest === undefined) throw new Error(`no web push in ${dir}: expected index.html and pipewise-model.js there or in a numbered version folder (Pusher target: web)`);
  return path.join(dir, String(newest));
}

/** The web pushes of the workspace, newest first; asks when there are several. */
async function pickWebFolder(): Promise<string | undefined> {
  const files = await vscode.workspace.findFiles('**/pipewise-model.js', '**/{node_modules,.pipewise,.git}/**', 200);
  const folders = files.map((f) => path.dirname(f.fsPath)).filter((d) => existsSync(path.join(d, 'index.html')));
  if (folders.length === 0) {
    void vscode.window.showInformationMessage('No web push in this workspace: add a Pusher with `target: web` to a pipeline and run it.');
    return undefined;
  }
  const stamped = await Promise.all(folders.map(async (d) => ({ d, t: (await fs.stat(path.join(d, 'index.html'))).mtimeMs })));
  stamped.sort((a, b) => b.t - a.t);
  if (stamped.length === 1) return stamped[0]?.d;
  const pick = await vscode.window.showQuickPick(
    stamped.map(({ d }) => ({ label: vscode.workspace.asRelativePath(d), folder: d })),
    { placeHolder: 'Which pushed web model?' },
  );
  return pick?.folder;
}
