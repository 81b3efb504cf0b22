/**
 * Which TF.js backend this process loaded, if any. Kept apart from loadTf so that the
 * orchestrator and the worker's Initialize can report it without importing TensorFlow.js.
 */
export type TfBackend = 'tensorflow' | 'wasm' | 'cpu';

let current: TfBackend | undefined;

/** The backend in use, or undefined while no model component has run in this process. */
export function loadedBackend(): TfBackend | undefined {
  return current;
}

export function setLoadedBackend(b: TfBackend): void {
  current = b;
}
