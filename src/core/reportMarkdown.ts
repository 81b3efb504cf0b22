/**
 * A run report as GitHub-flavoured Markdown, for a pull-request comment: under GitHub's 65,536
 * characters per comment (the longest tables are cut, with a note saying how many rows were left
 * out, before anything else is). Every number through `formatNumber`, the one rule everywhere.
 */
import type { EvaluationCheck } from './evaluationTypes';
import { formatNumber } from './format';
import { rateName, sortFairness } from './reportCharts';
import type { DeltaNoise, MetricComparison, RunReport } from './runReport';

/** GitHub refuses a comment body longer than this. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** A table cell: pipes escaped, line breaks flattened (a cell is one line in GFM). */
export function mdCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Inline code that survives backticks in the text. */
function code(text: string): string {
  const ticks = text.includes('`') ? '``' : '`';
  return `${ticks}${text.replace(/\r?\n/g, ' ')}${ticks}`;
}

/** A delta with its sign: `+0.0147`, `-0.002` (ASCII signs, so a script reading the table parses it as a number). */
export function formatDelta(d: number): string {
  return d > 0 ? `+${formatNumber(d)}` : formatNumber(d);
}

export function noiseText(n: DeltaNoise | undefined): string {
  return n ? `±${formatNumber(n.halfWidth)} (${n.source})` : '';
}

/** `better`, `worse`, `within noise`, or nothing when the metric has no better side. */
export function deltaVerdict(c: Pick<MetricComparison, 'delta' | 'improved' | 'withinNoise'>): string {
  if (c.delta === undefined) return '';
  if (c.delta === 0) return 'same';
  if (c.withinNoise) return 'within noise';
  return c.improved === undefined ? '' : c.improved ? 'better' : 'worse';
}

export function boundText(c: EvaluationCheck): string {
  if (c.kind === 'lower_bound') return `≥ ${formatNumber(c.threshold)}`;
  if (c.kind === 'upper_bound') return `≤ ${formatNumber(c.threshold)}`;
  return `change ${c.direction === 'lower_is_better' ? '≤' : '≥'} ${formatNumber(c.threshold)}`;
}

export function checkValueText(c: EvaluationCheck): string {
  if (c.value === undefined) return 'not found';
  if (c.kind !== 'change') return formatNumber(c.value);
  if (c.diff === undefined || c.baseline === undefined) return `${formatNumber(c.value)} (no baseline)`;
  return `${formatDelta(c.diff)} (${formatNumber(c.value)} vs ${formatNumber(c.baseline)})`;
}

export function checkResultText(c: EvaluationCheck): string {
  if (c.skipped) return `passed (${c.skipped})`;
  return c.passed ? 'passed' : 'FAILED';
}

export interface Table {
  readonly header: readonly string[];
  /** Right-aligned columns (numbers). */
  readonly numeric: readonly number[];
  readonly rows: readonly (readonly string[])[];
}

export interface Section {
  readonly title: string;
  readonly intro?: string;
  readonly table?: Table;
  readonly lines?: readonly string[];
  /** Shown when there is neither a table row nor a line. */
  readonly empty?: string;
}

