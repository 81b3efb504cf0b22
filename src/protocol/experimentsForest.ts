/**
 * The Experiments panel's forest-based parameter importance (issue 28): YDF's wasm is too heavy for
 * the extension host, so the worker fits the forest (src/engine/experiments/forestImportance.ts).
 * Kept apart from src/protocol/experiments.ts, which the webview bundles without vscode-jsonrpc.
 */
import { RequestType } from 'vscode-jsonrpc';
import type { ExperimentsForest } from '../core/experimentsTypes';
import type { ForestInput } from '../core/experimentsCompare';

export const ForestImportanceRequest = new RequestType<ForestInput, ExperimentsForest, void>('pipewise/experiments/forestImportance');
