/**
 * TensorFlow Serving's REST request bodies (tensorflow_serving/g3doc/api_rest.md) turned into raw
 * rows for the model, and its answers shaped from predictions:
 *
 *   :predict   { instances: [ {feature: value} | value ] }  → { predictions: [ {outputs} ] }   (row format)
 *              { inputs: {feature: [values]} | [values] }   → { outputs: {output: [values]} } (columnar format)
 *   :classify  { examples: [ {feature: value} ], context? } → { results: [ [[label, score], …] ] }
 *   :regress   { examples: [ {feature: value} ], context? } → { results: [ value ] }
 *
 * Each feature value is a JSON scalar, or a one-element list (a tf.Example feature list); `null`
 * is a missing value, as in the training data. A missing or unknown feature, a value of the wrong
 * type or too many rows is the client's error (400), named precisely.
 */
import type { ModelSignature, Prediction } from '../model/signature';
import { errorMessage } from '../../core/errors';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type RawRequestRow = Record<string, number | string | null>;

type Input = ModelSignature['inputs'][number];

function bad(message: string): HttpError {
  return new HttpError(400, message);
}

/** The JSON body as an object; TF Serving's wording for a body that does not parse. */
export function parseBody(text: string): Record<string, unknown> {
  if (text.trim() === '') throw bad('JSON Parse error: The document is empty');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw bad(`JSON Parse error: ${errorMessage(e)}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw bad('JSON Value: the request body must be a JSON object');
  return json as Record<string, unknown>;
}

/**
 * A client's value in an error message: a scalar as JSON (a long string cut short), a list or an
 * object by its kind only. Never walked: a body nested 100,000 deep would overflow the stack.
 */
export function shown(v: unknown): string {
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v !== null && typeof v === 'object') return 'an object';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** The largest finite 32-bit float: the inputs are DT_FLOAT. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** One feature value as the model reads it, or a 400 naming where it came from. */
function featureValue(input: Input, raw: unknown, where: string): number | string | null {
  let v = raw;
  if (Array.isArray(v)) {
    if (v.length > 1) throw bad(`${where}: feature '${input.name}' takes one value, got a list of ${v.length}`);
    v = v.length === 0 ? null : v[0];
  }
  if (v === null || v === undefined) return null;
  if (input.type === 'number') {
    if (typeof v !== 'number') throw bad(`${where}: feature '${input.name}' must be a number, got ${shown(v)}`);
    if (Math.abs(v) > FLOAT32_MAX) throw bad(`${where}: feature '${input.name}' is ${v}, outside the range of a 32-bit float (DT_FLOAT)`);
    return v;
  }
  if (typeof v !== 'string') throw bad(`${where}: feature '${input.name}' must be a string, got ${shown(v)}`);
  return v;
}

const knownNames = new WeakMap<ModelSignature, Set<string>>();

/** The signature's input names, built once per model rather than once per row. */
function knownOf(signature: ModelSignature): Set<string> {
  let known = knownNames.get(signature);
  if (!known) {
    known = new Set(signature.inputs.map((i) => i.name));
    knownNames.set(signature, known);
  }
  return known;
}

/** A row from a JSON object of features: every input present (null for missing), nothing unknown. */
export function rowOf(signature: ModelSignature, obj: unknown, where: string, context?: Record<string, unknown>): RawRequestRow {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw bad(`${where}: expected an object of features (${signature.inputs.map((i) => i.name).join(', ')}), got ${shown(obj)}`);
  }
  const values = context ? { ...context, ...(obj as Record<string, unknown>) } : (obj as Record<string, unknown>);
  const known = knownOf(signature);
  let count = 0;
  for (const k in values) {
    if (!Object.prototype.hasOwnProperty.call(values, k)) continue;
    if (!known.has(k)) count = -1;
    if (count < 0) break;
    count++;
  }
  // The common case (exactly the inputs, nothing else) skips building the lists for the message.
  if (count === known.size) {
    const row: RawRequestRow = {};
    for (const input of signature.inputs) {
      if (!Object.prototype.hasOwnProperty.call(values, input.name)) break;
      row[input.name] = featureValue(input, values[input.name], where);
    }
    if (Object.keys(row).length === known.size) return row;
  }
  const unknown = Object.keys(values).filter((k) => !known.has(k));
  if (unknown.length) throw bad(`${where}: unknown feature${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')} (the model takes ${[...known].join(', ')})`);
  const missing = signature.inputs.filter((i) => !Object.prototype.hasOwnProperty.call(values, i.name)).map((i) => i.name);
  if (missing.length) throw bad(`${where}: missing feature${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} (send null for a missing value)`);
  const row: RawRequestRow = {};
  for (const input of signature.inputs) row[input.name] = featureValue(input, values[input.name], where);
  return row;
}

function checkCount(n: number, maxRows: number): void {
  if (n === 0) throw bad('the request has no instances');
  if (n > maxRows) throw bad(`too many instances: ${n} (at most ${maxRows} per request)`);
}

export type PredictFormat = 'row' | 'columnar';

/** The rows of a :predict body, in the row (`instances`) or the columnar (`inputs`) format. */
export function predictRows(signature: ModelSignature, body: Record<string, unknown>, maxRows: number): { format: PredictFormat; rows: RawRequestRow[] } {
  const hasInstances = 'instances' in body;
  const hasInputs = 'inputs' in body;
  if (hasInstances && hasInputs) throw bad('Request body may contain "instances" or "inputs", not both');
  const only = signature.inputs.length === 1 ? (signature.inputs[0] as Input) : undefined;
  if (hasInstances) {
    const instances = body.instances;
    if (!Array.isArray(instances)) throw bad('"instances" must be a list: [ {feature: value}, … ]');
    checkCount(instances.length, maxRows);
    const rows = instances.map((x, i) =>
      only && (x === null || typeof x !== 'object' || Array.isArray(x)) ? rowOf(signature, { [only.name]: x }, `instances[${i}]`) : rowOf(signature, x, `instances[${i}]`),
    );
    return { format: 'row', rows };
  }
  if (hasInputs) {
    let inputs = body.inputs;
    if (only && Array.isArray(inputs)) inputs = { [only.name]: inputs };
    if (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs)) throw bad('"inputs" must be an object: { feature: [values] }');
    const columns = inputs as Record<string, unknown>;
    const known = new Set(signature.inputs.map((i) => i.name));
    const unknown = Object.keys(columns).filter((k) => !known.has(k));
    if (unknown.length) throw bad(`inputs: unknown feature${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')} (the model takes ${[...known].join(', ')})`);
    const missing = signature.inputs.filter((i) => !Object.prototype.hasOwnProperty.call(columns, i.name)).map((i) => i.name);
    if (missing.length) throw bad(`inputs: missing feature${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}`);
    let n: number | undefined;
    for (const input of signature.inputs) {
      const col = columns[input.name];
      if (!Array.isArray(col)) throw bad(`inputs: feature '${input.name}' must be a list of values, one per instance`);
      if (n === undefined) n = col.length;
      else if (col.length !== n) throw bad(`inputs: feature '${input.name}' has ${col.length} values but '${signature.inputs[0]?.name}' has ${n}; every input needs the same 0-th dimension`);
    }
    checkCount(n ?? 0, maxRows);
    const rows: RawRequestRow[] = [];
    for (let r = 0; r < (n ?? 0); r++) {
      const row: RawRequestRow = {};
      for (const input of signature.inputs) row[input.name] = featureValue(input, (columns[input.name] as unknown[])[r], `inputs.${input.name}[${r}]`);
      rows.push(row);
    }
    return { format: 'columnar', rows };
  }
  throw bad('Missing "instances" or "inputs" key');
}

/** The rows of a :classify or :regress body (`examples`, with an optional shared `context`). */
export function exampleRows(signature: ModelSignature, body: Record<string, unknown>, maxRows: number): RawRequestRow[] {
  const examples = body.examples;
  if (!Array.isArray(examples)) throw bad('"examples" must be a list of objects: [ {feature: value}, … ]');
  checkCount(examples.length, maxRows);
  let context: Record<string, unknown> | undefined;
  if (body.context !== undefined) {
    if (body.context === null || typeof body.context !== 'object' || Array.isArray(body.context)) throw bad('"context" must be an object of features');
    context = body.context as Record<string, unknown>;
    for (const [i, e] of examples.entries()) {
      const clash = e && typeof e === 'object' ? Object.keys(context).find((k) => k in (e as object)) : undefined;
      if (clash) throw bad(`examples[${i}]: feature '${clash}' is in the context too; a context feature may not appear in examples`);
    }
  }
  return examples.map((e, i) => rowOf(signature, e, `examples[${i}]`, context));
}

/** A prediction with its named outputs: classification answers name their classes. */
export function namedOutputs(signature: ModelSignature, p: Prediction): Record<string, unknown> {
  if (signature.task === 'regression') return { prediction: p.prediction };
  const classes = signature.classes ?? [];
  if (p.scores !== undefined) return p.score === undefined ? { scores: p.scores, prediction: p.prediction, classes } : { ...p, classes };
  if (p.score !== undefined) return { score: p.score, prediction: p.prediction, classes };
  return { ...p, classes };
}

/**
 * A 400 naming the first row whose answer is not finite: a value inside float32's range can still
 * leave it once the transform scales it (a z-score with a small deviation), and the model's answer
 * is then NaN, which JSON cannot carry.
 */
export function checkFinite(predictions: readonly Prediction[], where: string): void {
  predictions.forEach((p, i) => {
    const values = p.scores ?? [p.score ?? p.prediction];
    if (values.some((v) => typeof v === 'number' && !Number.isFinite(v))) {
      throw bad(`${where}[${i}]: the model's answer is not a finite number (a feature value is too large for the model once transformed)`);
    }
  });
}

/** The columnar answer: output name → one value per instance. */
export function columnarOutputs(signature: ModelSignature, predictions: readonly Prediction[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const p of predictions) {
    for (const [k, v] of Object.entries(namedOutputs(signature, p))) (out[k] ??= []).push(v);
  }
  return out;
}

/** :classify results: [label, score] pairs per example, every class named. */
export function classifyResults(signature: ModelSignature, predictions: readonly Prediction[]): [string, number][][] {
  const classes = signature.classes ?? [];
  if (signature.task === 'regression') throw bad('classify needs a classification model; this model does regression (use :regress or :predict)');
  return predictions.map((p) =>
    signature.task === 'binary' ? [[classes[0] ?? '', 1 - (p.score ?? 0)], [classes[1] ?? '', p.score ?? 0]] : classes.map((c, k) => [c, p.scores?.[k] ?? 0] as [string, number]),
  );
}

/** :regress results: one value per example. */
export function regressResults(signature: ModelSignature, predictions: readonly Prediction[]): number[] {
  if (signature.task !== 'regression') throw bad(`regress needs a regression model; this model classifies (${signature.task}; use :classify or :predict)`);
  return predictions.map((p) => p.prediction as number);
}

const DTYPE = { number: 'DT_FLOAT', string: 'DT_STRING' } as const;

function tensorInfo(name: string, dtype: string, dims: number[]): Record<string, unknown> {
  return { dtype, tensor_shape: { dim: dims.map((d) => ({ size: String(d), name: '' })), unknown_rank: false }, name };
}

/** GetModelMetadataResponse's `signature_def`: each raw input feature and each output, TF Serving's JSON. */
export function signatureDef(signature: ModelSignature): Record<string, unknown> {
  const inputs = Object.fromEntries(signature.inputs.map((i) => [i.name, tensorInfo(i.name, DTYPE[i.type], [-1])]));
  const k = signature.classes?.length ?? 0;
  const outputs: Record<string, unknown> =
    signature.task === 'regression'
      ? { prediction: tensorInfo('prediction', 'DT_FLOAT', [-1]) }
      : {
          ...(signature.task === 'binary' ? { score: tensorInfo('score', 'DT_FLOAT', [-1]) } : { scores: tensorInfo('scores', 'DT_FLOAT', [-1, k]) }),
          classes: tensorInfo('classes', 'DT_STRING', [-1, k]),
          prediction: tensorInfo('prediction', 'DT_STRING', [-1]),
        };
  const defs: Record<string, unknown> = {
    serving_default: { inputs, outputs, method_name: 'tensorflow/serving/predict', defaults: {} },
  };
  if (signature.task === 'regression') {
    defs.regression = { inputs, outputs: { outputs: tensorInfo('outputs', 'DT_FLOAT', [-1, 1]) }, method_name: 'tensorflow/serving/regress', defaults: {} };
  } else {
    defs.classification = {
      inputs,
      outputs: { classes: tensorInfo('classes', 'DT_STRING', [-1, k]), scores: tensorInfo('scores', 'DT_FLOAT', [-1, k]) },
      method_name: 'tensorflow/serving/classify',
      defaults: {},
    };
  }
  return { signature_def: defs };
}
