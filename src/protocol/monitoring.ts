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

/** One window as `pipewise monitor --json` prints it. */
export interface MonitorWindowJson {
  readonly window: { readonly from: string; readonly to: string };
  readonly requests: number;
  readonly features: readonly MonitorFeature[];
  readonly anomalies: readonly MonitorAnomaly[];
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
}

export type FromMonitoringWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'refresh' }
  | { readonly type: 'setBy'; readonly by: MonitorBy }
  | { readonly type: 'select'; readonly feature: string }
  | { readonly type: 'rendered'; readonly ack: MonitoringAck };
