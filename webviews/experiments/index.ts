/**
 * The experiments table: runs × changed parameters × metrics, sortable by any column, filtered by
 * text and by brushing the parallel coordinates; tick runs to plot a metric across them (with each
 * run's 95% interval, on an axis that keeps the noise in view) and overlay their training curves; a
 * scatter of any metric against any parameter or metric; the parameters' correlation with the
 * chosen metric (computed by the extension host); the table as shown exported as CSV.
 * The computations are src/core/experimentsCompare.ts; this file only draws.
 */
import type { View } from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import type { ExperimentRow, ExperimentsBrush, ExperimentsForest, ExperimentsImportance, ExperimentsRendered, ExperimentsView, FromExperimentsMessage, ToExperimentsMessage } from '../../src/protocol/experiments';
import { experimentsCsv, FOREST_MIN_RUNS, honestDomain, noiseVerdicts, type NoiseVerdict, parallelAxes, parallelAxis, tableColumns, visibleRows } from '../../src/core/experimentsCompare';
import { clear, h } from '../shared/dom';
import { connect } from '../shared/host';
import { renderVegaLite } from '../shared/vega';
import { axisLabelExpr, formatNumber } from '../../src/core/format';

const api = connect<ToExperimentsMessage, FromExperimentsMessage, undefined>();
const report = api.reportError;

const app = document.getElementById('app') ?? document.body;
let view: ExperimentsView | undefined;
let sort: { key: string; dir: 1 | -1 } = { key: 'startedAt', dir: -1 };
let filter = '';
let metric = '';
let scatterX = '';
let scatterY = '';
let brushes: ExperimentsBrush[] = [];
let importance: { metric: string; runs: number; correlations: readonly ExperimentsImportance[]; forest?: ExperimentsForest | 'computing' | { error: string }; receivedAt: number } | undefined;
/** When the last view arrived, until the panel is first drawn whole (`data-view-ms`). */
let viewArrivedAt: number | undefined;
const selected = new Set<string>();
/** When the change being drawn began, for the render's `drawMs`. */
let changedAt = performance.now();
let drawing: Promise<void> = Promise.resolve();

const VERDICT_TEXT: Record<NoiseVerdict, string> = { best: 'best', 'within-noise': '≈ within noise', behind: 'behind' };

/**
 * A run's start in the user's locale, once per run: `toLocaleString()` builds its formatter anew on
 * each call, and the charts ask for 200 runs' labels per axis — a quarter of a 200-run draw went here.
 */
const startedTexts = new Map<string, string>();
function startedText(r: ExperimentRow): string {
  let text = startedTexts.get(r.startedAt);
  if (text === undefined) {
    text = new Date(r.startedAt).toLocaleString();
    startedTexts.set(r.startedAt, text);
  }
  return text;
}

function runLabel(r: ExperimentRow): string {
  const when = startedText(r);
  if (r.trial) return `${when} · ${r.trial.stage} trial ${r.trial.number}/${r.trial.of}`;
  // The name leads (the filter finds runs by it); the time stays, to tell runs apart.
  return r.annotations?.name ? `${r.annotations.name} · ${when}` : when;
}

/** A label unique per run, for chart axes (two runs can start in the same second; trials share their run's time). */
function chartLabel(r: ExperimentRow): string {
  // A named run is known by its name (the id's tail keeps two runs of one name apart).
  return r.trial ? `trial ${r.trial.number} (${r.runId.split('#')[0]?.slice(-6)})` : `${r.annotations?.name ?? startedText(r)} (${r.runId.slice(-6)})`;
}

function shown(): ExperimentRow[] {
  return view ? visibleRows(view, { filter, sort, ranges: brushes }, runLabel) : [];
}

/** The metrics drawn as parallel axes: the chosen one first, then a few headline ones (a wall of axes reads as nothing). */
function axisMetrics(v: ExperimentsView): string[] {
  const others = v.metricNames.filter((m) => m !== metric && m !== 'example_count' && !m.startsWith('trial:'));
  return [metric, ...others].filter(Boolean).slice(0, 3);
}