function tableText(t: Table, rows: readonly (readonly string[])[]): string {
  const head = `| ${t.header.map(mdCell).join(' | ')} |`;
  const rule = `|${t.header.map((_, i) => (t.numeric.includes(i) ? '---:' : '---')).join('|')}|`;
  return [head, rule, ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`)].join('\n');
}

function sectionText(s: Section, keep: number): string {
  const parts = [`### ${s.title}`];
  if (s.intro) parts.push(s.intro);
  const rows = s.table?.rows ?? [];
  if (s.table && rows.length) {
    parts.push(tableText(s.table, rows.slice(0, keep)));
    if (keep < rows.length) parts.push(`_${rows.length - keep} more rows left out to keep this comment under ${formatNumber(GITHUB_COMMENT_LIMIT)} characters; the HTML report has them all._`);
  }
  if (s.lines?.length) parts.push(s.lines.join('\n'));
  if (!rows.length && !s.lines?.length && s.empty) parts.push(s.empty);
  return parts.join('\n\n');
}

function runLabel(r: { id: string; startedAt: string }): string {
  return `${code(r.id)} (${r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')})`;
}

export function verdictText(r: RunReport): string {
  return !r.evaluation ? 'No evaluation: this run has no Evaluator result, so its model is not blessed.' : r.blessed ? 'BLESSED' : 'NOT BLESSED';
}

export function againstText(r: RunReport): string {
  return r.baseline
    ? `against ${r.baseline.id}, ${r.baseline.how === 'blessed' ? 'the blessed baseline' : r.baseline.how === 'previous' ? 'the previous run' : 'the run asked for'}`
    : 'with no baseline run';
}

function header(r: RunReport): string[] {
  const verdict = !r.evaluation ? '⚠️ **No evaluation**: this run has no Evaluator result, so its model is not blessed.' : r.blessed ? '✅ **BLESSED**' : '❌ **NOT BLESSED**';
  const against = r.baseline
    ? `against ${runLabel(r.baseline)}, ${r.baseline.how === 'blessed' ? 'the blessed baseline' : r.baseline.how === 'previous' ? 'the previous run' : 'the run asked for'}`
    : 'with no baseline run';
  const out = [`## Pipewise report: ${mdCell(r.pipeline)}`, '', `Run ${runLabel(r.run)} ${against}.`, '', verdict];
  if (r.baselineNote) out.push('', `_${r.baselineNote}_`);
  if (r.evaluation?.failed.length) out.push('', ...r.evaluation.failed.map((f) => `- ${f}`));
  return out;
}

export function reportSections(r: RunReport): Section[] {
  const sections: Section[] = [];
  const ev = r.evaluation;
  sections.push({
    title: 'Threshold checks',
    ...(ev ? {} : { intro: 'No evaluation.' }),
    table: {
      header: ['Metric', 'Check', 'Value', 'Bound', 'Result'],
      numeric: [],
      rows: (ev?.checks ?? []).map((c) => [c.metric, c.kind === 'change' ? `change (${(c.direction ?? 'higher_is_better').replace(/_/g, ' ')})` : c.kind.replace('_', ' '), checkValueText(c), boundText(c), checkResultText(c)]),
    },
    ...(ev ? { empty: 'The Evaluator has no thresholds: every model is blessed.' } : {}),
  });
  const hasBaseline = r.metrics.some((m) => m.baseline !== undefined);
  const noiseSources = [...new Set(r.metrics.flatMap((m) => (m.noise ? [m.noise.source] : [])))];
  sections.push({
    title: 'Metrics',
    intro: [
      ev ? `On the ${code(ev.split || 'eval')} split${ev.label ? `, label ${code(ev.label)}` : ''}.` : '',
      hasBaseline
        ? `Δ = this run − baseline. ${noiseSources.length ? `Noise is the 95 % half-width of Δ (${noiseSources.join(', ')}); a Δ smaller than it is marked *within noise*.` : 'No interval estimate is available for these metrics, so no Δ is marked as noise.'}`
        : '',
    ]
      .filter(Boolean)
      .join(' '),
    table: hasBaseline
      ? {
          header: ['Metric', 'This run', 'Baseline', 'Δ', 'Noise (95 %)', 'Reads as'],
          numeric: [1, 2, 3],
          rows: r.metrics.map((m) => [m.metric, formatNumber(m.candidate), formatNumber(m.baseline), m.delta === undefined ? '—' : formatDelta(m.delta), noiseText(m.noise), deltaVerdict(m)]),
        }
      : { header: ['Metric', 'This run'], numeric: [1], rows: r.metrics.map((m) => [m.metric, formatNumber(m.candidate)]) },
    empty: 'No metrics.',
  });
  if (hasBaseline) {
    sections.push({
      title: `Slices that changed by ${formatNumber(r.sliceTolerance)} or more`,
      table: {
        header: ['Slice', 'Metric', 'This run', 'Baseline', 'Δ', 'Reads as'],
        numeric: [2, 3, 4],
        rows: r.slices.map((s) => [s.slice, s.metric, formatNumber(s.candidate), formatNumber(s.baseline), formatDelta(s.delta), deltaVerdict(s)]),
      },
      empty: 'None.',
    });
  }
  if (r.baseline) {
    sections.push({
      title: 'Parameters changed',
      table: { header: ['Parameter', 'This run', 'Baseline'], numeric: [], rows: r.params.map((p) => [p.name, p.candidate ?? '(none)', p.baseline ?? '(none)']) },
      empty: 'None: both runs used the same parameters.',
    });
  }
  sections.push({
    title: 'Rows per split',
    table: r.baseline
      ? {
          header: ['Split', 'This run', 'Baseline', 'Δ'],
          numeric: [1, 2, 3],
          rows: r.splits.map((s) => [s.split, formatNumber(s.candidate), formatNumber(s.baseline), s.candidate !== undefined && s.baseline !== undefined ? formatDelta(s.candidate - s.baseline) : '—']),
        }
      : { header: ['Split', 'Rows'], numeric: [1], rows: r.splits.map((s) => [s.split, formatNumber(s.candidate)]) },
    empty: 'This run has no statistics.',
  });
  if (r.baseline) {
    sections.push({
      title: 'Schema changes',
      table: { header: ['Feature', 'Change', 'Detail'], numeric: [], rows: (r.schemaChanges ?? []).map((c) => [c.feature, c.change, c.detail]) },
      empty: r.schemaChanges ? 'None.' : 'Not compared: a run has no schema.',
    });
  }
  const crossed = r.drift.filter((d) => d.value > d.threshold);
  sections.push({
    title: 'Drift and skew over threshold',
    intro: r.drift.length ? `${crossed.length} of ${r.drift.length} measured features crossed their threshold.` : '',
    table: {
      header: ['Feature', 'Kind', 'Measure', 'Value', 'Threshold', 'Compared'],
      numeric: [3, 4],
      rows: crossed.map((d) => [d.feature, d.kind, d.measure === 'L_INFTY' ? 'L∞' : 'JS divergence', formatNumber(d.value), formatNumber(d.threshold), `${d.control} → ${d.treatment}`]),
    },
    empty: r.drift.length ? 'None.' : 'Not measured: the run sets no drift or skew thresholds.',
  });
  const other = r.anomalies.filter((a) => !a.type.startsWith('COMPARATOR_'));
  if (other.length) {
    sections.push({ title: 'Data anomalies', table: { header: ['Feature', 'Anomaly', 'Description'], numeric: [], rows: other.map((a) => [a.feature || '(dataset)', a.type, a.description]) } });
  }
  return sections;
}

/** The evaluation panel's title and caption for the fairness rates (webviews/shared/evaluationCharts.ts). */
export const FAIRNESS_TITLE = 'Fairness rates per slice';
const FAIRNESS_CAPTION = 'Each rate at each configured threshold, per slice (Fairness Indicators).';

/** One `rate @ threshold`'s widest gap between slices, for a reviewer to read without the chart. */
export interface FairnessGap {
  /** `false positive rate @ 0.5` */
  readonly at: string;
  readonly high: { readonly slice: string; readonly value: number };
  readonly low: { readonly slice: string; readonly value: number };
}

/** Each rate's widest gap between slices, in the panel's order; none for a rate measured on fewer than two slices. */
export function fairnessGaps(r: RunReport): FairnessGap[] {
  const rows = sortFairness(r.view?.fairness ?? []);
  // The gap is between the slices themselves: the overall slice is their mixture, not one of them.
  const overall = new Set((r.view?.slices ?? []).filter((s) => !Object.keys(s.key).length).map((s) => s.name));
  const groups = [...new Set(rows.map((f) => `${f.rate}@${f.threshold}`))];
  return groups.flatMap((g) => {
    const mine = rows.filter((f) => `${f.rate}@${f.threshold}` === g && !overall.has(f.slice));
    if (mine.length < 2) return [];
    const lo = mine.reduce((a, b) => (b.value < a.value ? b : a));
    const hi = mine.reduce((a, b) => (b.value > a.value ? b : a));
    return [{ at: `${rateName(lo.rate)} @ ${lo.threshold}`, high: { slice: hi.slice, value: hi.value }, low: { slice: lo.slice, value: lo.value } }];
  });
}

/** A gap as a sentence; `name` sets a slice's name off (inline code in Markdown, plain in HTML). */
export function fairnessGapText(g: FairnessGap, name: (slice: string) => string): string {
  return g.high.value === g.low.value
    ? `${g.at}: no gap, ${formatNumber(g.low.value)} on every slice`
    : `${g.at}: widest gap ${formatNumber(g.high.value - g.low.value)} (${name(g.high.slice)} ${formatNumber(g.high.value)}, ${name(g.low.slice)} ${formatNumber(g.low.value)})`;
}

/**
 * The Fairness-Indicators rates of a binary model, in the panel's order (rate, threshold, slice),
 * each rate's widest gap between slices below; none when the evaluation has no rates.
 */
export function fairnessSection(r: RunReport): Section | undefined {
  const rows = sortFairness(r.view?.fairness ?? []);
  if (!rows.length) return undefined;
  const gaps = fairnessGaps(r).map((g) => `- ${fairnessGapText(g, code)}`);
  return {
    title: FAIRNESS_TITLE,
    intro: FAIRNESS_CAPTION,
    table: { header: ['Slice', 'Rate', 'Threshold', 'Value'], numeric: [2, 3], rows: rows.map((f) => [f.slice, rateName(f.rate), String(f.threshold), formatNumber(f.value)]) },
    ...(gaps.length ? { lines: gaps } : {}),
  };
}

/** Partial dependence in a few numbers: each output's lowest and highest mean over the feature's grid. */
export function partialDependenceSection(r: RunReport): Section | undefined {
  const pd = r.view?.importance?.partialDependence ?? [];
  if (!pd.length) return undefined;
  const at = (g: number | string | undefined): string => (typeof g === 'number' ? formatNumber(g) : String(g ?? ''));
  const rows = pd.flatMap((p) =>
    p.outputs.flatMap((output, k) => {
      const line = (p.average[k] ?? []).map((v, g) => ({ v, g })).filter((q): q is { v: number; g: number } => typeof q.v === 'number' && Number.isFinite(q.v));
      if (!line.length) return [];
      const lo = line.reduce((a, b) => (b.v < a.v ? b : a));
      const hi = line.reduce((a, b) => (b.v > a.v ? b : a));
      return [[p.feature, output, formatNumber(p.grid.length), `${formatNumber(lo.v)} at ${at(p.grid[lo.g])}`, `${formatNumber(hi.v)} at ${at(p.grid[hi.g])}`]];
    }),
  );
  return {
    title: 'Partial dependence',
    intro: 'The mean prediction with the feature set to each grid value in every row (the most important features; the HTML report draws the curves).',
    table: { header: ['Feature', 'Output', 'Grid points', 'Lowest mean', 'Highest mean'], numeric: [2], rows },
  };
}

/**
 * The whole report. When it would pass `limit`, the longest table is halved again and again (each
 * cut says how many rows went) until it fits: a PR comment keeps the verdict and every section.
 */
export function renderMarkdown(r: RunReport, limit = GITHUB_COMMENT_LIMIT): string {
  const sections = [...reportSections(r), ...[fairnessSection(r), partialDependenceSection(r)].filter((s): s is Section => s !== undefined)];
  const keep = sections.map((s) => s.table?.rows.length ?? 0);
  const footer = `\n\n---\n_Made by \`pipewise report\` from ${code(r.file)} at ${r.generatedAt}._\n`;
  const text = (): string => [header(r).join('\n'), ...sections.map((s, i) => sectionText(s, keep[i] ?? 0))].join('\n\n') + footer;
  let out = text();
  while (out.length >= limit) {
    let widest = -1;
    for (let i = 0; i < keep.length; i++) if ((keep[i] ?? 0) > 0 && (widest < 0 || (keep[i] ?? 0) > (keep[widest] ?? 0))) widest = i;
    if (widest < 0) return out.slice(0, limit - 80) + '\n\n_The report was cut here to fit a PR comment._\n';
    keep[widest] = Math.floor((keep[widest] ?? 0) / 2);
    out = text();
  }
  return out;
}

/** The exit code of `pipewise report`: 0 blessed, 1 not (or no evaluation). Errors are 2, elsewhere. */
export function reportExitCode(r: RunReport): 0 | 1 {
  return r.blessed ? 0 : 1;
}
