/**
 * The proto3 JSON mapping of TFDV's statistics (tensorflow_metadata/proto/v0/statistics.proto),
 * TFMD's Schema (schema.proto) and Anomalies (anomalies.proto): the files other tools read
 * (docs/ARCHITECTURE.md, "Contracts": artifact files). Field names are the JSON names (lowerCamelCase); enums are their names.
 *
 * Proto JSON may omit fields at their default (0, "", []), and parsers accept 64-bit integers as
 * numbers or strings: what Pipewise writes always has numbers and every count present, but readers
 * of files from elsewhere (TFDV in Python) should go through `normalizeStatisticsList`.
 */

// ───────────────────────────── statistics.proto ─────────────────────────────

export type StatsFeatureType = 'INT' | 'FLOAT' | 'STRING' | 'BYTES' | 'STRUCT';

export interface DatasetFeatureStatisticsList {
  datasets: DatasetFeatureStatistics[];
}

export interface DatasetFeatureStatistics {
  name: string;
  numExamples: number;
  weightedNumExamples?: number;
  features: FeatureNameStatistics[];
}

export interface Path {
  step: string[];
}

export interface FeatureNameStatistics {
  /** Pipewise writes `name`; TFDV in Python writes `path` (a oneof with `name`). */
  name?: string;
  path?: Path;
  type: StatsFeatureType;
  numStats?: NumericStatistics;
  stringStats?: StringStatistics;
  bytesStats?: BytesStatistics;
  customStats?: CustomStatistic[];
}

export interface CustomStatistic {
  name: string;
  num?: number;
  str?: string;
  histogram?: Histogram;
  rankHistogram?: RankHistogram;
}

export interface CommonStatistics {
  numNonMissing: number;
  numMissing: number;
  minNumValues?: number;
  maxNumValues?: number;
  avgNumValues?: number;
  totNumValues?: number;
  numValuesHistogram?: Histogram;
}

export interface NumericStatistics {
  commonStats: CommonStatistics;
  mean: number;
  /** Population standard deviation, as TFDV. */
  stdDev: number;
  numZeros: number;
  min: number;
  median: number;
  max: number;
  histograms: Histogram[];
}

export interface FreqAndValue {
  value: string;
  frequency: number;
}

export interface StringStatistics {
  commonStats: CommonStatistics;
  unique: number;
  topValues: FreqAndValue[];
  avgLength: number;
  rankHistogram?: RankHistogram;
}

export interface BytesStatistics {
  commonStats: CommonStatistics;
  unique?: number;
  avgNumBytes?: number;
  minNumBytes?: number;
  maxNumBytes?: number;
}

export interface HistogramBucket {
  lowValue: number;
  highValue: number;
  sampleCount: number;
}

export type HistogramType = 'STANDARD' | 'QUANTILES';

export interface Histogram {
  numNan?: number;
  numUndefined?: number;
  buckets: HistogramBucket[];
  type: HistogramType;
  name?: string;
}

export interface RankHistogramBucket {
  lowRank: number;
  highRank: number;
  label: string;
  sampleCount: number;
}

export interface RankHistogram {
  buckets: RankHistogramBucket[];
  name?: string;
}

// ─────────────────────────────── schema.proto ───────────────────────────────

export type SchemaFeatureType = 'TYPE_UNKNOWN' | 'BYTES' | 'INT' | 'FLOAT' | 'STRUCT';

export interface Schema {
  feature: SchemaFeature[];
  stringDomain?: StringDomain[];
  floatDomain?: FloatDomain[];
  intDomain?: IntDomain[];
  defaultEnvironment?: string[];
  datasetConstraints?: DatasetConstraints;
}

