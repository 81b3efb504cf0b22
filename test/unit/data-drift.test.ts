import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { alignHistograms, jensenShannonDivergence, jensenShannonOfCounts, lInfinityDistance, rebucket } from '../../src/core/drift';
import type { Histogram } from '../../src/core/tfdv';
import { oraclePython } from '../python';

const hist = (buckets: [number, number, number][], numNan = 0): Histogram => ({
  type: 'STANDARD',
  numNan,
  buckets: buckets.map(([lowValue, highValue, sampleCount]) => ({ lowValue, highValue, sampleCount })),
});

/** scipy's Jensen–Shannon distance (base 2), squared: the divergence TFDV thresholds. */
function scipyJsd(pairs: [number[], number[]][]): number[] {
  const code = `import json,sys\nfrom scipy.spatial.distance import jensenshannon\nprint(json.dumps([float(jensenshannon(p,q,base=2)**2) for p,q in json.loads(sys.argv[1])]))`;
  return JSON.parse(execFileSync(oraclePython(), ['-c', code, JSON.stringify(pairs)], { encoding: 'utf8' })) as number[];
}

test('L∞ distance matches TFDV\'s own test cases (metrics_test.cc)', () => {
  const m = (o: Record<string, number>): Map<string, number> => new Map(Object.entries(o));
  assert.ok(Math.abs(lInfinityDistance(m({ hello: 0.1, world: 0.9 }), m({ hello: 0.3, world: 0.7 })).value - 0.2) < 1e-9);
  const r = lInfinityDistance(m({ b: 0.9, c: 0.1 }), m({ a: 0.3, b: 0.7 }));
  assert.ok(Math.abs(r.value - 0.3) < 1e-9);
  assert.equal(lInfinityDistance(m({}), m({})).value, 0);
  // Counts, not fractions: each side is normalized by its own total.
  const counts = lInfinityDistance(m({ rain: 60, sun: 40 }), m({ rain: 10, sun: 30, fog: 60 }));
  assert.ok(Math.abs(counts.value - 0.6) < 1e-12);
  assert.equal(counts.key, 'fog');
});

test('JS divergence on histograms with the same edges agrees with scipy (base 2, squared)', () => {
  const cases: [number[], number[]][] = [
    [[10, 20, 30, 40], [40, 30, 20, 10]],
    [[1, 0, 0, 5], [0, 3, 3, 0]],
    [[641, 640, 101, 53, 26], [300, 350, 60, 20, 1]],
    [[5, 5], [5, 5]],
  ];
  const expected = scipyJsd(cases);
  for (const [i, [p, q]] of cases.entries()) {
    const h1 = hist(p.map((c, j) => [j, j + 1, c]));
    const h2 = hist(q.map((c, j) => [j, j + 1, c]));
    const ours = jensenShannonDivergence(h1, h2) as number;
    assert.ok(Math.abs(ours - (expected[i] as number)) < 1e-12, `case ${i}: ${ours} vs scipy ${expected[i]}`);
  }
});

test('JS divergence re-buckets onto the union of edges as TFDV (its test values)', () => {
  const a = hist([[1, 2, 2], [2, 3, 2]]);
  const b = hist([[2, 4, 2], [4, 6, 2]]);
  assert.ok(Math.abs((jensenShannonDivergence(a, b) as number) - 0.65563906222) < 1e-5);
  assert.deepEqual(alignHistograms(a, b), [[2, 2, 0, 0], [0, 1, 1, 2]]);
  // No overlap, or all mass in point buckets apart: the cap of 1.
  assert.ok(Math.abs((jensenShannonDivergence(hist([[0, 1, 2], [1, 2, 2]]), hist([[3, 4, 2], [4, 6, 2]])) as number) - 1) < 1e-5);
  assert.ok(Math.abs((jensenShannonDivergence(hist([[1, 1, 4]]), hist([[2, 4, 2], [4, 6, 2]])) as number) - 1) < 1e-5);
  assert.ok(Math.abs((jensenShannonDivergence(hist([[1, 1, 4]]), hist([[2, 2, 4]])) as number) - 1) < 1e-5);
  // NaNs count as a bucket of their own.
  assert.ok(Math.abs((jensenShannonDivergence(hist([[1, 2, 3]], 1), hist([[1, 2, 4]])) as number) - 0.13792538096) < 1e-5);
  // The same statistics: 0.
  const same = hist([[1, 2.3333333, 2.9866667], [2.3333333, 3.6666667, 1.0066667], [3.6666667, 5, 2.0066667]], 1);
  assert.ok(Math.abs(jensenShannonDivergence(same, same) as number) < 1e-12);
  // Empty histograms cannot be compared.
  assert.equal(jensenShannonDivergence(hist([]), hist([[0, 4, 10]])), undefined);
  assert.equal(jensenShannonDivergence(hist([[0, 4, 10]]), hist([[0, 4, 0]])), undefined);
});

test('re-bucketing spreads a bucket uniformly and the result agrees with scipy', () => {
  const edges = [0, 1, 2.5, 4, 10];
  const r = rebucket([{ lowValue: 1, highValue: 4, sampleCount: 30 }], edges);
  assert.deepEqual(r.map((b) => b.sampleCount), [0, 15, 15, 0]);
  const [p, q] = alignHistograms(hist([[0, 4, 8], [4, 10, 12]]), hist([[0, 1, 5], [1, 10, 9]]));
  // Union edges 0,1,4,10: 8 over [0,4) spreads 2 + 6; 9 over [1,10) spreads 3 + 6.
  assert.deepEqual(p, [2, 6, 12]);
  assert.deepEqual(q, [5, 3, 6]);
  const [expected] = scipyJsd([[p, q]]);
  assert.ok(Math.abs((jensenShannonOfCounts(p, q) as number) - (expected as number)) < 1e-12);
});
