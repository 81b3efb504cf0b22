/**
 * The two messages a KFP v2 container step exchanges with the launcher (shared/kfp/NOTES.md §3):
 * ExecutorInput, read (only the parts Pipewise needs, each checked with an error naming the
 * value), and ExecutorOutput, written with nothing but fields of `ml_pipelines.ExecutorOutput`
 * because the launcher parses it strictly (an unknown key fails the task). Metadata is plain JSON
 * (a `google.protobuf.Struct`): finite numbers, strings, booleans, lists and objects only.
 */
import { PipewiseError, errorMessage } from '../../../core/errors';

export interface RuntimeArtifactIn {
  readonly uri: string;
  readonly metadata: Readonly<Record<string, unknown>>;
}

export interface ExecutorInputView {
  readonly parameterValues: Readonly<Record<string, unknown>>;
  readonly inputArtifacts: Readonly<Record<string, RuntimeArtifactIn>>;
  readonly outputArtifacts: Readonly<Record<string, RuntimeArtifactIn>>;
  /** Where the launcher reads the ExecutorOutput from (absent: nothing to write). */
  readonly outputFile?: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function artifactsOf(v: unknown, where: string): Record<string, RuntimeArtifactIn> {
  if (v === undefined) return {};
  if (!isObject(v)) throw new PipewiseError(`executor input: ${where} must be an object, not ${JSON.stringify(v)}`, { code: 'usage' });
  const out: Record<string, RuntimeArtifactIn> = {};
  for (const [name, list] of Object.entries(v)) {
    const first = isObject(list) && Array.isArray(list.artifacts) ? list.artifacts[0] : undefined;
    if (!isObject(first)) throw new PipewiseError(`executor input: ${where}.${name} must be {"artifacts": [{…}]}`, { code: 'usage' });
    out[name] = { uri: typeof first.uri === 'string' ? first.uri : '', metadata: isObject(first.metadata) ? first.metadata : {} };
  }
  return out;
}

/** Reads the ExecutorInput JSON that `{{$}}` became. */
export function parseExecutorInput(text: string): ExecutorInputView {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new PipewiseError(`executor input is not JSON (${errorMessage(e)}): ${JSON.stringify(text.slice(0, 80))}${text.length > 80 ? '…' : ''}`, { code: 'usage' });
  }
  if (!isObject(doc)) throw new PipewiseError('executor input must be a JSON object (the ExecutorInput KFP substitutes for {{$}})', { code: 'usage' });
  const inputs = doc.inputs === undefined ? {} : doc.inputs;
  const outputs = doc.outputs === undefined ? {} : doc.outputs;
  if (!isObject(inputs) || !isObject(outputs)) throw new PipewiseError('executor input: `inputs` and `outputs` must be objects', { code: 'usage' });
  const parameterValues = inputs.parameterValues === undefined ? {} : inputs.parameterValues;
  if (!isObject(parameterValues)) throw new PipewiseError('executor input: inputs.parameterValues must be an object', { code: 'usage' });
  if (outputs.outputFile !== undefined && typeof outputs.outputFile !== 'string') throw new PipewiseError('executor input: outputs.outputFile must be a string', { code: 'usage' });
  return {
    parameterValues,
    inputArtifacts: artifactsOf(inputs.artifacts, 'inputs.artifacts'),
    outputArtifacts: artifactsOf(outputs.artifacts, 'outputs.artifacts'),
    outputFile: outputs.outputFile as string | undefined,
  };
}

/** A value made fit for a Struct: non-finite numbers and undefined are dropped, everything else kept as JSON. */
export function structValue(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' || typeof v === 'boolean' || v === null) return v;
  if (Array.isArray(v)) return v.map(structValue).filter((x) => x !== undefined);
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const y = structValue(x);
      if (y !== undefined) out[k] = y;
    }
    return out;
  }
  return undefined;
}

/** `ExecutorOutput` JSON: `{ artifacts: { NAME: { artifacts: [ { metadata } ] } } }`. */
export function executorOutput(metadata: Readonly<Record<string, Readonly<Record<string, unknown>>>>): Record<string, unknown> {
  const artifacts: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(metadata)) artifacts[name] = { artifacts: [{ metadata: structValue(m) ?? {} }] };
  return { artifacts };
}

interface ConfusionMatrix {
  readonly classes: readonly string[];
  readonly matrix: readonly (readonly number[])[];
}

/** The metadata KFP's UI draws a confusion matrix from (the SDK's `ClassificationMetrics.log_confusion_matrix`). */
export function confusionMatrixMetadata(cm: ConfusionMatrix): Record<string, unknown> {
  return {
    confusionMatrix: {
      annotationSpecs: cm.classes.map((c) => ({ displayName: c })),
      rows: cm.matrix.map((row) => ({ row: [...row] })),
    },
  };
}

/** Scalar metrics (name → number) for a `system.Metrics` artifact: what KFP's UI lists. */
export function scalarMetrics(metrics: Readonly<Record<string, unknown>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}
