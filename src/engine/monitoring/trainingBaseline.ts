/**
 * What monitoring compares requests with: the schema of the latest successful run of a pipeline
 * (of that pipeline file: another pipeline sharing the store never supplies it)
 * and the statistics of the split that schema was inferred from (the training split), both found
 * through lineage: the run's SchemaGen execution, its `schema` output and its `statistics` input.
 */
import path from 'node:path';
import { confinePath } from '../../core/paths';
import { PipewiseError } from '../../core/errors';
import type { DatasetFeatureStatistics, Schema } from '../../core/tfdv';
import { readSchema, readStatistics } from '../components/schemaGen';
import { Lineage } from '../lineage';
import { loadPipeline, SpecError } from '../orchestrator';
import { ArtifactStore } from '../store';

export interface TrainingBaseline {
  readonly runId: string;
  readonly schema: Schema;
  readonly schemaUri: string;
  readonly training: DatasetFeatureStatistics;
  readonly statisticsUri: string;
}

export async function latestTrainingBaseline(pipelineFile: string): Promise<TrainingBaseline> {
  const loaded = await loadPipeline(pipelineFile);
  if (!loaded.spec) throw new SpecError(loaded.diagnostics.filter((d) => d.severity === 'error'));
  const store = new ArtifactStore(confinePath(path.dirname(path.resolve(pipelineFile)), loaded.spec.store, 'store'));
  const lineage = new Lineage(store.metadataDir);
  // A folder's pipelines share one store: only this pipeline's runs (by file name, as gc counts them; the store moves with its folder).
  const runs = (await lineage.listRuns()).filter((r) => r.status === 'succeeded' && path.basename(r.file ?? '') === path.basename(pipelineFile));
  const executions = await lineage.executions();
  for (const run of runs) {
    const e = executions.find((x) => x.runId === run.id && x.component === 'SchemaGen' && (x.state === 'complete' || x.state === 'cached'));
    const schemaOut = e?.outputs.find((o) => o.output === 'schema');
    const statsIn = e?.inputs.find((i) => i.input === 'statistics');
    if (!e || !schemaOut || !statsIn) continue;
    const params = (e.params ?? {}) as { split?: string; schema_file?: string };
    const split = params.split ?? 'train';
    const list = await readStatistics(statsIn.uri);
    const training = list.datasets.find((d) => d.name === split) ?? list.datasets[0];
    if (!training) continue;
    return { runId: run.id, schema: await readSchema(schemaOut.uri), schemaUri: schemaOut.uri, training, statisticsUri: statsIn.uri };
  }
  throw new PipewiseError(`no successful run of ${pipelineFile} with a SchemaGen stage yet: run the pipeline first`, { file: pipelineFile, code: 'no-baseline' });
}