function draw(): void {
  const v = view;
  if (!v) return;
  clear(app);
  if (!metric || !v.metricNames.includes(metric)) metric = v.metricNames.find((m) => m !== 'example_count') ?? v.metricNames[0] ?? '';
  const search = h('input', { type: 'search', class: 'filter', placeholder: 'Filter runs (any cell)', 'aria-label': 'Filter runs', value: filter });
  search.addEventListener('input', () => {
    filter = search.value;
    changedAt = performance.now();
    redrawRows();
  });
  const metricSelect = h('select', { 'aria-label': 'Metric to plot' }, ...v.metricNames.map((m) => h('option', { value: m, selected: m === metric }, m)));
  metricSelect.addEventListener('change', () => {
    metric = metricSelect.value;
    changedAt = performance.now();
    draw();
  });
  const exportReport = h('button', { type: 'button', class: 'secondary', title: 'A ticked run (the newer of two, against the other) or the newest, as Markdown or one HTML page' }, 'Export Report…');
  exportReport.addEventListener('click', () => {
    // Rows are newest first: with two ticked, the newer is reported against the older. A Tuner's trial is no run of its own.
    const ticked = v.rows.filter((r) => selected.has(r.runId) && !r.trial).map((r) => r.runId);
    api.post({ type: 'exportReport', ...(ticked[0] ? { runId: ticked[0] } : {}), ...(ticked.length === 2 && ticked[1] ? { against: ticked[1] } : {}) });
  });
  const exportButton = h('button', { type: 'button', class: 'export', title: 'Save the table as shown (filter, brushes, sort) as CSV' }, 'Export CSV…');
  exportButton.addEventListener('click', () => api.post({ type: 'exportCsv' }));
  app.append(
    h('header', { class: 'toolbar' }, h('h1', {}, `Experiments · ${v.pipeline}`), search, h('label', { class: 'inline' }, 'Plot ', metricSelect), exportButton, exportReport),
    h(
      'p',
      { class: 'hint' },
      v.rows.length
        ? `${v.rows.length} run(s). Parameter columns are those that differ between runs${v.changedParams.length ? '' : ' (none do yet)'}. Tick runs to compare them; drag on an axis of the parallel coordinates to filter. “≈” marks a metric within the noise of the best shown run (their 95% intervals overlap).`
        : 'No runs yet: run the pipeline, change a parameter, run it again.',
    ),
    h('p', { class: 'hint shows', id: 'shows' }),
    h('div', { class: 'tablewrap sticky' }, h('table', { class: 'grid experiments' }, h('thead', { id: 'thead' }), h('tbody', { id: 'tbody' }))),
    h(
      'div',
      { class: 'charts' },
      h('figure', { 'data-chart': 'metric' }, h('div', { class: 'chart', id: 'metric-chart' })),
      h('figure', { 'data-chart': 'history' }, h('div', { class: 'chart', id: 'history-chart' })),
    ),
    h('section', { class: 'parallel' }, h('h2', {}, 'Parameters and metrics'), h('div', { class: 'brushes', id: 'brushes' }), h('figure', { 'data-chart': 'parallel' }, h('div', { class: 'chart', id: 'parallel-chart' }))),
    scatterSection(v),
    h(
      'section',
      { class: 'importance' },
      h('h2', {}, `What moves ${metric}`),
      h(
        'div',
        { class: 'charts' },
        h('figure', { 'data-chart': 'importance' }, h('p', { class: 'hint', id: 'importance-hint' }), h('div', { class: 'chart', id: 'importance-chart' })),
        h('figure', { 'data-chart': 'forest' }, h('p', { class: 'hint', id: 'forest-hint' }), h('div', { class: 'chart', id: 'forest-chart' })),
      ),
    ),
  );
  redrawRows();
}

function scatterSection(v: ExperimentsView): HTMLElement {
  const choices = [...v.changedParams.map((p) => ({ key: `param:${p}`, label: p })), ...v.metricNames.map((m) => ({ key: m, label: m }))];
  if (!choices.some((c) => c.key === scatterX)) scatterX = choices[0]?.key ?? '';
  if (!v.metricNames.includes(scatterY)) scatterY = metric;
  const xSelect = h('select', { 'aria-label': 'Scatter x', class: 'scatter-x' }, ...choices.map((c) => h('option', { value: c.key, selected: c.key === scatterX }, c.label)));
  const ySelect = h('select', { 'aria-label': 'Scatter y', class: 'scatter-y' }, ...v.metricNames.map((m) => h('option', { value: m, selected: m === scatterY }, m)));
  xSelect.addEventListener('change', () => {
    scatterX = xSelect.value;
    changedAt = performance.now();
    void track(plotScatter(shown()));
  });
  ySelect.addEventListener('change', () => {
    scatterY = ySelect.value;
    changedAt = performance.now();
    void track(plotScatter(shown()));
  });
  return h('section', { class: 'scatter' }, h('h2', {}, 'Scatter'), h('p', { class: 'chart-controls' }, h('label', { class: 'inline' }, 'y ', ySelect), h('label', { class: 'inline' }, ' against x ', xSelect)), h('figure', { 'data-chart': 'scatter' }, h('div', { class: 'chart', id: 'scatter-chart' })));
}

