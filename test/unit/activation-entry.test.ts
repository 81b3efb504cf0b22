/**
 * Activation loads only the entry bundle (src/extension/extension.ts): what VS Code's extension host
 * waits for at start-up. Bundled here as esbuild.mjs bundles it, its inputs must be the entry and the
 * command stubs alone — no node_modules (zod, yaml, vscode-jsonrpc) and no feature — and its size a
 * few kilobytes; the features come from out/features.js, required after `activate` returned. The
 * `zod` imports are namespace imports (`import * as z`), so the features' bundle leaves out zod's
 * locales, which `import { z }` kept whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function bundle(entry: string): Promise<{ inputs: string[]; bytes: number }> {
  const r = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    minify: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: 'out/bundle.js',
    external: ['vscode', '@duckdb/node-api', '@tensorflow/*', 'esbuild', 'ydf-training', 'jszip', 'onnxruntime-node'],
    logLevel: 'silent',
  });
  const output = Object.values(r.metafile.outputs).find((o) => o.entryPoint);
  assert.ok(output, `esbuild wrote no bundle for ${entry}`);
  return { inputs: Object.keys(output.inputs), bytes: output.bytes };
}

test('the activation entry bundles no library and no feature: a few kilobytes', async () => {
  const { inputs, bytes } = await bundle('src/extension/extension.ts');
  assert.deepEqual(
    inputs.filter((f) => f.includes('node_modules/')),
    [],
    'the entry bundle inlines no package: they belong to out/features.js',
  );
  assert.deepEqual(inputs.filter((f) => !['src/extension/extension.ts', 'src/extension/commandStubs.ts', 'src/core/errors.ts'].includes(f)), [], 'the entry holds the stubs alone');
  assert.ok(bytes < 10_000, `the entry bundle is ${bytes} bytes`);
});

test("the features' bundle leaves zod's locales out (namespace imports)", async () => {
  const { inputs } = await bundle('src/extension/features.ts');
  assert.ok(inputs.some((f) => f.includes('node_modules/zod/')), 'zod is in the features (the schemas)');
  const locales = inputs.filter((f) => /node_modules\/zod\/.*\/locales\/(?!en\.)/.test(f));
  assert.deepEqual(locales.slice(0, 5), [], `${locales.length} zod locale modules bundled`);
});

// The late features (src/extension/featureLoader.ts) are evaluated when first used only if nothing the
// eager features import reaches their modules statically: esbuild then wraps them to run at their
// `import()`. A static import from anywhere in the eager closure would quietly load them at start-up.
test("the late features' modules are reached only through their import() in features.ts", async () => {
  const r = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: ['src/extension/features.ts'],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: 'out/bundle.js',
    external: ['vscode'],
    logLevel: 'silent',
  });
  const inputs = r.metafile.inputs;
  const root = 'src/extension/features.ts';
  const late = (inputs[root]?.imports ?? []).filter((i) => i.kind === 'dynamic-import').map((i) => i.path);
  assert.ok(late.length >= 6, `features.ts import()s ${late.join(', ')}`);
  const eager = new Set<string>();
  const pending = [root];
  while (pending.length) {
    const file = pending.pop() as string;
    if (eager.has(file)) continue;
    eager.add(file);
    for (const i of inputs[file]?.imports ?? []) if (i.kind !== 'dynamic-import' && !i.external) pending.push(i.path);
  }
  assert.deepEqual(late.filter((f) => eager.has(f)), [], 'late feature modules imported statically by the eager features');
});
