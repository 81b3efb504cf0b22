/**
 * Worker handlers for running and validating pipelines. A run streams its RunEvents as
 * notifications; cancelling the request (the jsonrpc token) aborts the run through an AbortSignal,
 * so the running stage is marked cancelled and its temporary outputs removed.
 */
import path from 'node:path';
import { ResponseError, type MessageConnection } from 'vscode-jsonrpc/node';
import { PipewiseError } from '../../core/errors';
import { loadPipeline, runPipeline, SpecError } from '../../engine/orchestrator';
import { WorkerErrorCode } from '../../protocol/errors';
import { RunEventNotification, RunPipeline, ValidatePipeline } from '../../protocol/worker';
import { RecordRunDeath } from '../../protocol/workerSupervision';
import { deathReasonOf, recordRunDeath } from '../../engine/runDeath';
import { acquireStoreLock, StoreLockedError } from '../../engine/storeLock';
import { watchRun } from './runWatch';

/** Error codes of a rejected RunPipeline (declared once in src/protocol/errors.ts): the spec is invalid (data: { diagnostics }), or a usage error. */
export const RUN_ERROR_SPEC = WorkerErrorCode.Spec;
export const RUN_ERROR_USAGE = WorkerErrorCode.Usage;

export function registerRunHandlers(connection: MessageConnection): void {
  connection.onRequest(RunPipeline, async (params, token) => {
    const controller = new AbortController();
    const sub = token.onCancellationRequested(() => controller.abort(new Error('cancelled by the client')));
    const watch = watchRun();
    try {
      return await runPipeline({
        file: params.file,
        text: params.text,
        only: params.only,
        from: params.from,
        force: params.force,
        signal: controller.signal,
        lockCommand: `the editor's run of ${path.basename(params.file)}`,
        onStoreLocked: watch.onStoreLocked,
        onEvent: (e) => {
          watch.onEvent(e);
          void connection.sendNotification(RunEventNotification, e);
        },
      });
    } catch (e) {
      if (e instanceof SpecError) throw new ResponseError(RUN_ERROR_SPEC, e.message, { diagnostics: e.diagnostics });
      if (e instanceof PipewiseError) throw new ResponseError(RUN_ERROR_USAGE, e.describe());
      throw e;
    } finally {
      watch.end();
      sub.dispose();
    }
  });

  // A worker died of a signal mid-run (its client asks this of the next worker): record its runs and stages failed with the signal.
  connection.onRequest(RecordRunDeath, async ({ runs, pid, signal }) => {
    for (const run of runs) {
      if (!run.store) continue;
      // Under the store's lock, taken over from the dead worker; a live process holding it has recovered the store already.
      const lock = await acquireStoreLock(run.store, { command: `recording a run of a worker that died of ${signal}` }).catch((e: unknown) => {
        if (e instanceof StoreLockedError) return undefined;
        throw e;
      });
      if (!lock) continue;
      try {
        await recordRunDeath(run, pid, deathReasonOf(run, signal));
      } finally {
        await lock.release();
      }
    }
  });

  connection.onRequest(ValidatePipeline, async (params) => (await loadPipeline(params.file, params.text)).diagnostics);
}