/** The table body, the charts of the shown rows and the render acknowledgement; the toolbar stays (its input keeps focus). */
function redrawRows(): void {
  const v = view;
  if (!v) return;
  const tableStart = performance.now();
  const rows = shown();
  const columns = tableColumns(v);
  const shows = document.getElementById('shows');
  const by = [filter.trim() ? 'the filter' : '', brushes.length ? `${brushes.length} brush(es)` : ''].filter(Boolean).join(' and ');
  if (shows) shows.textContent = rows.length === v.rows.length ? '' : `Showing ${rows.length} of ${v.rows.length} runs (${by}).`;
  const verdicts = new Map(v.metricNames.map((m) => [m, noiseVerdicts(m, rows)]));
  const thead = document.getElementById('thead');
  const tbody = document.getElementById('tbody');
  if (!thead || !tbody) return;
  clear(thead);
  clear(tbody);
  thead.append(
    h(
      'tr',
      {},
      h('th', { scope: 'col' }, ''),
      ...columns.map((c) => {
        const active = sort.key === c.key;
        const b = h('button', { type: 'button', class: 'sort', title: `Sort by ${c.label}` }, c.label, active ? (sort.dir === 1 ? ' ▲' : ' ▼') : '');
        b.addEventListener('click', () => {
          sort = { key: c.key, dir: active ? ((-sort.dir) as 1 | -1) : -1 };
          changedAt = performance.now();
          redrawRows();
        });
        return h('th', { scope: 'col', 'data-key': c.key, 'aria-sort': active ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none' }, b);
      }),
    ),
  );
  for (const r of rows) {
    const box = h('input', { type: 'checkbox', 'aria-label': `Compare run ${r.runId}`, checked: selected.has(r.runId) });
    box.addEventListener('change', () => {
      if (box.checked) selected.add(r.runId);
      else selected.delete(r.runId);
      changedAt = performance.now();
      void track(plotMetric(shown()).then(() => plotHistory()));
    });
    // A long name is cut short (its buttons stay in a 400 px column); the whole name and the note are its tooltip.
    const label = runLabel(r);
    const runCell = h('td', {}, h('span', { class: 'run-label', title: [label, r.annotations?.note].filter(Boolean).join('\n\n') }, label));
    if (!r.trial) {
      const starred = !!r.annotations?.starred;
      const star = h('button', { type: 'button', class: 'sort star', 'aria-pressed': String(starred), 'aria-label': `${starred ? 'Unstar' : 'Star'} run ${r.runId}`, title: starred ? 'Starred: Clean Up Store keeps it. Click to unstar.' : 'Star (Clean Up Store keeps starred runs)' }, starred ? '★' : '☆');
      star.addEventListener('click', () => api.post({ type: 'annotate', runId: r.runId, action: 'star' }));
      const rename = h('button', { type: 'button', class: 'sort', title: 'Rename the run', 'aria-label': `Rename run ${r.runId}` }, '✎');
      rename.addEventListener('click', () => api.post({ type: 'annotate', runId: r.runId, action: 'rename' }));
      const note = h('button', { type: 'button', class: 'sort', title: r.annotations?.note ? `Note: ${r.annotations.note}` : 'Add a note', 'aria-label': `Edit the note of run ${r.runId}` }, r.annotations?.note ? '¶' : '+note');
      note.addEventListener('click', () => api.post({ type: 'annotate', runId: r.runId, action: 'note' }));
      runCell.prepend(star, ' ');
      runCell.append(' ', rename, note);
    }
    if (r.evaluation) {
      const link = h('button', { type: 'button', class: 'sort', title: 'Open this run\'s evaluation' }, r.blessed ? ' ✓' : ' ✗');
      const folder = r.evaluation;
      link.addEventListener('click', () => api.post({ type: 'openEvaluation', folder }));
      runCell.append(link);
    }
    tbody.append(
      h(
        'tr',
        { 'data-run': r.runId, ...(r.trial ? { class: 'trial' } : {}) },
        h('td', {}, box),
        runCell,
        h('td', {}, r.status),
        ...v.changedParams.map((p) => h('td', { 'data-key': `param:${p}` }, r.params[p] ?? '')),
        ...v.metricNames.map((m) => {
          const interval = r.intervals?.[m];
          const verdict = verdicts.get(m)?.get(r.runId);
          const title = [interval ? `95% interval ${formatNumber(interval[0])} – ${formatNumber(interval[1])}` : '', verdict === 'within-noise' ? 'within the noise of the best shown run: their intervals overlap' : verdict === 'best' ? 'the best shown run' : ''].filter(Boolean).join('; ');
          return h(
            'td',
            { class: `num${verdict ? ` ${verdict}` : ''}`, 'data-key': m, ...(verdict ? { 'data-verdict': verdict } : {}), ...(title ? { title } : {}) },
            verdict === 'within-noise' ? h('span', { class: 'noise', 'aria-label': 'within noise' }, '≈ ') : '',
            formatNumber(r.metrics[m]),
          );
        }),
      ),
    );
  }
  timings['table'] = Math.round(performance.now() - tableStart);
  performance.measure('experiments:table', { start: tableStart });
  void track(plotAll(rows));
  api.post({ type: 'importance', metric, runs: rows.map((r) => r.runId) });
}

/** Charts are drawn one after another, each change after the previous drawing, then acknowledged. */
function track(p: Promise<unknown>): Promise<void> {
  drawing = drawing.then(() => p).then(acknowledge, report);
  return drawing;
}

async function plotAll(rows: readonly ExperimentRow[]): Promise<void> {
  await timed('metric', () => plotMetric(rows));
  await timed('history', () => plotHistory());
  await timed('parallel', () => plotParallel());
  await timed('scatter', () => plotScatter(rows));
  await timed('importance', () => plotImportance());
}

/**
 * Milliseconds each part took at its last draw (a performance measure `experiments:<part>` too, for
 * Chromium's profiler): the browser test logs them with the 200-run draw time.
 */
const timings: Record<string, number> = {};
async function timed(part: string, draw: () => Promise<void> | void): Promise<void> {
  const start = performance.now();
  try {
    await draw();
  } finally {
    timings[part] = Math.round(performance.now() - start);
    performance.measure(`experiments:${part}`, { start });
  }
}

let lastChart: { metric: string; runs: string[]; withinNoise: string[]; domain?: [number, number] } | undefined;
let lastScatter: { x: string; y: string; points: number } | undefined;

async function plotMetric(rows: readonly ExperimentRow[]): Promise<void> {
  const box = document.getElementById('metric-chart');
  if (!box) return;
  clear(box);
  lastChart = undefined;
  const runs = rows.filter((r) => selected.has(r.runId));
  if (!runs.length || !metric) {
    box.append(h('p', { class: 'hint' }, 'Tick runs in the table to plot their metric with its 95% interval.'));
    return;
  }
  const verdicts = noiseVerdicts(metric, runs);
  const values = runs
    .filter((r) => r.metrics[metric] !== undefined)
    .map((r) => {
      const i = r.intervals?.[metric];
      const verdict = verdicts.get(r.runId);
      return { run: chartLabel(r), value: r.metrics[metric] as number, ...(i ? { low: i[0], high: i[1] } : {}), verdict: verdict ? VERDICT_TEXT[verdict] : i ? 'not compared' : 'no interval' };
    });
  box.append(
    h('p', { class: 'hint caption' }, values.some((x) => x.low !== undefined) ? 'Bars: each run\'s 95% bootstrap interval on its eval rows. ≈: within the noise of the best (the intervals overlap).' : 'No intervals recorded (evaluations made before intervals were written).'),
  );
  const chartBox = box.appendChild(h('div', {}));
  const domain = honestDomain(values);
  const mid = domain ? (domain[0] + domain[1]) / 2 : 0;
  lastChart = { metric, runs: runs.map((r) => r.runId), withinNoise: [...verdicts].filter(([, x]) => x === 'within-noise').map(([id]) => id), ...(domain ? { domain } : {}) };
  await drawChart(chartBox, {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `${metric} across ${values.length} run(s)`, anchor: 'start' },
    width: 'container',
    height: { step: 22 },
    data: { values },
    // The axis holds every interval (src/core/experimentsCompare.ts, honestDomain): two runs whose
    // difference is inside their noise are drawn overlapping, not spread over the whole width.
    encoding: {
      y: { field: 'run', type: 'nominal', title: null, sort: null, axis: { labelLimit: Math.max(90, Math.min(220, box.clientWidth * 0.4)) } },
      tooltip: [{ field: 'run' }, { field: 'value', format: '.4~r' }, { field: 'low', format: '.4~r', title: '95% low' }, { field: 'high', format: '.4~r', title: '95% high' }, { field: 'verdict' }],
    },
    layer: [
      { transform: [{ filter: 'isValid(datum.low)' }], mark: { type: 'rule', strokeWidth: 2, opacity: 0.7 }, encoding: { x: { field: 'low', type: 'quantitative', scale: { domain, zero: false, nice: false }, title: metric, axis: { labelExpr: axisLabelExpr } }, x2: { field: 'high' } } },
      {
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          x: { field: 'value', type: 'quantitative', scale: { domain, zero: false, nice: false }, title: metric },
          color: { field: 'verdict', type: 'nominal', title: null, scale: { domain: ['best', '≈ within noise', 'behind', 'not compared', 'no interval'], range: [accent(), '#e8a33d', '#8c8c8c', '#b0b0b0', '#5a5a5a'] }, legend: { orient: 'bottom', columns: 2 } },
        },
      },
      // A label sits left of its dot in the right half, so the right-most one is never cut at the edge.
      { transform: [{ filter: `datum.value <= ${mid}` }], mark: { type: 'text', align: 'left', dx: 7, dy: -9, fontSize: 10 }, encoding: { x: { field: 'value', type: 'quantitative' }, text: { field: 'value', format: '.4~r' } } },
      { transform: [{ filter: `datum.value > ${mid}` }], mark: { type: 'text', align: 'right', dx: -7, dy: -9, fontSize: 10 }, encoding: { x: { field: 'value', type: 'quantitative' }, text: { field: 'value', format: '.4~r' } } },
    ],
  } as unknown as TopLevelSpec);
}

