/**
 * Issue 18 in pure code: reading a component's declaration without running it, YAML anchors and
 * aliases with a bound, the file-size bound, and real-path confinement (symbolic links).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readDeclaration } from '../../src/core/declarationReader';
import { MAX_ALIASES, MAX_PIPELINE_BYTES, parsePipeline } from '../../src/core/parse';
import { confinePath, globEscape, pathEscape } from '../../src/core/paths';
import { formatDiagnostic, type SpecDiagnostic } from '../../src/core/spec';
import { validatePipeline } from '../../src/core/validate';

const FILE = '/work/p/test.pipeline.yaml';
const errors = (text: string): SpecDiagnostic[] => validatePipeline(parsePipeline(text, FILE)).filter((d) => d.severity === 'error');
const at = (d: SpecDiagnostic | undefined): string => `${d?.range.start.line}:${d?.range.start.col}`;

test('a declaration is read from the source as data: JS and TS forms, comments, zod params interpreted', () => {
  const ts = `import { z } from 'zod';
// declaration = "not this one"
export const declaration: Declaration = {
  name: 'Sum', /* a } in a comment */ version: "2",
  description: \`plain template\`,
  inputs: { examples: { type: 'Examples', description: 'a "quoted" }' } },
  outputs: { statistics: { type: 'ExampleStatistics', optional: true, }, },
  params: z.strictObject({ offset: z.number().int().min(0).default(3), mode: z.enum(['a', 'b']).optional() }),
  pathParams: ['input'],
} as const satisfies Something<Other>;
export async function run() {}
`;
  const { declaration, paramsChecked } = readDeclaration(ts, '/x/sum.ts');
  assert.equal(declaration.name, 'Sum');
  assert.equal(declaration.version, '2');
  assert.equal(declaration.description, 'plain template');
  assert.equal(declaration.inputs.examples?.description, 'a "quoted" }');
  assert.equal(declaration.outputs.statistics?.optional, true);
  assert.deepEqual(declaration.pathParams, ['input']);
  assert.ok(paramsChecked);
  assert.deepEqual(declaration.params.parse({}), { offset: 3 });
  assert.equal(declaration.params.safeParse({ offset: -1 }).success, false);
  assert.equal(declaration.params.safeParse({ nope: 1 }).success, false);
  assert.equal(declaration.params.safeParse({ mode: 'c' }).success, false);
  const cjs = readDeclaration("'use strict';\nmodule.exports.declaration = { name: 'X', outputs: { o: { type: 'Examples' } } };\n", '/x/x.js');
  assert.equal(cjs.declaration.name, 'X');
  assert.equal(cjs.declaration.params.safeParse({ anything: 1 }).success, true, 'no params: any params');
});

test('code in a declaration is never run: params outside the zod subset are checked at run time, other code is an error at its line', () => {
  const marker = path.join(os.tmpdir(), `pipewise-reader-${process.pid}`);
  const sneaky = `exports.declaration = {
  name: 'S',
  params: z.object({ a: z.string().refine(() => require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran')) }),
  outputs: {},
};`;
  const r = readDeclaration(sneaky, '/x/s.js');
  assert.equal(r.paramsChecked, false);
  assert.equal(r.declaration.params.safeParse({ whatever: 1 }).success, true);
  const iife = `exports.declaration = {\n  name: (() => { require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran'); return 'S'; })(),\n};`;
  assert.throws(() => readDeclaration(iife, '/x/s.js'), (e: { describe(): string }) => /^\/x\/s\.js:2:9: 'name' must be written as data/.test(e.describe()));
  const computed = 'exports.declaration = makeDeclaration();';
  assert.throws(() => readDeclaration(computed, '/x/c.js'), (e: { describe(): string }) => /^\/x\/c\.js:1:23: the declaration must be an object literal/.test(e.describe()));
  const shorthand = 'export const declaration = {\n  name: "A",\n  inputs,\n};';
  assert.throws(() => readDeclaration(shorthand, '/x/d.ts'), (e: { describe(): string }) => /^\/x\/d\.ts:3:9: property 'inputs' needs a literal value/.test(e.describe()));
  assert.ok(!existsSync(marker), 'the reader ran code');
});

