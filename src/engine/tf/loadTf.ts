/**
 * Loads TensorFlow.js once per process, on the best backend that works here (docs/ARCHITECTURE.md, "Contracts": the worker):
 * `@tensorflow/tfjs-node` (native libtensorflow) when it is installed and loads, else
 * `@tensorflow/tfjs` on the WebAssembly backend (SIMD when the runtime has it), else the plain
 * JavaScript CPU backend. Loaded lazily: only a model component pays for it.
 *
 * Threads: TF.js never starts the wasm backend's threaded build in Node, so the single-threaded
 * SIMD build runs by default. `PIPEWISE_TF_THREADS=N` (2–8; the extension sets it from
 * `pipewise.training.wasmThreads`) starts the threaded build by Pipewise's own route
 * (src/engine/tf/wasmThreads.ts); the label then reads `wasm (SIMD, N threads)`. If it cannot start,
 * the single-threaded build runs and `LoadedTf.warning` says why.
 * Measured on this project's 2-core machine (2×64 DNN, batch 256): wasm+SIMD ≈ 37k samples/s,
 * wasm without SIMD ≈ 32k, cpu ≈ 12k (bench/tf-backend.bench.ts).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseWasmThreads, threadedWasmLabel, WASM_THREADS_ENV } from '../../core/wasmThreads';
import { loadedBackend, setLoadedBackend, type TfBackend } from './backendState';
import { transposeFirstBatchMatMul } from './wasmMatMul';
import { registerThreadedWasm } from './wasmThreads';
import type { Tf } from './backendState';
import { errorMessage } from '../../core/errors';

export type { Tf };
export type { TfBackend };
export { loadedBackend };

export interface LoadedTf {
  readonly tf: Tf;
  readonly backend: TfBackend;
  /** What the run output shows: the backend's name, or `wasm (SIMD, N threads)`. */
  readonly label: string;
  /** Set when threads were asked for and the single-threaded build runs instead: why (for the stage's log). */
  readonly warning?: string;
}

let loading: Promise<LoadedTf> | undefined;

/**
 * The TF.js module and the backend it runs on. `PIPEWISE_TF_BACKEND=cpu|wasm|tensorflow` forces a
 * backend (benchmarks and tests); a forced backend that fails falls back like the default order.
 * `PIPEWISE_TF_THREADS=N` asks for N wasm threads; a value that is not a whole number from 0 to 8 is
 * an error naming it.
 */
export function loadTf(): Promise<LoadedTf> {
  loading ??= pickBackend().catch((e: unknown) => {
    loading = undefined;
    throw e;
  });
  return loading;
}

const requireHere = createRequire(__filename);

async function pickBackend(): Promise<LoadedTf> {
  const forced = process.env.PIPEWISE_TF_BACKEND as TfBackend | undefined;
  const order: TfBackend[] = forced ? [forced, ...(['tensorflow', 'wasm', 'cpu'] as const).filter((b) => b !== forced)] : ['tensorflow', 'wasm', 'cpu'];
  const threads = parseWasmThreads(process.env[WASM_THREADS_ENV]);
  const problems: string[] = [];
  for (const backend of order) {
    try {
      const started = await tryBackend(backend, threads);
      if (started) {
        setLoadedBackend(backend, started.label);
        return { ...started, backend };
      }
    } catch (e) {
      problems.push(`${backend}: ${errorMessage(e).split('\n')[0]}`);
    }
  }
  throw new Error(`TensorFlow.js could not start on any backend (${problems.join('; ')})`);
}

interface Started {
  readonly tf: Tf;
  readonly label: string;
  readonly warning?: string;
}

