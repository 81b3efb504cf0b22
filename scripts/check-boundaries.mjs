#!/usr/bin/env node
// The architecture lint: every import in src/ and webviews/ must respect the rooms of
// docs/ARCHITECTURE.md ("Rooms"), and the doorways hold: no import cycle; no native module reached
// from the extension host or a webview; the worker client only inside the worker port; the webview
// API only inside webviews/shared/host.ts; no Node I/O module in src/core; errors read through
// errorMessage(). Prints one `FILE:LINE: message` per violation and exits 1 if there is any.
// Run: `node scripts/check-boundaries.mjs` (the unit layer runs it too, and .ci/run before the build).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Modules with native code or a wasm runtime of their own: the worker and the CLI load them, never
// the extension host (a crash there takes the editor's extensions down) nor a webview.
const NATIVE = /^(@duckdb\/|@tensorflow\/|esbuild$|ydf-training|onnxruntime-)/;
const NODE_MODULES = ['fs', 'path', 'os', 'child_process', 'crypto', 'url', 'util', 'stream', 'worker_threads', 'net', 'http', 'https', 'module', 'events', 'readline', 'zlib', 'process'];
const bareNode = (s) => s.replace(/^node:/, '').split('/')[0];
const isNodeBuiltin = (s) => s.startsWith('node:') || NODE_MODULES.includes(s);
// src/core is pure: it runs in every process and holds no I/O. Path arithmetic and hashing are
// computations, so `path` and `crypto` stay allowed; anything that touches the disk, a process or
// the network does not.
const CORE_ALLOWED_NODE = new Set(['path', 'crypto']);

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
  'src/core': { rooms: [], vscode: false, native: false, node: (spec) => CORE_ALLOWED_NODE.has(bareNode(spec)) },
  'src/protocol': { rooms: ['src/core'], vscode: false, native: false, node: false },
  'src/engine': { rooms: ['src/core', 'src/protocol'], vscode: false, native: true, node: true },
  'src/worker': { rooms: ['src/core', 'src/protocol', 'src/engine'], vscode: false, native: true, node: true },
  'src/cli': { rooms: ['src/core', 'src/protocol', 'src/engine', 'src/worker'], vscode: false, native: true, node: true },
  // The extension reaches the engine only through the worker; a few of its record types it may name.
  // Everything that writes the store (runs, gc, doctor) runs in the worker; the host reads run and
  // execution records, lists a model's version folders and serves a web push's folder; it reads and
  // moves a model's aliases (a JSON file beside the versions, not the store) and reads a canary split.
  'src/extension': {
    rooms: ['src/core', 'src/protocol', 'src/worker', 'src/engine'],
    typesFrom: ['src/engine'],
    vscode: true,
    native: false,
    node: true,
    only: {
      'src/worker': ['src/worker/client.ts'],
      'src/engine': ['src/engine/serving/staticServer.ts', 'src/engine/serving/modelVersions.ts', 'src/engine/serving/aliases.ts', 'src/engine/serving/canary.ts'],
    },
  },
  // The browser runtime of a web push (pipewise-model.js): the engine's pure modules only (the same
  // transform, input validation and output decoding as the server, and a tree model's columns step;
  // an imported ONNX model's feeds and graph reader), TensorFlow.js or onnxruntime-web, no Node.
  'src/web': {
    rooms: ['src/core', 'src/engine'],
    vscode: false,
    native: true,
    node: false,
    only: {
      'src/engine': ['src/engine/transform/applyTransform.ts', 'src/engine/transform/transformSpec.ts', 'src/engine/model/decodePredictions.ts', 'src/engine/model/signature.ts', 'src/engine/serving/requests.ts', 'src/engine/model/treeColumns.ts', 'src/engine/model/onnxFeeds.ts', 'src/engine/model/onnxProto.ts'],
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
    const nodeAllowed = typeof rule.node === 'function' ? rule.node(spec) : rule.node;
    if (isNodeBuiltin(spec) && !nodeAllowed && !typeOnly) problems.push(`${at}: ${room} must not import the Node module ${spec}`);
  }
  problems.push(...checkDoorways(rel, text, room));
  return problems;
}

