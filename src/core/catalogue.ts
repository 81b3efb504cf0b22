import type { ComponentDeclaration } from './component';
import { ExampleGen, ExampleValidator, SchemaGen, Sql, StatisticsGen } from './components/dataComponents';
import { BulkInferrer, Evaluator, InfraValidator, Pusher, Trainer, Transform, Tuner } from './components/modelComponents';
import { Monitor } from './components/monitoringComponents';
import { IMPORTABLE_TYPES, Importer } from './components/importComponents';

/** Every built-in component, by the name used in `component:`. */
export const CATALOGUE: Readonly<Record<string, ComponentDeclaration>> = Object.freeze(
  Object.fromEntries(
    [ExampleGen, StatisticsGen, SchemaGen, ExampleValidator, Sql, Transform, Trainer, Tuner, Evaluator, InfraValidator, Pusher, BulkInferrer, Monitor, Importer].map(
      (c) => [c.name, c as ComponentDeclaration],
    ),
  ),
);

export function findComponent(name: string): ComponentDeclaration | undefined {
  return Object.prototype.hasOwnProperty.call(CATALOGUE, name) ? CATALOGUE[name] : undefined;
}

/**
 * The declaration of one stage: its component's, except that an Importer's `result` is of the type
 * its `artifact_type` names (Model by default), so validation and the run see the real type.
 */
export function stageDeclaration(component: string, params: Readonly<Record<string, unknown>>): ComponentDeclaration | undefined {
  const decl = findComponent(component);
  if (!decl || decl.name !== Importer.name) return decl;
  const declared = params.artifact_type;
  const type = IMPORTABLE_TYPES.find((t) => t === declared) ?? 'Model';
  const result = decl.outputs.result;
  return result ? { ...decl, outputs: { result: { ...result, type } } } : decl;
}
