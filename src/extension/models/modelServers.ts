/**
 * Local model servers: `pipewise serve BASE --port P [--log-dir DIR]` run with the bundled CLI
 * (out/cli.js) as a child process of the extension host, bound to 127.0.0.1. The Models view starts
 * them as `pipewise-serve` tasks (./serveTask.ts), whose terminal echoes what this class reads from
 * the process. Each server has its log in an output channel "Pipewise Server: NAME" and a status bar
 * item with its URL while it runs. Stopping sends SIGTERM (the server finishes its requests in flight
 * and exits), then SIGKILL after a grace period. The extension's deactivate stops every server.
 */
import * as vscode from 'vscode';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { getJson } from './localHttp';
import type { ServerInfo } from '../../protocol/models';
import { commandOf } from '../commands';

export interface StartOptions {
  /** Default: the first free port from 8501. */
  readonly port?: number;
  /** `--log-dir`: log requests there as Parquet (for `pipewise monitor` and the monitoring panel). */
  readonly logDir?: string;
  /** `--log-sample`: the fraction of requests logged (default all). */
  readonly logSample?: number;
  /** `--split`: canary traffic between aliases or versions, e.g. `champion=90,challenger=10`. */
  readonly split?: string;
  /** Receives everything the server writes, as the output channel does (a task's terminal). */
  readonly echo?: (text: string) => void;
}

interface Running {
  info: ServerInfo;
  readonly child: ChildProcess;
  readonly channel: vscode.OutputChannel;
  readonly status: vscode.StatusBarItem;
  readonly exited: Promise<number | null>;
  readonly echoes: ((text: string) => void)[];
  /** The last lines the server wrote (named in a start failure). */
  readonly tail: string[];
  /** The child printed the URL it listens on: until then, whatever answers on the port is not ours. */
  listening: boolean;
  /** The child could not bind its port (another process took it after `freePort` looked). */
  portTaken: boolean;
  poll?: ReturnType<typeof setInterval>;
}

/** A start that lost its port to another process between the check and the bind: the caller tries the next one. */
class PortTakenError extends Error {}

/** How many ports an automatic start tries when others take them first (two windows, or test runs, starting servers at once). */
const PORT_ATTEMPTS = 10;

const HOST = '127.0.0.1';
const DEFAULT_PORT = 8501;

/** True when nothing listens on 127.0.0.1:port. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, HOST, () => s.close(() => resolve(true)));
  });
}

/** The first free port from `from` upwards (TensorFlow Serving's REST default is 8501). */
export async function freePort(from = DEFAULT_PORT): Promise<number> {
  for (let p = from; p < from + 100; p++) if (await portFree(p)) return p;
  throw new Error(`no free port on ${HOST} between ${from} and ${from + 99}`);
}

/** Every live manager, so `deactivate` can stop their servers. */
const managers = new Set<ModelServers>();

export async function stopAllServers(): Promise<void> {
  await Promise.all([...managers].map((m) => m.stopAll()));
}

