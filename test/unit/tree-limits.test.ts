/**
 * How many rows a decision forest trains on (issue 25, limits): YDF's wasm heap is at most 2 GiB
 * (getHeapMax() in ydf-training's Emscripten glue, read here from the file), so beyond the measured
 * bytes per value the Trainer trains on a seeded sample of the fit rows and says so, instead of
 * failing inside the wasm with an out-of-memory abort.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { sampleTreeRows, treeRowBudget, YDF_BYTES_PER_VALUE, YDF_HEAP_BYTES } from '../../src/engine/model/treeModel';

test("the heap limit is the one ydf-training's glue enforces", () => {
  const glue = readFileSync(createRequire(__filename).resolve('ydf-training'), 'utf8');
  const m = /function getHeapMax\(\)\{return (\d+)\}/.exec(glue);
  assert.ok(m, 'getHeapMax() in training.js');
  assert.equal(YDF_HEAP_BYTES, Number(m[1]));
});

test('a table that fits trains on every row; a larger one on the most rows that fit in half the heap', () => {
  assert.equal(treeRowBudget(100_000, 20), 100_000);
  const rows = treeRowBudget(50_000_000, 20);
  assert.ok(rows < 50_000_000 && rows > 1_000_000, `${rows}`);
  assert.ok(rows * 21 * YDF_BYTES_PER_VALUE <= YDF_HEAP_BYTES / 2);
  assert.ok((rows + 1) * 21 * YDF_BYTES_PER_VALUE > YDF_HEAP_BYTES / 2 - 21 * YDF_BYTES_PER_VALUE);
});

test('the sample is seeded, without repeats, and keeps each row whole (features and label)', () => {
  const n = 1000;
  const width = 3;
  const d = { x: Float32Array.from({ length: n * width }, (_, i) => i), y: Float32Array.from({ length: n }, (_, i) => -i), n, width, outDim: 1 };
  const a = sampleTreeRows(d, 100, 7);
  const b = sampleTreeRows(d, 100, 7);
  assert.equal(a.n, 100);
  assert.deepEqual(a.x, b.x, 'the same seed, the same rows');
  assert.notDeepEqual(sampleTreeRows(d, 100, 8).x, a.x, 'another seed, other rows');
  const rowsTaken = Array.from({ length: 100 }, (_, i) => (a.x[i * width] as number) / width);
  assert.equal(new Set(rowsTaken).size, 100, 'no row twice');
  rowsTaken.forEach((r, i) => {
    assert.deepEqual(Array.from(a.x.subarray(i * width, (i + 1) * width)), [r * width, r * width + 1, r * width + 2]);
    assert.equal(a.y[i], -r);
  });
  assert.equal(sampleTreeRows(d, n, 7), d, 'all rows: the dataset itself');
});
