/**
 * The Runs view's store clean-up: `pipewise.collectGarbage` on a pipeline shows what
 * `pipewise gc` would free (the last N runs, every blessed and every pushed model are kept;
 * lineage decides), asks, then collects. The worker does both under the store's lock, as the CLI
 * does (src/protocol/store.ts); the host only reads the store's size for the view.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { folderBytes, formatBytes, storeDirOf } from '../../core/diskUsage';
import { parsePipeline } from '../../core/parse';
import { CollectGarbageRequest, DEFAULT_KEEP_RUNS, type GcReport } from '../../protocol/store';
import type { WorkerPort } from '../workerPort';
import type { CollectOptions } from '../../protocol/store';

export { formatBytes };

/** Bytes the pipeline's store takes (0 when it has none yet, or the file does not parse). */
export async function storeBytes(file: string): Promise<number> {
  try {
    return await folderBytes(storeDirOf(file, parsePipeline(await fs.readFile(file, 'utf8'), file).spec?.store));
  } catch {
    return 0;
  }
}

export async function collectGarbageOf(worker: WorkerPort, uri: vscode.Uri, options: CollectOptions = {}): Promise<GcReport | undefined> {
  let keep = options.keep;
  if (keep === undefined) {
    const answer = await vscode.window.showInputBox({
      title: `Clean up the store of ${path.basename(uri.fsPath)}`,
      prompt: 'Keep the artifacts of how many recent runs? (blessed and pushed models are always kept)',
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
    void vscode.window.showInformationMessage(`Nothing to clean up in ${preview.storeDir} (${formatBytes(preview.storeBytesBefore)}).`);
    return preview;
  }
  if (options.confirm !== false) {
    const go = await vscode.window.showWarningMessage(
      `Remove ${preview.removed.length + preview.orphans.length} artifact folder(s) and free ${formatBytes(preview.bytesFreed)} of ${formatBytes(preview.storeBytesBefore)}? ` +
        `The last ${keep} run(s), blessed and pushed models are kept; lineage keeps the history.`,
      { modal: true },
      'Clean Up',
    );
    if (go !== 'Clean Up') return undefined;
  }
  // Decided again under the lock: a run that finished meanwhile is among the kept ones.
  const report = await gc(false);
  void vscode.window.showInformationMessage(`Freed ${formatBytes(report.bytesFreed)} of ${formatBytes(report.storeBytesBefore)} in ${report.storeDir}.`);
  return report;
}
