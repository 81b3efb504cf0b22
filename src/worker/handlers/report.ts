/**
 * *Export Report…* for the editor (src/protocol/report.ts): the engine's report, gathered from the
 * store's lineage and written atomically, exactly as `pipewise report -o OUT` writes it.
 */
import { ResponseError, type MessageConnection } from 'vscode-jsonrpc/node';
import { PipewiseError } from '../../core/errors';
import { writeRunReport } from '../../engine/report';
import { ExportReportRequest } from '../../protocol/report';

export const REPORT_ERROR = 1301;

export function registerReportHandlers(connection: MessageConnection): void {
  connection.onRequest(ExportReportRequest, async (params) => {
    try {
      return await writeRunReport({
        file: params.pipelineFile,
        out: params.out,
        ...(params.runId ? { runId: params.runId } : {}),
        ...(params.against ? { against: params.against } : {}),
      });
    } catch (e) {
      // What the user can fix (no runs yet, an unknown run, a removed artifact) is shown as its sentence.
      if (e instanceof PipewiseError) throw new ResponseError(REPORT_ERROR, e.describe());
      throw e;
    }
  });
}