async function plotHistory(): Promise<void> {
  const v = view;
  const box = document.getElementById('history-chart');
  if (!v || !box) return;
  clear(box);
  const runs = v.rows.filter((r) => selected.has(r.runId));
  const curves = runs.flatMap((r) => (r.history ?? []).map((e) => ({ run: chartLabel(r), epoch: e.epoch, loss: e.val_loss ?? e.loss })));
  if (!curves.length) return;
  await drawChart(box, {
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
      color: { field: 'run', type: 'nominal', legend: { orient: 'bottom', direction: 'vertical', labelLimit: Math.max(120, box.clientWidth - 90) } },
      strokeDash: { field: 'run', type: 'nominal', scale: { range: [[8, 5], [2, 4], [12, 3, 2, 3], [5, 3], [1, 6]] } },
      shape: { field: 'run', type: 'nominal' },
    },
  } as unknown as TopLevelSpec);
}

/**
 * Parallel coordinates: one vertical axis per changed parameter and per plotted metric, each
 * normalised to its own range (numbers min…max, categories evenly in sorted order); a line per run,
 * greyed when the table filters it out. Dragging a rectangle over one or more axes brushes them; the
 * brushes (the table's filter) are drawn as bands on their axes and listed above with a ✕ each.
 */
async function plotParallel(): Promise<void> {
  const v = view;
  const box = document.getElementById('parallel-chart');
  const list = document.getElementById('brushes');
  if (!v || !box || !list) return;
  clear(box);
  clear(list);
  const axes = parallelAxes(v, axisMetrics(v));
  if (axes.length < 2 || v.rows.length < 2) {
    box.append(h('p', { class: 'hint' }, 'Parallel coordinates need two runs and a parameter or metric that differs.'));
    return;
  }
  for (const b of brushes) {
    const axis = parallelAxis(v, b.axis);
    const remove = h('button', { type: 'button', class: 'brush', title: `Remove the brush on ${axis.label}`, 'data-axis': b.axis }, `${axis.label}: ${rangeText(axis, b)} ✕`);
    remove.addEventListener('click', () => {
      brushes = brushes.filter((x) => x.axis !== b.axis);
      changedAt = performance.now();
      redrawRows();
    });
    list.append(remove);
  }
  if (brushes.length) {
    const all = h('button', { type: 'button', class: 'brush clear' }, 'Clear brushes');
    all.addEventListener('click', () => {
      brushes = [];
      changedAt = performance.now();
      redrawRows();
    });
    list.append(all);
  }
  const kept = new Set(shown().map((r) => r.runId));
  const color = accent();
  const points = v.rows.flatMap((r) => {
    const label = chartLabel(r);
    const on = kept.has(r.runId);
    return axes.flatMap((a, i) => {
      const norm = a.norm(r);
      // Colour and opacity as values (scale: null), not a `datum.kept` test: Vega's expression interpreter (the strict CSP forbids compiled expressions) was a large share of a 200-run draw.
      return norm === undefined ? [] : [{ run: r.runId, label, axis: i, norm, value: String(a.kind === 'numeric' ? formatNumber(Number(r.metrics[a.key] ?? r.params[a.label])) : (r.params[a.label] ?? '')), color: on ? color : 'gray', opacity: on ? 0.85 : 0.12 }];
    });
  });
  // Each run's polyline as one segment per pair of neighbouring axes it has values on: one flat rule
  // mark, where a line mark grouped by run made a group (and a dataflow) per run — with 200 runs the
  // parallel coordinates took most of the panel's draw.
  const segments = points.flatMap((p, k) => {
    const next = points[k + 1];
    return next && next.run === p.run ? [{ ...p, axis2: next.axis, norm2: next.norm }] : [];
  });
  const runColour = { color: { field: 'color', type: 'nominal', scale: null, legend: null }, opacity: { field: 'opacity', type: 'quantitative', scale: null, legend: null } };
  // Points on the axes help read a few runs; with many they are a thousand more marks and hide the lines.
  const withPoints = v.rows.length <= POINTS_UP_TO_RUNS;
  const ticks = axes.flatMap((a, i) =>
    a.kind === 'numeric'
      ? [
          { axis: i, norm: 0, text: formatNumber(a.min) },
          { axis: i, norm: 1, text: formatNumber(a.max) },
        ]
      : a.categories.map((c, k) => ({ axis: i, norm: a.categories.length <= 1 ? 0.5 : k / (a.categories.length - 1), text: c.length > 14 ? `${c.slice(0, 13)}…` : c })),
  );
  const bands = brushes.flatMap((b) => {
    const i = axes.findIndex((a) => a.key === b.axis);
    return i < 0 ? [] : [{ x: i - 0.12, x2: i + 0.12, y: Math.min(b.low, b.high), y2: Math.max(b.low, b.high) }];
  });
  // Axis names share the width: at 400 px five axes leave ~11 characters each; the end of a name (`…hidden_units`) tells more than its stage.
  const room = Math.max(5, Math.min(18, Math.floor((box.clientWidth || 600) / axes.length / 7)));
  const x = { field: 'axis', type: 'quantitative', scale: { domain: [-0.4, axes.length - 0.6], nice: false, zero: false }, axis: null };
  const y = { field: 'norm', type: 'quantitative', scale: { domain: [-0.06, 1.06], nice: false, zero: false }, axis: null };
  const result = await drawChart(box, {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 'container',
    height: 220,
    padding: { left: 12, right: 12, top: 24, bottom: 8 },
    layer: [
      { data: { values: axes.map((a, i) => ({ axis: i, label: a.label })) }, mark: { type: 'rule', opacity: 0.6 }, encoding: { x, y: { datum: 0, type: 'quantitative', scale: y.scale, axis: null }, y2: { datum: 1 } } },
      { data: { values: bands }, mark: { type: 'rect', opacity: 0.25, color, stroke: color, strokeOpacity: 0.9 }, encoding: { description: { value: 'brush band' }, x: { field: 'x', type: 'quantitative', scale: x.scale, axis: null }, x2: { field: 'x2' }, y: { field: 'y', type: 'quantitative', scale: y.scale, axis: null }, y2: { field: 'y2' } } },
      {
        data: { values: segments },
        params: [{ name: 'brush', select: { type: 'interval', encodings: ['x', 'y'] } }],
        mark: { type: 'rule', strokeWidth: 1.5 },
        encoding: { x, y, x2: { field: 'axis2' }, y2: { field: 'norm2' }, ...runColour, tooltip: { field: 'label', title: 'run' } },
      },
      ...(withPoints ? [{ data: { values: points }, mark: { type: 'point', size: 14, filled: true }, encoding: { x, y, ...runColour, tooltip: [{ field: 'label', title: 'run' }, { field: 'value' }] } }] : []),
      { data: { values: ticks }, mark: { type: 'text', align: 'left', dx: 4, fontSize: 9, opacity: 0.8 }, encoding: { x, y, text: { field: 'text' } } },
      { data: { values: axes.map((a, i) => ({ axis: i, norm: 1.06, label: shorten(a.label, room) })) }, mark: { type: 'text', baseline: 'bottom', dy: -2, fontSize: 10, fontWeight: 'bold' }, encoding: { x, y, text: { field: 'label' } } },
    ],
  } as unknown as TopLevelSpec);
  // A drag sets the brush of every axis it spans; the table follows as the rectangle moves, and the
  // chart is redrawn with the brushes as bands once the pointer is released.
  result.addSignalListener('brush', (_name, value: unknown) => {
    const range = value as { axis?: [number, number]; norm?: [number, number] } | null;
    if (!range?.axis || !range.norm) return;
    const [x0, x1] = [Math.min(...range.axis), Math.max(...range.axis)];
    const low = Math.max(0, Math.min(...range.norm));
    const high = Math.min(1, Math.max(...range.norm));
    const spanned = axes.filter((_, i) => i >= x0 && i <= x1).map((a) => a.key);
    if (!spanned.length) return;
    brushes = [...brushes.filter((b) => !spanned.includes(b.axis)), ...spanned.map((axis) => ({ axis, low, high }))];
    brushPending = true;
    changedAt = performance.now();
    redrawTableOnly();
  });
}

