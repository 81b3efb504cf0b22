// Builds Pipewise's VSIXs and checks each one.
//
//   npm run package                         the VSIX for this machine (pipewise-linux-x64.vsix here)
//   npm run package -- --target darwin-arm64 [--target win32-x64 …]
//   npm run package:all                     every target in scripts/vsix/targets.mjs, and universal
//
// The production bundles are built once (minified); each target is packaged by vsce from a staging
// folder holding that target's DuckDB binding only (scripts/vsix/stage.mjs), then unpacked and checked
// (scripts/vsix/check.mjs): the binding's header names the target's format and architecture, nothing of
// another platform ships, and on this machine's own target DuckDB and TensorFlow.js load from the VSIX.
// Prints each VSIX's size and writes them to out/vsix-sizes.json.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkVsix } from './vsix/check.mjs';
import { stage } from './vsix/stage.mjs';
import { TARGETS, hostTarget, targetNamed, vsixName } from './vsix/targets.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const { values } = parseArgs({ options: { target: { type: 'string', multiple: true }, all: { type: 'boolean', default: false }, 'skip-build': { type: 'boolean', default: false } } });
const host = hostTarget();
const names = values.all ? TARGETS.map((t) => t.target) : (values.target ?? [process.env.PIPEWISE_VSIX_TARGET ?? host]).flatMap((t) => t.split(','));
const targets = names.map(targetNamed);

if (!values['skip-build']) execFileSync(process.execPath, ['esbuild.mjs', '--production'], { stdio: 'inherit' });

const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
const sizes = [];
for (const target of targets) {
  const dir = stage(root, target);
  try {
    const out = path.join(root, vsixName(target.target));
    // Written beside the final name and renamed into place, so a browser test running meanwhile never
    // finds the VSIX missing or half-written.
    const partial = `${out}.${process.pid}.partial`;
    const args = ['package', '--out', partial, ...(target.binding ? ['--target', target.target] : [])];
    execFileSync(process.execPath, [vsce, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
    fs.renameSync(partial, out);
    const r = checkVsix(out, target, { load: target.target === host });
    sizes.push({ target: target.target, file: path.basename(out), bytes: r.bytes, files: r.files, native: r.native.map((n) => `${path.basename(n.file)} ${n.format} ${n.arch}${n.libc ? ` ${n.libc}` : ''}`) });
    console.log(`VSIX: ${path.basename(out)}, ${(r.bytes / 1024 / 1024).toFixed(1)} MB, ${r.files} files${r.native.length ? `, ${sizes.at(-1).native.join('; ')}` : ', no native files'}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

fs.mkdirSync(path.join(root, 'out'), { recursive: true });
const sizesFile = path.join(root, 'out', 'vsix-sizes.json');
const previous = fs.existsSync(sizesFile) ? JSON.parse(fs.readFileSync(sizesFile, 'utf8')) : [];
const merged = [...previous.filter((p) => !sizes.some((s) => s.target === p.target)), ...sizes].sort((a, b) => a.target.localeCompare(b.target));
fs.writeFileSync(sizesFile, `${JSON.stringify(merged, null, 2)}\n`);
if (sizes.length > 1) {
  console.log('\n| target | VSIX | size |\n|---|---|---|');
  for (const s of sizes) console.log(`| ${s.target} | ${s.file} | ${(s.bytes / 1024 / 1024).toFixed(1)} MB |`);
}
