import type { ComponentDeclaration } from './component';
import { ExampleGen, ExampleValidator, SchemaGen, Sql, StatisticsGen } from './components/dataComponents';
import { BulkInferrer, Evaluator, InfraValidator, Pusher, Trainer, Transform, Tuner } from './components/modelComponents';
import { Monitor } from './components/monitoringComponents';

/** Every built-in component, by the name used in `component:`. */
export const CATALOGUE: Readonly<Record<string, ComponentDeclaration>> = Object.freeze(
  Object.fromEntries(
    [ExampleGen, StatisticsGen, SchemaGen, ExampleValidator, Sql, Transform, Trainer, Tuner, Evaluator, InfraValidator, Pusher, BulkInferrer, Monitor].map(
      (c) => [c.name, c as ComponentDeclaration],
    ),
  ),
);

export function findComponent(name: string): ComponentDeclaration | undefined {
  return Object.prototype.hasOwnProperty.call(CATALOGUE, name) ? CATALOGUE[name] : undefined;
}