/**
 * The live view of each chart box. A detached view still re-runs on every resize — the parallel
 * coordinates' old view would send its old brush again — so the previous one is finalized first.
 */
const views = new Map<string, View>();
async function drawChart(box: HTMLElement, spec: TopLevelSpec): Promise<View> {
  const key = box.id || box.parentElement?.id || '';
  views.get(key)?.finalize();
  // Two hundred runs make thousands of rows of chart data: the view takes them directly (webviews/shared/vega.ts).
  const v = await renderVegaLite(box, spec, { hoistData: true });
  views.set(key, v);
  return v;
}

/** A brush drag changed the brushes; the chart is redrawn (bands on the axes) when the pointer is released, wherever. */
let brushPending = false;
window.addEventListener('pointerup', () => {
  if (!brushPending) return;
  brushPending = false;
  redrawRows();
});

/** The parallel coordinates mark each run's value on each axis with a point up to this many runs. */
const POINTS_UP_TO_RUNS = 40;

function accent(): string {
  return getComputedStyle(document.body).getPropertyValue('--vscode-charts-blue').trim() || '#4c78a8';
}

function shorten(label: string, room: number): string {
  return label.length > room ? `…${label.slice(-(room - 1))}` : label;
}

function rangeText(axis: ReturnType<typeof parallelAxis>, b: ExperimentsBrush): string {
  const lo = Math.min(b.low, b.high);
  const hi = Math.max(b.low, b.high);
  if (axis.kind === 'numeric') return `${formatNumber(axis.min + lo * (axis.max - axis.min))} – ${formatNumber(axis.min + hi * (axis.max - axis.min))}`;
  const n = axis.categories.length - 1;
  const inside = axis.categories.filter((_, k) => (n <= 0 ? 0.5 : k / n) >= lo - 1e-9 && (n <= 0 ? 0.5 : k / n) <= hi + 1e-9);
  return inside.join(', ') || 'none';
}

