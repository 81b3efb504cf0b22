/**
 * ExampleValidator: statistics against a schema, and distributions against other data, as TFDV's
 * `validate_statistics` does. Writes `anomalies.json` in TFMD's Anomalies JSON mapping.
 */
import path from 'node:path';
import type { z } from 'zod';
import type { ExampleValidator } from '../../core/components/dataComponents';
import { jensenShannonDivergence, lInfinityDistance, valueCounts } from '../../core/drift';
import { PipewiseError } from '../../core/errors';
import {
  featureName,
  protoJson,
  type Anomalies,
  type AnomaliesFile,
  type AnomalyInfo,
  type AnomalyReason,
  type AnomalyType,
  type DatasetFeatureStatistics,
  type FeatureNameStatistics,
  type Schema,
  type SchemaFeature,
} from '../../core/tfdv';
import type { ComponentExecutor } from '../component';
import { writeFileAtomic } from '../store';
import { readSchema, readStatistics } from './schemaGen';

export type ExampleValidatorParams = z.output<typeof ExampleValidator.params>;

export const ANOMALIES_FILE = 'anomalies.json';

/** Six significant digits, as TFDV prints measures in its descriptions. */
function g6(x: number): string {
  return String(Number(x.toPrecision(6)));
}

function reason(type: AnomalyType, shortDescription: string, description: string): AnomalyReason {
  return { type, shortDescription, description };
}

function info(reasons: AnomalyReason[], feature?: string): AnomalyInfo {
  const only = reasons.length === 1 ? reasons[0] : undefined;
  return {
    ...(feature !== undefined ? { path: { step: [feature] } } : {}),
    severity: 'ERROR',
    description: reasons.map((r) => r.description).join(' '),
    shortDescription: only ? only.shortDescription : 'Multiple errors',
    reason: reasons,
  };
}

function statsTypeAsSchemaType(f: FeatureNameStatistics): SchemaFeature['type'] {
  return f.type === 'INT' ? 'INT' : f.type === 'FLOAT' ? 'FLOAT' : 'BYTES';
}

