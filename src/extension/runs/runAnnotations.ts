/**
 * Rename…, Edit Note…, Star / Unstar on a run (issue 28), from the Runs view or the experiments
 * table. The worker writes them (src/protocol/store.ts `AnnotateRunRequest`): the extension host
 * reads the store but never writes it.
 */
import * as vscode from 'vscode';
import path from 'node:path';
import type { RunTarget } from '../commands';
import { Feature } from '../feature';
import type { PipewiseContext } from '../context';
import { AnnotateRunRequest } from '../../protocol/store';
import { PipewiseError, errorMessage } from '../../core/errors';
import { MAX_RUN_NAME, parseRunAnnotations, type RunAnnotations } from '../../core/runAnnotations';

/** The pipeline and run a command acts on: a Runs-view run item, or both named. */
function resolveRun(target: RunTarget): { pipelineFile: string; runId: string } | undefined {
  if (!target) return undefined;
  if ('pipelineFile' in target) return { pipelineFile: target.pipelineFile, runId: target.runId };
  return target.uri && target.run?.id ? { pipelineFile: target.uri.fsPath, runId: target.run.id } : undefined;
}

/** A run's annotations as the Runs view and the experiments table read them (a damaged file is an error naming it). */
export async function readRunAnnotations(pipelineFile: string, store: string, runId: string): Promise<RunAnnotations> {
  const file = path.join(path.dirname(pipelineFile), store, 'metadata', 'annotations', `${runId}.json`);
  let text: string;
  try {
    text = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.file(file)));
  } catch {
    return {};
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new PipewiseError(`the run's annotations are not JSON: ${errorMessage(e)}`, { file });
  }
  return parseRunAnnotations(value, file);
}

/** Rename, note and star a run: the commands, owned by this feature; `changed` runs after each stored change. */
export class RunAnnotationsFeature extends Feature {
  constructor(ctx: PipewiseContext, changed: () => void) {
    super(ctx);
    const annotate = async (target: RunTarget, change: RunAnnotations): Promise<RunAnnotations | undefined> => {
      const run = resolveRun(target);
      if (!run) {
        void vscode.window.showInformationMessage('Pick a run in the Runs view or the experiments table.');
        return undefined;
      }
      if (!vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage('Pipewise changes a store only in a trusted workspace.');
        return undefined;
      }
      const stored = await ctx.worker.request(AnnotateRunRequest, { pipelineFile: run.pipelineFile, runId: run.runId, change });
      changed();
      return stored;
    };
    const current = (target: RunTarget): RunAnnotations => (target && 'annotations' in target ? (target.annotations ?? {}) : {});

    this.command('pipewise.renameRun', async (target, name) => {
      const value =
        name ??
        (await vscode.window.showInputBox({
          title: 'Rename Run',
          prompt: 'A name for the run (empty removes it)',
          value: current(target).name ?? '',
          validateInput: (v) => (v.length > MAX_RUN_NAME ? `at most ${MAX_RUN_NAME} characters` : undefined),
        }));
      return value === undefined ? undefined : annotate(target, { name: value });
    });
    this.command('pipewise.editRunNote', async (target, note) => {
      const value = note ?? (await vscode.window.showInputBox({ title: 'Edit Run Note', prompt: 'A note on the run (empty removes it)', value: current(target).note ?? '' }));
      return value === undefined ? undefined : annotate(target, { note: value });
    });
    this.command('pipewise.toggleRunStar', async (target, starred) => annotate(target, { starred: starred ?? !current(target).starred }));
    this.command('pipewise.starRun', async (target) => annotate(target, { starred: true }));
    this.command('pipewise.unstarRun', async (target) => annotate(target, { starred: false }));
  }
}
