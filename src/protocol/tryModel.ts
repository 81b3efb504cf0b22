/**
 * Messages between the "Try the model" panel (src/extension/models/tryPanel.ts) and its webview
 * (webviews/try). The webview never talks to the network: it sends the form's values, the
 * extension host sends `:predict` to the local server and hands back the answer.
 */

/** One raw input feature of the model, as the form shows it. */
export interface TryField {
  readonly name: string;
  /** From the server's metadata: DT_STRING → string, anything else → number. */
  readonly type: 'string' | 'number';
  /** The schema's string domain (a drop-down), when it has one. */
  readonly options?: readonly string[];
  /** The training split's range and mean (a hint beside a number input). */
  readonly min?: number;
  readonly max?: number;
  readonly mean?: number;
  /** The prefilled value: the example row's (null: missing). */
  readonly value: string | number | null;
}

export interface TryForm {
  readonly model: string;
  /** The model's REST URL (http://127.0.0.1:PORT/v1/models/NAME). */
  readonly url: string;
  readonly task?: string;
  readonly label?: string;
  readonly fields: readonly TryField[];
  /** Where the prefilled row comes from, e.g. "row 1 of the eval split". */
  readonly example?: string;
}

export interface TryAnswer {
  /** The version that answered. */
  readonly version: string;
  /** The predicted class, or the regression value. */
  readonly prediction: string | number;
  /** Classification: every class with its probability. */
  readonly classes?: readonly { readonly name: string; readonly probability: number }[];
  readonly elapsedMs: number;
}

export type ToTryMessage =
  | { readonly type: 'form'; readonly form: TryForm }
  /** The server stopped or is not running: the form stays, Predict says why. */
  | { readonly type: 'server'; readonly running: boolean; readonly message?: string }
  | { readonly type: 'answer'; readonly answer: TryAnswer }
  /** The server's `{"error": …}` (or why no request was sent); `feature` when the message names one. */
  | { readonly type: 'failure'; readonly message: string; readonly feature?: string }
  /** Submit the form as it stands, as a click on Predict would (the host tests drive the panel so). */
  | { readonly type: 'submit' };

/** A value as sent in the `instances` row: null is a missing value. */
export type TryValue = string | number | null;

export type FromTryMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'predict'; readonly instance: Readonly<Record<string, TryValue>> }
  | { readonly type: 'rendered'; readonly render: TryRender };

/** What the webview acknowledges having drawn (tests wait on it). */
export interface TryRender {
  readonly kind: 'form' | 'answer' | 'failure' | 'server';
  readonly fields?: readonly string[];
  readonly prediction?: string;
  readonly version?: string;
  /** Class names in the bar chart, with the probabilities as drawn. */
  readonly bars?: readonly { readonly name: string; readonly probability: number }[];
  readonly message?: string;
  readonly feature?: string;
}