/** Schema anomalies of one dataset (TFDV's `validate_statistics` without comparators). */
export function validateAgainstSchema(stats: DatasetFeatureStatistics, schema: Schema): Anomalies {
  const anomalyInfo: Record<string, AnomalyInfo> = {};
  const byName = new Map(stats.features.map((f) => [featureName(f), f]));
  const domains = new Map((schema.stringDomain ?? []).map((d) => [d.name ?? '', d]));
  const n = stats.numExamples;
  for (const sf of schema.feature) {
    const f = byName.get(sf.name);
    const reasons: AnomalyReason[] = [];
    if (!f) {
      if (n > 0) anomalyInfo[sf.name] = info([reason('SCHEMA_MISSING_COLUMN', 'Column dropped', 'Column is completely missing')], sf.name);
      continue;
    }
    const actual = statsTypeAsSchemaType(f);
    if (sf.type !== actual) {
      reasons.push(reason('UNEXPECTED_DATA_TYPE', 'Unexpected data type', `Expected data of type: ${sf.type} but got ${actual}`));
      anomalyInfo[sf.name] = info(reasons, sf.name);
      continue;
    }
    const common = f.numStats?.commonStats ?? f.stringStats?.commonStats ?? f.bytesStats?.commonStats;
    const present = common?.numNonMissing ?? 0;
    const minFraction = sf.presence?.minFraction;
    if (minFraction !== undefined && n > 0 && present / n < minFraction) {
      reasons.push(
        reason(
          'FEATURE_TYPE_LOW_FRACTION_PRESENT',
          'Column dropped',
          `The feature was present in fewer examples than expected: minimum fraction = ${minFraction.toFixed(6)}, actual = ${g6(present / n)}`,
        ),
      );
    }
    const minCount = sf.presence?.minCount;
    if (minCount !== undefined && n > 0 && present < minCount) {
      reasons.push(reason('FEATURE_TYPE_LOW_NUMBER_PRESENT', 'Column dropped', `The feature was present in fewer examples than expected: minimum = ${minCount}, actual = ${present}`));
    }
    const domain = sf.domain !== undefined ? domains.get(sf.domain) : sf.stringDomain;
    if (domain && f.stringStats) {
      const allowed = new Set(domain.value);
      const counts = valueCounts(f);
      const unexpected = [...counts.entries()].filter(([v]) => !allowed.has(v));
      if (unexpected.length > 0) {
        const total = present > 0 ? present : 1;
        const listed = unexpected
          .sort((a, b) => b[1] - a[1])
          .slice(0, 10)
          .map(([v, c]) => `${v} (~${Math.max(1, Math.round((100 * c) / total))}%)`)
          .join(', ');
        reasons.push(reason('ENUM_TYPE_UNEXPECTED_STRING_VALUES', 'Unexpected string values', `Examples contain values missing from the schema: ${listed}.`));
      }
    }
    const num = f.numStats;
    if (num && present > 0) {
      if (sf.intDomain) {
        if (sf.intDomain.min !== undefined && num.min < sf.intDomain.min) reasons.push(reason('INT_TYPE_SMALL_INT', 'Out-of-range values', `Unexpectedly small value: ${num.min}.`));
        if (sf.intDomain.max !== undefined && num.max > sf.intDomain.max) reasons.push(reason('INT_TYPE_BIG_INT', 'Out-of-range values', `Unexpectedly large value: ${num.max}.`));
      }
      if (sf.floatDomain) {
        if (sf.floatDomain.min !== undefined && num.min < sf.floatDomain.min) reasons.push(reason('FLOAT_TYPE_SMALL_FLOAT', 'Out-of-range values', `Unexpectedly low value: ${num.min}.`));
        if (sf.floatDomain.max !== undefined && num.max > sf.floatDomain.max) reasons.push(reason('FLOAT_TYPE_BIG_FLOAT', 'Out-of-range values', `Unexpectedly high value: ${num.max}.`));
        const nans = num.histograms[0]?.numNan ?? 0;
        if (sf.floatDomain.disallowNan && nans > 0) reasons.push(reason('FLOAT_TYPE_HAS_NAN', 'Invalid values', `Float feature has NaN values (${nans}).`));
        if (sf.floatDomain.disallowInf && (num.max === Infinity || num.min === -Infinity)) reasons.push(reason('FLOAT_TYPE_HAS_INF', 'Invalid values', 'Float feature has Inf values.'));
      }
    }
    if (reasons.length > 0) anomalyInfo[sf.name] = info(reasons, sf.name);
  }
  const known = new Set(schema.feature.map((f) => f.name));
  for (const f of stats.features) {
    const name = featureName(f);
    if (!known.has(name)) anomalyInfo[name] = info([reason('SCHEMA_NEW_COLUMN', 'New column', 'New column (column in data but not in schema)')], name);
  }
  const out: Anomalies = { anomalyNameFormat: 'SERIALIZED_PATH', anomalyInfo };
  const dataset: AnomalyReason[] = [];
  const c = schema.datasetConstraints;
  if (c?.minExamplesCount !== undefined && n < c.minExamplesCount) {
    dataset.push(reason('DATASET_LOW_NUM_EXAMPLES', 'Low num examples in dataset.', `The dataset has ${n} examples, which is fewer than expected; minimum = ${c.minExamplesCount}.`));
  }
  if (c?.maxExamplesCount !== undefined && n > c.maxExamplesCount) {
    dataset.push(reason('DATASET_HIGH_NUM_EXAMPLES', 'High num examples in dataset.', `The dataset has ${n} examples, which is more than expected; maximum = ${c.maxExamplesCount}.`));
  }
  if (dataset.length > 0) out.datasetAnomalyInfo = info(dataset);
  if (n === 0) out.dataMissing = true;
  return out;
}

export type ComparisonKind = 'drift' | 'skew';

