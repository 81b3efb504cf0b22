/**
 * *Export Report…*: a run against its baseline, written by the worker exactly as `pipewise report
 * -o OUT` writes it (src/engine/report.ts), from a run in the Runs view, the evaluation panel's or
 * the experiments panel's toolbar, or the palette on a pipeline file. A save dialog picks the file;
 * its extension picks the format (.html: one self-contained page; else GitHub Markdown).
 */
import * as vscode from 'vscode';
import path from 'node:path';
import type { ExportReportOptions, ReportTarget } from '../commands';
import { Feature } from '../feature';
import type { PipewiseContext } from '../context';
import { ExportReportRequest, type ExportReportResult } from '../../protocol/report';

const PIPELINE_FILE = /\.pipeline\.ya?ml$/;

function resolveTarget(target: ReportTarget): { pipelineFile: string; runId?: string; against?: string } | undefined {
  if (target instanceof vscode.Uri) return PIPELINE_FILE.test(target.fsPath) ? { pipelineFile: target.fsPath } : undefined;
  if (target && 'pipelineFile' in target) return { pipelineFile: target.pipelineFile, ...(target.runId ? { runId: target.runId } : {}), ...(target.against ? { against: target.against } : {}) };
  if (target && 'uri' in target && target.uri) return { pipelineFile: target.uri.fsPath, ...(target.run ? { runId: target.run.id } : {}) };
  const active = vscode.window.activeTextEditor?.document.uri;
  return active && PIPELINE_FILE.test(active.fsPath) ? { pipelineFile: active.fsPath } : undefined;
}

/** *Export Report…*: the one command, owned by this feature. */
export class ExportReportFeature extends Feature {
  constructor(ctx: PipewiseContext) {
    super(ctx);
    this.command('pipewise.exportReport', async (target?: ReportTarget, options?: ExportReportOptions): Promise<ExportReportResult | undefined> => {
      const what = resolveTarget(target);
      if (!what) {
        void vscode.window.showInformationMessage('Export a report from a run in the Runs view, the evaluation or experiments panel, or with a *.pipeline.yaml file active.');
        return undefined;
      }
      let out = options?.out;
      if (!out) {
        const name = `report-${what.runId ?? 'latest'}.html`;
        const picked = await vscode.window.showSaveDialog({
          title: 'Export Report',
          saveLabel: 'Export',
          defaultUri: vscode.Uri.file(path.join(path.dirname(what.pipelineFile), name)),
          filters: { 'HTML page (self-contained)': ['html'], 'Markdown (GitHub, for a pull request)': ['md'] },
        });
        if (!picked) return undefined;
        out = picked.fsPath;
      }
      const against = options?.against ?? what.against;
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Writing the report…', cancellable: true }, (_progress, token) =>
        ctx.worker.request(ExportReportRequest, { pipelineFile: what.pipelineFile, out, ...(what.runId ? { runId: what.runId } : {}), ...(against ? { against } : {}) }, token),
      );
      ctx.log.info(`[report] wrote ${result.out} (${result.format}, run ${result.runId}, ${result.blessed ? 'blessed' : 'not blessed'})`);
      // Not awaited: the command resolves with the result while the notification waits for a click.
      void vscode.window.showInformationMessage(`Report on run ${result.runId} written to ${path.basename(result.out)} (${result.blessed ? 'blessed' : 'not blessed'}).`, 'Open').then(async (choice) => {
        if (choice !== 'Open') return;
        const uri = vscode.Uri.file(result.out);
        if (result.format === 'html') await vscode.env.openExternal(uri);
        else await vscode.window.showTextDocument(uri);
      });
      return result;
    });
  }
}
