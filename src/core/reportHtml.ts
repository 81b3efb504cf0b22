/**
 * A run report as ONE self-contained HTML page: the Markdown report's sections, plus the statistics
 * tables, the evaluation charts (confusion matrix, ROC, precision–recall and calibration, or
 * predicted against actual), the fairness rates per slice, the deltas with their noise, drift
 * against thresholds, and feature importance with the top features' partial dependence. Charts are
 * inline SVG drawn here (src/core/reportCharts.ts), so the page runs no script: its
 * Content-Security-Policy is `default-src 'none'` with the one stylesheet allowed by its hash. The
 * report's data is inlined as a JSON data block (never executed) for tools that read it back.
 */
import { createHash } from 'node:crypto';
import { formatNumber, formatPercent } from './format';
import { againstText, fairnessGaps, fairnessGapText, fairnessSection, reportSections, verdictText, type Section } from './reportMarkdown';
import { barChart, confusionChart, curveChart, deltaChart, escapeXml, fairnessCharts, histogramSpark, partialDependenceChart, residualChart, type SvgChart } from './reportCharts';
import type { EvaluationView, ImportanceView } from './evaluationTypes';
import { statisticsRows, type RunReport } from './runReport';

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; margin: 0 auto; max-width: 1180px; padding: 24px; background: #ffffff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 14px; margin: 16px 0 6px; }
p.sub { color: #57606a; margin: 0 0 10px; }
.verdict { display: inline-block; font-weight: 700; padding: 4px 12px; border-radius: 6px; margin: 6px 0; }
.verdict.blessed { background: #dafbe1; color: #116329; border: 1px solid #4ac26b; }
.verdict.not-blessed { background: #ffebe9; color: #a40e26; border: 1px solid #ff8182; }
.verdict.none { background: #fff8c5; color: #7d4e00; border: 1px solid #d4a72c; }
ul.failed { color: #a40e26; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 6px 0 12px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: middle; }
th { background: #f6f8fa; font-weight: 600; }
td.num, th.num { text-align: right; }
td.better { color: #116329; font-weight: 600; }
td.worse, td.failed { color: #a40e26; font-weight: 600; }
td.noise { color: #6e7781; font-style: italic; }
.charts.rows { grid-template-columns: minmax(0, 760px); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 16px; align-items: start; }
figure { margin: 0; border: 1px solid #d0d7de; border-radius: 6px; padding: 8px; background: #ffffff; }
figcaption { font-weight: 600; font-size: 13px; margin-bottom: 4px; }
figcaption span { display: block; font-weight: 400; font-size: 12px; color: #57606a; }
svg.chart { width: 100%; height: auto; display: block; }
svg.spark { display: block; }
.empty { color: #57606a; font-style: italic; }
footer { margin-top: 32px; color: #6e7781; font-size: 12px; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; background: #f6f8fa; padding: 1px 4px; border-radius: 4px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  h2 { break-after: avoid; }
  table, figure { break-inside: avoid; }
  .charts { grid-template-columns: repeat(2, 1fr); }
}
`;

/** The CSP source that allows exactly this stylesheet. */
function styleHash(css: string): string {
  return `'sha256-${createHash('sha256').update(css, 'utf8').digest('base64')}'`;
}

export const REPORT_CSP = `default-src 'none'; style-src ${styleHash(STYLE)}; img-src data:; base-uri 'none'; form-action 'none'`;

const CELL_CLASS: Readonly<Record<string, string>> = { better: 'better', worse: 'worse', 'within noise': 'noise', FAILED: 'failed' };

function tableHtml(s: Section): string {
  const t = s.table;
  if (!t || !t.rows.length) return s.empty ? `<p class="empty">${escapeXml(s.empty)}</p>` : '';
  const cls = (i: number, text = ''): string => {
    const c = [t.numeric.includes(i) ? 'num' : '', CELL_CLASS[text] ?? ''].filter(Boolean).join(' ');
    return c ? ` class="${c}"` : '';
  };
  const head = `<tr>${t.header.map((h, i) => `<th${cls(i)}>${escapeXml(h)}</th>`).join('')}</tr>`;
  const rows = t.rows.map((r) => `<tr>${r.map((c, i) => `<td${cls(i, c)}>${escapeXml(c)}</td>`).join('')}</tr>`).join('');
  return `<div class="scroll"><table><thead>${head}</thead><tbody>${rows}</tbody></table></div>`;
}

function figure(c: SvgChart): string {
  return `<figure><figcaption>${escapeXml(c.title)}${c.caption ? `<span>${escapeXml(c.caption)}</span>` : ''}</figcaption>${c.svg}</figure>`;
}

function sectionId(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** The charts each section gets beside its table. */
function sectionCharts(title: string, r: RunReport): SvgChart[] {
  if (title === 'Metrics') {
    const rows = r.metrics.filter((m) => m.baseline !== undefined).map((m) => ({ metric: m.metric, candidate: m.candidate, ...(m.baseline === undefined ? {} : { baseline: m.baseline }), ...(m.noise ? { noise: m.noise.halfWidth } : {}) }));
    return rows.length ? [deltaChart(rows)] : [];
  }
  if (title === 'Drift and skew over threshold' && r.drift.length) {
    return [barChart('drift', 'Drift and skew against their thresholds', r.drift.map((d) => ({ label: `${d.feature} (${d.kind}, ${d.treatment})`, value: d.value, threshold: d.threshold })), 'L∞ (categorical) or JS divergence (numeric); tick: threshold')];
  }
  return [];
}

function evaluationCharts(r: RunReport): SvgChart[] {
  const v = r.view;
  if (!v) return [];
  const out: SvgChart[] = [];
  if (v.confusion) out.push(confusionChart(v.confusion.classes, v.confusion.matrix));
  if (v.roc?.length) out.push(curveChart('roc', v.roc.map((s) => ({ name: s.series, x: s.x, y: s.y }))));
  if (v.pr?.length) out.push(curveChart('pr', v.pr.map((s) => ({ name: s.series, x: s.x, y: s.y }))));
  if (v.calibration?.length) out.push(curveChart('calibration', v.calibration.map((s) => ({ name: s.series, x: s.x, y: s.y, ...(s.n ? { n: s.n } : {}) }))));
  if (v.regression) out.push(residualChart(v.regression.actual, v.regression.predicted));
  return out;
}

/**
 * The partial dependence charts of the top features, titled and captioned as the evaluation panel
 * does (webviews/shared/evaluationCharts.ts).
 */
function partialDependenceCharts(v: EvaluationView, imp: ImportanceView): SvgChart[] {
  const rows = imp.sampled ? `${formatNumber(imp.rows)} sampled eval rows` : `${formatNumber(imp.rows)} eval rows`;
  return (imp.partialDependence ?? []).map((p, i) => {
    const positive = p.outputs[0] ?? 'positive';
    const yLabel = v.task === 'regression' ? 'mean prediction' : v.task === 'binary' ? `mean P(${positive})` : 'mean probability';
    const what = v.task === 'regression' ? 'The prediction' : v.task === 'binary' ? `P(${positive})` : "Each class's probability";
    const chart = partialDependenceChart(p, yLabel, i);
    const caption = `${what} averaged over ${rows} with ${p.feature} set to each of ${p.grid.length} ${p.kind === 'numeric' ? 'values (between its 5th and 95th percentiles)' : 'categories'} in every row.`;
    return { ...chart, caption };
  });
}

function statisticsHtml(r: RunReport): string {
  if (!r.statistics?.length) return '<p class="empty">This run has no statistics.</p>';
  return r.statistics
    .map((d) => {
      const rows = statisticsRows(d);
      const numeric = rows.filter((x) => x.mean !== undefined);
      const other = rows.filter((x) => x.mean === undefined);
      const missing = (x: { missing: number; present: number }): string => formatPercent(x.missing / Math.max(1, x.missing + x.present));
      const spark = (name: string): string => {
        const f = d.features.find((ff) => (ff.name ?? ff.path?.step.join('.')) === name);
        const h = f?.numStats?.histograms.find((hh) => hh.type === 'STANDARD');
        return h ? histogramSpark(h.buckets) : '';
      };
      const numericTable = numeric.length
        ? `<table><thead><tr><th>Numeric feature</th><th class="num">Count</th><th class="num">Missing</th><th class="num">Mean</th><th class="num">Std dev</th><th class="num">Min</th><th class="num">Median</th><th class="num">Max</th><th>Histogram</th></tr></thead><tbody>${numeric
            .map(
              (x) =>
                `<tr><td>${escapeXml(x.feature)}</td><td class="num">${formatNumber(x.present)}</td><td class="num">${missing(x)}</td><td class="num">${formatNumber(x.mean)}</td><td class="num">${formatNumber(x.stdDev)}</td><td class="num">${formatNumber(x.min)}</td><td class="num">${formatNumber(x.median)}</td><td class="num">${formatNumber(x.max)}</td><td>${spark(x.feature)}</td></tr>`,
            )
            .join('')}</tbody></table>`
        : '';
      const otherTable = other.length
        ? `<table><thead><tr><th>Categorical feature</th><th class="num">Count</th><th class="num">Missing</th><th class="num">Unique</th><th>Most frequent</th></tr></thead><tbody>${other
            .map((x) => `<tr><td>${escapeXml(x.feature)}</td><td class="num">${formatNumber(x.present)}</td><td class="num">${missing(x)}</td><td class="num">${formatNumber(x.unique)}</td><td>${escapeXml(x.top ?? '')}</td></tr>`)
            .join('')}</tbody></table>`
        : '';
      // A narrow window scrolls the wide tables sideways instead of the whole page.
      return `<h3>Split <code>${escapeXml(d.name)}</code>: ${formatNumber(d.numExamples)} rows</h3><div class="scroll">${numericTable}${otherTable}</div>`;
    })
    .join('');
}

/** The report data for tools that read the page back: JSON with `<` escaped, so no text can close the block. */
function dataBlock(r: RunReport): string {
  return `<script type="application/json" id="pipewise-report-data">${JSON.stringify(r).replace(/</g, '\\u003c')}</script>`;
}

export function renderHtml(r: RunReport): string {
  const verdictClass = !r.evaluation ? 'none' : r.blessed ? 'blessed' : 'not-blessed';
  const body: string[] = [
    `<header><h1>Pipewise report: ${escapeXml(r.pipeline)}</h1>`,
    `<p class="sub">Run <code>${escapeXml(r.run.id)}</code> (${escapeXml(r.run.startedAt)}, ${escapeXml(r.run.status)}) ${escapeXml(againstText(r))}.</p>`,
    `<div class="verdict ${verdictClass}" id="verdict">${escapeXml(verdictText(r))}</div>`,
    r.baselineNote ? `<p class="sub">${escapeXml(r.baselineNote)}</p>` : '',
    r.evaluation?.failed.length ? `<ul class="failed">${r.evaluation.failed.map((f) => `<li>${escapeXml(f)}</li>`).join('')}</ul>` : '',
    '</header>',
  ];
  for (const s of reportSections(r)) {
    const charts = sectionCharts(s.title, r);
    body.push(
      `<section id="${sectionId(s.title)}"><h2>${escapeXml(s.title)}</h2>${s.intro ? `<p class="sub">${escapeXml(s.intro.replace(/[`*]/g, ''))}</p>` : ''}${tableHtml(s)}${charts.length ? `<div class="charts rows">${charts.map(figure).join('')}</div>` : ''}</section>`,
    );
  }
  const evaluation = evaluationCharts(r);
  if (r.view) {
    body.push(
      `<section id="evaluation"><h2>Evaluation</h2><p class="sub">${escapeXml(`${r.view.task} model of ${r.view.label}, on the ${r.view.split} split${r.view.curvesMissing ? `. ${r.view.curvesMissing}` : ''}`)}</p>${evaluation.length ? `<div class="charts">${evaluation.map(figure).join('')}</div>` : ''}</section>`,
    );
    // The rates as a table (the Markdown's) and one chart per rate: a section only when there are rates.
    const fairness = fairnessSection(r);
    if (fairness) {
      const charts = fairnessCharts(r.view.fairness);
      const gaps = fairnessGaps(r);
      body.push(`<section id="fairness"><h2>${escapeXml(fairness.title)}</h2><p class="sub">${escapeXml(fairness.intro ?? '')}</p>${gaps.length ? `<ul class="gaps">${gaps.map((g) => `<li>${escapeXml(fairnessGapText(g, (slice) => slice))}</li>`).join('')}</ul>` : ''}<div class="charts">${charts.map(figure).join('')}</div>${tableHtml(fairness)}</section>`);
    }
  }
  const imp = r.view?.importance;
  if (r.view && imp) {
    const chart = barChart('importance', `Permutation importance (drop of ${imp.metric})`, imp.features.slice(0, 25).map((f) => ({ label: f.feature, value: f.mean, error: f.std })), `drop of ${imp.metric} when the feature is shuffled (± std over ${imp.repeats} repeats)`);
    const partial = partialDependenceCharts(r.view, imp);
    body.push(
      `<section id="feature-importance"><h2>Feature importance</h2><p class="sub">${escapeXml(`Baseline ${imp.metric} ${formatNumber(imp.baseline)} on ${formatNumber(imp.rows)} rows${imp.sampled ? ` (sampled from ${formatNumber(imp.usableRows)})` : ''}.`)}</p><div class="charts rows">${figure(chart)}</div>${partial.length ? `<h3>Partial dependence</h3><div class="charts">${partial.map(figure).join('')}</div>` : ''}</section>`,
    );
  }
  body.push(`<section id="statistics"><h2>Statistics</h2>${statisticsHtml(r)}</section>`);
  body.push(`<footer>Made by <code>pipewise report</code> from <code>${escapeXml(r.file)}</code> at ${escapeXml(r.generatedAt)}.</footer>`);
  body.push(dataBlock(r));
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(`Pipewise report: ${r.pipeline} — run ${r.run.id}`)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    `<body>${body.join('\n')}</body>`,
    '</html>',
    '',
  ].join('\n');
}