export interface Comparison {
  readonly feature: string;
  readonly kind: ComparisonKind;
  readonly measure: 'L_INFTY' | 'JENSEN_SHANNON_DIVERGENCE';
  readonly value: number;
  readonly threshold: number;
  /** Names of the two datasets compared (control, treatment). */
  readonly control: string;
  readonly treatment: string;
  /** For L∞: the value with the largest difference. */
  readonly key?: string;
}

export interface Thresholds {
  readonly infinityNorm?: number;
  readonly jensenShannonDivergence?: number;
}

/**
 * Compares `treatment` with `control` for every feature that has a threshold: L∞ for string
 * features, Jensen–Shannon divergence over the STANDARD histograms for numeric ones; returns the
 * measures and the anomalies of those above their threshold.
 */
export function compareDistributions(
  control: DatasetFeatureStatistics,
  treatment: DatasetFeatureStatistics,
  thresholds: ReadonlyMap<string, Thresholds>,
  kind: ComparisonKind,
): { comparisons: Comparison[]; anomalyInfo: Record<string, AnomalyInfo> } {
  const [a, b] = kind === 'drift' ? ['current', 'previous'] : ['training', 'serving'];
  const between = kind === 'drift' ? `${a} and ${b}` : `${a} and ${b}`;
  const comparisons: Comparison[] = [];
  const anomalyInfo: Record<string, AnomalyInfo> = {};
  const controlBy = new Map(control.features.map((f) => [featureName(f), f]));
  const treatmentBy = new Map(treatment.features.map((f) => [featureName(f), f]));
  for (const [feature, t] of thresholds) {
    const fc = controlBy.get(feature);
    const ft = treatmentBy.get(feature);
    const reasons: AnomalyReason[] = [];
    if (!fc || !ft) {
      const missing = !fc ? 'COMPARATOR_CONTROL_DATA_MISSING' : 'COMPARATOR_TREATMENT_DATA_MISSING';
      reasons.push(reason(missing, `Missing data for ${kind} comparison`, `Feature '${feature}' is not in the ${!fc ? control.name : treatment.name} statistics, so its ${kind} cannot be measured.`));
      anomalyInfo[feature] = info(reasons, feature);
      continue;
    }
    const categorical = fc.stringStats !== undefined && ft.stringStats !== undefined;
    const linf = t.infinityNorm;
    if (linf !== undefined && categorical) {
      const d = lInfinityDistance(valueCounts(ft), valueCounts(fc));
      comparisons.push({ feature, kind, measure: 'L_INFTY', value: d.value, threshold: linf, control: control.name, treatment: treatment.name, key: d.key });
      if (d.value > linf) {
        reasons.push(
          reason(
            'COMPARATOR_L_INFTY_HIGH',
            `High Linfty distance between ${between}`,
            `The Linfty distance between ${between} is ${g6(d.value)} (up to six significant digits), above the threshold ${linf}. The feature value with maximum difference is: ${d.key}`,
          ),
        );
      }
    }
    const jsd = t.jensenShannonDivergence;
    const hc = fc.numStats?.histograms.find((h) => h.type === 'STANDARD');
    const ht = ft.numStats?.histograms.find((h) => h.type === 'STANDARD');
    if (jsd !== undefined && hc && ht) {
      const value = jensenShannonDivergence(ht, hc);
      if (value !== undefined) {
        comparisons.push({ feature, kind, measure: 'JENSEN_SHANNON_DIVERGENCE', value, threshold: jsd, control: control.name, treatment: treatment.name });
        if (value > jsd) {
          reasons.push(
            reason(
              'COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH',
              `High approximate Jensen-Shannon divergence between ${between}`,
              `The approximate Jensen-Shannon divergence between ${between} is ${g6(value)} (up to six significant digits), above the threshold ${jsd}.`,
            ),
          );
        }
      }
    }
    if (reasons.length > 0) anomalyInfo[feature] = info(reasons, feature);
  }
  return { comparisons, anomalyInfo };
}

/**
 * Thresholds per feature: the schema's drift/skew comparators, overridden by the pipeline's
 * `drift`/`skew` parameter (one number: L∞ for string features, JS divergence for numeric ones).
 */
