/**
 * How Pipewise names and types things in a Kubeflow Pipelines v2 PipelineSpec: Kubernetes-valid
 * keys as the KFP SDK makes them (`comp-<name>`, `exec-<name>`), stable artifact type titles, and
 * parameter types. Pure: no file system, no DuckDB (facts: shared/kfp/NOTES.md §1, §2, §6).
 */
import type { z } from 'zod';
import type { ArtifactType } from '../../../core/artifacts';
import { PipewiseError } from '../../../core/errors';

/** KFP's own pipeline-name rule (`validate_pipeline_name` in the SDK). */
export const PIPELINE_NAME_RE = /^[a-z0-9][a-z0-9-]{0,127}$/;
/** A Kubernetes DNS-1123 label, what Argo needs of template and task names. */
export const K8S_NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The KFP SDK's sanitizing: lowercase, runs of anything but `[-0-9a-z]` become `-`, no leading/trailing `-`. */
export function k8sName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^-0-9a-z]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** The schemaTitle of each Pipewise artifact type: `system.*` where KFP's UI knows the kind, else one `pipewise.` namespace. */
export function schemaTitleOf(type: ArtifactType): string {
  switch (type) {
    case 'Examples':
    case 'InferenceResult':
      return 'system.Dataset';
    case 'Model':
      return 'system.Model';
    case 'ModelEvaluation':
      return 'system.Metrics';
    default:
      return `pipewise.${type}`;
  }
}

/** The extra KFP-only output every Evaluator task writes: its confusion matrix, for KFP's UI. */
export const CLASSIFICATION_OUTPUT = 'classification_metrics';
export const CLASSIFICATION_TITLE = 'system.ClassificationMetrics';

/** The task parameter holding the fingerprint of a stage's local input files (KFP caches on parameters, not file content). */
export const FINGERPRINT_PARAM = 'pipewise_input_fingerprint';

/** The pipeline-level input parameter that carries a stage's parameter (shown in KFP's run form). */
export function pipelineParamName(stage: string, param: string): string {
  return `${stage}__${param}`;
}

export type ParameterType = 'STRING' | 'NUMBER_INTEGER' | 'NUMBER_DOUBLE' | 'BOOLEAN' | 'LIST' | 'STRUCT';

/** Strips default/optional wrappers off a zod schema. */
function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let s = schema as { _zod?: { def: { type: string; innerType?: z.ZodType } } } | undefined;
  while (s?._zod && ['default', 'optional', 'prefault', 'nullable', 'readonly'].includes(s._zod.def.type) && s._zod.def.innerType) {
    s = s._zod.def.innerType as typeof s;
  }
  return s as z.ZodType | undefined;
}

/**
 * The KFP parameter type of a stage parameter: by its declared zod type where that is plain (so
 * `learning_rate: 1` stays a double), else by its value.
 */
export function parameterTypeOf(value: unknown, declared?: z.ZodType): ParameterType {
  const s = unwrap(declared) as ({ _zod: { def: { type: string } }; isInt?: boolean } & z.ZodType) | undefined;
  const t = s?._zod?.def.type;
  if (t === 'number') return s?.isInt ? 'NUMBER_INTEGER' : 'NUMBER_DOUBLE';
  if (t === 'string' || t === 'enum') return 'STRING';
  if (t === 'boolean') return 'BOOLEAN';
  if (t === 'array') return 'LIST';
  if (t === 'object' || t === 'record') return 'STRUCT';
  if (typeof value === 'string') return 'STRING';
  if (typeof value === 'boolean') return 'BOOLEAN';
  if (typeof value === 'number') return Number.isInteger(value) ? 'NUMBER_INTEGER' : 'NUMBER_DOUBLE';
  if (Array.isArray(value)) return 'LIST';
  if (value !== null && typeof value === 'object') return 'STRUCT';
  throw new PipewiseError(`a parameter value of ${JSON.stringify(value)} cannot be a Kubeflow Pipelines parameter`);
}
