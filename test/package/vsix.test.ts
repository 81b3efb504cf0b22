/**
 * Every platform's VSIX, built here by `npm run package:all` from this one Linux machine: each native
 * file inside is checked with tools that know nothing of Pipewise — `file` (libmagic) for the
 * executable format and architecture, `readelf -d` for the C library a Linux binding links against —
 * and no other platform's binding, no source map and no test ships. The universal VSIX has no native
 * file, and its worker starts, validates a pipeline, and answers a data request with a message that
 * says DuckDB is unavailable (instead of failing to start).
 */
import assert from 'node:assert/strict';
import { execFileSync, fork, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter } from 'vscode-jsonrpc/node';
import { ComputeStatistics } from '../../src/protocol/data';
import { Initialize, ValidatePipeline } from '../../src/protocol/worker';

const root = path.resolve(__dirname, '..', '..');

/** What `file -b` must say of a target's binaries, and the libc its Linux binaries must need. */
const EXPECTED: Record<string, { file: RegExp; libc?: RegExp }> = {
  'linux-x64': { file: /^ELF 64-bit LSB .*x86-64/, libc: /^libc\.so\.6$/ },
  'linux-arm64': { file: /^ELF 64-bit LSB .*ARM aarch64/, libc: /^libc\.so\.6$/ },
  'alpine-x64': { file: /^ELF 64-bit LSB .*x86-64/, libc: /^libc\.musl-x86_64\.so\.1$/ },
  'alpine-arm64': { file: /^ELF 64-bit LSB .*ARM aarch64/, libc: /^libc\.musl-aarch64\.so\.1$/ },
  'darwin-x64': { file: /^Mach-O (64-bit x86_64|universal binary .*x86_64)/ },
  'darwin-arm64': { file: /^Mach-O (64-bit arm64|universal binary .*arm64)/ },
  'win32-x64': { file: /^PE32\+ executable .*x86-64/ },
  'win32-arm64': { file: /^PE32\+ executable .*Aarch64/i },
};
const TARGETS = [...Object.keys(EXPECTED), 'universal'];

const unpackedDirs: string[] = [];
function unpack(vsix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-vsix-test-'));
  unpackedDirs.push(dir);
  execFileSync('unzip', ['-q', vsix, '-d', dir]);
  return dir;
}
const filesUnder = (dir: string): string[] =>
  fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));

before(() => {
  // The packaging script builds and checks each VSIX itself; this test checks the results again with
  // independent tools, and fails if the script does.
  const r = spawnSync(process.execPath, ['scripts/package.mjs', '--all'], { cwd: root, stdio: 'inherit' });
  assert.equal(r.status, 0, 'npm run package:all failed');
});
after(() => {
  for (const d of unpackedDirs) fs.rmSync(d, { recursive: true, force: true });
});

for (const target of TARGETS) {
  test(`${target}: the VSIX holds only ${target === 'universal' ? 'platform-independent files' : `${target}'s DuckDB binding`}`, () => {
    const vsix = path.join(root, `pipewise-${target}.vsix`);
    const size = fs.statSync(vsix).size;
    const dir = unpack(vsix);
    const manifest = fs.readFileSync(path.join(dir, 'extension.vsixmanifest'), 'utf8');
    const platform = /TargetPlatform="([^"]+)"/.exec(manifest)?.[1];
    assert.equal(platform, target === 'universal' ? undefined : target);
    const files = filesUnder(path.join(dir, 'extension'));
    const native = files.filter((f) => /\.(node|so|dylib|dll)$/.test(f));
    const bindings = new Set(files.map((f) => /^node_modules\/@duckdb\/(node-bindings-[^/]+)\//.exec(f)?.[1]).filter(Boolean));
    assert.deepEqual(files.filter((f) => f.endsWith('.map') || f.startsWith('out/test/')), [], 'no source maps or tests');
    assert.ok(files.includes('out/cli.js'), 'the CLI bundle (the Models view runs `pipewise serve` with it)');
    assert.ok(files.includes('out/extension.js') && files.includes('out/features.js'), 'the entry and the features it requires after activation');
    for (const f of ['pipewise-model.js', 'pipewise-model.external.js', 'pipewise-demo.js', 'pipewise-demo.css']) assert.ok(files.includes(`out/web/${f}`), `the browser runtime of web pushes: out/web/${f}`);
    if (target === 'universal') {
      assert.deepEqual(native, []);
      assert.deepEqual([...bindings], []);
    } else {
      const expected = EXPECTED[target]!;
      assert.equal(bindings.size, 1, `one binding, found ${[...bindings].join(', ')}`);
      assert.ok(native.some((f) => f.endsWith('/duckdb.node')), 'duckdb.node is inside');
      for (const f of native) {
        const abs = path.join(dir, 'extension', f);
        const kind = execFileSync('file', ['-b', abs], { encoding: 'utf8' }).trim();
        assert.match(kind, expected.file, `${f}: ${kind}`);
        if (expected.libc) {
          const needed = [...execFileSync('readelf', ['-d', abs], { encoding: 'utf8' }).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!);
          const libc = needed.filter((n) => /^libc[.-]/.test(n));
          assert.ok(libc.length > 0 && libc.every((n) => expected.libc!.test(n)), `${f} needs ${needed.join(', ')}`);
        }
      }
    }
    // ONNX Runtime (imported ONNX models): the target's own library only, where ONNX Runtime 1.30 builds one
    // (glibc Linux, macOS arm64, Windows); none for musl, darwin-x64 or universal.
    const ortFolders = new Set(files.map((f) => /^node_modules\/onnxruntime-node\/bin\/napi-v6\/([^/]+\/[^/]+)\//.exec(f)?.[1]).filter(Boolean));
    const ortTarget = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'win32-x64', 'win32-arm64'].includes(target) ? target.replace('-', '/') : undefined;
    assert.deepEqual([...ortFolders], ortTarget ? [ortTarget] : [], `ONNX Runtime folders in ${target}`);
    if (ortTarget) assert.ok(native.some((f) => f.endsWith('/onnxruntime_binding.node')), 'onnxruntime_binding.node is inside (and checked above like every native file)');
    assert.ok(files.includes('out/web/ort-wasm-simd-threaded.wasm') && files.includes('out/web/pipewise-model.onnx.js'), 'the ONNX web runtime');
    console.log(`# ${path.basename(vsix)}: ${(size / 1024 / 1024).toFixed(1)} MB, ${files.length} files${native.length ? `, ${native.map((f) => path.basename(f)).join(' + ')}` : ''}`);
  });
}

test('universal: the worker starts without DuckDB, validates a pipeline, and says why data features are unavailable', async () => {
  const dir = unpack(path.join(root, 'pipewise-universal.vsix'));
  const ext = path.join(dir, 'extension');
  const child = fork(path.join(ext, 'out', 'worker.js'), [], { cwd: ext, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: [], env: { ...process.env, NODE_PATH: '' } });
  const connection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
  connection.listen();
  try {
    const info = await connection.sendRequest(Initialize);
    assert.equal(info.pid, child.pid);
    const pipeline = path.join(ext, 'examples', 'penguins', 'penguins.pipeline.yaml');
    assert.deepEqual(await connection.sendRequest(ValidatePipeline, { file: pipeline }), []);
    const csv = path.join(ext, 'examples', 'penguins', 'data', 'penguins.csv');
    await assert.rejects(connection.sendRequest(ComputeStatistics, { source: { kind: 'file', path: csv } }), /DuckDB is not available on this platform/);
    assert.equal(child.exitCode, null, 'the worker is still running');
  } finally {
    connection.dispose();
    child.kill();
  }
});