export function thresholdsFor(schema: Schema, stats: DatasetFeatureStatistics, param: Readonly<Record<string, number>>, kind: ComparisonKind): Map<string, Thresholds> {
  const out = new Map<string, Thresholds>();
  for (const sf of schema.feature) {
    const c = kind === 'drift' ? sf.driftComparator : sf.skewComparator;
    const linf = c?.infinityNorm?.threshold;
    const jsd = c?.jensenShannonDivergence?.threshold;
    if (linf !== undefined || jsd !== undefined) out.set(sf.name, { infinityNorm: linf, jensenShannonDivergence: jsd });
  }
  const types = new Map(stats.features.map((f) => [featureName(f), f]));
  const schemaTypes = new Map(schema.feature.map((f) => [f.name, f.type]));
  for (const [feature, threshold] of Object.entries(param)) {
    const f = types.get(feature);
    const isString = f ? f.stringStats !== undefined : schemaTypes.get(feature) === 'BYTES';
    out.set(feature, isString ? { infinityNorm: threshold } : { jensenShannonDivergence: threshold });
  }
  return out;
}

/** Adds `more` into `into`, a feature's reasons joining those already there. */
function mergeInto(into: Anomalies, more: Record<string, AnomalyInfo>, prefix = ''): void {
  for (const [feature, a] of Object.entries(more)) {
    const reasons = a.reason.map((r) => ({ ...r, description: prefix + r.description }));
    const prev = into.anomalyInfo[feature];
    into.anomalyInfo[feature] = info(prev ? [...prev.reason, ...reasons] : reasons, feature);
  }
}

function datasetNamed(list: readonly DatasetFeatureStatistics[], name: string): DatasetFeatureStatistics | undefined {
  return list.find((d) => d.name === name);
}

