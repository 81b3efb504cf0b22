/**
 * A run against its baseline, as `pipewise report` and the editor's *Export Report…* show it: the
 * verdict and threshold checks, metrics with deltas and their noise, slices that moved, changed
 * parameters, rows per split, schema changes, drift and skew past their thresholds, and (for the
 * HTML page) the statistics and the evaluation's curves. Pure: `src/engine/report.ts` reads the
 * files from the store's lineage and hands them here; `reportMarkdown.ts` and `reportHtml.ts` print.
 */
import type { EvaluationCheck, EvaluationView } from './evaluationTypes';
import { improvement, sliceName, parseFairnessName, type MetricsFile } from './evaluationView';
import type { AnomaliesFile, DatasetFeatureStatistics, DatasetFeatureStatisticsList, Schema } from './tfdv';
import { featureName } from './tfdv';

/** metrics.json as the Evaluator writes it, with the 95 % bootstrap intervals it may add per slice. */
export interface ReportMetricsFile extends MetricsFile {
  readonly slices: readonly (MetricsFile['slices'][number] & { readonly intervals?: Readonly<Record<string, readonly [number, number]>> })[];
}

/** One drift or skew measurement (the ExampleValidator's `comparisons` property of its anomalies artifact). */
export interface DriftComparison {
  readonly feature: string;
  readonly kind: 'drift' | 'skew';
  readonly measure: 'L_INFTY' | 'JENSEN_SHANNON_DIVERGENCE';
  readonly value: number;
  readonly threshold: number;
  readonly control: string;
  readonly treatment: string;
  readonly key?: string;
}

export interface ReportRun {
  readonly id: string;
  readonly startedAt: string;
  readonly status: string;
}

/** What the engine read of one run: every field is absent when the run has no such artifact. */
export interface RunArtifacts {
  readonly run: ReportRun;
  /** `stage.param` → its value as the pipeline writes it (`flattenParams`). */
  readonly params: Readonly<Record<string, string>>;
  readonly metricsFile?: string;
  readonly metrics?: ReportMetricsFile;
  readonly statistics?: DatasetFeatureStatisticsList;
  readonly schema?: Schema;
  readonly anomalies?: AnomaliesFile;
  readonly comparisons?: readonly DriftComparison[];
}

/** How the baseline run was chosen. */
export type BaselineChoice = 'blessed' | 'previous' | 'run';

/** The noise of a delta: a 95 % half-width, and where it came from. */
export interface DeltaNoise {
  readonly halfWidth: number;
  /** `bootstrap`: the Evaluator's seeded bootstrap intervals; `standard error`: a binomial estimate made here. */
  readonly source: 'bootstrap' | 'standard error';
}

export interface MetricComparison {
  readonly metric: string;
  readonly candidate: number;
  readonly baseline?: number;
  /** candidate − baseline. */
  readonly delta?: number;
  readonly improved?: boolean;
  readonly noise?: DeltaNoise;
  /** |delta| is smaller than the noise: the difference may be chance. */
  readonly withinNoise?: boolean;
}

export interface SliceChange {
  readonly slice: string;
  readonly metric: string;
  readonly candidate: number;
  readonly baseline: number;
  readonly delta: number;
  readonly improved?: boolean;
  readonly withinNoise?: boolean;
}

export interface ParamChange {
  readonly name: string;
  readonly candidate?: string;
  readonly baseline?: string;
}

export interface SplitRows {
  readonly split: string;
  readonly candidate?: number;
  readonly baseline?: number;
}

export interface SchemaChange {
  readonly feature: string;
  readonly change: 'added' | 'removed' | 'type' | 'presence' | 'domain';
  readonly detail: string;
}

export interface AnomalyLine {
  readonly feature: string;
  readonly type: string;
  readonly description: string;
}

