/**
 * Worker handlers for running and validating pipelines. A run streams its RunEvents as
 * notifications; cancelling the request (the jsonrpc token) aborts the run through an AbortSignal,
 * so the running stage is marked cancelled and its temporary outputs removed.
 */
import path from 'node:path';
import { ResponseError, type MessageConnection } from 'vscode-jsonrpc/node';
import { PipewiseError } from '../../core/errors';
import { loadPipeline, runPipeline, SpecError } from '../../engine/orchestrator';
import { RunEventNotification, RunPipeline, ValidatePipeline } from '../../protocol/worker';

/** Error codes of a rejected RunPipeline: the spec is invalid (data: { diagnostics }), or a usage error. */
export const RUN_ERROR_SPEC = 1001;
export const RUN_ERROR_USAGE = 1002;

export function registerRunHandlers(connection: MessageConnection): void {
  connection.onRequest(RunPipeline, async (params, token) => {
    const controller = new AbortController();
    const sub = token.onCancellationRequested(() => controller.abort(new Error('cancelled by the client')));
    try {
      return await runPipeline({
        file: params.file,
        text: params.text,
        only: params.only,
        from: params.from,
        force: params.force,
        signal: controller.signal,
        lockCommand: `the editor's run of ${path.basename(params.file)}`,
        onEvent: (e) => void connection.sendNotification(RunEventNotification, e),
      });
    } catch (e) {
      if (e instanceof SpecError) throw new ResponseError(RUN_ERROR_SPEC, e.message, { diagnostics: e.diagnostics });
      if (e instanceof PipewiseError) throw new ResponseError(RUN_ERROR_USAGE, e.describe());
      throw e;
    } finally {
      sub.dispose();
    }
  });

  connection.onRequest(ValidatePipeline, async (params) => (await loadPipeline(params.file, params.text)).diagnostics);
}
