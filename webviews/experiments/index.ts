/**
 * The experiments table: runs × changed parameters × metrics, sortable by any column, filtered by
 * text; tick runs to plot a metric across them and overlay their training curves.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ExperimentRow, ExperimentsView, FromExperimentsMessage, ToExperimentsMessage } from '../../src/protocol/experiments';
import { clear, h } from '../shared/dom';
import { connect } from '../shared/host';
import { renderVegaLite } from '../shared/vega';
import { axisLabelExpr, formatNumber } from '../../src/core/format';

const api = connect<ToExperimentsMessage, FromExperimentsMessage, undefined>();
const report = api.reportError;

const app = document.getElementById('app') ?? document.body;
let view: ExperimentsView | undefined;
let sort = { key: 'startedAt', dir: -1 as 1 | -1 };
let filter = '';
let metric = '';
const selected = new Set<string>();

function cell(r: ExperimentRow, key: string): string | number | undefined {
  if (key === 'startedAt') return r.startedAt;
  if (key === 'status') return r.status;
  if (key.startsWith('param:')) return r.params[key.slice(6)];
  return r.metrics[key];
}

function draw(): void {
  const v = view;
  if (!v) return;
  clear(app);
  const columns = [
    { key: 'startedAt', label: 'Run' },
    { key: 'status', label: 'Status' },
    ...v.changedParams.map((p) => ({ key: `param:${p}`, label: p })),
    ...v.metricNames.map((m) => ({ key: m, label: m })),
  ];
  const search = h('input', { type: 'search', class: 'filter', placeholder: 'Filter runs (any cell)', 'aria-label': 'Filter runs', value: filter });
  search.addEventListener('input', () => {
    filter = search.value;
    draw();
    (app.querySelector('input.filter') as HTMLInputElement | null)?.focus();
  });
  if (!metric || !v.metricNames.includes(metric)) metric = v.metricNames[0] ?? '';
  const metricSelect = h('select', { 'aria-label': 'Metric to plot' }, ...v.metricNames.map((m) => h('option', { value: m, selected: m === metric }, m)));
  metricSelect.addEventListener('change', () => {
    metric = metricSelect.value;
    void plot();
  });
  const exportReport = h('button', { type: 'button', class: 'secondary', title: 'A ticked run (the newer of two, against the other) or the newest, as Markdown or one HTML page' }, 'Export Report…');
  exportReport.addEventListener('click', () => {
    // Rows are newest first: with two ticked, the newer is reported against the older.
    const ticked = v.rows.filter((r) => selected.has(r.runId)).map((r) => r.runId);
    api.post({ type: 'exportReport', ...(ticked[0] ? { runId: ticked[0] } : {}), ...(ticked.length === 2 && ticked[1] ? { against: ticked[1] } : {}) });
  });
  app.append(
    h('header', { class: 'toolbar' }, h('h1', {}, `Experiments · ${v.pipeline}`), search, h('label', { class: 'inline' }, 'Plot ', metricSelect), exportReport),
    h('p', { class: 'hint' }, v.rows.length ? `${v.rows.length} run(s). Parameter columns are those that differ between runs${v.changedParams.length ? '' : ' (none do yet)'}. Tick runs to compare them.` : 'No runs yet: run the pipeline, change a parameter, run it again.'),
  );
  const needle = filter.trim().toLowerCase();
  const rows = v.rows
    .filter((r) => !needle || columns.some((c) => String(cell(r, c.key) ?? '').toLowerCase().includes(needle)))
    .sort((a, b) => {
      const x = cell(a, sort.key);
      const y = cell(b, sort.key);
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * sort.dir;
    });
  const head = h(
    'tr',
    {},
    h('th', { scope: 'col' }, ''),
    ...columns.map((c) => {
      const active = sort.key === c.key;
      const b = h('button', { type: 'button', class: 'sort', title: `Sort by ${c.label}` }, c.label, active ? (sort.dir === 1 ? ' ▲' : ' ▼') : '');
      b.addEventListener('click', () => {
        sort = { key: c.key, dir: active ? ((-sort.dir) as 1 | -1) : -1 };
        draw();
      });
      return h('th', { scope: 'col', 'data-key': c.key, 'aria-sort': active ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none' }, b);
    }),
  );
  const body = rows.map((r) => {
    const box = h('input', { type: 'checkbox', 'aria-label': `Compare run ${r.runId}`, checked: selected.has(r.runId) });
    box.addEventListener('change', () => {
      if (box.checked) selected.add(r.runId);
      else selected.delete(r.runId);
      void plot();
    });
    const runCell = h('td', {}, new Date(r.startedAt).toLocaleString());
    if (r.evaluation) {
      const link = h('button', { type: 'button', class: 'sort', title: 'Open this run\'s evaluation' }, r.blessed ? ' ✓' : ' ✗');
      const folder = r.evaluation;
      link.addEventListener('click', () => api.post({ type: 'openEvaluation', folder }));
      runCell.append(link);
    }
    return h(
      'tr',
      { 'data-run': r.runId },
      h('td', {}, box),
      runCell,
      h('td', {}, r.status),
      ...v.changedParams.map((p) => h('td', { 'data-key': `param:${p}` }, r.params[p] ?? '')),
      ...v.metricNames.map((m) => h('td', { class: 'num', 'data-key': m }, formatNumber(r.metrics[m]))),
    );
  });
  app.append(h('div', { class: 'tablewrap sticky' }, h('table', { class: 'grid experiments' }, h('thead', {}, head), h('tbody', {}, ...body))), h('div', { class: 'charts' }, h('figure', { 'data-chart': 'metric' }, h('div', { class: 'chart', id: 'metric-chart' })), h('figure', { 'data-chart': 'history' }, h('div', { class: 'chart', id: 'history-chart' }))));
  void plot();
}

async function plot(): Promise<void> {
  const v = view;
  if (!v) return;
  const runs = v.rows.filter((r) => selected.has(r.runId));
  const metricBox = document.getElementById('metric-chart');
  const historyBox = document.getElementById('history-chart');
  if (metricBox) clear(metricBox);
  if (historyBox) clear(historyBox);
  const label = (r: ExperimentRow) => `${new Date(r.startedAt).toLocaleString()} (${r.runId.slice(-6)})`;
  if (metricBox && runs.length && metric) {
    const values = runs.filter((r) => r.metrics[metric] !== undefined).map((r) => ({ run: label(r), value: r.metrics[metric] }));
    await renderVegaLite(metricBox, {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: `${metric} across ${values.length} run(s)`,
      width: 'container',
      height: { step: 22 },
      data: { values },
      // Dots on an axis fitted to the values (not bars from zero): runs differ in the third
      // decimal, which bars of length 0.98 and 0.99 would hide.
      // The value labels sit left of their dots when the dot is in the right half, so the right-most
      // label is never cut at the chart's edge (a right-aligned label ends at its dot).
      transform: [{ joinaggregate: [{ op: 'min', field: 'value', as: 'lo' }, { op: 'max', field: 'value', as: 'hi' }] }, { calculate: 'datum.value > (datum.lo + datum.hi) / 2', as: 'right' }],
      encoding: { y: { field: 'run', type: 'nominal', title: null, sort: null }, x: { field: 'value', type: 'quantitative', title: metric, scale: { zero: false, nice: true, padding: 36 }, axis: { labelExpr: axisLabelExpr } }, tooltip: [{ field: 'run' }, { field: 'value', format: '.4~r' }] },
      layer: [
        { mark: { type: 'point', filled: true, size: 70 } },
        { transform: [{ filter: '!datum.right' }], mark: { type: 'text', align: 'left', dx: 7, fontSize: 11 }, encoding: { text: { field: 'value', format: '.4~r' } } },
        { transform: [{ filter: 'datum.right' }], mark: { type: 'text', align: 'right', dx: -7, fontSize: 11 }, encoding: { text: { field: 'value', format: '.4~r' } } },
      ],
    } as unknown as TopLevelSpec);
  }
  const curves = runs.flatMap((r) => (r.history ?? []).map((e) => ({ run: label(r), epoch: e.epoch, loss: e.val_loss ?? e.loss })));
  if (historyBox && curves.length) {
    await renderVegaLite(historyBox, {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: 'Training curves (validation loss, else loss)',
      width: 'container',
      height: 200,
      data: { values: curves },
      // Runs with the same seed draw the same curve: each run gets its own dash — none solid, so
      // the gaps of a curve drawn on top show the one beneath — and its own point shape.
      mark: { type: 'line', point: { size: 28, filled: false }, strokeWidth: 2 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative' },
        y: { field: 'loss', type: 'quantitative', scale: { zero: false }, axis: { labelExpr: axisLabelExpr } },
        color: { field: 'run', type: 'nominal', legend: { orient: 'bottom', direction: 'vertical', labelLimit: Math.max(160, historyBox.clientWidth - 40) } },
        strokeDash: { field: 'run', type: 'nominal', scale: { range: [[8, 5], [2, 4], [12, 3, 2, 3], [5, 3], [1, 6]] } },
        shape: { field: 'run', type: 'nominal' },
      },
    } as unknown as TopLevelSpec);
  }
  const shownRows = [...app.querySelectorAll<HTMLElement>('table.experiments tbody tr')].map((tr) => tr.dataset['run'] ?? '');
  const columns = [...app.querySelectorAll<HTMLElement>('table.experiments thead th[data-key]')].map((th) => th.dataset['key'] ?? '');
  api.post({ type: 'rendered', rows: shownRows, columns, ...(runs.length && metric ? { chart: { metric, runs: runs.map((r) => r.runId) } } : {}) });
}

api.onMessage((m) => {
  if (m.type === 'view') {
    view = m.view;
    draw();
  } else if (m.type === 'select') {
    selected.clear();
    for (const r of m.runs) selected.add(r);
    if (m.metric) metric = m.metric;
    draw();
  }
});

api.ready();
