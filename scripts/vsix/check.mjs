// Checks one VSIX after it is built: the manifest's target platform; that every native file inside is
// the target's DuckDB binding and is built for the target (format and architecture read from the file
// header, and glibc or musl on Linux); that nothing of another platform, no source map, no test and
// no CLI bundle ships; that every file the manifest names is present; and, for the VSIX of the machine
// this runs on, that DuckDB and TensorFlow.js (wasm) load from the unpacked copy alone.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { isNativeFile, nativeFormatOfFile } from './nativeFormat.mjs';

function listFiles(dir) {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)).split(path.sep).join('/'));
}

/** @returns {{ files: number, bytes: number, native: { file: string, format: string, arch: string, libc?: string }[] }} */
export function checkVsix(vsix, target, { load = false } = {}) {
  const unpacked = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-vsix-check-'));
  try {
    execFileSync('unzip', ['-q', vsix, '-d', unpacked]);
    const problems = [];
    const manifestXml = fs.readFileSync(path.join(unpacked, 'extension.vsixmanifest'), 'utf8');
    const platform = /TargetPlatform="([^"]+)"/.exec(manifestXml)?.[1];
    if (target.target === 'universal' ? platform !== undefined : platform !== target.target) problems.push(`the manifest's TargetPlatform is ${platform ?? '(none)'}, expected ${target.target === 'universal' ? '(none)' : target.target}`);

    const ext = path.join(unpacked, 'extension');
    const files = listFiles(ext);
    const native = [];
    for (const f of files.filter((x) => isNativeFile(x))) {
      const fmt = nativeFormatOfFile(path.join(ext, f));
      native.push({ file: f, ...fmt });
      if (!target.binding) problems.push(`${f}: a native file in the universal VSIX`);
      else if (!f.startsWith(`node_modules/@duckdb/node-bindings-${target.binding}/`) && !f.startsWith(`node_modules/onnxruntime-node/bin/napi-v6/${target.os}/${target.arch}/`)) problems.push(`${f}: a native file outside the target's DuckDB binding and ONNX Runtime folder`);
      else if (fmt.format !== target.format || !fmt.arch.split('+').includes(target.arch) || (target.libc && fmt.libc !== target.libc))
        problems.push(`${f}: built for ${fmt.format} ${fmt.arch}${fmt.libc ? ` ${fmt.libc}` : ''}, not ${target.format} ${target.arch}${target.libc ? ` ${target.libc}` : ''}`);
    }
    if (target.binding && !native.some((n) => n.file.endsWith('/duckdb.node'))) problems.push(`the binding node_modules/@duckdb/node-bindings-${target.binding}/duckdb.node is missing`);
    const bindings = new Set(files.map((f) => /^node_modules\/@duckdb\/node-bindings-([^/]+)\//.exec(f)?.[1]).filter(Boolean));
    for (const b of bindings) if (b !== target.binding) problems.push(`node_modules/@duckdb/node-bindings-${b}/: another platform's binding`);
    for (const f of files) {
      if (f.endsWith('.map')) problems.push(`${f}: a source map`);
      if (/^out\/test\//.test(f) || /^test\//.test(f)) problems.push(`${f}: a test file`);
    }
    // The Models view runs `pipewise serve` with the CLI bundle.
    if (!files.includes('out/cli.js')) problems.push('out/cli.js is missing (the Models view runs `pipewise serve` with it)');

    // Every file the manifest names (icons, snippets, walkthrough media, main) must be in the VSIX.
    const manifest = JSON.parse(fs.readFileSync(path.join(ext, 'package.json'), 'utf8'));
    const named = new Set();
    const walk = (v) => {
      if (typeof v === 'string' && /^(\.\/)?(out|media|examples)\/[^*]+\.\w+$/.test(v)) named.add(v.replace(/^\.\//, ''));
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk({ main: manifest.main, icon: manifest.icon, contributes: manifest.contributes });
    for (const f of named) if (!fs.existsSync(path.join(ext, f))) problems.push(`${f}: named by the manifest, missing from the VSIX (see .vscodeignore)`);

    if (problems.length) throw new Error(`${path.basename(vsix)}:\n  ${problems.join('\n  ')}`);
    if (load) loadProbe(ext, vsix);
    return { files: files.length, bytes: fs.statSync(vsix).size, native };
  } finally {
    fs.rmSync(unpacked, { recursive: true, force: true });
  }
}

/** Loads every module the bundles need from the unpacked VSIX alone (no repository node_modules). */
function loadProbe(ext, vsix) {
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`), 'vscode']);
  const needed = new Set(['@duckdb/node-api', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']);
  // The threaded wasm build's glue, resolved by path (src/engine/tf/wasmThreads.ts), which the scan below cannot see.
  for (const f of ['tfjs-backend-wasm-threaded-simd.js', 'tfjs-backend-wasm-threaded-simd.worker.js']) needed.add(`@tensorflow/tfjs-backend-wasm/wasm-out/${f}`);
  // Decision forests (src/engine/model/ydf.ts), required through a createRequire variable; the .wasm beside training.js.
  for (const m of ['ydf-training', 'ydf-training/dist/training.wasm', 'jszip/dist/jszip.min.js']) needed.add(m);
  needed.add('onnxruntime-node');
  for (const bundle of ['out/extension.js', 'out/features.js', 'out/worker.js']) {
    const file = path.join(ext, bundle);
    if (!fs.existsSync(file)) throw new Error(`${bundle} is missing from the VSIX`);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:require|import)\s*\(\s*["'`]([@a-z0-9][\w./@-]*)["'`]\s*\)|createRequire\)?\([^()]*\)\s*\(\s*["']([@a-z0-9][\w./@-]*)["']\s*\)/g)) {
      const name = m[1] ?? m[2];
      if (name && !builtins.has(name) && !name.startsWith('node:')) needed.add(name);
    }
  }
  const optional = ['@tensorflow/tfjs-node', 'esbuild'];
  const probe = `
    const { createRequire } = require('node:module');
    const req = createRequire(${JSON.stringify(path.join(ext, 'out', 'worker.js'))});
    const missing = [], absentOptional = [], present = [];
    for (const m of ${JSON.stringify([...needed])}) {
      try { req.resolve(m); present.push(m); } catch { (${JSON.stringify(optional)}.includes(m) ? absentOptional : missing).push(m); }
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
      // ONNX Runtime's binding and library for this platform load from the VSIX (imported ONNX models).
      const ort = req('onnxruntime-node');
      if (typeof ort.InferenceSession?.create !== 'function') throw new Error('onnxruntime-node loaded without InferenceSession');
      if (s !== 10) throw new Error('TensorFlow.js summed wrongly: ' + s);
      console.log('VSIX check: ' + present.join(', ') + ' load from the VSIX' + (absentOptional.length ? ' (optional, not shipped: ' + absentOptional.join(', ') + ')' : '') + '; DuckDB ' + duckdb.version() + ', TensorFlow.js ' + tf.version.tfjs + ' on ' + tf.getBackend() + ', ONNX Runtime ' + ort.env.versions.node);
    })().catch((e) => { console.error(e); process.exit(1); });`;
  // Run from the unpacked folder with NODE_PATH cleared, so nothing resolves from the repository.
  const r = spawnSync(process.execPath, ['-e', probe], { cwd: ext, stdio: 'inherit', env: { ...process.env, NODE_PATH: '' } });
  if (r.status !== 0) throw new Error(`the VSIX ${vsix} is missing what its bundles load at run time`);
}
