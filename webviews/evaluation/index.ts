/**
 * The model-evaluation webview (TFMA's notebook views, in the editor): the blessing verdict and
 * each threshold check with its reason, overall metrics, the deltas against the baseline, the
 * sortable slices table with example counts, and the charts. Announces `ready` first; acknowledges
 * every drawing with `rendered`.
 */
import type { EvaluationView, FromEvaluationMessage, ToEvaluationMessage } from '../../src/protocol/evaluation';
import { clear, h } from '../shared/dom';
import { connect } from '../shared/host';
import { renderVegaLite } from '../shared/vega';
import { evaluationCharts, importanceCharts } from '../shared/evaluationCharts';
import { formatNumber } from '../../src/core/format';

/** `file` lets the serializer restore the panel after a reload. */
interface EvaluationState {
  readonly sort?: { key: string; dir: 1 | -1 };
  readonly file?: string;
}
const api = connect<ToEvaluationMessage, FromEvaluationMessage, EvaluationState>();
const report = api.reportError;

const app = document.getElementById('app') ?? document.body;
let sort = api.getState()?.sort ?? { key: 'exampleCount', dir: -1 as 1 | -1 };
let current: EvaluationView | undefined;

function section(id: string, title: string, ...children: (Node | string | null)[]): HTMLElement {
  return h('section', { class: `evsection ${id}`, 'aria-label': title }, h('h2', {}, title), ...children);
}

function header(v: EvaluationView): HTMLElement {
  const verdict = h('span', { class: `badge verdict ${v.blessed ? 'ok blessed' : 'alert'}`, role: 'status' }, v.blessed ? 'BLESSED' : 'NOT BLESSED');
  const open = h('button', { type: 'button', class: 'secondary' }, 'Open metrics.json');
  open.addEventListener('click', () => api.post({ type: 'openFile', file: v.file }));
  const exportReport = h('button', { type: 'button', class: 'secondary', title: 'This run against its baseline, as Markdown for a pull request or one HTML page' }, 'Export Report…');
  exportReport.addEventListener('click', () => api.post({ type: 'exportReport' }));
  const header = h(
    'header',
    { class: 'toolbar' },
    h('h1', {}, `Evaluation · ${v.task}`),
    verdict,
    h('span', { class: 'hint' }, `label ${v.label} · split ${v.split} · ${formatNumber(v.overall.example_count)} examples`),
    // Which run this is: after a re-run, two panels (or one left open) must not be mistaken for each other.
    v.source ? h('span', { class: 'hint shows' }, `${v.source.pipeline} · run ${v.source.runId}${v.source.at ? ` · ${when(v.source.at)}` : ''}`) : null,
    open,
    exportReport,
  );
  return header;
}

function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** Says a later run evaluated the same stage, with a button to its evaluation. */
function staleNotice(v: EvaluationView): HTMLElement | null {
  const newer = v.newer;
  if (!newer) return null;
  const show = h('button', { type: 'button' }, 'Show the newer evaluation');
  show.addEventListener('click', () => api.post({ type: 'openEvaluation', file: newer.file }));
  return h('p', { class: 'notice stale', role: 'status' }, `Stale: run ${newer.runId}${newer.at ? ` (${when(newer.at)})` : ''} evaluated ${newer.stage} again since this one. `, show);
}

