/**
 * Property-based tests (fast-check) on the pipeline parser and validator: arbitrary text, arbitrary
 * YAML documents and mutated valid pipelines never make them throw, and every diagnostic points
 * inside the file (its line exists, its column is on that line, its offsets are in the text and
 * agree with the line and column). Seeded, so a failure is reproducible; PIPEWISE_FUZZ_RUNS scales
 * the number of cases (default 300 per property).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parsePipeline } from '../../src/core/parse';
import type { SpecDiagnostic } from '../../src/core/spec';
import { validatePipeline } from '../../src/core/validate';

const root = path.resolve(__dirname, '../..');
const FILE = '/fuzz/p.pipeline.yaml';
const RUNS = Number(process.env.PIPEWISE_FUZZ_RUNS ?? 300);
const EXAMPLES = ['penguins/penguins.pipeline.yaml', 'weather/weather.pipeline.yaml', 'flights/flights.pipeline.yaml'].map((f) =>
  readFileSync(path.join(root, 'examples', f), 'utf8'),
);

/** Parses and validates; throws an assertion error naming the first diagnostic that points outside the text. */
function check(text: string): SpecDiagnostic[] {
  const parsed = parsePipeline(text, FILE);
  const all = [...parsed.diagnostics, ...validatePipeline(parsed)];
  // Lines as the YAML parser counts them (a lone \r is not a line break to it).
  const lines = text.split('\n');
  for (const d of all) {
    assert.equal(d.file, FILE);
    assert.ok(typeof d.message === 'string' && d.message.length > 0, 'a diagnostic has a message');
    for (const end of ['start', 'end'] as const) {
      const p = d.range[end];
      const where = `${d.code} ${end} ${p.line}:${p.col}@${p.offset} in ${JSON.stringify(text.slice(0, 200))}`;
      assert.ok(Number.isInteger(p.line) && p.line >= 1 && p.line <= lines.length, `line outside the file: ${where}`);
      assert.ok(Number.isInteger(p.col) && p.col >= 1 && p.col <= (lines[p.line - 1] as string).length + 1, `column outside its line: ${where}`);
      assert.ok(Number.isInteger(p.offset) && p.offset >= 0 && p.offset <= text.length, `offset outside the text: ${where}`);
    }
    assert.ok(d.range.start.offset <= d.range.end.offset, `range ends before it starts: ${d.code}`);
  }
  return all;
}

const opts = (seed: number): fc.Parameters<unknown> => ({ numRuns: RUNS, seed });

test('arbitrary text never throws and every diagnostic is inside the file', () => {
  const yamlish = fc.array(fc.constantFrom('pipeline:', 'stages:', '  ', '    ', '\n', ':', '- ', '{', '}', '[', ']', ',', '"', "'", '#', '&a', '*a', '!!str ', '? ', '|', '>', '---', '...', 'component: ExampleGen', 'inputs:', 'params:', 'x.y', '\t', '\r\n', '\u00e9', '\ud83d\ude00'), { maxLength: 60 }).map((xs) => xs.join(''));
  fc.assert(fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 200 }), yamlish), (text) => void check(text)), opts(15));
});

test('arbitrary YAML documents (any shape, with stages or not) never throw', () => {
  const value = fc.letrec((tie) => ({
    v: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 2 }), fc.dictionary(fc.string({ maxLength: 8 }), tie('v'), { maxKeys: 4 }), fc.array(tie('v'), { maxLength: 4 })),
  })).v;
  const stage = fc.record(
    { component: fc.oneof(fc.constantFrom('ExampleGen', 'StatisticsGen', 'SchemaGen', 'Trainer', 'Evaluator', 'Pusher', 'Sql', './c.ts', 'Nope'), value), inputs: fc.oneof(fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.constantFrom('a.examples', 'b.statistics', 'a.nope', 'x'), value), { maxKeys: 3 }), value), params: value },
    { requiredKeys: [] },
  );
  const doc = fc.record(
    { pipeline: fc.oneof(fc.string({ maxLength: 10 }), value), store: fc.oneof(fc.constantFrom('.pipewise', '../out', '/abs'), value), stages: fc.oneof(fc.dictionary(fc.constantFrom('a', 'b', 'c', 'Bad-Name', ''), stage, { maxKeys: 4 }), value), extra: value },
    { requiredKeys: [] },
  );
  fc.assert(fc.property(fc.oneof(doc, value), fc.constantFrom<'block' | 'flow'>('block', 'flow'), (v, style) => {
    const text = stringify(v, style === 'flow' ? { collectionStyle: 'flow' } : undefined);
    check(text);
  }), opts(16));
});

test('mutated example pipelines never throw and every diagnostic is inside the file', () => {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(':', '\n  ', '\n    x: 1', '- ', '{', '"', '\t', ' # c', 'stages:', 'component: Trainer', 'inputs: { a: b.c }', '\r')) }),
    fc.record({ kind: fc.constant('swapLines' as const), a: fc.nat(), b: fc.nat() }),
    fc.record({ kind: fc.constant('dupLine' as const), a: fc.nat() }),
    fc.record({ kind: fc.constant('indent' as const), a: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
  );
  type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;
  const apply = (text: string, m: Mutation): string => {
    const lines = text.split('\n');
    switch (m.kind) {
      case 'delete': {
        const at = m.at % (text.length + 1);
        return text.slice(0, at) + text.slice(at + m.len);
      }
      case 'insert': {
        const at = m.at % (text.length + 1);
        return text.slice(0, at) + m.text + text.slice(at);
      }
      case 'swapLines': {
        const a = m.a % lines.length;
        const b = m.b % lines.length;
        [lines[a], lines[b]] = [lines[b] as string, lines[a] as string];
        return lines.join('\n');
      }
      case 'dupLine': {
        const a = m.a % lines.length;
        lines.splice(a, 0, lines[a] as string);
        return lines.join('\n');
      }
      case 'indent': {
        const a = m.a % lines.length;
        const l = lines[a] as string;
        lines[a] = m.by >= 0 ? ' '.repeat(m.by) + l : l.replace(new RegExp(`^ {0,${-m.by}}`), '');
        return lines.join('\n');
      }
    }
  };
  let withDiagnostics = 0;
  fc.assert(fc.property(fc.constantFrom(...EXAMPLES), fc.array(mutation, { minLength: 1, maxLength: 5 }), (base, ms) => {
    const text = ms.reduce(apply, base);
    if (check(text).length) withDiagnostics++;
  }), opts(17));
  // The mutations do break files (otherwise this property would test little).
  assert.ok(withDiagnostics > RUNS / 4, `only ${withDiagnostics} of ${RUNS} mutated files had diagnostics`);
  for (const e of EXAMPLES) assert.deepEqual(check(e).filter((d) => d.severity === 'error'), [], 'the examples themselves are valid');
});
