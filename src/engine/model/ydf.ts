/**
 * Yggdrasil Decision Forests (`ydf-training`, Google's decision-forest library in wasm) for Node:
 * loading the library once, routing its C++ log lines to whoever is training, and guarding every
 * call. Measured quirks this module absorbs (/work/shared/notes/ydf.md):
 * - `save()` and `loadModelFromZipBlob()` use a global `JSZip` (the library is written for a page
 *   that loads jszip by a script tag);
 * - `train()` and `save()` print with `console.log` — in the worker that is not the stage log, so it
 *   is captured while they run;
 * - bad input makes the wasm program "exit": an `ExitStatus` exception. The library survives it,
 *   so each call turns it into a PipewiseError naming what was being done.
 * - ydf-training 0.0.1 offers no way to set hyperparameters: its `InternalLearner.init` takes the
 *   learner, label and task only (a fourth argument is a BindingError), so every tree model is
 *   trained with YDF's defaults.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { PipewiseError } from '../../core/errors';
import { errorMessage } from '../../protocol/errors';

import type { YdfColumns } from './treeColumns';

export type { YdfColumns };

export interface YdfInputFeature {
  readonly name: string;
  readonly type: 'NUMERICAL' | 'CATEGORICAL' | 'CATEGORICAL_SET' | 'BOOLEAN';
  readonly internalIdx: number;
}

export interface YdfModel {
  predict(examples: YdfColumns | string): number[];
  describe(): string;
  getLabelClasses(): string[];
  getInputFeatures(): YdfInputFeature[];
  save(): Promise<Blob>;
  unload(): void;
}

interface YdfLearner {
  train(data: YdfColumns | string): YdfModel;
}

export type YdfLearnerName = 'GradientBoostedTreesLearner' | 'RandomForestLearner';

export interface YdfLibrary {
  readonly GradientBoostedTreesLearner: new (label: string, task: 'CLASSIFICATION' | 'REGRESSION') => YdfLearner;
  readonly RandomForestLearner: new (label: string, task: 'CLASSIFICATION' | 'REGRESSION') => YdfLearner;
  loadModelFromZipBlob(blob: Blob): Promise<YdfModel>;
}

type YdfFactory = (options: { print: (line: string) => void; printErr: (line: string) => void }) => Promise<YdfLibrary>;

/** Receives YDF's log lines while a call that logs runs; YDF's idle chatter is dropped. */
let logSink: ((line: string) => void) | undefined;

let library: Promise<YdfLibrary> | undefined;

/** Loads the wasm library once per process (3.7 MB; about a second). */
export function loadYdf(): Promise<YdfLibrary> {
  library ??= (async () => {
    // Required at run time from node_modules (esbuild keeps both external): training.js finds its
    // .wasm beside itself, and jszip's standalone build has no dependencies to ship.
    const req = createRequire(__filename);
    const zip: unknown = req('jszip/dist/jszip.min.js');
    (globalThis as { JSZip?: unknown }).JSZip ??= zip;
    const factory = req('ydf-training') as YdfFactory;
    const forward = (line: string): void => logSink?.(line);
    return factory({ print: forward, printErr: forward });
  })();
  library.catch(() => {
    library = undefined;
  });
  return library;
}

/**
 * The files a page needs to run YDF (a web push of a tree model copies them into `ydf/`): the
 * library's own Emscripten build — the very one Node trains and serves with — and jszip's standalone
 * build, which YDF's model loader expects as the global `JSZip`.
 */
export function ydfBrowserFiles(): { readonly 'training.js': string; readonly 'training.wasm': string; readonly 'jszip.min.js': string } {
  const req = createRequire(__filename);
  const main = req.resolve('ydf-training');
  return { 'training.js': main, 'training.wasm': path.join(path.dirname(main), 'training.wasm'), 'jszip.min.js': req.resolve('jszip/dist/jszip.min.js') };
}

/**
 * Runs one synchronous YDF call with its log lines (C++ and console.log) sent to `log`, and turns a
 * wasm exit or a C++ error into a PipewiseError saying what failed.
 */
export function ydfCall<T>(what: string, call: () => T, log?: (line: string) => void): T {
  const consoleLog = console.log;
  logSink = log;
  console.log = (...args: unknown[]): void => log?.(args.map(String).join(' '));
  try {
    return call();
  } catch (e) {
    throw new PipewiseError(`${what}: Yggdrasil Decision Forests failed: ${ydfErrorMessage(e)}`);
  } finally {
    console.log = consoleLog;
    logSink = undefined;
  }
}

function ydfErrorMessage(e: unknown): string {
  if (e && typeof e === 'object' && 'name' in e && (e as { name: unknown }).name === 'ExitStatus') return 'the wasm program exited (malformed input)';
  return errorMessage(e);
}

/** `model.save()` as zip bytes, with its console output captured. */
export async function saveYdfModel(model: YdfModel): Promise<Uint8Array> {
  const blob = await ydfCall('saving the tree model', () => model.save());
  return new Uint8Array(await blob.arrayBuffer());
}

export async function loadYdfModel(zip: Uint8Array, what: string): Promise<YdfModel> {
  const ydf = await loadYdf();
  const consoleLog = console.log;
  console.log = (): void => undefined;
  try {
    return await ydf.loadModelFromZipBlob(new Blob([new Uint8Array(zip)]));
  } catch (e) {
    throw new PipewiseError(`${what}: Yggdrasil Decision Forests cannot load the tree model: ${ydfErrorMessage(e)}`);
  } finally {
    console.log = consoleLog;
  }
}

/**
 * YDF's own variable importances, parsed from `describe()` ("Variable Importance: NUM_AS_ROOT:"
 * then one `  1. "feature" 25.000000 ###` line per feature).
 */
export function parseVariableImportances(description: string): Record<string, { feature: string; importance: number }[]> {
  const out: Record<string, { feature: string; importance: number }[]> = {};
  let current: { feature: string; importance: number }[] | undefined;
  for (const line of description.split('\n')) {
    const head = /^Variable Importance: ([A-Z_]+):\s*$/.exec(line);
    if (head) {
      current = [];
      out[head[1] as string] = current;
      continue;
    }
    const row = /^\s+\d+\.\s+"((?:[^"\\]|\\.)*)"\s+(-?[\d.eE+-]+)/.exec(line);
    if (row && current) current.push({ feature: row[1] as string, importance: Number(row[2]) });
    else if (line.trim() === '' && current && current.length > 0) current = undefined;
  }
  return out;
}

/** "Number of trees: 60" from describe(). */
export function numberOfTrees(description: string): number | undefined {
  const m = /^Number of trees: (\d+)/m.exec(description);
  return m ? Number(m[1]) : undefined;
}
