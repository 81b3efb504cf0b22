/**
 * docs/ARCHITECTURE.md stays true to the code: every file or folder it names exists, every room
 * (folder of src/ and webviews/) and every webview bundle is in it, and every doorway it names is
 * still the symbol it says. When a room, bundle or boundary moves, this fails until the doc follows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');
const doc = readFileSync(path.join(root, 'docs', 'ARCHITECTURE.md'), 'utf8');

/** Repository paths the doc names in code spans: `src/…`, `webviews/…`, `media/…`, `scripts/…`, `test/…`, `bench/…`. */
function namedPaths(): string[] {
  const spans = [...doc.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
  const paths = new Set<string>();
  for (const s of spans) {
    for (const token of s.split(/[\s,()]+/)) {
      const m = /^((?:src|webviews|media|scripts|test|bench|docs)\/[\w./*<>-]*)/.exec(token);
      if (!m) continue;
      const p = m[1]!.replace(/[.:]+$/, '');
      // Templates (`src/protocol/<area>.ts`) and globs (`src/core/components/*`) name a folder.
      const concrete = p.split('/').findIndex((part) => /[<*]/.test(part));
      paths.add(concrete === -1 ? p : p.split('/').slice(0, concrete).join('/'));
    }
  }
  return [...paths].filter(Boolean).sort();
}

const dirs = (p: string): string[] => readdirSync(path.join(root, p)).filter((n) => statSync(path.join(root, p, n)).isDirectory());

test('every path docs/ARCHITECTURE.md names exists', () => {
  const named = namedPaths();
  assert.ok(named.length > 40, `the doc names ${named.length} paths`);
  const missing = named.filter((p) => !existsSync(path.join(root, p)) && !existsSync(path.join(root, `${p}.ts`)));
  assert.deepEqual(missing, [], 'paths named in docs/ARCHITECTURE.md that do not exist');
});

test('every room of src/ and every webview bundle is in docs/ARCHITECTURE.md', () => {
  const rooms = dirs('src').map((d) => `src/${d}`);
  const bundles = dirs('webviews').filter((d) => d !== 'shared' && existsSync(path.join(root, 'webviews', d, 'index.ts')));
  const missingRooms = rooms.filter((r) => !doc.includes(`\`${r}\``));
  const missingBundles = bundles.filter((b) => !doc.includes(`\`webviews/${b}\``));
  assert.deepEqual(missingRooms, [], 'rooms not described');
  assert.deepEqual(missingBundles, [], 'webview bundles not described');
});

test('the doorways the doc names are the symbols it says, in the files it says', () => {
  const doorways: [string, RegExp][] = [
    ['src/extension/workerPort.ts', /export class WorkerPort\b/],
    ['src/extension/webviewHost.ts', /export abstract class WebviewHost\b/],
    ['src/extension/panelRegistry.ts', /export class PanelRegistry\b/],
    ['src/extension/commands.ts', /export interface CommandTable\b/],
    ['src/extension/feature.ts', /export abstract class Feature\b/],
    ['webviews/shared/host.ts', /export function connect\b/],
    ['src/worker/client.ts', /export class WorkerClient\b/],
  ];
  for (const [file, symbol] of doorways) {
    assert.ok(doc.includes(`\`${file}\``), `the doc names ${file}`);
    assert.match(readFileSync(path.join(root, file), 'utf8'), symbol, `${file} still holds ${symbol}`);
  }
});
