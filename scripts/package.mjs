// Builds the VSIX for this platform (`npm run package`) and checks it: unpacks it and loads every
// module the bundles need at run time from the unpacked copy, with no access to the repository's
// node_modules, so a file missing from the `.vscodeignore` allow-list fails here and not on a
// user's machine. Prints the VSIX's path, size and file count.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

function vsceTarget() {
  const arch = process.arch;
  if (process.platform === 'linux') {
    // musl systems need the alpine target (DuckDB ships a separate musl binding).
    const musl = !process.report?.getReport()?.header?.glibcVersionRuntime;
    return `${musl ? 'alpine' : 'linux'}-${arch === 'arm' ? 'armhf' : arch}`;
  }
  return `${process.platform}-${arch}`;
}

const target = process.env.PIPEWISE_VSIX_TARGET ?? vsceTarget();
const vsix = path.join(root, `pipewise-${target}.vsix`);

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit', cwd: root });
run(process.execPath, ['esbuild.mjs', '--production']);
// Written beside the final name and renamed into place, so a browser test running meanwhile never
// finds the VSIX missing or half-written.
const partial = `${vsix}.${process.pid}.partial`;
run(process.execPath, [
  path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce'),
  'package',
  '--target', target,
  '--out', partial,
  // No prompts (CI has no stdin); relative README links (screenshots) stay as they are.
  '--skip-license',
  '--allow-missing-repository',
  '--no-rewrite-relative-links',
]);
fs.renameSync(partial, vsix);

// --- Check the VSIX: unpack into a folder outside the repository and load what the bundles need.
const unpacked = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-vsix-'));
try {
  execFileSync('unzip', ['-q', vsix, '-d', unpacked]);
  const ext = path.join(unpacked, 'extension');
  const files = execFileSync('find', [ext, '-type', 'f'], { encoding: 'utf8' }).trim().split('\n');
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`), 'vscode']);
  // Bare module names the bundles load at run time (static requires, createRequire(...)("x"), import("x")).
  const needed = new Set();
  for (const bundle of ['out/extension.js', 'out/worker.js']) {
    const file = path.join(ext, bundle);
    if (!fs.existsSync(file)) throw new Error(`${bundle} is missing from the VSIX`);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:require|import)\s*\(\s*["'`]([@a-z0-9][\w./@-]*)["'`]\s*\)|createRequire\)?\([^()]*\)\s*\(\s*["']([@a-z0-9][\w./@-]*)["']\s*\)/g)) {
      const name = m[1] ?? m[2];
      if (name && !builtins.has(name) && !name.startsWith('node:')) needed.add(name);
    }
  }
  // Every file the manifest names (icons, snippets, walkthrough media, main) must be in the VSIX.
  const manifest = JSON.parse(fs.readFileSync(path.join(ext, 'package.json'), 'utf8'));
  const named = new Set();
  const walk = (v) => {
    if (typeof v === 'string' && /^(\.\/)?(out|media|examples)\/[^*]+\.\w+$/.test(v)) named.add(v.replace(/^\.\//, ''));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk({ main: manifest.main, contributes: manifest.contributes });
  const absent = [...named].filter((f) => !fs.existsSync(path.join(ext, f)));
  if (absent.length) throw new Error(`the manifest names files the VSIX lacks (see .vscodeignore): ${absent.join(', ')}`);
  console.log(`VSIX check: all ${named.size} files the manifest names are present`);
  // Always checked, whether or not today's bundles load them yet: the reason these ship at all.
  for (const m of ['@duckdb/node-api', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']) needed.add(m);
  // Optional at run time: the worker falls back when they are absent.
  const optional = new Set(['@tensorflow/tfjs-node', 'esbuild']);
  const probe = `
    const { createRequire } = require('node:module');
    const req = createRequire(${JSON.stringify(path.join(ext, 'out', 'worker.js'))});
    const missing = [], absentOptional = [], present = [];
    for (const m of ${JSON.stringify([...needed])}) {
      try { req.resolve(m); present.push(m); } catch { (${JSON.stringify([...optional])}.includes(m) ? absentOptional : missing).push(m); }
    }
    if (missing.length) { console.error('not in the VSIX: ' + missing.join(', ')); process.exit(1); }
    (async () => {
      const duckdb = req('@duckdb/node-api');
      const db = await duckdb.DuckDBInstance.create(':memory:');
      const c = await db.connect();
      const r = await c.runAndReadAll('SELECT 40 + 2 AS answer');
      if (r.getRowObjects()[0].answer !== 42) throw new Error('DuckDB answered wrongly');
      c.closeSync(); db.closeSync();
      const tf = req('@tensorflow/tfjs');
      req('@tensorflow/tfjs-backend-wasm');
      if (!(await tf.setBackend('wasm'))) throw new Error('the TensorFlow.js wasm backend did not start');
      const s = tf.sum(tf.tensor1d([1, 2, 3, 4])).dataSync()[0];
      if (s !== 10) throw new Error('TensorFlow.js summed wrongly: ' + s);
      console.log('VSIX check: ' + present.join(', ') + ' load from the VSIX' + (absentOptional.length ? ' (optional, not shipped: ' + absentOptional.join(', ') + ')' : '') + '; DuckDB ' + duckdb.version() + ', TensorFlow.js ' + tf.version.tfjs + ' on ' + tf.getBackend());
    })().catch((e) => { console.error(e); process.exit(1); });`;
  // Run from the unpacked folder with NODE_PATH cleared, so nothing resolves from the repository.
  const r = spawnSync(process.execPath, ['-e', probe], { cwd: ext, stdio: 'inherit', env: { ...process.env, NODE_PATH: '' } });
  if (r.status !== 0) throw new Error(`the VSIX ${vsix} is missing what its bundles load at run time`);
  const size = fs.statSync(vsix).size;
  console.log(`VSIX: ${path.relative(root, vsix)}, ${(size / 1024 / 1024).toFixed(1)} MB, ${files.length} files, target ${target}`);
} finally {
  fs.rmSync(unpacked, { recursive: true, force: true });
}
