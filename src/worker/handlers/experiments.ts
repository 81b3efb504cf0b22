/**
 * The Experiments panel's forest-based parameter importance (src/protocol/experimentsForest.ts),
 * fitted here rather than in the extension host: YDF's wasm takes a second to load and a large heap.
 */
import { ResponseError, type MessageConnection } from 'vscode-jsonrpc/node';
import { PipewiseError } from '../../core/errors';
import { forestImportance } from '../../engine/experiments/forestImportance';
import { ForestImportanceRequest } from '../../protocol/experimentsForest';

export const EXPERIMENTS_ERROR = 1401;

export function registerExperimentsHandlers(connection: MessageConnection): void {
  connection.onRequest(ForestImportanceRequest, async (params) => {
    try {
      return await forestImportance(params);
    } catch (e) {
      if (e instanceof PipewiseError) throw new ResponseError(EXPERIMENTS_ERROR, e.describe());
      throw e;
    }
  });
}