/** While a brush is dragged: the table and the count only (redrawing the chart would drop the drag). */
function redrawTableOnly(): void {
  const v = view;
  const tbody = document.getElementById('tbody');
  if (!v || !tbody) return;
  const keep = new Set(shown().map((r) => r.runId));
  for (const tr of tbody.querySelectorAll<HTMLElement>('tr[data-run]')) tr.hidden = !keep.has(tr.dataset['run'] ?? '');
  const shows = document.getElementById('shows');
  if (shows) shows.textContent = `Showing ${keep.size} of ${v.rows.length} runs (brushing).`;
}

async function plotScatter(rows: readonly ExperimentRow[]): Promise<void> {
  const v = view;
  const box = document.getElementById('scatter-chart');
  if (!v || !box) return;
  clear(box);
  lastScatter = undefined;
  if (!scatterX || !scatterY) return;
  const xAxis = parallelAxis(v, scatterX);
  const xOf = (r: ExperimentRow): number | string | undefined => {
    const raw = scatterX.startsWith('param:') ? r.params[scatterX.slice(6)] : r.metrics[scatterX];
    if (raw === undefined || raw === '') return undefined;
    return xAxis.kind === 'numeric' ? Number(raw) : String(raw);
  };
  const points = rows.flatMap((r) => {
    const x = xOf(r);
    const y = r.metrics[scatterY];
    const i = r.intervals?.[scatterY];
    return x === undefined || y === undefined ? [] : [{ run: chartLabel(r), x, y, ...(i ? { low: i[0], high: i[1] } : {}) }];
  });
  lastScatter = { x: scatterX, y: scatterY, points: points.length };
  if (!points.length) {
    box.append(h('p', { class: 'hint' }, `No shown run has both ${xAxis.label} and ${scatterY}.`));
    return;
  }
  const yDomain = honestDomain(points.map((p) => ({ value: p.y, ...(p.low !== undefined ? { low: p.low, high: p.high } : {}) })));
  const xEnc = xAxis.kind === 'numeric' ? { field: 'x', type: 'quantitative', title: xAxis.label, scale: { zero: false, padding: 12 }, axis: { labelExpr: axisLabelExpr } } : { field: 'x', type: 'nominal', title: xAxis.label, sort: xAxis.categories, axis: { labelLimit: 90 } };
  await drawChart(box, {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${scatterY} against ${xAxis.label}`,
    width: 'container',
    height: 220,
    data: { values: points },
    encoding: { x: xEnc, tooltip: [{ field: 'run' }, { field: 'x', title: xAxis.label }, { field: 'y', title: scatterY, format: '.4~r' }] },
    layer: [
      { transform: [{ filter: 'isValid(datum.low)' }], mark: { type: 'rule', opacity: 0.5 }, encoding: { y: { field: 'low', type: 'quantitative', scale: { domain: yDomain, zero: false, nice: false } }, y2: { field: 'high' } } },
      { mark: { type: 'point', filled: true, size: 50 }, encoding: { y: { field: 'y', type: 'quantitative', title: scatterY, scale: { domain: yDomain, zero: false, nice: false }, axis: { labelExpr: axisLabelExpr } } } },
    ],
  } as unknown as TopLevelSpec);
}

let lastImportance: ExperimentsRendered['importance'];

async function plotImportance(): Promise<void> {
  const box = document.getElementById('importance-chart');
  const hint = document.getElementById('importance-hint');
  const forestBox = document.getElementById('forest-chart');
  const forestHint = document.getElementById('forest-hint');
  if (!box || !hint || !forestBox || !forestHint) return;
  clear(box);
  clear(forestBox);
  lastImportance = undefined;
  const imp = importance && importance.metric === metric ? importance : undefined;
  if (!imp) {
    hint.textContent = 'Computing…';
    forestHint.textContent = '';
    return;
  }
  const bars = imp.correlations.filter((c) => c.spearman !== undefined).map((c) => ({ param: c.param, rho: c.spearman as number, r: c.pearson, runs: c.runs }));
  const forest = imp.forest;
  lastImportance = { metric, byCorrelation: bars.map((b) => b.param), ...(forest && typeof forest === 'object' && 'importances' in forest ? { byForest: forest.importances.map((f) => f.param) } : {}) };
  hint.textContent = bars.length
    ? `Spearman's rank correlation ρ of each changed parameter with ${metric} over the ${imp.runs} shown run(s) (Pearson's r in the tooltip for numeric parameters). A categorical parameter is ranked by its sorted values, so only the size of its ρ means something. Correlation, not cause: parameters changed together share it; an effect that rises then falls scores near 0 here — see the forest.`
    : `No changed parameter varies over three or more shown runs with ${metric}.`;
  forestHint.textContent =
    forest === undefined
      ? `A random forest ranks the parameters once ${FOREST_MIN_RUNS} or more shown runs have ${metric} (${imp.runs} shown).`
      : forest === 'computing'
        ? 'Fitting a random forest on the shown runs…'
        : 'error' in forest
          ? `The forest could not be fitted: ${forest.error}`
          : `A random forest (${forest.trees} trees, Yggdrasil Decision Forests) fitted on the parameters of ${forest.runs} runs → ${metric}; each bar is the parameter's share of the variance its splits remove, so an effect that peaks inside the range counts too. Out-of-bag RMSE ${formatNumber(forest.oobRmse)} against the metric's standard deviation ${formatNumber(forest.metricSd)}: ${forest.oobRmse !== undefined && forest.oobRmse < 0.9 * forest.metricSd ? 'the forest explains part of it' : 'near it, the forest explains little — read the shares with care'}.`;
  if (bars.length) {
    await drawChart(box, {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: 'container',
      height: { step: 20 },
      data: { values: bars },
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'param', type: 'nominal', sort: null, title: null, axis: { labelLimit: 160 } },
        x: { field: 'rho', type: 'quantitative', title: `Spearman ρ with ${metric}`, scale: { domain: [-1, 1] } },
        tooltip: [{ field: 'param' }, { field: 'rho', format: '.3f', title: 'Spearman ρ' }, { field: 'r', format: '.3f', title: 'Pearson r' }, { field: 'runs' }],
      },
    } as unknown as TopLevelSpec);
  }
  if (forest && typeof forest === 'object' && 'importances' in forest) {
    await drawChart(forestBox, {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: 'container',
      height: { step: 20 },
      data: { values: forest.importances },
      mark: { type: 'bar', color: accent() },
      encoding: {
        y: { field: 'param', type: 'nominal', sort: null, title: null, axis: { labelLimit: 160 } },
        x: { field: 'share', type: 'quantitative', title: `Forest importance for ${metric} (share)`, scale: { domain: [0, 1] }, axis: { format: '.0%' } },
        tooltip: [{ field: 'param' }, { field: 'share', format: '.1%', title: 'share of split score' }],
      },
    } as unknown as TopLevelSpec);
  }
}

function acknowledge(): void {
  const rows = [...app.querySelectorAll<HTMLElement>('table.experiments tbody tr')].filter((tr) => !tr.hidden).map((tr) => tr.dataset['run'] ?? '');
  const columns = [...app.querySelectorAll<HTMLElement>('table.experiments thead th[data-key]')].map((th) => th.dataset['key'] ?? '');
  const drawMs = Math.round(performance.now() - changedAt);
  app.dataset['drawMs'] = String(drawMs);
  app.dataset['timings'] = JSON.stringify(timings);
  // The panel is drawn once the table, the charts and the correlations (a round trip to the host) are;
  // the forest, fitted in the worker, comes later and times its own draw.
  if (viewArrivedAt !== undefined && importance?.metric === metric && importance.receivedAt >= viewArrivedAt) {
    app.dataset['viewMs'] = String(Math.round(performance.now() - viewArrivedAt));
    viewArrivedAt = undefined;
  }
  api.post({ type: 'rendered', rows, columns, brushes, drawMs, ...(lastChart ? { chart: lastChart } : {}), ...(lastScatter ? { scatter: lastScatter } : {}), ...(lastImportance ? { importance: lastImportance } : {}) });
}

api.onMessage((m) => {
  if (m.type === 'view') {
    changedAt = performance.now();
    viewArrivedAt = changedAt;
    delete app.dataset['viewMs'];
    view = m.view;
    draw();
  } else if (m.type === 'select') {
    changedAt = performance.now();
    selected.clear();
    for (const r of m.runs) selected.add(r);
    if (m.metric) metric = m.metric;
    draw();
  } else if (m.type === 'importance') {
    // The forest arrives after the rest is drawn (fitted in the worker): its render times its own draw.
    if (m.forest && m.forest !== 'computing') changedAt = performance.now();
    importance = { ...m, receivedAt: performance.now() };
    void track(timed('importance', () => plotImportance()));
  } else if (m.type === 'requestCsv') {
    const rows = shown();
    if (view) api.post({ type: 'csv', requestId: m.requestId, csv: experimentsCsv(view, rows), rows: rows.length });
  }
});

api.ready();
