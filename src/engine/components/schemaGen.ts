/**
 * SchemaGen: infers a TFMD schema from the statistics of one split with TFDV's rules, or takes a
 * curated schema file instead. Writes `schema.json` (TFMD Schema JSON) and a readable `schema.yaml`.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import type { SchemaGen } from '../../core/components/dataComponents';
import { PipewiseError, errorMessage } from '../../core/errors';
import {
  featureName,
  normalizeStatisticsList,
  protoJson,
  type DatasetFeatureStatistics,
  type DatasetFeatureStatisticsList,
  type Schema,
  type SchemaFeature,
  type StringDomain,
} from '../../core/tfdv';
import type { ComponentExecutor } from '../component';
import { writeFileAtomic } from '../store';
import { STATISTICS_FILE } from './statisticsGen';

export type SchemaGenParams = z.output<typeof SchemaGen.params>;

export const SCHEMA_FILE = 'schema.json';

export interface InferSchemaOptions {
  /** String features with at most this many distinct values get a domain (TFDV: 100). */
  readonly maxDomainValues?: number;
  /** A fixed shape [1] for features present in every example once (TFDV's infer_feature_shape). */
  readonly inferFeatureShape?: boolean;
  /** The observed min/max of numeric features as their int/float domain. */
  readonly inferValueRanges?: boolean;
}

/** TFDV's schema inference (`tfdv.infer_schema`) over one dataset's statistics. */
export function inferSchema(stats: DatasetFeatureStatistics, options: InferSchemaOptions = {}): Schema {
  const maxDomain = options.maxDomainValues ?? 100;
  const feature: SchemaFeature[] = [];
  const stringDomain: StringDomain[] = [];
  for (const f of stats.features) {
    const name = featureName(f);
    const common = f.numStats?.commonStats ?? f.stringStats?.commonStats ?? f.bytesStats?.commonStats;
    const nonMissing = common?.numNonMissing ?? 0;
    const missing = common?.numMissing ?? 0;
    const sf: SchemaFeature = { name, type: f.type === 'INT' ? 'INT' : f.type === 'FLOAT' ? 'FLOAT' : 'BYTES' };
    // Presence: required only when never missing in the data the schema is learnt from.
    sf.presence = missing === 0 && nonMissing > 0 ? { minFraction: 1, minCount: 1 } : { minCount: 1 };
    const univalent = (common?.maxNumValues ?? 1) <= 1;
    if (options.inferFeatureShape !== false && missing === 0 && univalent && nonMissing > 0) sf.shape = { dim: [{ size: 1 }] };
    else if (univalent) sf.valueCount = { min: 1, max: 1 };
    const s = f.stringStats;
    if (s) {
      const ranked = s.rankHistogram?.buckets.map((b) => b.label) ?? s.topValues.map((t) => t.value);
      if (s.unique > 0 && s.unique <= maxDomain && ranked.length >= s.unique) {
        stringDomain.push({ name, value: [...ranked].sort() });
        sf.domain = name;
      }
    }
    const n = f.numStats;
    if (n && options.inferValueRanges && nonMissing > 0) {
      if (f.type === 'INT') sf.intDomain = { min: n.min, max: n.max };
      else sf.floatDomain = { min: n.min, max: n.max };
    }
    feature.push(sf);
  }
  return stringDomain.length > 0 ? { feature, stringDomain } : { feature };
}

const FEATURE_TYPES = new Set(['BYTES', 'INT', 'FLOAT', 'STRUCT', 'TYPE_UNKNOWN']);