export const exampleValidator: ComponentExecutor<ExampleValidatorParams> = {
  name: 'ExampleValidator',

  async run(ctx) {
    const statsRef = ctx.inputs.statistics;
    const schemaRef = ctx.inputs.schema;
    const out = ctx.outputs.anomalies;
    if (!statsRef || !schemaRef || !out) throw new Error('ExampleValidator: missing `statistics`/`schema` input or `anomalies` output');
    const stats = await readStatistics(statsRef.uri);
    const schema = await readSchema(schemaRef.uri);
    const baseline = ctx.inputs.baseline_statistics ? await readStatistics(ctx.inputs.baseline_statistics.uri) : undefined;
    const names = ctx.params.splits ?? stats.datasets.map((d) => d.name);
    for (const s of names) {
      if (!datasetNamed(stats.datasets, s)) throw new PipewiseError(`parameter 'splits': no split '${s}' in the statistics (splits: ${stats.datasets.map((d) => d.name).join(', ')})`, { code: 'unknown-split' });
    }
    const several = names.length > 1;
    const perSplit: Record<string, Anomalies> = {};
    const merged: AnomaliesFile = { anomalyNameFormat: 'SERIALIZED_PATH', anomalyInfo: {} };
    const comparisons: Comparison[] = [];
    const addTo = (split: string, more: Record<string, AnomalyInfo>): void => {
      const a = perSplit[split];
      if (a) mergeInto(a, more);
      mergeInto(merged, more, several ? `In split '${split}': ` : '');
    };

    for (const split of names) {
      const d = datasetNamed(stats.datasets, split) as DatasetFeatureStatistics;
      const a = validateAgainstSchema(d, schema);
      perSplit[split] = { ...a, anomalyInfo: {} };
      addTo(split, a.anomalyInfo);
      if (a.datasetAnomalyInfo) {
        (perSplit[split] as Anomalies).datasetAnomalyInfo = a.datasetAnomalyInfo;
        const prev = merged.datasetAnomalyInfo?.reason ?? [];
        merged.datasetAnomalyInfo = info([...prev, ...a.datasetAnomalyInfo.reason.map((r) => ({ ...r, description: (several ? `In split '${split}': ` : '') + r.description }))]);
      }
      if (a.dataMissing) merged.dataMissing = true;
    }

    // Drift: two named splits, or each split against the baseline's split of the same name, or
    // each split against the one before it.
    const firstStats = stats.datasets[0] as DatasetFeatureStatistics;
    const drift = thresholdsFor(schema, firstStats, ctx.params.drift, 'drift');
    if (drift.size > 0) {
      const pairs: [DatasetFeatureStatistics, DatasetFeatureStatistics][] = [];
      if (ctx.params.drift_splits) {
        const [p, c] = ctx.params.drift_splits;
        const prev = datasetNamed(stats.datasets, p) ?? (baseline ? datasetNamed(baseline.datasets, p) : undefined);
        const cur = datasetNamed(stats.datasets, c);
        if (!prev || !cur) throw new PipewiseError(`parameter 'drift_splits': no split '${!prev ? p : c}' in the statistics`, { code: 'unknown-split' });
        pairs.push([prev, cur]);
      } else if (baseline) {
        for (const split of names) {
          const prev = datasetNamed(baseline.datasets, split) ?? baseline.datasets[0];
          if (prev) pairs.push([prev, datasetNamed(stats.datasets, split) as DatasetFeatureStatistics]);
        }
      } else {
        for (let i = 1; i < names.length; i++) {
          pairs.push([datasetNamed(stats.datasets, names[i - 1] as string) as DatasetFeatureStatistics, datasetNamed(stats.datasets, names[i] as string) as DatasetFeatureStatistics]);
        }
        if (pairs.length === 0) ctx.log('warn', 'drift thresholds are set, but there is neither a baseline nor a second split to compare with');
      }
      for (const [prev, cur] of pairs) {
        const r = compareDistributions(prev, cur, drift, 'drift');
        comparisons.push(...r.comparisons);
        if (perSplit[cur.name] === undefined) perSplit[cur.name] = { anomalyNameFormat: 'SERIALIZED_PATH', anomalyInfo: {} };
        addTo(cur.name, r.anomalyInfo);
      }
    }

    // Skew: training data (the baseline's `train` split, or this one's) against the others.
    const skew = thresholdsFor(schema, firstStats, ctx.params.skew, 'skew');
    if (skew.size > 0) {
      const training = baseline ? (datasetNamed(baseline.datasets, 'train') ?? baseline.datasets[0]) : datasetNamed(stats.datasets, 'train');
      if (!training) throw new PipewiseError("skew needs training statistics: a 'train' split or a baseline_statistics input", { code: 'no-training-data' });
      const serving = names.filter((s) => baseline || s !== training.name);
      for (const s of serving) {
        const r = compareDistributions(training, datasetNamed(stats.datasets, s) as DatasetFeatureStatistics, skew, 'skew');
        comparisons.push(...r.comparisons);
        addTo(s, r.anomalyInfo);
      }
    }

    if (several) merged.splits = perSplit;
    await writeFileAtomic(path.join(out, ANOMALIES_FILE), protoJson(merged));
    const reasons = Object.values(merged.anomalyInfo).flatMap((a) => a.reason);
    ctx.setProperties('anomalies', {
      splits: names,
      features: Object.keys(merged.anomalyInfo),
      anomalies: reasons.length + (merged.datasetAnomalyInfo?.reason.length ?? 0),
      comparisons,
    });
    for (const c of comparisons) {
      ctx.log('info', `${c.kind} of '${c.feature}' (${c.control} → ${c.treatment}): ${c.measure} ${g6(c.value)} (threshold ${c.threshold})`);
    }
    const summary = Object.entries(merged.anomalyInfo).map(([f, a]) => `${f}: ${a.reason.map((r) => r.type).join(', ')}`);
    if (summary.length > 0) ctx.log('warn', `anomalies: ${summary.join('; ')}`);
    if (ctx.params.fail_on_error && (summary.length > 0 || merged.datasetAnomalyInfo)) {
      throw new PipewiseError(`the data has anomalies (fail_on_error is set): ${summary.join('; ') || merged.datasetAnomalyInfo?.description}`, { code: 'anomalies' });
    }
  },
};
