/**
 * The Runs view's store clean-up: `pipewise.collectGarbage` on a pipeline shows what
 * `pipewise gc` would free (the last N runs, every blessed and every pushed model are kept;
 * lineage decides), asks, then collects under the store's lock. The engine's gc is file work only
 * (no DuckDB, no TF.js), so it runs here without the worker.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { parsePipeline } from '../../core/parse';
import { confinePath } from '../../core/paths';
import { folderBytes } from '../../engine/doctor';
import { collectGarbage, DEFAULT_KEEP_RUNS, type GcReport } from '../../engine/gc';
import { Lineage } from '../../engine/lineage';
import { ArtifactStore } from '../../engine/store';
import { acquireStoreLock } from '../../engine/storeLock';

export interface CollectOptions {
  /** Runs to keep (default: ask, offering 5). */
  readonly keep?: number;
  /** Skip the confirmation (tests, keybindings). */
  readonly confirm?: boolean;
}

async function storeOf(file: string): Promise<ArtifactStore> {
  const parsed = parsePipeline(await fs.readFile(file, 'utf8'), file);
  return new ArtifactStore(confinePath(path.dirname(file), parsed.spec?.store ?? '.pipewise', 'store'));
}

/** Bytes the pipeline's store takes (0 when it has none yet). */
export async function storeBytes(file: string): Promise<number> {
  try {
    return await folderBytes((await storeOf(file)).root);
  } catch {
    return 0;
  }
}

export async function collectGarbageOf(uri: vscode.Uri, options: CollectOptions = {}): Promise<GcReport | undefined> {
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
  const store = await storeOf(uri.fsPath);
  const lineage = new Lineage(store.metadataDir);
  const lock = await acquireStoreLock(store.root, { command: `the editor's clean-up of ${path.basename(uri.fsPath)}` });
  try {
    const preview = await collectGarbage(store, lineage, { keepRuns: keep, dryRun: true });
    if (!preview.removed.length && !preview.orphans.length) {
      void vscode.window.showInformationMessage(`Nothing to clean up in ${store.root} (${formatBytes(preview.storeBytesBefore)}).`);
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
    const report = await collectGarbage(store, lineage, { keepRuns: keep });
    void vscode.window.showInformationMessage(`Freed ${formatBytes(report.bytesFreed)} of ${formatBytes(report.storeBytesBefore)} in ${store.root}.`);
    return report;
  } finally {
    await lock.release();
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
