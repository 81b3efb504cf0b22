import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { parsePipeline } from '../../src/core/parse';
import { buildGraph, findCycle, selectStages, topologicalOrder } from '../../src/core/dag';
import { confinePath, pathEscape } from '../../src/core/paths';
import { cacheKey, canonicalJson } from '../../src/core/cacheKey';
import { PipewiseError } from '../../src/core/errors';

/** A graph from `stage: [upstream…]`, written out as a pipeline file (file order = key order). */
function graphOf(edges: Record<string, string[]>) {
  const stages = Object.entries(edges)
    .map(([name, ups]) => `  ${name}:\n    component: Sql\n    inputs: { ${ups.map((u, i) => `in${i}: ${u}.examples`).join(', ')} }\n`)
    .join('');
  const parsed = parsePipeline(`pipeline: g\nstages:\n${stages}`, '/p/g.pipeline.yaml');
  assert.ok(parsed.spec);
  return buildGraph(parsed.spec);
}

test('topological order follows the inputs, not the file; among ready stages the earliest in the file goes first', () => {
  const g = graphOf({ train: ['transform'], transform: ['examples', 'schema'], schema: ['stats'], stats: ['examples'], examples: [], other: [] });
  const order = topologicalOrder(g);
  assert.deepEqual(order, ['examples', 'stats', 'schema', 'transform', 'train', 'other']);
  for (const [n, ups] of g.upstream) for (const u of ups) assert.ok(order.indexOf(u) < order.indexOf(n), `${u} before ${n}`);
});

test('cycles are found and named; topological order refuses them', () => {
  const g = graphOf({ a: ['c'], b: ['a'], c: ['b'], d: [] });
  assert.deepEqual(findCycle(g), ['a', 'b', 'c', 'a']);
  assert.throws(() => topologicalOrder(g), (e: unknown) => e instanceof PipewiseError && /a → b → c → a/.test(e.message));
  assert.deepEqual(findCycle(graphOf({ a: ['a'] })), ['a', 'a']);
  assert.equal(findCycle(graphOf({ a: [], b: ['a'], c: ['a', 'b'] })), undefined);
});

test('--only selects the stage and requires its upstream; --from selects the downstream too', () => {
  const g = graphOf({ examples: [], stats: ['examples'], schema: ['stats'], validate: ['stats', 'schema'], transform: ['examples', 'schema'], train: ['transform'] });
  const only = selectStages(g, { only: ['schema'] });
  assert.deepEqual([...only.planned], ['schema']);
  assert.deepEqual(only.required, ['examples', 'stats', 'schema']);
  const from = selectStages(g, { from: 'schema' });
  assert.deepEqual([...from.planned].sort(), ['schema', 'train', 'transform', 'validate']);
  assert.deepEqual(from.required, ['examples', 'stats', 'schema', 'validate', 'transform', 'train']);
  const all = selectStages(g, {});
  assert.equal(all.planned.size, 6);
  assert.throws(() => selectStages(g, { only: ['nope'] }), (e: unknown) => e instanceof PipewiseError && e.details.code === 'usage' && /--only nope: no such stage/.test(e.message));
  assert.throws(() => selectStages(g, { from: 'nope' }), /--from nope/);
});

test('paths are confined to the pipeline folder', () => {
  const base = '/home/u/proj';
  assert.equal(confinePath(base, 'data/x.csv', 'input'), '/home/u/proj/data/x.csv');
  assert.equal(confinePath(base, './a/../b.csv', 'input'), '/home/u/proj/b.csv');
  assert.equal(confinePath(base, '/home/u/proj/data/x.csv', 'input'), '/home/u/proj/data/x.csv');
  assert.equal(pathEscape(base, 'data/..x.csv'), undefined, 'a name starting with .. is not an escape');
  for (const bad of ['../x.csv', 'data/../../x.csv', '/etc/passwd', '/home/u/project2/x.csv', '..']) {
    assert.throws(
      () => confinePath(base, bad, 'input'),
      (e: unknown) => e instanceof PipewiseError && e.message.includes("parameter 'input'") && e.message.includes(JSON.stringify(bad)),
      bad,
    );
  }
  assert.equal(path.isAbsolute(confinePath('rel/dir', 'x', 'p')), true);
});

test('cache key: equal for equal parts regardless of key order; changes with each part', () => {
  const base = { component: 'StatisticsGen', version: '1', params: { a: 1, b: [1, 2], c: { x: 1, y: 2 } }, inputs: { examples: 'f1' }, external: '' };
  const k = cacheKey(base);
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.equal(cacheKey({ ...base, params: { c: { y: 2, x: 1 }, b: [1, 2], a: 1 } }), k);
  const variants = [
    { ...base, component: 'SchemaGen' },
    { ...base, version: '2' },
    { ...base, params: { ...base.params, a: 2 } },
    { ...base, params: { ...base.params, b: [2, 1] } },
    { ...base, inputs: { examples: 'f2' } },
    { ...base, inputs: { other: 'f1' } },
    { ...base, external: 'module-hash' },
  ];
  const keys = new Set([k, ...variants.map(cacheKey)]);
  assert.equal(keys.size, variants.length + 1);
  assert.equal(canonicalJson({ b: 1, a: { d: 1, c: undefined } }), '{"a":{"d":1},"b":1}');
});