export interface RunReport {
  readonly pipeline: string;
  readonly file: string;
  readonly generatedAt: string;
  readonly run: ReportRun;
  readonly baseline?: ReportRun & { readonly how: BaselineChoice };
  /** Why there is no baseline, or what to know about it. */
  readonly baselineNote?: string;
  /** Undefined when the run has no evaluation: then it is not blessed. */
  readonly evaluation?: {
    readonly file: string;
    readonly task: string;
    readonly label: string;
    readonly split: string;
    readonly checks: readonly EvaluationCheck[];
    readonly failed: readonly string[];
  };
  readonly blessed: boolean;
  readonly metrics: readonly MetricComparison[];
  /** Slice deltas smaller than this (absolute) are not listed. */
  readonly sliceTolerance: number;
  readonly slices: readonly SliceChange[];
  readonly params: readonly ParamChange[];
  readonly splits: readonly SplitRows[];
  /** Undefined when either run has no schema to compare. */
  readonly schemaChanges?: readonly SchemaChange[];
  /** Every measurement the run's ExampleValidator made; `value > threshold` crossed it. */
  readonly drift: readonly DriftComparison[];
  readonly anomalies: readonly AnomalyLine[];
  /** The run's statistics, for the HTML page's tables. */
  readonly statistics?: readonly DatasetFeatureStatistics[];
  /** The run's evaluation view (curves, confusion matrix, importance), for the HTML page's charts. */
  readonly view?: EvaluationView;
}

/** The default of `sliceTolerance`: a slice metric that moved by less than this is not news. */
export const SLICE_TOLERANCE = 0.01;

/** Metrics that are a share of the eval rows, whose standard error is the binomial one. */
const PROPORTIONS = new Set(['accuracy']);

/** The two-sided 95 % normal quantile. */
const Z95 = 1.959963984540054;

type Slice = ReportMetricsFile['slices'][number];

function overallOf(m: ReportMetricsFile | undefined): Slice | undefined {
  return m?.slices.find((s) => Object.keys(s.slice).length === 0) ?? m?.slices[0];
}

function halfWidth(iv: readonly [number, number] | undefined): number | undefined {
  return iv && Number.isFinite(iv[0]) && Number.isFinite(iv[1]) ? Math.abs(iv[1] - iv[0]) / 2 : undefined;
}

/**
 * The 95 % noise of `candidate − baseline`. With the Evaluator's bootstrap intervals, the two
 * half-widths combined as for independent estimates (√(a² + b²)): conservative when both runs
 * scored the same eval rows. Without them, for a proportion (accuracy), the binomial standard error
 * of each from its example count; otherwise none (no noise is claimed rather than a guess).
 */
export function deltaNoise(metric: string, candidate: Slice, baseline: Slice): DeltaNoise | undefined {
  const a = halfWidth(candidate.intervals?.[metric]);
  const b = halfWidth(baseline.intervals?.[metric]);
  if (a !== undefined || b !== undefined) return { halfWidth: Math.hypot(a ?? 0, b ?? 0), source: 'bootstrap' };
  if (!PROPORTIONS.has(metric)) return undefined;
  const se = (s: Slice): number | undefined => {
    const p = s.metrics[metric];
    const n = s.metrics.example_count;
    return p !== undefined && n !== undefined && n > 0 && p >= 0 && p <= 1 ? Math.sqrt((p * (1 - p)) / n) : undefined;
  };
  const sa = se(candidate);
  const sb = se(baseline);
  if (sa === undefined || sb === undefined) return undefined;
  return { halfWidth: Z95 * Math.hypot(sa, sb), source: 'standard error' };
}

/** Metrics worth a row: not counts, not the fairness rates (they are per threshold, in the HTML). */
function reportable(metric: string): boolean {
  return metric !== 'example_count' && !parseFairnessName(metric);
}

function compareMetric(metric: string, c: Slice, b: Slice | undefined): MetricComparison | undefined {
  const candidate = c.metrics[metric];
  if (candidate === undefined) return undefined;
  const base = b?.metrics[metric];
  if (!b || base === undefined) return { metric, candidate };
  const delta = candidate - base;
  const improved = improvement(metric, candidate, base);
  const noise = deltaNoise(metric, c, b);
  return {
    metric,
    candidate,
    baseline: base,
    delta,
    ...(improved === undefined ? {} : { improved }),
    ...(noise ? { noise, withinNoise: Math.abs(delta) < noise.halfWidth } : {}),
  };
}