test('YAML anchors and aliases: values resolve, errors point at the alias', () => {
  const text = `pipeline: p
stages:
  examples:
    component: ExampleGen
    params: { input: &input data/x.csv }
  transform:
    component: &t Transform
    inputs: { examples: examples.examples, schema: examples.examples }
    params: { label: &label species }
  again:
    component: *t
    inputs: { examples: examples.examples, schema: examples.examples }
    params: { label: *label, epochs: *input }
`;
  const parsed = parsePipeline(text, FILE);
  assert.equal(parsed.spec?.stages[2]?.component, 'Transform');
  assert.equal(parsed.spec?.stages[2]?.params.label, 'species');
  const unknown = errors(text).filter((d) => d.code === 'unknown-param');
  assert.equal(unknown.length, 1, errors(text).map(formatDiagnostic).join('\n'));
  assert.equal(at(unknown[0]), '13:30'); // the key `epochs`, on the line of the alias
});

test('billion laughs: aliases are bounded, with a clear error, and the file size is bounded', () => {
  const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) {
    const p = String.fromCharCode(96 + i);
    const n = String.fromCharCode(97 + i);
    levels.push(`${n}: &${n} [*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p}]`);
  }
  const text = `pipeline: p\nstages:\n  t:\n    component: Transform\n    params:\n      ${levels.join('\n      ')}\n`;
  const ds = errors(text).filter((d) => d.code === 'too-many-aliases');
  assert.equal(ds.length, 1, errors(text).map(formatDiagnostic).join('\n'));
  assert.match(ds[0]?.message ?? '', /expands its aliases past 100 nodes/);
  assert.equal(at(ds[0]), '6:7');
  const many = `pipeline: p\nx: &x 1\nstages:\n  t:\n    component: Transform\n    params:\n${Array.from({ length: MAX_ALIASES + 1 }, (_, i) => `      k${i}: *x`).join('\n')}\n`;
  const m = errors(many);
  assert.equal(m.length, 1);
  assert.match(m[0]?.message ?? '', /more than 100 aliases/);
  assert.equal(at(m[0]), `${7 + MAX_ALIASES}:13`); // `      k100: *x`
  const big = `pipeline: p\ndescription: "${'x'.repeat(MAX_PIPELINE_BYTES)}"\nstages: {}\n`;
  const b = errors(big);
  assert.equal(b.length, 1);
  assert.match(b[0]?.message ?? '', /^the pipeline file is 1\.0 MB; a pipeline file may be at most 1\.0 MB/);
});

test('paths are confined by real path: links to outside, dangling links, links under a glob; links inside are fine', () => {
  const top = mkdtempSync(path.join(os.tmpdir(), 'pipewise-paths-'));
  try {
    const base = path.join(top, 'p');
    const outside = path.join(top, 'outside');
    mkdirSync(path.join(base, 'data/real'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(path.join(base, 'data/real/a.csv'), 'x\n1\n');
    symlinkSync(path.join(base, 'data/real'), path.join(base, 'data/inside'));
    symlinkSync(outside, path.join(base, 'serving'));
    symlinkSync(path.join(outside, 'not-yet'), path.join(base, 'dangling'));
    assert.equal(pathEscape(base, 'data/inside/a.csv'), undefined);
    assert.equal(confinePath(base, 'data/inside/new/x', 'p'), path.join(base, 'data/inside/new/x'));
    assert.match(pathEscape(base, 'serving/penguins') ?? '', /symbolic link to .*outside\/penguins, outside/);
    assert.throws(() => confinePath(base, 'serving/penguins', 'destination'), /parameter 'destination': path "serving\/penguins" is refused: it leads through a symbolic link/);
    assert.match(pathEscape(base, 'dangling/model') ?? '', /outside\/not-yet\/model/);
    assert.equal(globEscape(base, 'data/*/a.csv'), undefined);
    symlinkSync(outside, path.join(base, 'data/evil'));
    assert.match(globEscape(base, 'data/*/a.csv')?.[0] ?? '', /data\/evil$/);
    assert.match(globEscape(base, 'data/**/*.csv')?.[0] ?? '', /data\/evil$/);
    assert.equal(globEscape(base, 'data/r*/a.csv'), undefined);
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});

test("store: is checked by validate with run's rule, at its position", () => {
  const tail = '\nstages:\n  examples:\n    component: ExampleGen\n    params: { input: data/x.csv }\n';
  const d = errors(`pipeline: p\nstore: ../elsewhere${tail}`);
  assert.equal(d.length, 1);
  assert.equal(at(d[0]), '2:8');
  assert.equal(d[0]?.code, 'path-escape');
  assert.equal(errors(`pipeline: p\nstore: /var/tmp/x${tail}`)[0]?.code, 'path-escape');
  assert.deepEqual(errors(`pipeline: p\nstore: .artifacts${tail}`), []);
});