export interface SchemaFeature {
  name: string;
  type: SchemaFeatureType;
  presence?: FeaturePresence;
  shape?: FixedShape;
  valueCount?: ValueCount;
  /** Name of a top-level `stringDomain` (TFDV's inferred schemas reference domains this way). */
  domain?: string;
  intDomain?: IntDomain;
  floatDomain?: FloatDomain;
  stringDomain?: StringDomain;
  boolDomain?: { name?: string; trueValue?: string; falseValue?: string };
  distributionConstraints?: { minDomainMass?: number };
  skewComparator?: FeatureComparator;
  driftComparator?: FeatureComparator;
  inEnvironment?: string[];
  notInEnvironment?: string[];
  lifecycleStage?: string;
  uniqueConstraints?: { min?: number; max?: number };
  annotation?: { tag?: string[]; comment?: string[] };
}

export interface FeaturePresence {
  minFraction?: number;
  minCount?: number;
}

export interface FixedShape {
  dim: { size: number; name?: string }[];
}

export interface ValueCount {
  min?: number;
  max?: number;
}

export interface IntDomain {
  name?: string;
  min?: number;
  max?: number;
  isCategorical?: boolean;
}

export interface FloatDomain {
  name?: string;
  min?: number;
  max?: number;
  disallowNan?: boolean;
  disallowInf?: boolean;
  isEmbedding?: boolean;
  isCategorical?: boolean;
}

export interface StringDomain {
  name?: string;
  value: string[];
}

export interface FeatureComparator {
  infinityNorm?: { threshold?: number };
  jensenShannonDivergence?: { threshold?: number; source?: { type?: 'DEFAULT' | 'QUANTILES' | 'STANDARD' } };
  normalizedAbsDifference?: { threshold?: number };
}

export interface DatasetConstraints {
  numExamplesDriftComparator?: { minFractionThreshold?: number; maxFractionThreshold?: number };
  numExamplesVersionComparator?: { minFractionThreshold?: number; maxFractionThreshold?: number };
  minExamplesCount?: number;
  maxExamplesCount?: number;
}

// ────────────────────────────── anomalies.proto ─────────────────────────────

export type Severity = 'UNKNOWN' | 'WARNING' | 'ERROR';

/** The AnomalyInfo.Type names Pipewise reports (a subset of TFMD's enum). */
export type AnomalyType =
  | 'SCHEMA_MISSING_COLUMN'
  | 'SCHEMA_NEW_COLUMN'
  | 'UNEXPECTED_DATA_TYPE'
  | 'ENUM_TYPE_UNEXPECTED_STRING_VALUES'
  | 'INT_TYPE_SMALL_INT'
  | 'INT_TYPE_BIG_INT'
  | 'FLOAT_TYPE_SMALL_FLOAT'
  | 'FLOAT_TYPE_BIG_FLOAT'
  | 'FLOAT_TYPE_HAS_NAN'
  | 'FLOAT_TYPE_HAS_INF'
  | 'FEATURE_TYPE_LOW_FRACTION_PRESENT'
  | 'FEATURE_TYPE_LOW_NUMBER_PRESENT'
  | 'FEATURE_TYPE_NOT_PRESENT'
  | 'FEATURE_TYPE_HIGH_UNIQUE'
  | 'FEATURE_TYPE_LOW_UNIQUE'
  | 'COMPARATOR_L_INFTY_HIGH'
  | 'COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH'
  | 'COMPARATOR_CONTROL_DATA_MISSING'
  | 'COMPARATOR_TREATMENT_DATA_MISSING'
  | 'DATASET_LOW_NUM_EXAMPLES'
  | 'DATASET_HIGH_NUM_EXAMPLES'
  | 'NO_DATA_IN_SPAN';

export interface AnomalyReason {
  type: AnomalyType;
  shortDescription: string;
  description: string;
}

export interface AnomalyInfo {
  path?: Path;
  severity: Severity;
  description: string;
  shortDescription: string;
  reason: AnomalyReason[];
}

export interface Anomalies {
  baseline?: Schema;
  anomalyNameFormat?: 'UNKNOWN' | 'SERIALIZED_PATH';
  anomalyInfo: Record<string, AnomalyInfo>;
  datasetAnomalyInfo?: AnomalyInfo;
  dataMissing?: boolean;
}

/**
 * What ExampleValidator writes as anomalies.json: TFMD Anomalies over all validated splits (a
 * reason names its split when there are several), and under `splits` the Anomalies of each split.
 */
