/**
 * The threaded wasm build of TF.js in Node (../shared/notes/tf-training-speed.md §1). TF.js 4.22
 * never picks it under Node: its `init()` hands Emscripten a `blob:` URL for the pthread worker
 * script and a Blob for the main script, and Node's Worker only takes file paths
 * (ERR_WORKER_PATH). So this registers its own 'wasm' backend factory (the kernels stay registered
 * under 'wasm'): the worker script is written to a private temporary folder, the main script is
 * the package's own file on disk, and the `.wasm` comes from the dist folder beside the others.
 *
 * Anything that stops the threaded build from starting (no SharedArrayBuffer or shared wasm
 * memory, no SIMD, a missing file, a failing or hanging pthread pool) falls back to the
 * single-threaded SIMD build TF.js registered, and `problem()` says why. Measured on 2 cores,
 * threads were slower than one thread for a 2×64 DNN; they are an option for bigger machines.
 */
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { KernelBackend } from '@tensorflow/tfjs-core';
import type { Tf } from './backendState';
import { errorMessage } from '../../core/errors';

type WasmPackage = typeof import('@tensorflow/tfjs-backend-wasm');

interface EmscriptenWorker {
  unref(): void;
}
interface ThreadedModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => unknown;
  tfjs?: unknown;
  PThread?: { runningWorkers: EmscriptenWorker[]; terminateAllThreads(): void };
}
type ThreadedFactory = (config: Record<string, unknown>) => Promise<ThreadedModule>;

/** Longer than any start seen here (≈3 s for 8 pool workers on a loaded 2-core machine). */
const START_TIMEOUT_MS = 60_000;

const requireHere = createRequire(__filename);
let workerDir: string | undefined;

export interface ThreadedWasm {
  /** Why the threaded build did not start (the single-threaded build runs instead), once the backend has started. */
  problem(): string | undefined;
}

/**
 * Replaces the 'wasm' backend factory with one that starts the threaded build with `threads`
 * threads, or, if that fails, the single-threaded factory TF.js registered. Call before
 * `tf.setBackend('wasm')`; afterwards `wasm.getThreadsCount()` is the pool actually running.
 */
export async function registerThreadedWasm(tf: Tf, wasm: WasmPackage, threads: number, distDir: string): Promise<ThreadedWasm> {
  let problem: string | undefined;
  const single = tf.findBackendFactory('wasm');
  if (!single) return { problem: () => 'the wasm backend is not registered' };
  const reason = await missingPrerequisite(tf);
  if (reason) return { problem: () => reason };
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      try {
        return await startThreaded(wasm, threads, distDir);
      } catch (e) {
        problem = errorMessage(e).split('\n')[0];
        return single();
      }
    },
    2, // TF.js's own priority for wasm
  );
  return { problem: () => problem };
}

async function missingPrerequisite(tf: Tf): Promise<string | undefined> {
  if (typeof SharedArrayBuffer !== 'function') return 'this runtime has no SharedArrayBuffer';
  // The project's TypeScript lib has no WebAssembly declarations.
  const wasmApi = (globalThis as { WebAssembly?: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => unknown } }).WebAssembly;
  try {
    if (!wasmApi) throw new Error('no WebAssembly');
    new wasmApi.Memory({ initial: 1, maximum: 1, shared: true });
  } catch {
    return 'this runtime cannot share WebAssembly memory';
  }
  if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) return 'this runtime has no WebAssembly SIMD (the threaded build needs it)';
  return undefined;
}

async function startThreaded(wasm: WasmPackage, threads: number, distDir: string): Promise<KernelBackend> {
  const main = requireHere.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const binary = path.join(distDir, 'tfjs-backend-wasm-threaded-simd.wasm');
  if (!existsSync(binary)) throw new Error(`${binary} is missing`);
  const factory = requireHere(main) as ThreadedFactory;
  const workerFile = writeWorkerScript(path.join(path.dirname(main), 'tfjs-backend-wasm-threaded-simd.worker.js'));
  // The C++ side caps the pool at half the logical cores (it assumes hyper-threading), which is one
  // thread on 2 vCPUs: asked for N threads, the glue is shown at least 2N cores while it starts.
  const cpus = os.cpus;
  os.cpus = () => {
    const real = cpus();
    return real.length >= 2 * threads ? real : Array.from({ length: 2 * threads }, (_, i) => real[i % real.length] as os.CpuInfo);
  };
  const config: Record<string, unknown> = {
    mainScriptUrlOrBlob: main, // a real path: each pthread worker reads and evaluates it
    locateFile: (file: string, prefix: string) => (file.endsWith('.worker.js') ? workerFile : file.endsWith('.wasm') ? path.join(distDir, file) : prefix + file),
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const module = await Promise.race([
      factory(config),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the threaded wasm build did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
        timer.unref();
      }),
    ]);
    module.tfjs = {
      init: module.cwrap('init', null, []),
      initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: module.cwrap('get_threads_count', 'number', []),
      registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: module.cwrap('dispose_data', null, ['number']),
      dispose: module.cwrap('dispose', null, []),
    };
    wasm.setThreadsCount(threads);
    const backend = new wasm.BackendWasm(module as never);
    // Emscripten keeps running pthreads referenced in Node, so the process would never exit on its
    // own (a CLI run, a test); they are a compute pool the main thread waits on, never a reason to live.
    for (const w of module.PThread?.runningWorkers ?? []) w.unref();
    return backend;
  } catch (e) {
    (config as Partial<ThreadedModule>).PThread?.terminateAllThreads();
    throw e;
  } finally {
    clearTimeout(timer);
    os.cpus = cpus;
  }
}

/**
 * The pthread worker script, from the string the package exports, in a folder only this process
 * owns (removed on exit). `\n` escaped as TF.js's own init() does (TF.js PR #6214).
 */
function writeWorkerScript(moduleFile: string): string {
  const { wasmWorkerContents } = requireHere(moduleFile) as { wasmWorkerContents: string };
  if (!workerDir) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-wasm-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    workerDir = dir;
  }
  const file = path.join(workerDir, 'tfjs-backend-wasm-threaded-simd.worker.js');
  writeFileSync(file, wasmWorkerContents.replace(/\n/g, '\\n'), { mode: 0o600 });
  return file;
}
