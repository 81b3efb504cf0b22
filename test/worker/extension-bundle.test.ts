/**
 * The extension's bundles (out/extension.js, the entry, and out/features.js, which declares the
 * schemas; as built) load without reading `navigator`. VS Code's
 * extension host defines `navigator` as a getter that raises a PendingMigrationError (Node 21+ has a
 * real one); zod's JIT probe read it while the bundle's schemas were declared, once per activation.
 * The bundle is loaded in a child Node with a stand-in `vscode` module (any property is a callable
 * stand-in) and a `navigator` getter that records who read it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const out = path.resolve(__dirname, '../../out');

const LOADER = `
const Module = require('node:module');
const reads = [];
Object.defineProperty(globalThis, 'navigator', { configurable: true, get() { reads.push(new Error('navigator read').stack.split('\\n').slice(1, 4).join(' | ')); return undefined; } });
const standIn = () => new Proxy(function () {}, { get: (_, k) => (k === 'prototype' ? {} : k === Symbol.toPrimitive ? () => '' : standIn()), apply: () => standIn(), construct: () => standIn() });
// esbuild's interop copies the module's own properties and keeps its prototype: put the stand-ins there.
const vscode = Object.create(new Proxy({}, { get: (_, k) => (typeof k === 'symbol' ? undefined : standIn()) }));
const load = Module._load;
Module._load = function (request, ...rest) { return request === 'vscode' ? vscode : load.call(this, request, ...rest); };
const ext = require(process.argv[1]);
if (typeof ext[process.argv[2]] !== 'function') throw new Error('the bundle exports no ' + process.argv[2] + '()');
process.stdout.write(JSON.stringify(reads));
`;

for (const [file, entry] of [
  ['extension.js', 'activate'],
  ['features.js', 'activateFeatures'],
] as const) {
  test(`out/${file} loads without reading navigator (zod runs jitless in the extension host)`, () => {
    const bundle = path.join(out, file);
    assert.ok(fs.existsSync(bundle), `${bundle} is missing: npm run build`);
    const reads = JSON.parse(execFileSync(process.execPath, ['-e', LOADER, bundle, entry], { encoding: 'utf8' })) as string[];
    assert.deepEqual(reads, [], `navigator was read while the bundle loaded:\n${reads.join('\n')}`);
  });
}
