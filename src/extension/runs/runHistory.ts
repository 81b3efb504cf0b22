import * as vscode from 'vscode';
import path from 'node:path';
import type { RunRecord } from '../../engine/lineage';
import type { RunView } from '../../protocol/graph';

/**
 * Past runs of a pipeline, read from the run records the engine writes under
 * `<store>/metadata/runs/<runId>.json` (small JSON files). Reading them directly keeps the Runs
 * view from starting the worker.
 */
export async function readRunRecords(pipelineFile: string, store = '.pipewise', limit = 50): Promise<RunRecord[]> {
  const dir = vscode.Uri.file(path.join(path.dirname(pipelineFile), store, 'metadata', 'runs'));
  let entries: [string, vscode.FileType][];
  try {
    entries = await vscode.workspace.fs.readDirectory(dir);
  } catch {
    return [];
  }
  // Run ids sort by time, newest last: read only the newest few.
  const names = entries
    .filter(([n, t]) => t === vscode.FileType.File && n.endsWith('.json'))
    .map(([n]) => n)
    .sort()
    .reverse()
    .slice(0, limit * 3);
  const records: RunRecord[] = [];
  for (const n of names) {
    try {
      const r = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(dir, n)))) as RunRecord;
      if (typeof r.id !== 'string' || !Array.isArray(r.stages)) continue;
      if (path.resolve(r.file) !== path.resolve(pipelineFile)) continue;
      records.push(r);
      if (records.length >= limit) break;
    } catch {
      // A record being written right now, or damaged: skip it.
    }
  }
  return records.sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1));
}

/** What the graph shows for a past run (never `running`: that run's process may be gone). */
export function runViewOfRecord(r: RunRecord): RunView {
  return {
    runId: r.id,
    running: false,
    status: r.status === 'running' ? 'cancelled' : r.status,
    ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
    stages: Object.fromEntries(
      r.stages.map((s) => [
        s.name,
        { status: s.status === 'running' ? 'cancelled' : s.status, durationMs: s.durationMs, artifacts: s.artifacts, ...(s.error ? { error: s.error } : {}) },
      ]),
    ),
  };
}
