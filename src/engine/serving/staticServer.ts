/**
 * A static file server for a web push (Pusher `target: web`): serves one folder on 127.0.0.1, for
 * `pipewise serve-web` and the "Open Web Demo" command. GET and HEAD only; paths are decoded,
 * normalized and confined to the folder (no `..`, no symlink out of it, no dot files); requests
 * whose Host header names another host are refused (DNS rebinding). Node built-ins only.
 */
import { createReadStream, promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { errorMessage } from '../../protocol/errors';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.bin': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export interface StaticServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The file a URL path names inside `root` (both real paths), or undefined when it is outside or hidden. */
export async function resolveInside(root: string, urlPath: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const parts = decoded.split(/[/\\]+/).filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..' || p.startsWith('.'))) return undefined;
  let file = path.join(root, ...parts);
  try {
    if ((await fs.stat(file)).isDirectory()) file = path.join(file, 'index.html');
    const real = await fs.realpath(file);
    if (real !== root && !real.startsWith(root + path.sep)) return undefined;
    return (await fs.stat(real)).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

export async function startStaticServer(folder: string, options: { port?: number } = {}): Promise<StaticServer> {
  const root = await fs.realpath(path.resolve(folder));
  if (!(await fs.stat(root)).isDirectory()) throw new Error(`not a folder: ${root}`);
  let port = 0;
  const server = http.createServer((req, res) => {
    const send = (status: number, text: string): void => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
      res.end(req.method === 'HEAD' ? undefined : `${text}\n`);
    };
    const host = (req.headers.host ?? '').toLowerCase();
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return send(403, `host '${host}' refused: this server answers 127.0.0.1:${port} only`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, `${req.method} is not allowed (GET and HEAD only)`);
    const urlPath = (req.url ?? '/').split('?')[0] as string;
    void resolveInside(root, urlPath).then(
      (file) => {
        if (!file) return send(404, `not found: ${urlPath}`);
        res.writeHead(200, {
          'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-cache',
        });
        if (req.method === 'HEAD') return void res.end();
        createReadStream(file)
          .on('error', () => res.destroy())
          .pipe(res);
      },
      (e: unknown) => send(500, errorMessage(e)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