/** The one file that may hold the worker client in the extension host, and the webview API's one caller. */
export const WORKER_PORT = 'src/extension/workerPort.ts';
/** The port's notification fan-out, in a file of its own so that a unit test can drive it. */
export const WORKER_PORT_FANOUT = 'src/extension/workerPortFanout.ts';
/** The one place that creates webview panels and their serializers (docs/ARCHITECTURE.md, "Adding a panel"). */
export const PANEL_REGISTRY = 'src/extension/panelRegistry.ts';
export const WEBVIEW_HOST = 'webviews/shared/host.ts';

/** The rules that are about one file's text rather than its imports' rooms. */
function checkDoorways(rel, text, room) {
  const problems = [];
  const lineOf = (index) => text.slice(0, index).split('\n').length;
  if (room === 'src/extension' && rel !== WORKER_PORT) {
    for (const { spec, line, typeOnly } of importsOf(text)) {
      const target = spec.startsWith('.') ? path.posix.normalize(path.posix.join(path.posix.dirname(rel), spec)) : '';
      if (!typeOnly && target.replace(/\.ts$/, '') === 'src/worker/client') {
        problems.push(`${rel}:${line}: only ${WORKER_PORT} holds the worker client; use the port's request() and on() (docs/ARCHITECTURE.md, "The worker port")`);
      }
    }
    for (const m of rel === WORKER_PORT_FANOUT ? [] : text.matchAll(/\.onNotification\s*\(/g)) {
      problems.push(`${rel}:${lineOf(m.index)}: subscribe with WorkerPort.on(), never onNotification (a connection keeps one handler per method)`);
    }
  }
  if (room === 'src/extension' && rel !== PANEL_REGISTRY && rel !== 'src/extension/panelSerializers.ts') {
    for (const m of text.matchAll(/\b(createWebviewPanel|registerWebviewPanelSerializer)\s*\(/g)) {
      problems.push(`${rel}:${lineOf(m.index)}: panels are opened and restored by a PanelRegistry (${PANEL_REGISTRY}), not by ${m[1]}`);
    }
  }
  if (room === 'src/extension' && rel !== 'src/extension/commands.ts') {
    for (const m of text.matchAll(/(vscode\.commands\.executeCommand\s*(?:<[^>]*>)?\(\s*|\bcommand:\s*)['"](pipewise\.[\w.]+)['"]/g)) {
      problems.push(`${rel}:${lineOf(m.index)}: ${m[2]} named raw; go through the command table (executeCommand or commandOf in src/extension/commands.ts)`);
    }
  }
  if (rel.startsWith('webviews/') && rel !== WEBVIEW_HOST) {
    for (const m of text.matchAll(/\bacquireVsCodeApi\b/g)) {
      problems.push(`${rel}:${lineOf(m.index)}: only ${WEBVIEW_HOST} calls acquireVsCodeApi; use connect()`);
    }
  }
  for (const m of text.matchAll(/\(\s*\w+\s+as\s+Error\s*\)\s*\.message/g)) {
    problems.push(`${rel}:${lineOf(m.index)}: read an error's text with errorMessage() (src/protocol/errors.ts), not a cast`);
  }
  return problems;
}

/** The repository file a relative import names, if it is one of `files`. */
function resolveImport(files, from, spec) {
  const t = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  for (const c of [t, `${t}.ts`, `${t}/index.ts`, t.replace(/\.js$/, '.ts')]) if (files.has(c)) return c;
  return undefined;
}

/**
 * Import cycles among `sources` (a Map of repository-relative path to text), type-only imports
 * included: a loop through types still ties the files' meaning together. One message per cycle,
 * naming its files in import order.
 */
export function importCycles(sources) {
  const files = new Set(sources.keys());
  const graph = new Map();
  for (const [rel, text] of sources) {
    graph.set(rel, [...new Set(importsOf(text).filter((i) => i.spec.startsWith('.')).map((i) => resolveImport(files, rel, i.spec)).filter(Boolean))]);
  }
  // Tarjan's strongly connected components; each component of two or more files (or a file that
  // imports itself) is a cycle.
  let next = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const cycles = [];
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v).includes(v)) cycles.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles.map((c) => `${c[0]}: import cycle among ${c.length} file(s): ${c.join(' → ')}`);
}

/**
 * Native modules reached from the extension host or a webview through any chain of runtime imports
 * (a module the extension may import must not pull DuckDB or TensorFlow.js in behind it).
 */
export function nativeReach(sources) {
  const files = new Set(sources.keys());
  const problems = [];
  const nativeOf = new Map();
  const reach = (rel, seen) => {
    if (nativeOf.has(rel)) return nativeOf.get(rel);
    if (seen.has(rel)) return undefined;
    seen.add(rel);
    let found;
    for (const { spec, typeOnly } of importsOf(sources.get(rel))) {
      if (typeOnly) continue;
      if (NATIVE.test(spec)) found = { spec, via: [rel] };
      else if (spec.startsWith('.')) {
        const target = resolveImport(files, rel, spec);
        const deeper = target && reach(target, seen);
        if (deeper) found = { spec: deeper.spec, via: [rel, ...deeper.via] };
      }
      if (found) break;
    }
    nativeOf.set(rel, found);
    return found;
  };
  for (const rel of [...files].sort()) {
    const room = roomOf(rel);
    if (!(room === 'src/extension' || room?.startsWith('webviews/'))) continue;
    const found = reach(rel, new Set());
    if (found && found.via.length > 1) problems.push(`${rel}: reaches the native module ${found.spec} through ${found.via.join(' → ')}`);
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
  const sources = new Map();
  for (const top of ['src', 'webviews']) {
    for (const rel of sourceFiles(path.join(root, top), root)) sources.set(rel, readFileSync(path.join(root, rel), 'utf8'));
  }
  return checkSources(sources);
}

/** Every violation among `sources` (repository-relative path → text). */
export function checkSources(sources) {
  const problems = [];
  for (const [rel, text] of sources) problems.push(...checkFile(rel, text));
  problems.push(...importCycles(sources), ...nativeReach(sources));
  return problems;
}

/**
 * Violations known when a rule was added and not mended yet, each with the reason it waits. They are
 * printed, not failed; the unit test fails when an entry no longer matches a violation, so the list
 * only shrinks. Add nothing here.
 */
export const KNOWN_DEBT = [
  { match: 'src/core/diskUsage.ts:', why: 'folder sizes for the clean-up preview; moves with paths.ts to a Node-side room' },
  { match: 'src/core/fileLookup.ts:', why: 'validate asks it whether path parameters exist; to be injected by the callers' },
  { match: 'src/core/paths.ts:', why: 'real-path confinement used by validate; to be injected by the callers' },
  { match: 'src/core/storeFolder.ts:', why: "the store-folder rule validate applies at the store: line reads the folder; to be injected with paths.ts's checks" },
];

/** `problems` split into those to fail on and those of KNOWN_DEBT. */
export function splitDebt(problems) {
  const debt = problems.filter((p) => KNOWN_DEBT.some((d) => p.startsWith(d.match)));
  return { failures: problems.filter((p) => !debt.includes(p)), debt };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const { failures: problems, debt } = splitDebt(checkRepository(root));
  for (const d of debt) console.warn(`known, not mended yet: ${d}`);
  for (const p of problems) console.error(p);
  console.log(problems.length ? `${problems.length} import(s) cross a boundary the wrong way (docs/ARCHITECTURE.md, "Rooms")` : 'import boundaries: ok');
  process.exit(problems.length ? 1 : 0);
}