/** The metrics of the overall slice, the run's order kept (the Evaluator writes headline metrics first). */
export function compareMetrics(candidate: ReportMetricsFile | undefined, baseline: ReportMetricsFile | undefined): MetricComparison[] {
  const c = overallOf(candidate);
  if (!c) return [];
  const b = overallOf(baseline);
  return Object.keys(c.metrics).filter(reportable).flatMap((m) => compareMetric(m, c, b) ?? []);
}

/** Slices present in both runs whose metric moved by at least `tolerance`, largest move first. */
export function compareSlices(candidate: ReportMetricsFile | undefined, baseline: ReportMetricsFile | undefined, tolerance: number): SliceChange[] {
  if (!candidate || !baseline) return [];
  const byName = new Map(baseline.slices.filter((s) => Object.keys(s.slice).length > 0).map((s) => [sliceName(s.slice), s]));
  const out: SliceChange[] = [];
  for (const s of candidate.slices) {
    if (Object.keys(s.slice).length === 0) continue;
    const b = byName.get(sliceName(s.slice));
    if (!b) continue;
    for (const metric of Object.keys(s.metrics).filter(reportable)) {
      const cmp = compareMetric(metric, s, b);
      if (cmp?.delta === undefined || cmp.baseline === undefined || !(Math.abs(cmp.delta) >= tolerance)) continue;
      out.push({
        slice: sliceName(s.slice),
        metric,
        candidate: cmp.candidate,
        baseline: cmp.baseline,
        delta: cmp.delta,
        ...(cmp.improved === undefined ? {} : { improved: cmp.improved }),
        ...(cmp.withinNoise === undefined ? {} : { withinNoise: cmp.withinNoise }),
      });
    }
  }
  return out.sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || x.slice.localeCompare(y.slice) || x.metric.localeCompare(y.metric));
}

/** Parameters whose value differs between the runs (a stage only one run has counts too). */
export function compareParams(candidate: Readonly<Record<string, string>>, baseline: Readonly<Record<string, string>>): ParamChange[] {
  const names = [...new Set([...Object.keys(candidate), ...Object.keys(baseline)])].sort();
  return names
    .filter((n) => candidate[n] !== baseline[n])
    .map((name) => ({ name, ...(candidate[name] === undefined ? {} : { candidate: candidate[name] }), ...(baseline[name] === undefined ? {} : { baseline: baseline[name] }) }));
}

/** Rows per split, from each run's statistics (`numExamples` of each dataset). */
export function compareSplits(candidate: DatasetFeatureStatisticsList | undefined, baseline: DatasetFeatureStatisticsList | undefined): SplitRows[] {
  const c = new Map((candidate?.datasets ?? []).map((d) => [d.name, d.numExamples]));
  const b = new Map((baseline?.datasets ?? []).map((d) => [d.name, d.numExamples]));
  const names = [...c.keys(), ...[...b.keys()].filter((n) => !c.has(n))];
  return names.map((split) => ({ split, ...(c.has(split) ? { candidate: c.get(split) } : {}), ...(b.has(split) ? { baseline: b.get(split) } : {}) }));
}

function presenceText(f: Schema['feature'][number]): string {
  const p = f.presence;
  if (!p) return 'optional';
  return [p.minFraction !== undefined ? `min fraction ${p.minFraction}` : '', p.minCount !== undefined ? `min count ${p.minCount}` : ''].filter(Boolean).join(', ') || 'optional';
}

function domainText(schema: Schema, f: Schema['feature'][number]): string {
  if (f.stringDomain) return `{${f.stringDomain.value?.join(', ') ?? ''}}`;
  if (f.domain) return `{${schema.stringDomain?.find((d) => d.name === f.domain)?.value?.join(', ') ?? ''}}`;
  if (f.intDomain) return `[${f.intDomain.min ?? '−∞'}, ${f.intDomain.max ?? '∞'}]`;
  if (f.floatDomain) return `[${f.floatDomain.min ?? '−∞'}, ${f.floatDomain.max ?? '∞'}]`;
  return '';
}