/** A curated schema file (JSON or YAML in TFMD's JSON mapping), checked enough to be used. */
export async function readSchemaFile(file: string): Promise<Schema> {
  const text = await fs.readFile(file, 'utf8').catch(() => {
    throw new PipewiseError('schema file not found', { file, code: 'file-not-found' });
  });
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(file) ? YAML.parse(text) : JSON.parse(text);
  } catch (e) {
    const line = e instanceof YAML.YAMLParseError ? e.linePos?.[0]?.line : undefined;
    throw new PipewiseError(`not a valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'} schema: ${errorMessage(e).split('\n')[0]}`, { file, line, code: 'bad-schema' });
  }
  const s = raw as Partial<Schema> | null;
  if (!s || typeof s !== 'object' || !Array.isArray(s.feature)) {
    throw new PipewiseError('a schema needs a `feature` list (TFMD Schema in its JSON mapping)', { file, code: 'bad-schema' });
  }
  for (const [i, f] of s.feature.entries()) {
    if (!f || typeof f.name !== 'string') throw new PipewiseError(`feature[${i}] has no name`, { file, code: 'bad-schema' });
    if (!FEATURE_TYPES.has(String(f.type))) {
      throw new PipewiseError(`feature '${f.name}': type ${JSON.stringify(f.type)} is not one of BYTES, INT, FLOAT`, { file, code: 'bad-schema' });
    }
    if (f.domain !== undefined && !(s.stringDomain ?? []).some((d) => d.name === f.domain)) {
      throw new PipewiseError(`feature '${f.name}': domain '${f.domain}' is not among the schema's stringDomain entries`, { file, code: 'bad-schema' });
    }
  }
  return s as Schema;
}

/** The statistics file of an ExampleStatistics artifact. */
export async function readStatistics(uri: string): Promise<DatasetFeatureStatisticsList> {
  const file = path.join(uri, STATISTICS_FILE);
  const text = await fs.readFile(file, 'utf8').catch(() => {
    throw new PipewiseError('statistics file not found', { file, code: 'file-not-found' });
  });
  try {
    return normalizeStatisticsList(JSON.parse(text));
  } catch (e) {
    throw new PipewiseError(`not valid statistics JSON: ${errorMessage(e)}`, { file, code: 'bad-statistics' });
  }
}

/** The schema file of a Schema artifact. */
export async function readSchema(uri: string): Promise<Schema> {
  return readSchemaFile(path.join(uri, SCHEMA_FILE));
}

export const schemaGen: ComponentExecutor<SchemaGenParams> = {
  name: 'SchemaGen',

  async run(ctx) {
    const out = ctx.outputs.schema;
    if (!out) throw new Error('SchemaGen: no `schema` output folder');
    let schema: Schema;
    let source: string;
    if (ctx.params.schema_file) {
      schema = await readSchemaFile(ctx.resolvePath(ctx.params.schema_file, 'schema_file'));
      source = 'curated';
    } else {
      const statistics = ctx.inputs.statistics;
      if (!statistics) throw new Error('SchemaGen: no `statistics` input');
      const list = await readStatistics(statistics.uri);
      let dataset = list.datasets.find((d) => d.name === ctx.params.split);
      if (!dataset) {
        dataset = list.datasets[0];
        if (!dataset) throw new PipewiseError('the statistics have no dataset', { file: path.join(statistics.uri, STATISTICS_FILE) });
        ctx.log('warn', `no split '${ctx.params.split}' in the statistics; inferring the schema from '${dataset.name}'`);
      }
      schema = inferSchema(dataset, {
        maxDomainValues: ctx.params.max_domain_values,
        inferFeatureShape: ctx.params.infer_feature_shape,
        inferValueRanges: ctx.params.infer_value_ranges,
      });
      source = `inferred from ${dataset.name}`;
    }
    await writeFileAtomic(path.join(out, SCHEMA_FILE), protoJson(schema));
    await writeFileAtomic(path.join(out, 'schema.yaml'), YAML.stringify(schema));
    ctx.setProperties('schema', { features: schema.feature.length, source, domains: (schema.stringDomain ?? []).length });
    ctx.log('info', `schema with ${schema.feature.length} features (${source})`);
  },

  async externalFingerprint(params, resolvePath) {
    if (!params.schema_file) return '';
    const file = resolvePath(params.schema_file, 'schema_file');
    const text = await fs.readFile(file).catch(() => Buffer.from('missing'));
    return createHash('sha256').update(text).digest('hex');
  },
};
