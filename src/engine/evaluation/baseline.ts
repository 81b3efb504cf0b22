/**
 * The default baseline of an evaluation: the model that the last BLESSED evaluation of this pipeline
 * judged (TFX's LatestBlessedModelStrategy), found in the lineage store under `<store>/metadata/`.
 */
import { promises as fs } from 'node:fs';
import { Lineage } from '../lineage';
import { ArtifactStore } from '../store';

export interface BaselineModel {
  readonly uri: string;
  /** The artifact id of the model, and the evaluation execution that blessed it. */
  readonly artifactId: string;
  readonly blessedBy: string;
}

/** The candidate itself (`excludeModelId`) is never its own baseline. */
export async function findLastBlessedModel(
  storeDir: string,
  currentExecutionId: string,
  pipelineName?: string,
  excludeModelId?: string,
): Promise<BaselineModel | undefined> {
  const lineage = new Lineage(new ArtifactStore(storeDir).metadataDir);
  const executions = await lineage.executions();
  const pipeline = pipelineName ?? executions.find((e) => e.id === currentExecutionId)?.pipeline;
  const blessed = executions
    .filter(
      (e) =>
        e.id !== currentExecutionId &&
        e.component === 'Evaluator' &&
        (e.state === 'complete' || e.state === 'cached') &&
        (pipeline === undefined || e.pipeline === pipeline) &&
        e.outputs.some((o) => o.output === 'blessing' && o.properties.blessed === true),
    )
    // Execution ids sort by time.
    .sort((a, b) => (a.id < b.id ? 1 : -1));
  for (const e of blessed) {
    const model = e.inputs.find((i) => i.input === 'model');
    if (!model || model.artifactId === excludeModelId) continue;
    const st = await fs.stat(model.uri).catch(() => undefined);
    if (st?.isDirectory()) return { uri: model.uri, artifactId: model.artifactId, blessedBy: e.id };
  }
  return undefined;
}
