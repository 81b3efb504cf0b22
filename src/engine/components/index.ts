/**
 * Built-in component executors by component name, loaded lazily so that a run that only needs
 * DuckDB never loads TensorFlow.js. Each area adds its own line.
 */
import type { ComponentExecutor } from '../component';

type Loader = () => Promise<ComponentExecutor<never>>;

export const EXECUTORS: Readonly<Record<string, Loader>> = {
  // Data components (DuckDB):
  ExampleGen: async () => (await import('./exampleGen')).exampleGen,
  StatisticsGen: async () => (await import('./statisticsGen')).statisticsGen,
  SchemaGen: async () => (await import('./schemaGen')).schemaGen,
  ExampleValidator: async () => (await import('./exampleValidator')).exampleValidator,
  Sql: async () => (await import('./sql')).sql,
  // Model components (TensorFlow.js):
  Transform: async () => (await import('./transform')).transform,
  Trainer: async () => (await import('./trainer')).trainer,
  Tuner: async () => (await import('./tuner')).tuner,
  Evaluator: async () => (await import('./evaluator')).evaluator,
  InfraValidator: async () => (await import('./infraValidator')).infraValidator,
  Pusher: async () => (await import('./pusher')).pusher,
  BulkInferrer: async () => (await import('./bulkInferrer')).bulkInferrer,
  // Production (request logs of pipewise serve):
  Monitor: async () => (await import('./monitor')).monitor,
  // Outside artifacts (an ONNX model, a schema, examples):
  Importer: async () => (await import('./importer')).importer,
};

export async function loadExecutor(component: string): Promise<ComponentExecutor<never> | undefined> {
  const loader = Object.prototype.hasOwnProperty.call(EXECUTORS, component) ? EXECUTORS[component] : undefined;
  return loader ? loader() : undefined;
}
