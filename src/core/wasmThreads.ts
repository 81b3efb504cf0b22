/**
 * The wasm thread option, shared by the engine (PIPEWISE_TF_THREADS, read when TF.js loads) and the
 * extension (the `pipewise.training.wasmThreads` setting, handed to the worker it forks as that
 * variable), and the label the run output shows when threads run.
 */
import { PipewiseError } from './errors';

export function threadedWasmLabel(threads: number): string {
  return `wasm (SIMD, ${threads} thread${threads === 1 ? '' : 's'})`;
}

/** The threaded wasm build's pthread pool holds 8 workers (PTHREAD_POOL_SIZE in TF.js's build). */
export const MAX_WASM_THREADS = 8;

/** The environment variable that asks for the threaded wasm build; the extension sets it from `pipewise.training.wasmThreads`. */
export const WASM_THREADS_ENV = 'PIPEWISE_TF_THREADS';

/**
 * The number of wasm threads asked for: 0 or 1 (or unset / empty) is the single-threaded SIMD build;
 * 2–8 starts the threaded build. Anything else (`abc`, `-1`, `2.5`, `9`) is an error naming `source`
 * and the value: a wrong setting is reported, not silently run single-threaded.
 */
export function parseWasmThreads(raw: unknown, source: string = WASM_THREADS_ENV): number {
  if (raw === undefined || raw === null || raw === '') return 0;
  const text = typeof raw === 'string' ? raw.trim() : raw;
  const n = typeof text === 'number' ? text : typeof text === 'string' && /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > MAX_WASM_THREADS) {
    throw new PipewiseError(
      `${source} must be a whole number of threads from 0 to ${MAX_WASM_THREADS} (0 or 1: the single-threaded wasm build), not ${JSON.stringify(raw)}`,
      { code: 'usage' },
    );
  }
  return n;
}
