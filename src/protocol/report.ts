/**
 * The editor's *Export Report…* (the evaluation and experiments panels' toolbar, a run in the Runs
 * view): the worker gathers and writes the same report `pipewise report` prints (src/engine/report.ts),
 * so the extension host reads no lineage and writes no artifact itself.
 */
import { RequestType } from 'vscode-jsonrpc';

export interface ExportReportParams {
  /** The pipeline file whose store holds the runs. */
  readonly pipelineFile: string;
  /** The run to report; the newest when absent. */
  readonly runId?: string;
  /** `blessed`, `previous` or a run id; absent: the baseline the Evaluator used, else the previous run. */
  readonly against?: string;
  /** Where to write; `.html`/`.htm` gives the HTML page, anything else Markdown. */
  readonly out: string;
}

export interface ExportReportResult {
  readonly out: string;
  readonly format: 'md' | 'html';
  readonly runId: string;
  readonly blessed: boolean;
  readonly chars: number;
}

export const ExportReportRequest = new RequestType<ExportReportParams, ExportReportResult, void>('pipewise/report/export');
