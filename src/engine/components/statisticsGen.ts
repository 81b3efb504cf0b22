/**
 * StatisticsGen: TFDV statistics of every split of its input examples, written as one
 * DatasetFeatureStatisticsList (`statistics.json`, one dataset per split, named after it).
 */
import path from 'node:path';
import type { z } from 'zod';
import type { StatisticsGen } from '../../core/components/dataComponents';
import { PipewiseError } from '../../core/errors';
import { protoJson, type DatasetFeatureStatistics, type DatasetFeatureStatisticsList } from '../../core/tfdv';
import type { ComponentExecutor } from '../component';
import { describeStrayTokens, findStrayTokens } from '../csvIntegrity';
import { columnsOf, quoteLiteral, withConnection } from '../duckdb';
import { computeStatisticsWith } from '../stats/computeStatistics';
import { writeFileAtomic } from '../store';
import { splitFile, splitsOf } from './exampleGen';

export type StatisticsGenParams = z.output<typeof StatisticsGen.params>;

export const STATISTICS_FILE = 'statistics.json';

/** A column must keep its type across splits: a split made differently would mislead every comparison. */
export function assertSameFeatureTypes(datasets: readonly DatasetFeatureStatistics[]): void {
  const seen = new Map<string, { type: string; split: string }>();
  for (const d of datasets) {
    for (const f of d.features) {
      const name = f.name ?? '';
      const prev = seen.get(name);
      if (!prev) seen.set(name, { type: f.type, split: d.name });
      else if (prev.type !== f.type) {
        throw new PipewiseError(`column '${name}' is ${f.type} in split '${d.name}' but ${prev.type} in split '${prev.split}'`, { code: 'column-type-changed' });
      }
    }
  }
}

export const statisticsGen: ComponentExecutor<StatisticsGenParams> = {
  name: 'StatisticsGen',

  async run(ctx) {
    const examples = ctx.inputs.examples;
    const out = ctx.outputs.statistics;
    if (!examples || !out) throw new Error('StatisticsGen: missing `examples` input or `statistics` output');
    const splits = (await splitsOf(examples.uri, examples.properties)).filter((s) => !ctx.params.exclude_splits.includes(s));
    if (splits.length === 0) throw new PipewiseError(`no split to describe in ${examples.uri}`, { code: 'no-splits' });
    const datasets: DatasetFeatureStatistics[] = [];
    await withConnection(async (conn) => {
      for (const [i, split] of splits.entries()) {
        ctx.progress(i / splits.length, `statistics of ${split}`);
        datasets.push(
          await computeStatisticsWith(conn, { path: splitFile(examples.uri, split), format: 'parquet' }, {
            name: split,
            signal: ctx.signal,
            numTopValues: ctx.params.num_top_values,
            numHistogramBuckets: ctx.params.num_histogram_buckets,
            numQuantilesHistogramBuckets: ctx.params.num_quantiles_histogram_buckets,
          }),
        );
      }
      // A numeric column turned into text by a few tokens describes badly as a string feature: say so.
      const all = `read_parquet([${splits.map((sp) => quoteLiteral(splitFile(examples.uri, sp))).join(', ')}])`;
      for (const t of await findStrayTokens(conn, all, await columnsOf(conn, all))) ctx.log('warn', describeStrayTokens(t));
    }, ctx.signal);
    assertSameFeatureTypes(datasets);
    const list: DatasetFeatureStatisticsList = { datasets };
    await writeFileAtomic(path.join(out, STATISTICS_FILE), protoJson(list));
    ctx.setProperties('statistics', {
      splits,
      numExamples: Object.fromEntries(datasets.map((d) => [d.name, d.numExamples])),
      features: datasets[0]?.features.length ?? 0,
    });
    ctx.log('info', datasets.map((d) => `${d.name}: ${d.numExamples} examples, ${d.features.length} features`).join('; '));
    ctx.progress(1);
  },
};
