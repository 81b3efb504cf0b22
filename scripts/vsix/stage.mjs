// Lays out, in a temporary folder, what `vsce package` needs to build one target's VSIX: the
// manifest, README, LICENSE, CHANGELOG, the production bundles, media and the example, and a
// node_modules that is the repository's (hard links, so it costs no copying) with every DuckDB binding
// taken out and the target's put in. A binding for another platform is fetched once from the npm
// registry with `npm pack` (npm can fetch any platform's package) and cached in
// ~/.cache/pipewise/duckdb-bindings; the repository's own node_modules is never changed.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const COPIED = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', '.vscodeignore', 'media', 'examples/penguins'];
/** The minified bundles (`esbuild.mjs --production`), staged as the VSIX's out/. */
export const PRODUCTION_OUT = 'out/production';

export function bindingVersion(root) {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'node_modules/@duckdb/node-bindings/package.json'), 'utf8'));
  return pkg.version;
}

const cacheDir = () => path.join(process.env.PIPEWISE_CACHE ?? path.join(os.homedir(), '.cache', 'pipewise'), 'duckdb-bindings');

/** The folder of `@duckdb/node-bindings-<binding>` at the version the repository uses. */
export function bindingPackage(root, binding) {
  const name = `@duckdb/node-bindings-${binding}`;
  const version = bindingVersion(root);
  const installed = path.join(root, 'node_modules', name);
  if (fs.existsSync(path.join(installed, 'package.json')) && JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')).version === version) return installed;
  const unpacked = path.join(cacheDir(), `${binding}-${version}`);
  if (fs.existsSync(path.join(unpacked, 'package.json'))) return unpacked;
  fs.mkdirSync(cacheDir(), { recursive: true });
  console.log(`fetching ${name}@${version} from the npm registry`);
  const tgz = execFileSync('npm', ['pack', '--silent', `${name}@${version}`, '--pack-destination', cacheDir()], { encoding: 'utf8' }).trim().split('\n').pop();
  const partial = `${unpacked}.${process.pid}.partial`;
  fs.mkdirSync(partial, { recursive: true });
  execFileSync('tar', ['xzf', path.join(cacheDir(), tgz), '-C', partial, '--strip-components=1']);
  fs.rmSync(path.join(cacheDir(), tgz));
  fs.renameSync(partial, unpacked);
  return unpacked;
}

/** Builds the staging folder for `target` and returns its path (the caller removes it). */
export function stage(root, target) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pipewise-vsix-${target.target}-`));
  for (const rel of COPIED) {
    const from = path.join(root, rel);
    if (!fs.existsSync(from)) continue;
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.cpSync(from, path.join(dir, rel), { recursive: true, filter: (src) => !src.includes(`${path.sep}.pipewise`) });
  }
  const bundles = path.join(root, PRODUCTION_OUT);
  if (!fs.existsSync(path.join(bundles, 'extension.js'))) throw new Error(`${bundles}/extension.js is missing: run \`node esbuild.mjs --production\` (npm run package does)`);
  fs.cpSync(bundles, path.join(dir, 'out'), { recursive: true });
  // Hard links: instant, and nothing below is written through them (only whole folders removed).
  // From node_modules' real path: when it is a symlink (a git worktree sharing another checkout's),
  // `cp -a` would copy the link itself, and the removals below would delete the other checkout's files.
  execFileSync('cp', ['-al', fs.realpathSync(path.join(root, 'node_modules')), path.join(dir, 'node_modules')]);
  // npm's hidden lock file would make `npm ls` (which vsce runs) trust the tree it describes.
  fs.rmSync(path.join(dir, 'node_modules', '.package-lock.json'), { force: true });
  const duck = path.join(dir, 'node_modules', '@duckdb');
  for (const d of fs.readdirSync(duck)) if (d.startsWith('node-bindings-')) fs.rmSync(path.join(duck, d), { recursive: true, force: true });
  if (target.binding) {
    const binding = path.join(duck, `node-bindings-${target.binding}`);
    execFileSync('cp', ['-al', bindingPackage(root, target.binding), binding]);
    if (target.format === 'macho') for (const f of fs.readdirSync(binding)) thinMachO(path.join(binding, f), target.arch);
  }
  // ONNX Runtime's npm package holds every platform's CPU library (45 MB for linux-x64, 86 MB for
  // darwin-arm64 …): keep the target's folder alone, none where it has no build (musl, universal).
  const ort = path.join(dir, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');
  if (fs.existsSync(ort)) {
    for (const os_ of fs.readdirSync(ort)) {
      for (const arch of fs.readdirSync(path.join(ort, os_))) {
        if (!(target.binding && target.libc !== 'musl' && target.os === os_ && target.arch === arch)) fs.rmSync(path.join(ort, os_, arch), { recursive: true, force: true });
      }
    }
  }
  return dir;
}

const MACHO_CPU = { x64: 0x01000007, arm64: 0x0100000c };

/**
 * DuckDB's macOS library is a universal ("fat") file holding both architectures; a VSIX is for one,
 * so keep that architecture's slice alone (what `lipo -thin` does: each slice is a complete Mach-O
 * file with its own code signature, copied byte for byte). The file is replaced, not written through
 * its hard link.
 */
function thinMachO(file, arch) {
  const b = fs.readFileSync(file);
  if (b.length < 8 || b.readUInt32BE(0) !== 0xcafebabe) return;
  const n = b.readUInt32BE(4);
  for (let i = 0; i < n; i++) {
    const at = 8 + i * 20;
    if (b.readUInt32BE(at) !== MACHO_CPU[arch]) continue;
    const offset = b.readUInt32BE(at + 8);
    const size = b.readUInt32BE(at + 12);
    const tmp = `${file}.${process.pid}.thin`;
    fs.writeFileSync(tmp, b.subarray(offset, offset + size), { mode: fs.statSync(file).mode });
    fs.renameSync(tmp, file);
    return;
  }
  throw new Error(`${file}: a universal Mach-O file without a ${arch} slice`);
}
