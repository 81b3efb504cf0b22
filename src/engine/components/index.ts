/**
 * Built-in component executors by component name, loaded lazily so that a run that only needs
 * DuckDB never loads TensorFlow.js. Each area adds its own line.
 */
import type { ComponentExecutor } from '../component';

type Loader = () => Promise<ComponentExecutor<never>>;

export const EXECUTORS: Readonly<Record<string, Loader>> = {
  // Data components (DuckDB):
  // ExampleGen: async () => (await import('./exampleGen')).exampleGen,
  // Model components (TensorFlow.js):
};

export async function loadExecutor(component: string): Promise<ComponentExecutor<never> | undefined> {
  const loader = Object.prototype.hasOwnProperty.call(EXECUTORS, component) ? EXECUTORS[component] : undefined;
  return loader ? loader() : undefined;
}