export interface AnomaliesFile extends Anomalies {
  splits?: Record<string, Anomalies>;
}

// ───────────────────────────────── helpers ──────────────────────────────────

/** A feature's name whether the file used `name` or `path`. */
export function featureName(f: FeatureNameStatistics): string {
  return f.name ?? f.path?.step.join('.') ?? '';
}

function toNum(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    if (v === 'NaN') return Number.NaN;
    return Number(v);
  }
  return 0;
}

/**
 * Fills the fields a proto JSON writer may omit (zeros, empty lists) and turns 64-bit integers given
 * as strings into numbers, so that code can read statistics written by TFDV as well as ours.
 */
export function normalizeStatisticsList(raw: unknown): DatasetFeatureStatisticsList {
  const list = (raw ?? {}) as { datasets?: unknown[] };
  const datasets = (list.datasets ?? []).map((d0) => {
    const d = d0 as Record<string, unknown>;
    const features = ((d.features as unknown[] | undefined) ?? []).map((f0) => {
      const f = f0 as Record<string, unknown> & FeatureNameStatistics;
      const fixCommon = (c: Partial<CommonStatistics> | undefined): CommonStatistics => ({
        ...c,
        numNonMissing: toNum(c?.numNonMissing),
        numMissing: toNum(c?.numMissing),
        ...(c?.minNumValues !== undefined ? { minNumValues: toNum(c.minNumValues) } : {}),
        ...(c?.maxNumValues !== undefined ? { maxNumValues: toNum(c.maxNumValues) } : {}),
        ...(c?.totNumValues !== undefined ? { totNumValues: toNum(c.totNumValues) } : {}),
      });
      const fixHist = (h: Partial<Histogram>): Histogram => ({
        ...h,
        type: h.type ?? 'STANDARD',
        numNan: toNum(h.numNan),
        buckets: (h.buckets ?? []).map((b) => ({ lowValue: toNum(b.lowValue), highValue: toNum(b.highValue), sampleCount: toNum(b.sampleCount) })),
      });
      const out: FeatureNameStatistics = { ...f, type: f.type ?? 'INT' };
      if (f.numStats) {
        const n = f.numStats as Partial<NumericStatistics>;
        out.numStats = {
          commonStats: fixCommon(n.commonStats),
          mean: toNum(n.mean),
          stdDev: toNum(n.stdDev),
          numZeros: toNum(n.numZeros),
          min: toNum(n.min),
          median: toNum(n.median),
          max: toNum(n.max),
          histograms: (n.histograms ?? []).map(fixHist),
        };
      }
      if (f.stringStats) {
        const s = f.stringStats as Partial<StringStatistics>;
        out.stringStats = {
          ...s,
          commonStats: fixCommon(s.commonStats),
          unique: toNum(s.unique),
          avgLength: toNum(s.avgLength),
          topValues: (s.topValues ?? []).map((t) => ({ value: t.value ?? '', frequency: toNum(t.frequency) })),
          ...(s.rankHistogram
            ? {
                rankHistogram: {
                  buckets: (s.rankHistogram.buckets ?? []).map((b) => ({
                    lowRank: toNum(b.lowRank),
                    highRank: toNum(b.highRank),
                    label: b.label ?? '',
                    sampleCount: toNum(b.sampleCount),
                  })),
                },
              }
            : {}),
        };
      }
      if (f.bytesStats) out.bytesStats = { ...f.bytesStats, commonStats: fixCommon(f.bytesStats.commonStats) };
      return out;
    });
    return { ...(d as object), name: String(d.name ?? ''), numExamples: toNum(d.numExamples), features } as DatasetFeatureStatistics;
  });
  return { datasets };
}

/**
 * JSON text of a proto message: non-finite doubles become "NaN"/"Infinity"/"-Infinity" as the
 * proto3 JSON mapping spells them (JSON itself has no such numbers).
 */
export function protoJson(message: unknown): string {
  return JSON.stringify(
    message,
    (_k, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
      return v;
    },
    2,
  );
}
