/**
 * The model-evaluation view: what the extension sends the evaluation webview (`webviews/evaluation`),
 * built from an Evaluator artifact (`metrics.json`, and `predictions.json` for the curves) by
 * `src/core/evaluationView.ts`. No `vscode` import: the webview bundle shares this file.
 */

export type EvaluationTask = 'binary' | 'multiclass' | 'regression';

/** One threshold's verdict (`src/engine/evaluation/thresholds.ts` makes them, metrics.json keeps them). */
export interface EvaluationCheck {
  readonly metric: string;
  readonly kind: 'lower_bound' | 'upper_bound' | 'change';
  /** The bound, or for a change threshold the allowed absolute change. */
  readonly threshold: number;
  readonly direction?: 'higher_is_better' | 'lower_is_better';
  readonly value?: number;
  readonly baseline?: number;
  readonly diff?: number;
  readonly passed: boolean;
  /** Why it was not checked (no baseline yet). */
  readonly skipped?: string;
  readonly message: string;
}

export interface EvaluationSlice {
  /** `overall`, or `island=Biscoe`. */
  readonly name: string;
  readonly key: Readonly<Record<string, string | number | boolean>>;
  readonly exampleCount: number;
  readonly metrics: Readonly<Record<string, number>>;
}

export interface BaselineDelta {
  readonly metric: string;
  readonly candidate: number;
  readonly baseline: number;
  /** candidate − baseline. */
  readonly delta: number;
  /** Whether the candidate is better for this metric (log_loss lower, calibration nearer 1); absent: neither (mean_prediction), or equal. */
  readonly improved?: boolean;
}

export interface CurveSeries {
  /** The class (one-vs-rest) or `positive` for a binary model. */
  readonly series: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
  /** Examples per point (calibration bins). */
  readonly n?: readonly number[];
}

export interface FairnessRate {
  readonly slice: string;
  /** `false_positive_rate`, … */
  readonly rate: string;
  readonly threshold: number;
  readonly value: number;
}

export interface EvaluationView {
  /** The metrics.json the view shows. */
  readonly file: string;
  readonly task: EvaluationTask;
  readonly label: string;
  readonly split: string;
  readonly model: string;
  readonly blessed: boolean;
  /** Messages of the failed checks. */
  readonly failed: readonly string[];
  readonly checks: readonly EvaluationCheck[];
  readonly overall: Readonly<Record<string, number>>;
  readonly slices: readonly EvaluationSlice[];
  /** Columns of the slices table, headline metrics first. */
  readonly metricNames: readonly string[];
  readonly baseline: { readonly model: string; readonly deltas: readonly BaselineDelta[] } | null;
  readonly classes?: readonly string[];
  /** `matrix[true][predicted]` on the overall slice (binary: at threshold 0.5). */
  readonly confusion?: { readonly classes: readonly string[]; readonly matrix: readonly (readonly number[])[] };
  readonly roc?: readonly CurveSeries[];
  readonly pr?: readonly CurveSeries[];
  readonly calibration?: readonly CurveSeries[];
  /** Regression: actual vs predicted (at most 5,000 points, evenly chosen) and the residuals (actual − predicted). */
  readonly regression?: { readonly actual: readonly number[]; readonly predicted: readonly number[]; readonly total: number };
  readonly fairness: readonly FairnessRate[];
  readonly excluded?: { readonly missing_label: number; readonly unknown_label: Readonly<Record<string, number>> };
  /** Why the curves are missing (an artifact written before predictions.json existed). */
  readonly curvesMissing?: string;
  /** Permutation feature importance (feature_importance.json), when the Evaluator measured it. */
  readonly importance?: ImportanceView;
  /** The run whose evaluation this is (from the store's execution record), when known. */
  readonly source?: EvaluationRun;
  /** A later run's evaluation of the same stage of the same pipeline: this one is stale. */
  readonly newer?: EvaluationRun & { readonly file: string };
}

/** A run that evaluated a stage: its pipeline, run id and when its evaluation finished. */
export interface EvaluationRun {
  readonly pipeline: string;
  readonly stage: string;
  readonly runId: string;
  readonly at?: string;
}

export type ToEvaluationMessage = { readonly type: 'view'; readonly view: EvaluationView } | { readonly type: 'error'; readonly message: string };

export type FromEvaluationMessage =
  | { readonly type: 'ready' }
  /** After every drawing: what the webview shows (read back by the tests). */
  | {
      readonly type: 'rendered';
      readonly charts: readonly string[];
      readonly slices: number;
      readonly verdict: string;
      readonly overall: Readonly<Record<string, string>>;
      /** Each baseline delta's colour as drawn: 'better', 'worse' or '' (plain). */
      readonly deltas?: Readonly<Record<string, string>>;
      /** Which run the header says it shows, and the stale notice, as drawn. */
      readonly shows?: string;
      readonly stale?: string;
    }
  | { readonly type: 'openFile'; readonly file: string }
  | { readonly type: 'openEvaluation'; readonly file: string }
  /** The toolbar's *Export Report…*: this evaluation's run against its baseline (`pipewise report`). */
  | { readonly type: 'exportReport' }
  | { readonly type: 'error'; readonly message: string };