async function tryBackend(backend: TfBackend, threads: number): Promise<Started | undefined> {
  if (backend === 'tensorflow') {
    // The package name is computed so bundlers and tsc do not insist on an optional dependency.
    // PIPEWISE_TFJS_NODE: a tfjs-node package folder built elsewhere (scripts/setup-tfjs-node.sh).
    const name = process.env.PIPEWISE_TFJS_NODE || ['@tensorflow', 'tfjs-node'].join('/');
    let tf: Tf;
    try {
      tf = requireHere(name) as Tf;
    } catch {
      return undefined; // not installed (its install needs a libtensorflow download): fine.
    }
    quiet(tf);
    return (await tf.setBackend('tensorflow')) ? { tf, label: backend } : undefined;
  }
  const tf = lean();
  quiet(tf);
  if (backend === 'cpu') requireHere('@tensorflow/tfjs-backend-cpu');
  let threaded: Awaited<ReturnType<typeof registerThreadedWasm>> | undefined;
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm') | undefined;
  if (backend === 'wasm') {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
    // The .wasm binaries sit in the package's dist folder; point the loader there, not at a URL.
    const dist = path.dirname(requireHere.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasm.setWasmPaths(dist + path.sep);
    if (threads > 1) threaded = await registerThreadedWasm(tf, wasm, threads, dist);
  }
  const ok = await tf.setBackend(backend);
  await tf.ready();
  if (!ok || tf.getBackend() !== backend) return undefined;
  if (backend === 'wasm' && process.env.PIPEWISE_TF_WASM_MATMUL !== 'plain') transposeFirstBatchMatMul(tf);
  if (!wasm || threads <= 1) return { tf, label: backend };
  const asked = `${threads} wasm threads were asked for (PIPEWISE_TF_THREADS or pipewise.training.wasmThreads)`;
  const problem = threaded?.problem();
  if (problem) return { tf, label: backend, warning: `${asked}, but ${problem}: training runs on the single-threaded wasm build` };
  const running = wasm.getThreadsCount();
  return { tf, label: threadedWasmLabel(running), ...(running < threads ? { warning: `${asked}; the threaded build runs ${running}` } : {}) };
}

/**
 * TF.js as `@tensorflow/tfjs` exports it, but loading only tfjs-core and tfjs-layers up front: the
 * union package also loads the converter, tfjs-data and the cpu and WebGL backends, ~15 MB of
 * resident memory a training process does not need (bench: training process peak RSS). The
 * converter's and tfjs-data's exports stay available (a user's module or a notebook cell may use
 * them), loaded on first access.
 */
let leanTf: Tf | undefined;

/**
 * The whole `@tensorflow/tfjs` package, loaded into the same TF.js engine: a user's model module
 * may chain ops (`x.mul(2)`), which only the union package registers, or use the converter.
 */
export function loadFullTf(): void {
  if (loadedBackend() !== 'tensorflow') requireHere('@tensorflow/tfjs'); // tfjs-node is the whole package already
}

function lean(): Tf {
  if (leanTf) return leanTf;
  const out: Record<string, unknown> = { ...(requireHere('@tensorflow/tfjs-core') as object), ...(requireHere('@tensorflow/tfjs-layers') as object) };
  const lazy = (name: string, load: () => unknown): void => {
    if (name in out) return;
    Object.defineProperty(out, name, { enumerable: true, configurable: true, get: () => load() });
  };
  const converter = ['loadGraphModel', 'loadGraphModelSync', 'GraphModel', 'deregisterOp', 'getRegisteredOp', 'registerOp', 'version_converter'];
  for (const name of converter) lazy(name, () => (requireHere('@tensorflow/tfjs-converter') as Record<string, unknown>)[name]);
  lazy('data', () => requireHere('@tensorflow/tfjs-data'));
  lazy('version', () => (requireHere('@tensorflow/tfjs') as Record<string, unknown>).version);
  leanTf = out as unknown as Tf;
  return leanTf;
}

/** PROD turns off TF.js's debug checks and its "install tfjs-node" console banner. */
function quiet(tf: Tf): void {
  tf.env().set('PROD', true);
}
