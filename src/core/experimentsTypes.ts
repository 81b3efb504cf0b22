/**
 * The experiments table: every run of a pipeline with the parameters that differ between runs and
 * the evaluation's overall metrics, from lineage (run and execution records, metrics.json, the
 * Trainer's history.json). Shared by the extension and the webview (`webviews/experiments`).
 */

import type { RunAnnotations } from './runAnnotations';

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
  /** The run's name, note and star (issue 28), where given; a trial row has none of its own. */
  readonly annotations?: RunAnnotations;
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

/** A brush on a parallel-coordinates axis (src/core/experimentsCompare.ts), normalised 0…1. */
export interface ExperimentsBrush {
  readonly axis: string;
  readonly low: number;
  readonly high: number;
}

/** The correlation of one changed parameter with the chosen metric, computed in the extension host. */
export interface ExperimentsImportance {
  readonly param: string;
  readonly spearman?: number;
  readonly pearson?: number;
  readonly runs: number;
}

/**
 * A random forest's importance of each changed parameter for the chosen metric (YDF, fitted in the
 * worker: src/engine/experiments/forestImportance.ts), once there are enough runs.
 */
export interface ExperimentsForest {
  readonly metric: string;
  readonly runs: number;
  readonly trees: number;
  /**
   * Each parameter's share of the forest's total split score (YDF's SUM_SCORE: the metric's variance
   * removed by its splits), summing to 1, largest first; a parameter never split on has 0.
   */
  readonly importances: readonly { readonly param: string; readonly share: number }[];
  /** The forest's out-of-bag RMSE against the metric's own standard deviation: near it, the forest explains little. */
  readonly oobRmse?: number;
  readonly metricSd: number;
}

export type ToExperimentsMessage =
  | { readonly type: 'view'; readonly view: ExperimentsView }
  /** Select runs and the metric to plot, as the checkboxes and the metric menu do. */
  | { readonly type: 'select'; readonly runs: readonly string[]; readonly metric?: string }
  /** The parameters' correlations with `metric` over the runs the table shows (answer to `importance`). */
  | {
      readonly type: 'importance';
      readonly metric: string;
      readonly runs: number;
      readonly correlations: readonly ExperimentsImportance[];
      /** The forest's importance: 'computing' until the worker answers, absent below FOREST_MIN_RUNS, an error's sentence when it failed. */
      readonly forest?: ExperimentsForest | 'computing' | { readonly error: string };
    }
  /** Asks for the table as shown, as CSV (answered by `csv`). */
  | { readonly type: 'requestCsv'; readonly requestId: number };

/** What the experiments webview last drew, for tests. */
export interface ExperimentsRendered {
  readonly rows: readonly string[];
  readonly columns: readonly string[];
  readonly chart?: { readonly metric: string; readonly runs: readonly string[]; readonly withinNoise: readonly string[]; readonly domain?: readonly [number, number] };
  readonly brushes: readonly ExperimentsBrush[];
  readonly scatter?: { readonly x: string; readonly y: string; readonly points: number };
  /** The importance chart as drawn: parameters by |ρ|, and by the forest's share when it is drawn. */
  readonly importance?: { readonly metric: string; readonly byCorrelation: readonly string[]; readonly byForest?: readonly string[] };
  /** Milliseconds from the view's arrival (or the last change) to this render. */
  readonly drawMs: number;
}

export type FromExperimentsMessage =
  | { readonly type: 'ready' }
  | ({ readonly type: 'rendered' } & ExperimentsRendered)
  | { readonly type: 'openEvaluation'; readonly folder: string }
  /** The toolbar's *Export Report…*: the ticked run (the newer of two, against the other), else the newest. */
  | { readonly type: 'exportReport'; readonly runId?: string; readonly against?: string }
  /** The correlations of the changed parameters with `metric` over `runs` (the rows shown). */
  | { readonly type: 'importance'; readonly metric: string; readonly runs: readonly string[] }
  /** The toolbar's *Export CSV…*. */
  | { readonly type: 'exportCsv' }
  /** A row's Rename…, Note… or star toggle: the panel runs the Runs view's command on that run. */
  | { readonly type: 'annotate'; readonly runId: string; readonly action: 'rename' | 'note' | 'star' }
  | { readonly type: 'csv'; readonly requestId: number; readonly csv: string; readonly rows: number }
  | { readonly type: 'error'; readonly message: string };
