/**
 * Which TF.js backend this process loaded, if any, and the label the run output shows for it.
 * Kept apart from loadTf so that the orchestrator and the worker's Initialize can report it without
 * importing TensorFlow.js.
 */
export type TfBackend = 'tensorflow' | 'wasm' | 'cpu';

/** TensorFlow.js's module type (a type only: naming it loads nothing). */
export type Tf = typeof import('@tensorflow/tfjs');

let current: TfBackend | undefined;
let currentLabel: string | undefined;

/** The backend in use, or undefined while no model component has run in this process. */
export function loadedBackend(): TfBackend | undefined {
  return current;
}

/**
 * What users are shown: the backend's name (`wasm`, `cpu`, `tensorflow`), or
 * `wasm (SIMD, N threads)` when the threaded wasm build runs.
 */
export function loadedBackendLabel(): string | undefined {
  return currentLabel;
}

export function setLoadedBackend(b: TfBackend, label: string = b): void {
  current = b;
  currentLabel = label;
}