/** Features added, removed, or whose type, presence or domain changed between two schemas. */
export function compareSchemas(candidate: Schema, baseline: Schema): SchemaChange[] {
  const before = new Map(baseline.feature.map((f) => [f.name, f]));
  const after = new Map(candidate.feature.map((f) => [f.name, f]));
  const out: SchemaChange[] = [];
  for (const f of candidate.feature) {
    const b = before.get(f.name);
    if (!b) {
      out.push({ feature: f.name, change: 'added', detail: f.type });
      continue;
    }
    if (b.type !== f.type) out.push({ feature: f.name, change: 'type', detail: `${b.type} → ${f.type}` });
    const [pb, pc] = [presenceText(b), presenceText(f)];
    if (pb !== pc) out.push({ feature: f.name, change: 'presence', detail: `${pb} → ${pc}` });
    const [db, dc] = [domainText(baseline, b), domainText(candidate, f)];
    if (db !== dc) out.push({ feature: f.name, change: 'domain', detail: `${db || 'none'} → ${dc || 'none'}` });
  }
  for (const b of baseline.feature) if (!after.has(b.name)) out.push({ feature: b.name, change: 'removed', detail: b.type });
  return out;
}

/** Every anomaly of the run's ExampleValidator, one line per reason. */
export function anomalyLines(a: AnomaliesFile | undefined): AnomalyLine[] {
  if (!a) return [];
  const out: AnomalyLine[] = Object.entries(a.anomalyInfo ?? {}).flatMap(([feature, info]) => info.reason.map((r) => ({ feature, type: r.type, description: r.description })));
  for (const r of a.datasetAnomalyInfo?.reason ?? []) out.push({ feature: '', type: r.type, description: r.description });
  return out;
}

export interface ReportInput {
  readonly pipeline: string;
  readonly file: string;
  readonly generatedAt: string;
  readonly candidate: RunArtifacts;
  readonly baseline?: RunArtifacts & { readonly how: BaselineChoice };
  readonly baselineNote?: string;
  readonly view?: EvaluationView;
  readonly sliceTolerance?: number;
}

export function buildRunReport(input: ReportInput): RunReport {
  const { candidate: c, baseline: b } = input;
  const m = c.metrics;
  const tolerance = input.sliceTolerance ?? SLICE_TOLERANCE;
  return {
    pipeline: input.pipeline,
    file: input.file,
    generatedAt: input.generatedAt,
    run: c.run,
    ...(b ? { baseline: { ...b.run, how: b.how } } : {}),
    ...(input.baselineNote ? { baselineNote: input.baselineNote } : {}),
    ...(m
      ? { evaluation: { file: c.metricsFile ?? '', task: m.task ?? '', label: m.label ?? '', split: m.split ?? '', checks: m.thresholds ?? [], failed: m.failed ?? [] } }
      : {}),
    blessed: m?.blessed === true,
    metrics: compareMetrics(m, b?.metrics),
    sliceTolerance: tolerance,
    slices: compareSlices(m, b?.metrics, tolerance),
    params: b ? compareParams(c.params, b.params) : [],
    splits: compareSplits(c.statistics, b?.statistics),
    ...(c.schema && b?.schema ? { schemaChanges: compareSchemas(c.schema, b.schema) } : {}),
    drift: c.comparisons ?? [],
    anomalies: anomalyLines(c.anomalies),
    ...(c.statistics ? { statistics: c.statistics.datasets } : {}),
    ...(input.view ? { view: input.view } : {}),
  };
}

/** A feature's row in the statistics tables. */
export interface StatisticsRow {
  readonly feature: string;
  readonly type: string;
  readonly missing: number;
  readonly present: number;
  readonly mean?: number;
  readonly stdDev?: number;
  readonly min?: number;
  readonly median?: number;
  readonly max?: number;
  readonly unique?: number;
  readonly top?: string;
}

export function statisticsRows(d: DatasetFeatureStatistics): StatisticsRow[] {
  return d.features.map((f) => {
    const common = f.numStats?.commonStats ?? f.stringStats?.commonStats ?? f.bytesStats?.commonStats;
    const base = { feature: featureName(f), type: f.type, missing: common?.numMissing ?? 0, present: common?.numNonMissing ?? 0 };
    if (f.numStats) {
      const n = f.numStats;
      return { ...base, mean: n.mean, stdDev: n.stdDev, min: n.min, median: n.median, max: n.max };
    }
    if (f.stringStats) return { ...base, unique: f.stringStats.unique, ...(f.stringStats.topValues[0] ? { top: f.stringStats.topValues[0].value } : {}) };
    return base;
  });
}
