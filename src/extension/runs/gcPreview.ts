/**
 * The words of *Clean Up Store…* (no VS Code API here, so unit tests read them): the prompt names
 * the pipeline whose runs are counted — a folder's pipelines share one store, and "the store of
 * X" would read as if the other pipelines' runs were counted too — and the confirmation says,
 * from gc's dry-run report, what goes and what stays and why.
 */
import path from 'node:path';
import { formatBytes } from '../../core/diskUsage';
import type { GcReport } from '../../protocol/store';

/** Reasons listed in the preview before the rest are summed up (a modal dialog has no scrolling). */
const MAX_REASONS = 8;
/** Artifact names listed per reason before "+N more". */
const MAX_NAMES = 6;

export interface CleanupPrompt {
  readonly title: string;
  readonly prompt: string;
}

/** The input box asking how many runs to keep, for `pipelineFile`; `sharedWith`: the other pipeline files using its store. */
export function cleanupPrompt(pipelineFile: string, sharedWith: readonly string[]): CleanupPrompt {
  const name = path.basename(pipelineFile);
  const others = sharedWith.map((f) => path.basename(f));
  return {
    title: `Clean up the artifacts of ${name}`,
    prompt:
      `Keep the artifacts of how many recent runs of ${name}? Blessed and pushed models are always kept, with their evaluations and what they were made from.` +
      (others.length ? ` ${others.join(', ')} share${others.length === 1 ? 's' : ''} this store: ${others.length === 1 ? 'its' : 'their'} runs are counted apart and ${others.length === 1 ? 'its' : 'their'} artifacts are not touched.` : ''),
  };
}

/** `stage.output` of an artifact id (`stage/executionId/output`). */
function shortName(id: string): string {
  const [stage, , output] = id.split('/');
  return stage && output ? `${stage}.${output}` : id;
}

function names(ids: readonly string[]): string {
  const shown = ids.slice(0, MAX_NAMES).map(shortName);
  return shown.join(', ') + (ids.length > MAX_NAMES ? `, +${ids.length - MAX_NAMES} more` : '');
}

export interface CleanupPreview {
  /** The dialog's question. */
  readonly message: string;
  /** The dialog's detail: what is removed, what is kept and why. */
  readonly detail: string;
}

/** The confirmation of a clean-up of `pipelineFile` keeping `keep` runs, from gc's dry-run `report`. */
export function cleanupPreview(report: GcReport, pipelineFile: string, keep: number, sharedWith: readonly string[]): CleanupPreview {
  const name = path.basename(pipelineFile);
  const folders = report.removed.length + report.orphans.length;
  const message = `Remove ${folders} artifact folder(s) of ${name} and free ${formatBytes(report.bytesFreed)} of the store's ${formatBytes(report.storeBytesBefore)}?`;
  const lines: string[] = [];
  lines.push(
    `Runs counted: the last ${keep} of ${name} (${report.keptRuns} found).` +
      (sharedWith.length ? ` ${sharedWith.map((f) => path.basename(f)).join(', ')} share${sharedWith.length === 1 ? 's' : ''} the store; ${sharedWith.length === 1 ? 'its' : 'their'} artifacts stay.` : ''),
  );
  if (report.removed.length) lines.push('', `Removed (${report.removed.length}): ${names(report.removed.map((r) => r.id))}`);
  if (report.orphans.length) lines.push('', `Removed: ${report.orphans.length} folder(s) no run recorded (as doctor --fix would).`);
  // Grouped by reason, in gc's order (last runs first, then kept models and their lineage).
  const byWhy = new Map<string, string[]>();
  for (const k of report.kept) byWhy.set(k.why, [...(byWhy.get(k.why) ?? []), k.id]);
  if (byWhy.size) {
    lines.push('', `Kept (${report.kept.length}), and why:`);
    const groups = [...byWhy];
    for (const [why, ids] of groups.slice(0, MAX_REASONS)) lines.push(`• ${why}: ${names(ids)}`);
    const rest = groups.slice(MAX_REASONS);
    if (rest.length) lines.push(`• ${rest.reduce((n, [, ids]) => n + ids.length, 0)} more, for ${rest.length} other reason(s) (pipewise gc --dry-run lists them all)`);
  }
  return { message, detail: lines.join('\n') };
}
