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
  /** How `model/` is stored: absent = TF.js layers (model.json), `ydf` = a decision forest (ydf_model.zip, trees.json). */
  readonly modelFormat?: 'ydf';
  readonly hyperparameters: Readonly<Record<string, unknown>>;
  /** Length of the model's input vector (transform.json `width`). */
  readonly inputWidth?: number;
  /** Regression trained on log(label): the model outputs log(label), and predictions are exp of it. */
  readonly labelTransform?: 'log';
  /** `model: auto`: which built-in family won on the validation rows, and each candidate's validation loss. */
  readonly modelChoice?: { readonly chosen: string; readonly candidates: Readonly<Record<string, number>>; readonly margin: number; readonly relativeMargin: number };
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
