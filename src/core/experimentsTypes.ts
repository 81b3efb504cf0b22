/**
 * The experiments table: every run of a pipeline with the parameters that differ between runs and
 * the evaluation's overall metrics, from lineage (run and execution records, metrics.json, the
 * Trainer's history.json). Shared by the extension and the webview (`webviews/experiments`).
 */

export interface ExperimentRow {
  readonly runId: string;
  readonly startedAt: string;
  readonly status: string;
  /** `stage.param` → the value as JSON text, for every parameter of every stage. */
  readonly params: Readonly<Record<string, string>>;
  /** The Evaluator's overall metrics (empty when the run has no evaluation). */
  readonly metrics: Readonly<Record<string, number>>;
  /** The metrics' 95% bootstrap intervals from metrics.json (`intervals` of the overall slice), where computed. */
  readonly intervals?: Readonly<Record<string, readonly [number, number]>>;
  /** A Tuner trial of the run (its metrics are on the Tuner's validation rows, not the eval split). */
  readonly trial?: { readonly stage: string; readonly number: number; readonly of: number };
  readonly blessed?: boolean;
  /** The evaluation artifact folder, to open it. */
  readonly evaluation?: string;
  /** The Trainer's per-epoch logs: `[{ epoch, loss, val_loss, … }]`. */
  readonly history?: readonly Readonly<Record<string, number>>[];
}

export interface ExperimentsView {
  readonly pipeline: string;
  readonly file: string;
  /** Newest first. */
  readonly rows: readonly ExperimentRow[];
  /** Parameters whose value is not the same in every run: the table's parameter columns. */
  readonly changedParams: readonly string[];
  readonly metricNames: readonly string[];
}

export type ToExperimentsMessage =
  | { readonly type: 'view'; readonly view: ExperimentsView }
  /** Select runs and the metric to plot, as the checkboxes and the metric menu do. */
  | { readonly type: 'select'; readonly runs: readonly string[]; readonly metric?: string };

export type FromExperimentsMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'rendered'; readonly rows: readonly string[]; readonly columns: readonly string[]; readonly chart?: { readonly metric: string; readonly runs: readonly string[] } }
  | { readonly type: 'openEvaluation'; readonly folder: string }
  | { readonly type: 'error'; readonly message: string };
