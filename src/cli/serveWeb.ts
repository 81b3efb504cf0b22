/**
 * `pipewise serve-web DIR [--port N]`: serves a web push (Pusher `target: web`; DIR is the pushed
 * version folder, or the destination, whose newest version is served) on 127.0.0.1 until
 * SIGINT/SIGTERM. Open the printed URL in a browser: index.html predicts in the page.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { PipewiseError } from '../core/errors';
import { startStaticServer } from '../engine/serving/staticServer';
import { numberFlag, parseCommandFlags } from './commandFlags';

/**
 * DIR itself when it holds index.html, else its newest numbered version that does. A version that
 * is a symbolic link is not followed: it could serve any folder of the machine on the port.
 */
export function webFolderOf(dir: string): string {
  if (existsSync(path.join(dir, 'index.html'))) return dir;
  const versions = existsSync(dir) && statSync(dir).isDirectory() ? readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && /^\d+$/.test(e.name) && existsSync(path.join(dir, e.name, 'index.html'))).map((e) => e.name) : [];
  const newest = versions.map(Number).sort((a, b) => b - a)[0];
  if (newest === undefined) throw new PipewiseError(`no web push in ${dir}: expected index.html there, or in a numbered version folder (Pusher target: web)`, { code: 'usage' });
  return path.join(dir, String(newest));
}

export async function serveWebCommand(argv: readonly string[]): Promise<number> {
  const flags = parseCommandFlags('serve-web', argv, ['--port'], []);
  if (flags.positionals.length !== 1) throw new PipewiseError(`pipewise serve-web: ${flags.positionals.length ? `unexpected argument '${flags.positionals[1]}'` : 'missing DIR (a web push)'}`, { code: 'usage' });
  const folder = webFolderOf(path.resolve(flags.positionals[0] as string));
  const port = numberFlag('serve-web', flags, '--port', 0, 65535, true) ?? 0;
  const server = await startStaticServer(folder, { port });
  process.stderr.write(`pipewise serve-web: serving ${folder}\n`);
  process.stdout.write(`${server.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}
