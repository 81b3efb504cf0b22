/**
 * The store's clean-up as the editor asks the worker for it (the Runs view's *Clean Up Store…*):
 * `pipewise gc`'s report, the same JSON `pipewise gc --json` prints.
 */
import { RequestType } from 'vscode-jsonrpc';
import type { RunAnnotations } from '../core/runAnnotations';

export interface GcReport {
  readonly storeDir: string;
  readonly dryRun: boolean;
  readonly keptRuns: number;
  /** Artifacts kept, with why (the first reason found). */
  readonly kept: readonly { readonly id: string; readonly why: string }[];
  readonly removed: readonly { readonly id: string; readonly uri: string; readonly bytes: number }[];
  readonly orphans: readonly { readonly path: string; readonly bytes: number }[];
  readonly bytesFreed: number;
  readonly storeBytesBefore: number;
}

/** Runs whose artifacts gc keeps when not told (`pipewise gc --keep`). */
export const DEFAULT_KEEP_RUNS = 5;

export interface CollectGarbageParams {
  readonly pipelineFile: string;
  /** The last N runs' artifacts are kept (blessed and pushed models always are). */
  readonly keepRuns: number;
  /** Report what would go, remove nothing. */
  readonly dryRun: boolean;
  /** Who asks, named to anyone the store's lock refuses meanwhile. */
  readonly requester: string;
}

/** Takes the store's lock (refused, naming the holder, while a run holds it), collects, releases. */
export const CollectGarbageRequest = new RequestType<CollectGarbageParams, GcReport, void>('pipewise/collectGarbage');

export interface CollectOptions {
  /** Runs to keep (default: ask, offering 5). */
  readonly keep?: number;
  /** Skip the confirmation (tests, keybindings). */
  readonly confirm?: boolean;
}

// --- Run annotations (the Runs view's Rename…, Edit Note…, Star/Unstar; the Experiments table) ---

export interface AnnotateRunParams {
  readonly pipelineFile: string;
  readonly runId: string;
  /** Fields to change: '' (name, note) or false (starred) removes one; a field left out stays. */
  readonly change: RunAnnotations;
}

/**
 * Writes a run's annotations beside its record (no store lock: they are a file of their own,
 * written atomically, so a run in progress may be annotated). Returns them as stored.
 */
export const AnnotateRunRequest = new RequestType<AnnotateRunParams, RunAnnotations, void>('pipewise/annotateRun');
