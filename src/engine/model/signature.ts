/**
 * The types of `signature.json` and of a prediction: pure declarations, shared by the server, the
 * engine's model users and the browser runtime of a web push (src/web), which must not load TF.js
 * for Node. servingModel.ts re-exports them.
 */

export type Task = 'binary' | 'multiclass' | 'regression';

/** signature.json of a Model artifact. */
export interface ModelSignature {
  readonly task: Task;
  /** The label column in the raw examples. */
  readonly label: string;
  /** Classification: label values in class-index order; binary: [negative, positive]. */
  readonly classes?: readonly string[];
  /** The raw feature columns the model reads (before its transform), with their raw types. */
  readonly inputs: readonly { readonly name: string; readonly type: 'number' | 'string' }[];
  readonly backend: string;
  /**
   * How `model/` is stored: absent = TF.js layers (model.json), `ydf` = a decision forest
   * (ydf_model.zip, trees.json), `onnx` = an imported ONNX model (model.onnx, bound by `onnx`).
   */
  readonly modelFormat?: 'ydf' | 'onnx';
  /** `modelFormat: onnx`: how raw columns feed the model's inputs and which outputs are read. */
  readonly onnx?: OnnxBinding;
  readonly hyperparameters: Readonly<Record<string, unknown>>;
  /** Length of the model's input vector (transform.json `width`). */
  readonly inputWidth?: number;
  /** Regression trained on log(label): the model outputs log(label), and predictions are exp of it. */
  readonly labelTransform?: 'log';
  /** `model: auto`: which built-in family won on the validation rows, and each candidate's validation loss. */
  readonly modelChoice?: { readonly chosen: string; readonly candidates: Readonly<Record<string, number>>; readonly margin: number; readonly relativeMargin: number };
  /** An imported model (the Importer): the source file, its sha256, the ONNX IR version and opsets. */
  readonly imported?: { readonly source: string; readonly sha256: string; readonly irVersion?: number; readonly opsets?: Readonly<Record<string, number>> };
  /** The user's model module (file name), when it built the model. */
  readonly module?: string;
  /** How training went: epochs run, the epoch whose weights were kept, its metrics. */
  readonly training?: {
    readonly epochs: number;
    readonly bestEpoch: number;
    readonly stoppedEarly: boolean;
    readonly seed: number;
    readonly metrics: Readonly<Record<string, number>>;
  };
}

/** An ONNX tensor element type Pipewise can feed (onnxruntime's names). */
export type OnnxElementType = 'float32' | 'float64' | 'int64' | 'int32' | 'string' | 'bool';

/**
 * One model input: the columns it is made of, in order (one column → an [N] or [N, 1] tensor) — raw
 * columns, or with the binding's `feed: transform` the Transform's features (transformRow's values).
 */
export interface OnnxFeed {
  readonly input: string;
  readonly columns: readonly string[];
  readonly elementType: OnnxElementType;
  /** The input's declared shape: a number, or null for a symbolic (batch) dimension. */
  readonly shape: readonly (number | null)[];
}

/** How an imported ONNX model is run (signature.json `onnx`). */
export interface OnnxBinding {
  /** The file in `model/`. */
  readonly file: string;
  readonly feeds: readonly OnnxFeed[];
  /**
   * `transform`: the feeds' columns are the Transform's features, computed from each raw row with the
   * model artifact's `transform.json` (the same transformRow as transformed_examples and the built-in
   * models), so the model was trained on transformed_examples and is still served raw requests.
   * Absent: raw columns feed the model.
   */
  readonly feed?: 'transform';
  /**
   * The output read: classification, a float [N, classes] tensor of probabilities (or [N, 1] / [N]:
   * P(classes[1]) of a binary model); regression, the [N] or [N, 1] value.
   */
  readonly output: string;
  /**
   * The model's ZipMap (a sequence of maps onnxruntime's JavaScript API cannot return) was bypassed:
   * its input, the probability tensor, is appended to the graph's outputs when the model is loaded.
   */
  readonly exposeOutput?: boolean;
}

export interface Prediction {
  /** Binary: probability of `classes[1]`. */
  readonly score?: number;
  /** Multiclass: probability per class, in `classes` order. */
  readonly scores?: readonly number[];
  /** The predicted label value (a class name, or the regression value). */
  readonly prediction: string | number;
}

/** A loaded model that predicts from raw rows (`loadServingModel`, src/engine/model/serving.ts). */
export interface ServingModel {
  readonly signature: ModelSignature;
  /** Predicts raw rows (column → value as read from Parquet/CSV; missing = null). */
  predict(rows: readonly Readonly<Record<string, unknown>>[]): Promise<Prediction[]>;
  dispose(): void;
}
