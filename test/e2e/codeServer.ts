/**
 * A real VS Code for tests on machines that cannot download it: code-server (the VS Code workbench
 * and its Node extension host, from the npm registry) run by Node 24, both installed by
 * `scripts/setup-test-env.sh` into a cache outside the repository. Shared by the host-test launcher
 * and the browser-test harness. Every server runs in its own process group and is killed as a group.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const NODE_VERSION = '24.21.0';
export const CODE_SERVER_VERSION = '4.139.1';

export interface TestTools {
  /** Node 24, which code-server needs (and which runs our extension host under it). */
  readonly node: string;
  /** code-server's entry script, run as `node ENTRY ...`. */
  readonly codeServer: string;
  /** Debian's chromium. */
  readonly chromium: string;
}

/** Finds the tools the setup script installed; env vars override each path. */
export function testTools(): TestTools {
  const cache = process.env.PIPEWISE_CACHE ?? path.join(os.homedir(), '.cache', 'pipewise');
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  const tools: TestTools = {
    node: process.env.PIPEWISE_NODE24 ?? path.join(cache, `node-${NODE_VERSION}`, 'node_modules', `node-linux-${arch}`, 'bin', 'node'),
    codeServer: process.env.PIPEWISE_CODE_SERVER ?? path.join(cache, `code-server-${CODE_SERVER_VERSION}`, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
    chromium: process.env.PIPEWISE_CHROMIUM ?? '/usr/bin/chromium',
  };
  for (const [what, file] of Object.entries(tools)) {
    if (!fs.existsSync(file)) throw new Error(`${what} not found at ${file}: run scripts/setup-test-env.sh (or set PIPEWISE_CACHE)`);
  }
  return tools;
}

/** A free TCP port on 127.0.0.1, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Thrown from a `waitFor` check to stop waiting at once (the awaited thing can no longer happen). */
export class FatalError extends Error {}

/** Polls `check` until it returns a value other than undefined; the error names what was awaited. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      if (e instanceof FatalError) throw e;
      lastError = e;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: last error ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Installs a VSIX into an extensions folder, as a user would (`code-server --install-extension`). */
export function installExtension(vsix: string, extensionsDir: string, tools = testTools()): void {
  if (!fs.existsSync(vsix)) throw new Error(`VSIX not found: ${vsix} (run \`npm run package\`)`);
  const r = spawnSync(tools.node, [tools.codeServer, '--extensions-dir', extensionsDir, '--install-extension', vsix, '--force'], {
    encoding: 'utf8',
    timeout: 120_000,
    env: serverEnv(tools),
  });
  if (r.status !== 0) throw new Error(`installing ${vsix} failed (exit ${r.status}): ${r.stderr || r.stdout}`);
}

function serverEnv(tools: TestTools): NodeJS.ProcessEnv {
  // Node 24 first on PATH: the extension host and the worker it forks use `process.execPath`.
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${path.dirname(tools.node)}${path.delimiter}${process.env.PATH ?? ''}` };
  delete env.ELECTRON_RUN_AS_NODE;
  return env;
}

export interface CodeServerOptions {
  /** The folder the workbench opens. */
  readonly workspace: string;
  /** Where extensions live; a fresh temp folder by default. */
  readonly extensionsDir?: string;
  /** Settings written to the user's settings.json before start. */
  readonly settings?: Readonly<Record<string, unknown>>;
}

export interface CodeServer {
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly workspace: string;
  readonly extensionsDir: string;
  readonly userDataDir: string;
  /** The server's own output. */
  readonly logFile: string;
  /** URL of the workbench with the workspace open, plus an optional `payload` (see TESTING.md). */
  workbenchUrl(payload?: readonly (readonly [string, string])[]): string;
  /** Kills the server's whole process group; safe to call twice. */
  close(): Promise<void>;
}

const live = new Set<ChildProcess>();
// Last resort if the test process exits without closing: never leave a server behind.
process.once('exit', () => {
  for (const child of live) killGroup(child, 'SIGKILL');
});
// A signal would end the process without 'exit' handlers: take the servers down first.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    for (const child of live) killGroup(child, 'SIGKILL');
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** The user settings every test VS Code starts with: quiet, deterministic, offline. */
export const BASE_SETTINGS: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'window.commandCenter': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'git.enabled': false,
  'files.autoSave': 'off',
};

export async function startCodeServer(options: CodeServerOptions, tools = testTools()): Promise<CodeServer> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-code-server-'));
  const userDataDir = path.join(root, 'user-data');
  const extensionsDir = options.extensionsDir ?? path.join(root, 'extensions');
  const userSettingsDir = path.join(userDataDir, 'User');
  fs.mkdirSync(userSettingsDir, { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.writeFileSync(path.join(userSettingsDir, 'settings.json'), JSON.stringify({ ...BASE_SETTINGS, ...options.settings }, null, 2));
  const configFile = path.join(root, 'config.yaml');
  fs.writeFileSync(configFile, 'auth: none\ncert: false\n');
  const port = await freePort();
  // Kept after close (test-results/ is git-ignored) so a failure can be read afterwards.
  const logDir = path.join(REPO_ROOT, 'test-results', 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `code-server-${port}.log`);
  const log = fs.openSync(logFile, 'w');
  const args = [
    tools.codeServer,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--vscode-option', 'enable-smoke-test-driver',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    '--config', configFile,
    options.workspace,
  ];
  // detached: its own session and process group (setsid), so close() reaches every helper process.
  const child = spawn(tools.node, args, { detached: true, stdio: ['ignore', log, log], env: serverEnv(tools), cwd: root });
  fs.closeSync(log);
  live.add(child);
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const origin = `http://127.0.0.1:${port}`;
  const server: CodeServer = {
    port,
    origin,
    workspace: options.workspace,
    extensionsDir,
    userDataDir,
    logFile,
    workbenchUrl(payload) {
      const q = new URLSearchParams({ folder: options.workspace });
      if (payload?.length) q.set('payload', JSON.stringify(payload));
      return `${origin}/?${q.toString()}`;
    },
    async close() {
      if (!live.has(child)) return;
      live.delete(child);
      killGroup(child, 'SIGTERM');
      const killed = await Promise.race([exitedPromise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
      // SIGKILL the group in any case: helpers (extension host, file watcher, pty host) may outlive the parent.
      killGroup(child, 'SIGKILL');
      if (!killed) await exitedPromise;
      fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    },
  };
  try {
    await waitFor(
      `code-server to answer ${origin}/healthz (log: ${logFile})`,
      async () => {
        if (exited) throw new Error(`code-server exited early: ${tail(logFile)}`);
        const res = await fetch(`${origin}/healthz`);
        return res.ok ? true : undefined;
      },
      60_000,
      250,
    );
  } catch (e) {
    const text = tail(logFile);
    await server.close();
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n${text}`);
  }
  return server;
}

function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Chromium flags for a quiet, offline, headless browser (see TESTING.md). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
