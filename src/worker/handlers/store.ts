/**
 * The store's clean-up for the editor (src/protocol/store.ts): the engine's gc under the store's
 * lock, exactly as `pipewise gc` runs it, so the extension host never deletes artifacts itself.
 */
import { ResponseError, type MessageConnection } from 'vscode-jsonrpc/node';
import { PipewiseError } from '../../core/errors';
import { collectGarbage } from '../../engine/gc';
import { SpecError } from '../../engine/orchestrator';
import { openPipelineStore } from '../../engine/pipelineStore';
import { AnnotateRunRequest, CollectGarbageRequest } from '../../protocol/store';
import { openPipelineLineage } from '../../engine/pipelineStore';

export const STORE_ERROR = 1201;

export function registerStoreHandlers(connection: MessageConnection): void {
  connection.onRequest(CollectGarbageRequest, async (params) => {
    try {
      const { store, lineage, lock } = await openPipelineStore(params.pipelineFile, params.requester);
      try {
        return await collectGarbage(store, lineage, { keepRuns: params.keepRuns, dryRun: params.dryRun, pipelineFile: params.pipelineFile });
      } finally {
        await lock.release();
      }
    } catch (e) {
      if (e instanceof SpecError) throw new ResponseError(STORE_ERROR, `the pipeline has errors:\n${e.message}`);
      if (e instanceof PipewiseError) throw new ResponseError(STORE_ERROR, e.describe());
      throw e;
    }
  });
  connection.onRequest(AnnotateRunRequest, async (params) => {
    try {
      return await (await openPipelineLineage(params.pipelineFile)).annotateRun(params.runId, params.change);
    } catch (e) {
      if (e instanceof SpecError) throw new ResponseError(STORE_ERROR, `the pipeline has errors:\n${e.message}`);
      if (e instanceof PipewiseError) throw new ResponseError(STORE_ERROR, e.describe());
      throw e;
    }
  });
}
