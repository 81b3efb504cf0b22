/**
 * An imported ONNX model's binding (signature.json `onnx`) applied to raw rows and to the model's
 * output: the one implementation `pipewise serve`, the Evaluator, BulkInferrer (through
 * `loadServingModel`) and the browser runtime of a web push share. Raw columns feed the model
 * directly (an imported model brings its own preprocessing, as skl2onnx's pipelines do), or with
 * `feed: transform` the Transform's features computed from the raw row by the model's transform.json
 * (`transformedRows`, the same transformValue as transformed_examples). Pure: no I/O, no
 * onnxruntime, so both onnxruntime-node and onnxruntime-web take its arrays.
 */
import { PipewiseError } from '../../core/errors';
import { crossValue, transformValue } from '../transform/applyTransform';
import type { TransformSpec } from '../transform/transformSpec';
import { decodePredictions } from './decodePredictions';
import { withExtraOutput } from './onnxProto';
import type { ModelSignature, OnnxBinding, OnnxElementType, OnnxFeed, Prediction } from './signature';

/** One input's values, ready for `new Tensor(type, data, dims)` of either onnxruntime. */
export interface OnnxFeedValues {
  readonly input: string;
  readonly type: OnnxElementType;
  readonly data: Float32Array | Float64Array | BigInt64Array | Int32Array | string[] | boolean[];
  readonly dims: number[];
}

/** The dims of a feed for `n` rows: [n], [n, 1] or [n, columns], as the model declares its rank. */
function dimsOf(feed: OnnxFeed, n: number): number[] {
  if (feed.shape.length === 1) return [n];
  return [n, feed.columns.length];
}

function valueAt(row: Readonly<Record<string, unknown>>, column: string): unknown {
  const v = row[column];
  return typeof v === 'bigint' ? Number(v) : v;
}

function failure(feed: OnnxFeed, column: string, i: number, message: string): PipewiseError {
  return new PipewiseError(`model input '${feed.input}' (${feed.elementType}), column '${column}', row ${i + 1}: ${message}`);
}

/** A numeric cell: a missing value is NaN for floats (tree ensembles route it) and an error for integers. */
function numberOf(feed: OnnxFeed, column: string, v: unknown, i: number): number {
  if (v === null || v === undefined) {
    if (feed.elementType === 'float32' || feed.elementType === 'float64') return Number.NaN;
    throw failure(feed, column, i, 'the value is missing, and an integer input has no missing value');
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'number') throw failure(feed, column, i, `${JSON.stringify(v)} is not a number`);
  if ((feed.elementType === 'int64' || feed.elementType === 'int32') && !Number.isInteger(v)) throw failure(feed, column, i, `${v} is not an integer`);
  return v;
}

/**
 * `feed: transform`: raw rows → the transformed features the feeds read (a scaled value, or a
 * bucket/vocabulary/hash/cross index), each computed as Transform computed it for
 * transformed_examples. A raw column the rows lack would silently take the feature's fill value, so
 * it is refused, naming the model input; a missing value (null) is filled as in training.
 */
export function transformedRows(binding: OnnxBinding, spec: TransformSpec, rows: readonly Readonly<Record<string, unknown>>[]): Record<string, number>[] {
  const features = new Map(spec.features.map((f) => [f.name, f] as const));
  const crosses = new Map(spec.crosses.map((c) => [c.name, c] as const));
  const names = [...new Set(binding.feeds.flatMap((f) => f.columns))];
  const first = rows[0];
  if (first) {
    for (const feed of binding.feeds) {
      for (const name of feed.columns) {
        const raw = features.has(name) ? [name] : (crosses.get(name)?.features ?? []);
        const absent = raw.filter((c) => !Object.prototype.hasOwnProperty.call(first, c));
        if (absent.length) throw new PipewiseError(`model input '${feed.input}' reads the Transform's feature '${name}', made from column${absent.length === 1 ? '' : 's'} ${absent.map((c) => `'${c}'`).join(', ')}, which the examples do not have (they have ${Object.keys(first).join(', ')})`);
      }
    }
  }
  return rows.map((row) => {
    const out: Record<string, number> = {};
    for (const name of names) {
      const f = features.get(name);
      const c = crosses.get(name);
      if (f) out[name] = transformValue(f, row[name]);
      else if (c) out[name] = crossValue(c, row);
      else throw new PipewiseError(`the model's transform.json has no feature '${name}' (its features: ${[...features.keys(), ...crosses.keys()].join(', ')})`);
    }
    return out;
  });
}

/**
 * A model that cannot take a missing value (a linear model or a network; trees route NaN) answers
 * NaN for it: rather than a bare non-finite answer, name the input, the column and the row. Raw
 * feeds only: a transform fills missing values before the model.
 */
