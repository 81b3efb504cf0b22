/**
 * The wasm thread option (src/core/wasmThreads.ts): what PIPEWISE_TF_THREADS and the
 * `pipewise.training.wasmThreads` setting accept, and the error that names a wrong value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWasmThreads, threadedWasmLabel } from '../../src/core/wasmThreads';
import { PipewiseError } from '../../src/core/errors';

test('unset, empty, 0 and 1 mean the single-threaded build; 2 to 8 are thread counts', () => {
  assert.equal(parseWasmThreads(undefined), 0);
  assert.equal(parseWasmThreads(''), 0);
  assert.equal(parseWasmThreads('0'), 0);
  assert.equal(parseWasmThreads(1), 1);
  assert.equal(parseWasmThreads('2'), 2);
  assert.equal(parseWasmThreads(' 4 '), 4);
  assert.equal(parseWasmThreads(8, 'pipewise.training.wasmThreads'), 8);
});

test('a wrong value is an error naming the variable (or setting) and the value', () => {
  for (const [raw, shown] of [['abc', '"abc"'], ['-1', '"-1"'], [-1, '-1'], ['2.5', '"2.5"'], [2.5, '2.5'], ['9', '"9"'], [true, 'true'], ['0x2', '"0x2"']] as const) {
    assert.throws(
      () => parseWasmThreads(raw),
      (e: unknown) => e instanceof PipewiseError && e.message === `PIPEWISE_TF_THREADS must be a whole number of threads from 0 to 8 (0 or 1: the single-threaded wasm build), not ${shown}`,
      `value ${String(raw)}`,
    );
  }
  assert.throws(() => parseWasmThreads('many', 'pipewise.training.wasmThreads'), /^PipewiseError: pipewise\.training\.wasmThreads must be .*, not "many"$/);
});

test('the label names the threads', () => {
  assert.equal(threadedWasmLabel(2), 'wasm (SIMD, 2 threads)');
  assert.equal(threadedWasmLabel(1), 'wasm (SIMD, 1 thread)');
});