function checksTable(v: EvaluationView): HTMLElement {
  if (!v.checks.length) return section('checks', 'Thresholds', h('p', { class: 'hint' }, 'No thresholds: every model is blessed.'));
  const rows = v.checks.map((c) =>
    h(
      'tr',
      { class: c.passed ? '' : 'exceeded', 'data-metric': c.metric, 'data-passed': String(c.passed) },
      h('td', {}, c.metric),
      h('td', {}, c.kind === 'change' ? `change (${c.direction === 'lower_is_better' ? 'lower' : 'higher'} is better)` : c.kind.replace('_', ' ')),
      h('td', { class: 'num' }, formatNumber(c.threshold)),
      h('td', { class: 'num' }, formatNumber(c.value)),
      h('td', { class: 'num' }, formatNumber(c.baseline)),
      h('td', {}, c.skipped ? h('span', { class: 'badge ok' }, 'skipped') : c.passed ? h('span', { class: 'badge ok' }, 'passed') : h('span', { class: 'badge alert' }, 'failed')),
      h('td', { class: 'reason' }, c.skipped ? `${c.message} (${c.skipped})` : c.message),
    ),
  );
  return section(
    'checks',
    'Thresholds and the verdict',
    h('p', { class: v.blessed ? 'hint' : 'verdicttext' }, v.blessed ? 'Every check passed: the model is blessed.' : `Not blessed: ${v.failed.join('; ')}`),
    h('div', { class: 'tablewrap' }, h('table', { class: 'grid checks' }, h('thead', {}, h('tr', {}, ...['Metric', 'Check', 'Threshold', 'Value', 'Baseline', 'Result', 'Reason'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, ...rows))),
  );
}

function overallGrid(v: EvaluationView): HTMLElement {
  const items = v.metricNames.filter((k) => v.overall[k] !== undefined && !k.includes('/'));
  return section('overall', 'Overall metrics', h('dl', { class: 'metricgrid' }, ...items.map((k) => h('div', {}, h('dt', {}, k), h('dd', { 'data-metric': k }, formatNumber(v.overall[k]))))));
}

function baselineTable(v: EvaluationView): HTMLElement | null {
  if (!v.baseline) return null;
  const rows = v.baseline.deltas.map((d) =>
    h(
      'tr',
      { 'data-metric': d.metric },
      h('td', {}, d.metric),
      h('td', { class: 'num' }, formatNumber(d.candidate)),
      h('td', { class: 'num' }, formatNumber(d.baseline)),
      // Coloured by better or worse for the metric, never by sign; a description (mean_prediction) stays plain.
      h(
        'td',
        { class: `num delta ${d.improved === undefined ? '' : d.improved ? 'better' : 'worse'}`, title: d.improved === undefined ? 'neither better nor worse' : d.improved ? 'better than the baseline' : 'worse than the baseline' },
        `${d.delta > 0 ? '+' : ''}${formatNumber(d.delta)}`,
      ),
    ),
  );
  return section(
    'baseline',
    'Against the baseline',
    h('p', { class: 'hint' }, `Baseline: ${v.baseline.model}`),
    h('div', { class: 'tablewrap' }, h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ...['Metric', 'Candidate', 'Baseline', 'Δ'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, ...rows))),
  );
}

function slicesTable(v: EvaluationView): HTMLElement {
  const columns: { key: string; label: string }[] = [{ key: 'name', label: 'Slice' }, { key: 'exampleCount', label: 'Examples' }, ...v.metricNames.map((k) => ({ key: k, label: k }))];
  const value = (s: EvaluationView['slices'][number], key: string): string | number | undefined => (key === 'name' ? s.name : key === 'exampleCount' ? s.exampleCount : s.metrics[key]);
  const sorted = [...v.slices].sort((a, b) => {
    const x = value(a, sort.key);
    const y = value(b, sort.key);
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * sort.dir;
  });
  const head = h(
    'tr',
    {},
    ...columns.map((c) => {
      const active = sort.key === c.key;
      const b = h('button', { type: 'button', class: 'sort', title: `Sort by ${c.label}` }, c.label, active ? (sort.dir === 1 ? ' ▲' : ' ▼') : '');
      b.addEventListener('click', () => {
        sort = { key: c.key, dir: active ? ((-sort.dir) as 1 | -1) : c.key === 'name' ? 1 : -1 };
        api.setState({ sort, file: current?.file });
        if (current) app.querySelector('section.slices')?.replaceWith(slicesTable(current));
      });
      return h('th', { scope: 'col', 'aria-sort': active ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none', 'data-key': c.key }, b);
    }),
  );
  const body = sorted.map((s) => h('tr', { 'data-slice': s.name }, ...columns.map((c) => h('td', { class: c.key === 'name' ? '' : 'num', 'data-key': c.key }, c.key === 'name' ? s.name : formatNumber(value(s, c.key) as number | undefined)))));
  return section('slices', `Slices (${v.slices.length})`, h('div', { class: 'tablewrap sticky' }, h('table', { class: 'grid slices' }, h('thead', {}, head), h('tbody', {}, ...body))));
}

/** The width of one cell of the charts grid (media/panels.css: columns of at least 340 px, 24 px apart). */
function chartCellWidth(grid: HTMLElement): number {
  const width = grid.clientWidth || 340;
  const columns = Math.max(1, Math.floor((width + 24) / (340 + 24)));
  return Math.floor((width - 24 * (columns - 1)) / columns);
}

function draw(v: EvaluationView): void {
  current = v;
  api.setState({ sort, file: v.file });
  clear(app);
  const chartsBox = h('div', { class: 'charts' });
  const importance = importanceCharts(v);
  const importanceBox = h('div', { class: 'charts' });
  const stale = staleNotice(v);
  app.append(header(v), ...(stale ? [stale] : []), checksTable(v), overallGrid(v));
  const base = baselineTable(v);
  if (base) app.append(base);
  app.append(slicesTable(v));
  // Partial dependence curves go in a grid of their own, so they sit below the importance bars.
  const partialBox = h('div', { class: 'charts partial' });
  if (importance.length) app.append(section('importance', 'Feature importance', importanceBox, partialBox));
  if (v.curvesMissing) app.append(h('p', { class: 'hint' }, v.curvesMissing));
  app.append(section('chartsection', 'Charts', chartsBox));
  const charts = evaluationCharts(v, chartCellWidth(chartsBox));
  const drawChart = async (c: (typeof charts)[number], into: HTMLElement): Promise<string> => {
    const box = h('div', { class: 'chart' });
    into.append(h('figure', { 'data-chart': c.id }, h('figcaption', {}, h('strong', {}, c.title), ` — ${c.caption}`), box));
    await renderVegaLite(box, c.spec);
    return c.id;
  };
  const drawn: Promise<string>[] = [...importance.map((c) => drawChart(c, c.id.startsWith('partial-dependence-') ? partialBox : importanceBox)), ...charts.map((c) => drawChart(c, chartsBox))];
  void Promise.all(drawn)
    .then((ids) => {
      // What a person reads: the verdict and the overall numbers as drawn.
      const overall = Object.fromEntries([...app.querySelectorAll<HTMLElement>('dd[data-metric]')].map((d) => [d.dataset['metric'] ?? '', d.textContent ?? '']));
      const verdict = app.querySelector('.verdict')?.textContent ?? '';
      const deltas = Object.fromEntries(
        [...app.querySelectorAll<HTMLElement>('section.baseline tr[data-metric]')].map((r) => {
          const cell = r.querySelector('td.delta');
          return [r.dataset['metric'] ?? '', cell?.classList.contains('better') ? 'better' : cell?.classList.contains('worse') ? 'worse' : ''];
        }),
      );
      const shows = app.querySelector('.shows')?.textContent ?? '';
      const staleText = app.querySelector('.stale')?.textContent ?? '';
      api.post({ type: 'rendered', charts: ids, slices: app.querySelectorAll('table.slices tbody tr').length, verdict, overall, deltas, ...(shows ? { shows } : {}), ...(staleText ? { stale: staleText } : {}) });
    })
    .catch(report);
}

api.onMessage((m) => {
  if (m.type === 'view') draw(m.view);
  else if (m.type === 'error') {
    clear(app);
    app.append(h('div', { class: 'panelerror', role: 'alert' }, m.message));
  }
});

api.ready();