export class ModelServers implements vscode.Disposable {
  private readonly servers = new Map<string, Running>();
  /** One output channel per model name, kept across restarts. */
  private readonly channels = new Map<string, vscode.OutputChannel>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly extensionPath: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    managers.add(this);
  }

  /** Resolves with the exit code once the server of a base path exits (undefined when none runs). */
  whenExited(base: string): Promise<number | null> | undefined {
    return this.servers.get(path.resolve(base))?.exited;
  }

  /** The server of a model base path, if one runs. */
  get(base: string): ServerInfo | undefined {
    return this.servers.get(path.resolve(base))?.info;
  }

  list(): ServerInfo[] {
    return [...this.servers.values()].map((s) => s.info);
  }

  showLog(base: string): boolean {
    const s = this.servers.get(path.resolve(base));
    s?.channel.show(true);
    return !!s;
  }

  /** Starts `pipewise serve` on a model base path and resolves once a version is AVAILABLE (or rejects with the server's own words). */
  async start(name: string, base: string, options: StartOptions = {}): Promise<ServerInfo> {
    const key = path.resolve(base);
    const existing = this.servers.get(key);
    if (existing) {
      if (options.echo) existing.echoes.push(options.echo);
      return existing.info;
    }
    if (options.port !== undefined) return this.startOn(name, key, options, options.port, false);
    // "The first free port from 8501" is a check then a bind: another process can bind in between.
    let from = DEFAULT_PORT;
    for (let attempt = 1; ; attempt++) {
      const p = await freePort(from);
      try {
        return await this.startOn(name, key, options, p, true);
      } catch (e) {
        if (!(e instanceof PortTakenError) || attempt >= PORT_ATTEMPTS) throw e;
        this.channels.get(name)?.appendLine(`port ${p} was taken before the server could bind it: trying the next free port`);
        from = p + 1;
      }
    }
  }

  private async startOn(name: string, key: string, options: StartOptions, p: number, portChosen: boolean): Promise<ServerInfo> {
    const cli = path.join(this.extensionPath, 'out', 'cli.js');
    const args = [cli, 'serve', key, '--model-name', name, '--port', String(p), '--host', HOST];
    const logDir = options.logDir ? path.resolve(options.logDir) : undefined;
    if (logDir) args.push('--log-dir', logDir);
    if (logDir && options.logSample !== undefined && options.logSample < 1) args.push('--log-sample', String(options.logSample));
    if (options.split) args.push('--split', options.split);
    const channel = this.channels.get(name) ?? vscode.window.createOutputChannel(`Pipewise Server: ${name}`);
    this.channels.set(name, channel);
    const commandLine = `$ node ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`;
    channel.appendLine(commandLine);
    options.echo?.(`${commandLine}\n`);
    // In VS Code the extension host is Electron: ELECTRON_RUN_AS_NODE makes its executable a plain Node.
    const child = spawn(process.execPath, args, { cwd: path.dirname(key), env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const url = `http://${HOST}:${p}/v1/models/${encodeURIComponent(name)}`;
    const status = vscode.window.createStatusBarItem(`pipewise.server.${key}`, vscode.StatusBarAlignment.Left, 40);
    status.name = `Pipewise Server: ${name}`;
    status.text = `$(radio-tower) ${name} :${p}`;
    status.tooltip = `Pipewise is serving '${name}' at ${url}\nClick to try the model.`;
    status.command = commandOf('pipewise.tryModel', 'Try the Model', [key]);
    status.show();
    const echoes: ((text: string) => void)[] = options.echo ? [options.echo] : [];
    const say = (line: string): void => {
      channel.appendLine(line);
      for (const echo of echoes) echo(`${line}\n`);
    };
    const exited = new Promise<number | null>((resolve) => {
      child.once('close', (code, signal) => {
        say(`pipewise serve exited${code !== null ? ` with code ${code}` : ` on ${signal}`}`);
        resolve(code);
      });
      child.once('error', (e) => {
        say(`could not start pipewise serve: ${e.message}`);
        resolve(null);
      });
    });
    const running: Running = { info: { name, base: key, port: p, url, pid: child.pid, ...(logDir ? { logDir } : {}), ...(options.split ? { split: options.split } : {}) }, child, channel, status, exited, echoes, tail: [], listening: false, portTaken: false };
    const listeningLine = `http://${HOST}:${p}`;
    const output = (d: Buffer): void => {
      const text = d.toString();
      // `pipewise serve` prints its URL on stdout once it listens, and names EADDRINUSE when it cannot.
      if (text.includes(listeningLine)) running.listening = true;
      if (!running.listening && /EADDRINUSE|address already in use/i.test(text)) running.portTaken = true;
      channel.append(text);
      for (const echo of running.echoes) echo(text);
      running.tail.push(...text.split('\n').filter((l) => l.trim()));
      running.tail.splice(0, Math.max(0, running.tail.length - 5));
    };
    child.stdout?.on('data', output);
    child.stderr?.on('data', output);
    this.servers.set(key, running);
    void exited.then(() => this.forget(key, running));
    this.changed.fire();
    this.log.info(`model server '${name}' starting on ${url} (pid ${child.pid})`);

    // Ready when the status names an AVAILABLE version; a server that exits first failed to start.
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (this.servers.get(key) !== running) {
        if (running.portTaken && portChosen) throw new PortTakenError(`the server for '${name}' could not bind port ${p}: ${running.tail.slice(-1).join('') || 'address in use'}`);
        throw new Error(`the server for '${name}' exited before it served: ${running.tail.slice(-2).join(' ') || 'no output'} (see the output "Pipewise Server: ${name}")`);
      }
      const version = running.listening ? await this.availableVersion(running) : undefined;
      if (version) {
        this.setVersion(running, version);
        break;
      }
      if (Date.now() > deadline) {
        await this.stop(key);
        throw new Error(`the server for '${name}' did not make a version AVAILABLE within 180 s (see the output "Pipewise Server: ${name}")`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    // Follow the version it serves (a new push is picked up without a restart).
    running.poll = setInterval(() => {
      void this.availableVersion(running).then((v) => v && this.setVersion(running, v));
    }, 2000);
    return running.info;
  }

  /** The version that answers by default: the champion's where it has one (the server follows the alias file), else the newest AVAILABLE. */
  private async availableVersion(s: Running): Promise<string | undefined> {
    const champion = await getJson(`${s.info.url}/labels/champion`).catch(() => undefined);
    const named = (champion?.body as { model_version_status?: { version: string; state: string }[] } | undefined)?.model_version_status?.[0];
    if (champion?.status === 200 && named?.state === 'AVAILABLE') return named.version;
    // A champion still loading: the server answers with nothing else by default, so it is not ready (the newest is not what it serves).
    const why = (champion?.body as { error?: unknown } | undefined)?.error;
    if (champion?.status === 404 && typeof why === 'string' && !why.startsWith('Unrecognized servable version label')) return undefined;
    const r = await getJson(s.info.url).catch(() => undefined);
    const statuses = (r?.body as { model_version_status?: { version: string; state: string }[] } | undefined)?.model_version_status ?? [];
    const available = statuses.filter((v) => v.state === 'AVAILABLE').map((v) => v.version);
    return available.sort((a, b) => Number(b) - Number(a))[0];
  }

  private setVersion(s: Running, version: string): void {
    if (s.info.version === version) return;
    s.info = { ...s.info, version };
    s.status.text = `$(radio-tower) ${s.info.name} ${s.info.split ? `canary ${s.info.split}` : `v${version}`} :${s.info.port}`;
    this.changed.fire();
  }

  private forget(key: string, s: Running): void {
    if (s.poll) clearInterval(s.poll);
    s.status.dispose();
    if (this.servers.get(key) === s) {
      this.servers.delete(key);
      this.changed.fire();
    }
  }

  /** Stops a server: SIGTERM, then SIGKILL after 10 s. Resolves once it exited. */
  async stop(base: string): Promise<boolean> {
    const key = path.resolve(base);
    const s = this.servers.get(key);
    if (!s) return false;
    if (s.poll) clearInterval(s.poll);
    s.child.kill('SIGTERM');
    const killer = setTimeout(() => s.child.kill('SIGKILL'), 10_000);
    await s.exited;
    clearTimeout(killer);
    this.forget(key, s);
    this.log.info(`model server '${s.info.name}' stopped`);
    return true;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((k) => this.stop(k)));
  }

  dispose(): void {
    managers.delete(this);
    for (const s of this.servers.values()) {
      if (s.poll) clearInterval(s.poll);
      s.child.kill('SIGTERM');
      s.status.dispose();
    }
    for (const c of this.channels.values()) c.dispose();
    this.servers.clear();
    this.changed.dispose();
  }
}
