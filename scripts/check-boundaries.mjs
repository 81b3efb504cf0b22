#!/usr/bin/env node
// The import-boundary lint: every import in src/ and webviews/ must respect the rooms of
// docs/ARCHITECTURE.md ("Rooms"). Prints one `FILE:LINE: message` per violation and exits 1 if
// there is any. Run: `node scripts/check-boundaries.mjs` (the unit layer runs it too, so CI does).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const NATIVE = /^(@duckdb\/|@tensorflow\/|esbuild$)/;
const isNodeBuiltin = (s) => s.startsWith('node:') || ['fs', 'path', 'os', 'child_process', 'crypto', 'url', 'util', 'stream', 'worker_threads'].includes(s);

/** The room a repository-relative path belongs to, or undefined outside src/ and webviews/. */
export function roomOf(rel) {
  const parts = rel.split('/');
  if (parts[0] === 'src' && parts.length > 2) return `src/${parts[1]}`;
  if (parts[0] === 'webviews' && parts.length > 2) return `webviews/${parts[1]}`;
  if (parts[0] === 'media') return 'media';
  return undefined;
}

/**
 * The rules, by room: `rooms` it may import from (besides its own), whether `vscode`, native
 * modules and Node built-ins are allowed, and rooms it may import types (only) from.
 */
export const RULES = {
  'src/core': { rooms: [], vscode: false, native: false, node: true },
  'src/protocol': { rooms: ['src/core'], vscode: false, native: false, node: false },
  'src/engine': { rooms: ['src/core', 'src/protocol'], vscode: false, native: true, node: true },
  'src/worker': { rooms: ['src/core', 'src/protocol', 'src/engine'], vscode: false, native: true, node: true },
  'src/cli': { rooms: ['src/core', 'src/protocol', 'src/engine', 'src/worker'], vscode: false, native: true, node: true },
  // The extension reaches the engine only through the worker; a few of its record types it may name.
  // Everything that writes the store (runs, gc, doctor) runs in the worker; the host reads run and
  // execution records, lists a model's version folders and serves a web push's folder.
  'src/extension': {
    rooms: ['src/core', 'src/protocol', 'src/worker', 'src/engine'],
    typesFrom: ['src/engine'],
    vscode: true,
    native: true,
    node: true,
    only: {
      'src/worker': ['src/worker/client.ts'],
      'src/engine': ['src/engine/serving/staticServer.ts', 'src/engine/serving/modelVersions.ts'],
    },
  },
  // The browser runtime of a web push (pipewise-model.js): the engine's pure modules only (the same
  // transform, input validation and output decoding as the server), TensorFlow.js, no Node.
  'src/web': {
    rooms: ['src/core', 'src/engine'],
    vscode: false,
    native: true,
    node: false,
    only: {
      'src/engine': ['src/engine/transform/applyTransform.ts', 'src/engine/transform/transformSpec.ts', 'src/engine/model/decodePredictions.ts', 'src/engine/model/signature.ts', 'src/engine/serving/requests.ts'],
    },
  },
  // Each bundle (webviews/graph, webviews/panels, webviews/renderer) is its own room.
  'webviews/*': { rooms: ['webviews/shared', 'src/protocol', 'src/core', 'media'], vscode: false, native: false, node: false },
  'webviews/shared': { rooms: ['src/protocol', 'src/core'], vscode: false, native: false, node: false },
};

const IMPORT = /^\s*(import|export)\s+(type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]\s*\)|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Every import of a source text: `{ spec, line, typeOnly }`. */
export function importsOf(text) {
  const out = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[3] ?? m[4] ?? m[5];
    const line = text.slice(0, m.index).split('\n').length;
    const typeOnly = !!m[2] || /^\s*import\s+type\b/.test(m[0]);
    out.push({ spec, line, typeOnly });
  }
  return out;
}

/** The violations of one file (`rel` is repository-relative, `/`-separated). */
export function checkFile(rel, text) {
  const room = roomOf(rel);
  const rule = room && (RULES[room] ?? (room.startsWith('webviews/') ? RULES['webviews/*'] : undefined));
  if (!rule) return [];
  const problems = [];
  for (const { spec, line, typeOnly } of importsOf(text)) {
    const at = `${rel}:${line}`;
    if (spec === 'vscode') {
      if (!rule.vscode) problems.push(`${at}: ${room} must not import 'vscode'`);
      continue;
    }
    if (spec.startsWith('.')) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(rel), spec));
      const to = roomOf(target) ?? target.split('/')[0];
      if (to === room) continue;
      if (target === 'package.json' && rule.node) continue; // the manifest's version and name
      if (rule.only?.[to] && !rule.only[to].some((f) => target === f.replace(/\.ts$/, '') || target === f)) {
        if (typeOnly && rule.typesFrom?.includes(to)) continue;
        problems.push(`${at}: ${room} may import only ${rule.only[to].join(', ')} from ${to}, not ${target}`);
        continue;
      }
      if (rule.rooms.includes(to)) continue;
      if (typeOnly && rule.typesFrom?.includes(to)) continue;
      problems.push(`${at}: ${room} must not import from ${to} (${spec})`);
      continue;
    }
    if (NATIVE.test(spec)) {
      if (!rule.native && !typeOnly) problems.push(`${at}: ${room} must not import the native module ${spec}`);
      continue;
    }
    if (isNodeBuiltin(spec) && !rule.node && !typeOnly) problems.push(`${at}: ${room} must not import the Node module ${spec}`);
  }
  return problems;
}

function* sourceFiles(dir, root) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yield* sourceFiles(p, root);
    else if (/\.(ts|mts|tsx)$/.test(name) && !name.endsWith('.d.ts')) yield path.relative(root, p).split(path.sep).join('/');
  }
}

/** Every violation under `root`'s src/ and webviews/. */
export function checkRepository(root) {
  const problems = [];
  for (const top of ['src', 'webviews']) {
    for (const rel of sourceFiles(path.join(root, top), root)) problems.push(...checkFile(rel, readFileSync(path.join(root, rel), 'utf8')));
  }
  return problems;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const problems = checkRepository(root);
  for (const p of problems) console.error(p);
  console.log(problems.length ? `${problems.length} import(s) cross a boundary the wrong way (docs/ARCHITECTURE.md, "Rooms")` : 'import boundaries: ok');
  process.exit(problems.length ? 1 : 0);
}