/** The per-example predictions the Evaluator writes beside metrics.json (the overall slice's rows). */
export interface PredictionsFile {
  readonly task: EvaluationTask;
  readonly classes?: readonly string[];
  /** Encoded labels: 0/1 (binary), class index or −1 (multiclass), the value (regression). */
  readonly y: readonly number[];
  /** Binary: probability of classes[1]. */
  readonly score?: readonly number[];
  /** Multiclass: probability per class. */
  readonly scores?: readonly (readonly number[])[];
  /** Regression: the predicted value. */
  readonly prediction?: readonly number[];
  /** Set when the rows are an evenly spaced sample (the curves need no more): the usable rows there were. */
  readonly sampled_from?: number;
}

/** The metric whose drop measures a feature's importance: AUC (binary), accuracy (multiclass), R² (regression). */
export type ImportanceMetric = 'auc' | 'accuracy' | 'r2';

/** One raw input feature's permutation importance: the primary metric's drop when its column is shuffled. */
export interface PermutationImportance {
  readonly feature: string;
  /** Mean drop over the repeats (baseline − permuted score); ≤ 0 means the model does not use it. */
  readonly mean: number;
  /** Standard deviation of the drop over the repeats (NumPy's default, ddof 0). */
  readonly std: number;
  /** The drop in each repeat, in order. */
  readonly drops: readonly number[];
}

/** A model's own importances (`variable_importances.json` in the model folder, e.g. YDF's), kept as written. */
export interface ModelImportances {
  readonly source: string;
  /** Importance type (`NUM_AS_ROOT`, `SUM_SCORE`, …) → one entry per feature. */
  readonly importances: Readonly<Record<string, readonly { readonly feature: string; readonly importance: number }[]>>;
}

/**
 * `feature_importance.json` in the Evaluator's evaluation artifact (README, "Feature importance").
 * Reproducible in Python: on the usable eval rows (all, or when sampled
 * `np.sort(np.random.RandomState(seed).permutation(usable_rows)[:max_rows])` of them),
 * `sklearn.inspection.permutation_importance(…, n_repeats=repeats, random_state=seed)` permutes
 * exactly as Pipewise did.
 */
export interface FeatureImportanceFile {
  readonly method: 'permutation';
  readonly metric: ImportanceMetric;
  /** The metric on the rows used, unpermuted. */
  readonly baseline: number;
  readonly repeats: number;
  readonly seed: number;
  /** Eval rows with a usable label, and how many of them were used (all, or `max_rows` sampled). */
  readonly usable_rows: number;
  readonly rows: number;
  readonly max_rows: number;
  readonly sampled: boolean;
  /** Sorted by mean drop, largest first. */
  readonly features: readonly PermutationImportance[];
  /** The model's own importances, when its folder has `variable_importances.json`. */
  readonly model?: ModelImportances;
  /** Partial dependence of the most important features (the first three of `features`), on the same rows. */
  readonly partial_dependence?: readonly PartialDependence[];
}

/**
 * One feature's partial dependence: the mean prediction over the rows used for importance with the
 * feature set to each grid value in every row. The grid is scikit-learn's (`partial_dependence` with
 * `grid_resolution=20, percentiles=(0.05, 0.95)`, `method='brute'`): a number column's distinct
 * values if fewer than 20, else 20 evenly spaced values between its 5th and 95th percentiles
 * (SciPy's `mquantiles`); a string column's distinct values in sorted order (the 20 most frequent
 * when there are more).
 */
export interface PartialDependence {
  readonly feature: string;
  readonly kind: 'numeric' | 'categorical';
  readonly grid: readonly (number | string)[];
  /** What each averaged output is: `prediction` (regression), the positive class's probability (binary), each class's probability (multiclass). */
  readonly outputs: readonly string[];
  /** `average[k][g]`: output k's mean over the rows with the feature set to `grid[g]` (scikit-learn's `average` layout). */
  readonly average: readonly (readonly number[])[];
}

/** What the evaluation view draws of feature_importance.json. */
export interface ImportanceView {
  readonly metric: ImportanceMetric;
  readonly baseline: number;
  readonly repeats: number;
  readonly rows: number;
  readonly usableRows: number;
  readonly sampled: boolean;
  readonly features: readonly { readonly feature: string; readonly mean: number; readonly std: number }[];
  readonly model?: ModelImportances;
  readonly partialDependence?: readonly PartialDependence[];
}
