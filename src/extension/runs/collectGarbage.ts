/**
 * The Runs view's store clean-up: `pipewise.collectGarbage` on a pipeline shows what
 * `pipewise gc` would free (the last N runs of that pipeline, every blessed and every pushed model
 * and their lineage are kept), says what stays and why (gcPreview.ts), asks, then collects. The
 * worker does both under the store's lock, as the CLI does (src/protocol/store.ts); the host only
 * reads the store's size for the view.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { folderBytes, formatBytes, storeDirOf } from '../../core/diskUsage';
import { parsePipeline } from '../../core/parse';
import { CollectGarbageRequest, DEFAULT_KEEP_RUNS, type GcReport } from '../../protocol/store';
import type { WorkerPort } from '../workerPort';
import { cleanupPreview, cleanupPrompt } from './gcPreview';
import type { CollectOptions } from '../../protocol/store';

export { formatBytes };

/** The store folder of a pipeline file, or undefined when it does not parse. */
async function storeOf(file: string): Promise<string | undefined> {
  try {
    return storeDirOf(file, parsePipeline(await fs.readFile(file, 'utf8'), file).spec?.store);
  } catch {
    return undefined;
  }
}

/** Bytes the pipeline's store takes (0 when it has none yet, or the file does not parse). */
export async function storeBytes(file: string): Promise<number> {
  const store = await storeOf(file);
  return store ? folderBytes(store) : 0;
}

/** The other pipeline files of the folder whose store is this one's (their runs are counted apart). */
async function pipelinesSharingStore(file: string): Promise<string[]> {
  const mine = await storeOf(file);
  const dir = path.dirname(file);
  const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => /\.pipeline\.ya?ml$/.test(n) && n !== path.basename(file)).sort();
  const shared: string[] = [];
  for (const n of names) if (mine && (await storeOf(path.join(dir, n))) === mine) shared.push(path.join(dir, n));
  return shared;
}

export async function collectGarbageOf(worker: WorkerPort, uri: vscode.Uri, options: CollectOptions = {}): Promise<GcReport | undefined> {
  const sharedWith = await pipelinesSharingStore(uri.fsPath);
  let keep = options.keep;
  if (keep === undefined) {
    const { title, prompt } = cleanupPrompt(uri.fsPath, sharedWith);
    const answer = await vscode.window.showInputBox({
      title,
      prompt,
      value: String(DEFAULT_KEEP_RUNS),
      validateInput: (v) => (/^\d+$/.test(v.trim()) ? undefined : 'a whole number'),
    });
    if (answer === undefined) return undefined;
    keep = Number(answer.trim());
  }
  const gc = (dryRun: boolean): Promise<GcReport> =>
    worker.request(CollectGarbageRequest, { pipelineFile: uri.fsPath, keepRuns: keep as number, dryRun, requester: `the editor's clean-up of ${path.basename(uri.fsPath)}` });
  const preview = await gc(true);
  if (!preview.removed.length && !preview.orphans.length) {
    void vscode.window.showInformationMessage(`Nothing of ${path.basename(uri.fsPath)} to clean up in ${preview.storeDir} (${formatBytes(preview.storeBytesBefore)}).`);
    return preview;
  }
  if (options.confirm !== false) {
    const { message, detail } = cleanupPreview(preview, uri.fsPath, keep, sharedWith);
    const go = await vscode.window.showWarningMessage(message, { modal: true, detail }, 'Clean Up');
    if (go !== 'Clean Up') return undefined;
  }
  // Decided again under the lock: a run that finished meanwhile is among the kept ones.
  const report = await gc(false);
  void vscode.window.showInformationMessage(`Freed ${formatBytes(report.bytesFreed)} of ${formatBytes(report.storeBytesBefore)} in ${report.storeDir}.`);
  return report;
}
