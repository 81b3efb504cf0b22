/**
 * The pure half of Transform: applying a fitted transform to raw rows. Expected values are worked
 * out by hand from the definitions (z-score, min-max, quantile buckets, one-hot layout).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyTransform, fnv1a, transformLabel, transformRow, vectorizeRows } from '../../src/engine/transform/applyTransform';
import { computeLayout, type FittedCross, type FittedFeature, type TransformSpec } from '../../src/engine/transform/transformSpec';

function spec(features: FittedFeature[], crosses: FittedCross[] = []): TransformSpec {
  const { layout, width } = computeLayout(features, crosses);
  return {
    formatVersion: 1,
    label: { name: 'y', rawType: 'string', classes: ['a', 'b'], numDistinct: 2 },
    features,
    crosses,
    ignored: ['y'],
    layout,
    width,
    fittedOn: { split: 'train', rows: 10 },
  };
}

test('z-score and min-max scale, and a missing value takes the fill', () => {
  const s = spec([
    { name: 'x', rawType: 'number', kind: 'zscore', mean: 10, std: 2, fill: 10 },
    { name: 'm', rawType: 'number', kind: 'minmax', min: 0, max: 4, fill: 1 },
  ]);
  assert.deepEqual(Array.from(applyTransform(s, [{ x: 14, m: 3 }, { x: null, m: Number.NaN }, { x: 9n, m: '2' }])), [2, 0.75, 0, 0.25, -0.5, 0.5]);
});

test('a zero standard deviation centres without dividing', () => {
  const s = spec([{ name: 'x', rawType: 'number', kind: 'zscore', mean: 5, std: 0, fill: 5 }]);
  assert.deepEqual(Array.from(applyTransform(s, [{ x: 7 }])), [2]);
});

test('quantile buckets are one-hot, boundaries belong to the upper bucket', () => {
  const s = spec([{ name: 'x', rawType: 'number', kind: 'bucketize', boundaries: [1, 2], fill: 1.5 }]);
  const rows = [{ x: 0 }, { x: 1 }, { x: 1.9 }, { x: 2 }, { x: 99 }, { x: null }];
  assert.deepEqual(rows.map((r) => transformRow(s, r).x), [0, 1, 1, 2, 2, 1]);
  assert.deepEqual(Array.from(applyTransform(s, [{ x: 2 }])), [0, 0, 1]);
});

test('a vocabulary maps known values to their index and the rest to hashed OOV buckets', () => {
  const s = spec([{ name: 'c', rawType: 'string', kind: 'vocabulary', vocabulary: ['red', 'blue'], numOovBuckets: 2 }]);
  assert.equal(transformRow(s, { c: 'red' }).c, 0);
  assert.equal(transformRow(s, { c: 'blue' }).c, 1);
  assert.equal(transformRow(s, { c: 'green' }).c, 2 + (fnv1a('green') % 2));
  assert.equal(transformRow(s, { c: null }).c, 2 + (fnv1a('') % 2));
  assert.deepEqual(Array.from(applyTransform(s, [{ c: 'blue' }])), [0, 1, 0, 0]);
});

test('FNV-1a matches its published test vectors', () => {
  assert.equal(fnv1a(''), 0x811c9dc5);
  assert.equal(fnv1a('a'), 0xe40c292c);
  assert.equal(fnv1a('foobar'), 0xbf9cf968);
});

test('hash buckets and crosses are deterministic and land inside their slots', () => {
  const s = spec([{ name: 'h', rawType: 'string', kind: 'hash', buckets: 5 }], [{ name: 'h_x_k', features: ['h', 'k'], buckets: 7 }]);
  const t = transformRow(s, { h: 'abc', k: 3 });
  assert.equal(t.h, fnv1a('abc') % 5);
  assert.equal(t.h_x_k, fnv1a('abc\u001f3') % 7);
  const v = applyTransform(s, [{ h: 'abc', k: 3 }]);
  assert.equal(v.length, 12);
  assert.equal(v.reduce((a, b) => a + b, 0), 2);
  assert.equal(v[t.h as number], 1);
  assert.equal(v[5 + (t.h_x_k as number)], 1);
});

test('transformed rows vectorize to exactly what raw rows transform to', () => {
  const s = spec([
    { name: 'x', rawType: 'number', kind: 'zscore', mean: 1, std: 3, fill: 1 },
    { name: 'c', rawType: 'string', kind: 'vocabulary', vocabulary: ['u', 'v'], numOovBuckets: 1 },
  ]);
  const raw = [{ x: 4, c: 'v' }, { x: null, c: 'zz' }];
  assert.deepEqual(vectorizeRows(s, raw.map((r) => transformRow(s, r))), applyTransform(s, raw));
});

test('labels: a string label becomes its class index, an unknown class none', () => {
  const s = spec([]);
  assert.equal(transformLabel(s.label, 'b'), 1);
  assert.equal(transformLabel(s.label, 'c'), null);
  assert.equal(transformLabel(s.label, null), null);
});
