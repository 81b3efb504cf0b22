/**
 * The monitoring panel's worker request and webview messages: skew and schema anomalies of the
 * requests `pipewise serve --log-dir` logged, against the training data of the pipeline's latest
 * successful run — computed in the worker by the engine's own monitor (src/engine/monitoring), the
 * numbers `pipewise monitor --json` prints.
 */
import { RequestType } from 'vscode-jsonrpc';
import type { DatasetFeatureStatistics } from '../core/tfdv';

export type MonitorBy = 'hour' | 'day';

export interface MonitorParams {
  readonly pipelineFile: string;
  readonly logDir: string;
  readonly by: MonitorBy;
  /** Labels that arrived later (`--labels`): quality per version, bucketed by `by`. */
  readonly labelsFile?: string;
}

export interface MonitorFeature {
  readonly name: string;
  readonly metric: 'L_INFTY' | 'JENSEN_SHANNON_DIVERGENCE' | null;
  readonly distance: number | null;
  readonly threshold: number;
  readonly anomalous: boolean;
}

export interface MonitorAnomaly {
  readonly feature: string;
  readonly type: string;
  readonly description: string;
}

/** A model version's share of a window (`versions[]` of `pipewise monitor --json`). */
export interface MonitorVersionJson {
  readonly version: number;
  readonly requests: number;
  readonly features: readonly MonitorFeature[];
  readonly anomalies: readonly MonitorAnomaly[];
}

/** One window as `pipewise monitor --json` prints it. */
export interface MonitorWindowJson {
  readonly window: { readonly from: string; readonly to: string };
  readonly requests: number;
  readonly features: readonly MonitorFeature[];
  readonly anomalies: readonly MonitorAnomaly[];
  readonly versions: readonly MonitorVersionJson[];
}

/** A threshold check of quality (the Evaluator's check, as metrics.json records it). */
export interface QualityCheckJson {
  readonly metric: string;
  readonly kind: 'lower_bound' | 'upper_bound' | 'change';
  readonly threshold: number;
  readonly value?: number;
  readonly passed: boolean;
  readonly skipped?: string;
  readonly message: string;
}

/** Quality from labels, as `pipewise monitor --labels --json` prints it under `quality`. */
export interface QualityJson {
  readonly labelsFile: string;
  readonly requestIdColumn: string;
  readonly labelColumn: string;
  readonly evaluator: string | null;
  readonly thresholds: Readonly<Record<string, { readonly lower_bound?: number; readonly upper_bound?: number }>>;
  readonly every: MonitorBy;
  readonly labels: number;
  readonly matched: number;
  readonly unmatchedLabels: number;
  readonly unlabelledRequests: number;
  readonly labelsWithoutId: number;
  readonly ambiguous: number;
  readonly versions: readonly {
    readonly version: number;
    readonly labelled: number;
    readonly metrics: Readonly<Record<string, number>>;
    readonly checks: readonly QualityCheckJson[];
    readonly passed: boolean | null;
    readonly series: readonly { readonly from: string; readonly to: string; readonly labelled: number; readonly metrics: Readonly<Record<string, number>>; readonly passed: boolean | null }[];
  }[];
}

export type MonitorResult =
  | {
      readonly kind: 'report';
      readonly runId: string;
      /** The whole log (no --by). */
      readonly overall: MonitorWindowJson;
      /** One row per hour or day (`--by`). */
      readonly windows: readonly MonitorWindowJson[];
      readonly by: MonitorBy;
      /** The training split's and the logged requests' statistics, for the overlaid distributions. */
      readonly training: DatasetFeatureStatistics;
      readonly serving: DatasetFeatureStatistics;
      /** What `pipewise monitor` warns about (a log file skipped as unreadable, rows the server shed), once each. */
      readonly notices: readonly string[];
      /** Quality per version from `labelsFile`, when one was given or found. */
      readonly quality?: QualityJson;
      /** What `pipewise monitor` would exit 1 for: skew or anomalies overall or in a version, or a version's quality failing. */
      readonly anomalous: boolean;
      /** One line saying why, for a notification (empty when not anomalous). */
      readonly summary: string;
    }
  /** Nothing to compare yet: no log folder, not a request log, or no request in it. */
  | { readonly kind: 'empty'; readonly message: string };

/** Cancellable. */
export const MonitorRequests = new RequestType<MonitorParams, MonitorResult, void>('pipewise/monitor');

export interface MonitoringState {
  readonly pipelineFile: string;
  readonly logDir: string;
  readonly by: MonitorBy;
  readonly selected?: string;
  /** The labels file quality is measured from (chosen, or `labels.csv`/`labels.parquet` found in the log folder). */
  readonly labelsFile?: string;
}

export type ToMonitoringWebview =
  | { readonly type: 'loading' }
  | { readonly type: 'result'; readonly result: MonitorResult; readonly by: MonitorBy }
  | { readonly type: 'error'; readonly message: string };

/** What the webview acknowledges having drawn (the host tests read it). */
export interface MonitoringAck {
  readonly kind: 'report' | 'empty' | 'error';
  readonly message?: string;
  readonly from?: string;
  readonly to?: string;
  readonly requests?: number;
  /** The table's rows in the order drawn. */
  readonly rows: readonly MonitorFeature[];
  readonly highlighted: readonly string[];
  readonly anomalies: readonly MonitorAnomaly[];
  /** The chart over time: how many windows, by what, which features. */
  readonly chart?: { readonly by: MonitorBy; readonly windows: number; readonly features: readonly string[] };
  /** The feature whose distributions are overlaid. */
  readonly overlay?: string;
  /** The notices shown above the report (read back from the page). */
  readonly notices?: readonly string[];
  /** The per-version table as drawn: each version's requests, flagged features and quality verdict. */
  readonly versions?: readonly { readonly version: number; readonly requests: number; readonly flagged: readonly string[]; readonly labelled: number | null; readonly quality: 'passed' | 'failed' | 'none' }[];
  /** The quality-over-time chart: its metric and how many points per version. */
  readonly qualityChart?: { readonly metric: string; readonly points: Readonly<Record<string, number>>; readonly threshold: number | null };
}

export type FromMonitoringWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'refresh' }
  | { readonly type: 'setBy'; readonly by: MonitorBy }
  | { readonly type: 'select'; readonly feature: string }
  /** Choose (or forget, with no file) the labels file quality is measured from. */
  | { readonly type: 'chooseLabels' }
  | { readonly type: 'rendered'; readonly ack: MonitoringAck };