export function checkMissingAnswered(binding: OnnxBinding, rows: readonly Readonly<Record<string, unknown>>[], predictions: readonly Prediction[], firstRow = 0): void {
  if (binding.feed === 'transform') return;
  predictions.forEach((p, i) => {
    const values = [p.score, ...(p.scores ?? []), p.prediction];
    if (values.every((v) => typeof v !== 'number' || Number.isFinite(v))) return;
    const row = rows[i] ?? {};
    for (const feed of binding.feeds) {
      if (feed.elementType !== 'float32' && feed.elementType !== 'float64') continue;
      const column = feed.columns.find((c) => {
        const v = row[c];
        return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
      });
      if (column !== undefined) throw failure(feed, column, firstRow + i, 'the value is missing, and the model answers NaN for it (it does not handle missing values, as trees do): send a number, or impute the column before the model');
    }
  });
}

/**
 * Raw rows → one array per model input, the columns of each in the binding's order. `firstRow`: the
 * index of rows[0] in the whole table, so that an error names the table's row, not the chunk's.
 */
export function onnxFeeds(binding: OnnxBinding, rows: readonly Readonly<Record<string, unknown>>[], firstRow = 0): OnnxFeedValues[] {
  const n = rows.length;
  // A column the examples lack is a mapping error, not a missing value: say so once, by name.
  const first = rows[0];
  if (first) {
    for (const feed of binding.feeds) {
      const absent = feed.columns.filter((c) => !Object.prototype.hasOwnProperty.call(first, c));
      if (absent.length) throw new PipewiseError(`model input '${feed.input}' is mapped to column${absent.length === 1 ? '' : 's'} ${absent.map((c) => `'${c}'`).join(', ')}, which the examples do not have (they have ${Object.keys(first).join(', ')})`);
    }
  }
  return binding.feeds.map((feed) => {
    const width = feed.columns.length;
    const dims = dimsOf(feed, n);
    const each = (set: (k: number, v: unknown, column: string, i: number) => void): void => {
      rows.forEach((row, i) => feed.columns.forEach((column, c) => set(i * width + c, valueAt(row, column), column, firstRow + i)));
    };
    switch (feed.elementType) {
      case 'float32':
      case 'float64': {
        const data = feed.elementType === 'float32' ? new Float32Array(n * width) : new Float64Array(n * width);
        each((k, v, column, i) => (data[k] = numberOf(feed, column, v, i)));
        return { input: feed.input, type: feed.elementType, data, dims };
      }
      case 'int64': {
        const data = new BigInt64Array(n * width);
        each((k, v, column, i) => (data[k] = BigInt(numberOf(feed, column, v, i))));
        return { input: feed.input, type: feed.elementType, data, dims };
      }
      case 'int32': {
        const data = new Int32Array(n * width);
        each((k, v, column, i) => (data[k] = numberOf(feed, column, v, i)));
        return { input: feed.input, type: feed.elementType, data, dims };
      }
      case 'bool': {
        const data = new Array<boolean>(n * width);
        each((k, v, column, i) => (data[k] = numberOf(feed, column, v, i) !== 0));
        return { input: feed.input, type: feed.elementType, data, dims };
      }
      case 'string': {
        const data = new Array<string>(n * width);
        each((k, v, column, i) => {
          if (v !== null && v !== undefined && typeof v !== 'string') throw failure(feed, column, i, `${JSON.stringify(v)} is not a string`);
          data[k] = v ?? '';
        });
        return { input: feed.input, type: feed.elementType, data, dims };
      }
    }
  });
}

/**
 * The output tensor's values → predictions in the signature's layout: multiclass, probabilities
 * in `classes` order; binary, P(classes[1]) (the second column of an [N, 2] output); regression, the
 * value.
 */
export function onnxPredictions(signature: ModelSignature, values: ArrayLike<number | bigint>, dims: readonly number[], n: number): Prediction[] {
  const units = dims.length >= 2 ? (dims[dims.length - 1] as number) : 1;
  const classes = signature.classes?.length ?? 0;
  const at = (k: number): number => Number(values[k]);
  if (signature.task === 'multiclass' && units !== classes) {
    throw new PipewiseError(`model output '${signature.onnx?.output ?? ''}' has ${units} values per row, but the model has ${classes} classes (${(signature.classes ?? []).join(', ')})`);
  }
  if (signature.task === 'binary') {
    if (units !== 1 && units !== 2) throw new PipewiseError(`model output '${signature.onnx?.output ?? ''}' has ${units} values per row; a binary model gives P(${signature.classes?.[1] ?? 'positive'}) or the two class probabilities`);
    const score = Float64Array.from({ length: n }, (_, i) => at(i * units + units - 1));
    return decodePredictions(signature, score, 1, n);
  }
  const flat = Float64Array.from({ length: n * units }, (_, k) => at(k));
  return decodePredictions(signature, flat, units, n);
}

/** The bytes onnxruntime runs: the file, with a bypassed ZipMap's input made an output (onnxProto.ts). */
export function servableOnnxBytes(bytes: Uint8Array, binding: OnnxBinding): Uint8Array {
  return binding.exposeOutput ? withExtraOutput(bytes, binding.output) : bytes;
}
