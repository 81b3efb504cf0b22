/**
 * The monitoring webview: the window and request count, schema anomalies with their TFDV
 * descriptions, the skew/drift table (anomalous features first and highlighted), the distance of
 * each feature over hourly or daily windows (the threshold drawn as a rule), and — for the selected
 * feature — its training and serving distributions overlaid (webviews/shared/distributionCharts).
 * Acknowledges every drawing with `rendered` (what it drew, read back from the page).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { FromMonitoringWebview, MonitorBy, MonitorFeature, MonitorResult, MonitoringAck, MonitoringState, ToMonitoringWebview } from '../../src/protocol/monitoring';
import { activatableRow, clear, h } from '../shared/dom';
import { distributionSpecs } from '../shared/distributionCharts';
import { formatCount, formatNumber } from '../../src/core/format';
import { connect } from '../shared/host';
import { renderVegaLite } from '../shared/vega';

const channel = connect<ToMonitoringWebview, FromMonitoringWebview, MonitoringState>();
let state: MonitoringState = channel.getState() ?? ({ pipelineFile: '', logDir: '', by: 'hour' } as MonitoringState);
const setState = (patch: Partial<MonitoringState>): void => {
  state = { ...state, ...patch };
  channel.setState(state);
};

const css = (name: string, fallback: string): string => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
const ACCENT = css('--vscode-charts-blue', '#4c78a8');
const ALERT = css('--vscode-charts-red', '#e45756');
const METRIC: Record<string, string> = { L_INFTY: 'L∞ distance', JENSEN_SHANNON_DIVERGENCE: 'Jensen–Shannon divergence' };
const METRIC_SHORT: Record<string, string> = { L_INFTY: 'L∞', JENSEN_SHANNON_DIVERGENCE: 'JS' };
const app = document.getElementById('app') ?? document.body;
let report: Extract<MonitorResult, { kind: 'report' }> | undefined;
/** Bumped on every drawing, so a late chart of an older drawing acknowledges nothing. */
let generation = 0;

const status = h('span', { class: 'status', role: 'status' }, 'Reading the request log…');
const windowLine = h('span', { class: 'window hint' });
const byButtons = (['hour', 'day'] as const).map((by) => {
  const b = h('button', { type: 'button', class: 'toggle', 'data-by': by, 'aria-pressed': String(state.by === by) }, `by ${by}`);
  b.addEventListener('click', () => {
    if (state.by === by) return;
    setState({ by });
    for (const x of byButtons) x.setAttribute('aria-pressed', String(x.dataset['by'] === by));
    channel.post({ type: 'setBy', by });
  });
  return b;
});
const refresh = h('button', { type: 'button', id: 'refresh', class: 'secondary', title: 'Read the request log again' }, 'Refresh');
refresh.addEventListener('click', () => channel.post({ type: 'refresh' }));
const labelsButton = h('button', { type: 'button', id: 'labels', class: 'secondary', title: 'Measure quality per version from labels that arrived later (request_id and the label, CSV or Parquet)' }, 'Labels…');
labelsButton.addEventListener('click', () => channel.post({ type: 'chooseLabels' }));
const body = h('div', { class: 'monitoring' });
app.append(
  h('header', { class: 'toolbar' }, h('h1', {}, 'Monitoring'), ...byButtons, labelsButton, refresh),
  h('div', { class: 'statusline' }, windowLine, status),
  h('p', { class: 'hint source', title: `${state.pipelineFile}\nlog: ${state.logDir}` }, `${state.pipelineFile.split(/[\\/]/).pop() ?? ''} · log ${state.logDir.split(/[\\/]/).filter(Boolean).pop() ?? ''}/`),
  body,
);

function section(cls: string, title: string, ...children: (Node | string)[]): HTMLElement {
  return h('section', { class: `evsection ${cls}`, 'aria-label': title }, h('h2', {}, title), ...children);
}

function sortedRows(features: readonly MonitorFeature[]): MonitorFeature[] {
  const ratio = (f: MonitorFeature) => (f.distance ?? 0) / (f.threshold || 1);
  return [...features].sort((a, b) => Number(b.anomalous) - Number(a.anomalous) || ratio(b) - ratio(a) || a.name.localeCompare(b.name));
}

function skewTable(r: NonNullable<typeof report>): HTMLElement {
  const rows = sortedRows(r.overall.features);
  const tbody = h('tbody');
  for (const f of rows) {
    const tr = h('tr', { tabindex: 0, 'data-feature': f.name, 'data-metric': f.metric ?? '', 'data-distance': f.distance === null ? '' : String(f.distance), 'data-threshold': String(f.threshold), 'data-anomalous': String(f.anomalous), class: f.anomalous ? 'exceeded' : '' });
    tr.append(
      h('td', {}, h('span', { class: 'fname' }, f.name)),
      h('td', { title: f.metric ? (METRIC[f.metric] ?? f.metric) : 'not compared' }, f.metric ? (METRIC_SHORT[f.metric] ?? f.metric) : '—'),
      h('td', { class: 'num' }, formatNumber(f.distance)),
      h('td', { class: 'num' }, formatNumber(f.threshold)),
      h('td', {}, f.anomalous ? h('span', { class: 'badge alert' }, 'anomalous') : h('span', { class: 'badge ok' }, 'ok')),
    );
    activatableRow(tr, () => select(f.name));
    tbody.append(tr);
  }
  const head = h('tr', {}, ...['Feature', 'Metric', 'Distance', 'Threshold', 'Status'].map((t) => h('th', { scope: 'col' }, t)));
  const flagged = rows.filter((f) => f.anomalous).length;
  return section('skew', `Training/serving skew (${flagged ? `${flagged} anomalous` : 'none anomalous'})`, h('div', { class: 'tablewrap' }, h('table', { class: 'grid skew' }, h('thead', {}, head), tbody)));
}

function anomalyList(r: NonNullable<typeof report>): HTMLElement {
  if (!r.overall.anomalies.length) return section('schemaanomalies', 'Anomalies', h('p', { class: 'ok' }, 'No anomalies: the requests match the schema and the training data.'));
  const items = r.overall.anomalies.map((a) =>
    h('li', { class: 'anomaly error', 'data-feature': a.feature, 'data-type': a.type }, h('strong', {}, a.feature || '(dataset)'), ' ', h('code', {}, a.type), h('p', { class: 'desc' }, a.description)),
  );
  return section('schemaanomalies', `Anomalies (${items.length})`, h('ul', { class: 'anomalylist' }, ...items));
}

function overTimeSpec(r: NonNullable<typeof report>, width: number): TopLevelSpec {
  const values = r.windows.flatMap((w) => w.features.filter((f) => f.distance !== null).map((f) => ({ feature: f.name, from: w.window.from, distance: f.distance, threshold: f.threshold, anomalous: f.anomalous, requests: w.requests })));
  const columns = Math.max(1, Math.min(4, Math.floor(width / 260)));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values },
    columns,
    facet: { field: 'feature', type: 'nominal', title: null, sort: sortedRows(r.overall.features).map((f) => f.name) },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: Math.max(160, Math.floor(width / columns) - 70),
      height: 90,
      layer: [
        { mark: { type: 'line' }, encoding: { x: { field: 'from', type: 'temporal', title: null }, y: { field: 'distance', type: 'quantitative', title: 'distance' } } },
        {
          mark: { type: 'point', filled: true, size: 40 },
          encoding: {
            x: { field: 'from', type: 'temporal' },
            y: { field: 'distance', type: 'quantitative' },
            color: { field: 'anomalous', type: 'nominal', scale: { domain: [false, true], range: [ACCENT, ALERT] }, legend: null },
            tooltip: [{ field: 'from', type: 'temporal', format: '%Y-%m-%d %H:%M', title: 'window' }, { field: 'distance', format: '.4f' }, { field: 'threshold' }, { field: 'requests' }],
          },
        },
        { mark: { type: 'rule', strokeDash: [4, 3], color: ALERT }, encoding: { y: { aggregate: 'max', field: 'threshold', type: 'quantitative' } } },
      ],
    },
  } as unknown as TopLevelSpec;
}

type Quality = NonNullable<NonNullable<typeof report>['quality']>;

/** The metric quality is drawn by: the first the Evaluator thresholds, else the task's headline. */
function qualityMetric(q: Quality): { metric: string; threshold: number | null } {
  const [metric, t] = Object.entries(q.thresholds)[0] ?? [];
  if (metric) return { metric, threshold: t?.lower_bound ?? t?.upper_bound ?? null };
  const have = new Set(q.versions.flatMap((v) => Object.keys(v.metrics)));
  return { metric: ['accuracy', 'auc', 'rmse'].find((m) => have.has(m)) ?? [...have][0] ?? 'accuracy', threshold: null };
}

/** Each version's share of the traffic: requests, the features flagged on its own, and its quality from labels. */
function versionTable(r: NonNullable<typeof report>): HTMLElement | undefined {
  const q = r.quality;
  const versions = [...new Set([...r.overall.versions.map((v) => v.version), ...(q?.versions ?? []).map((v) => v.version)])].sort((a, b) => a - b);
  if (versions.length < 2 && !q) return undefined;
  const shown = q ? qualityMetric(q) : undefined;
  const tbody = h('tbody');
  for (const version of versions) {
    const v = r.overall.versions.find((x) => x.version === version);
    const qv = q?.versions.find((x) => x.version === version);
    const flagged = (v?.features ?? []).filter((f) => f.anomalous).map((f) => f.name);
    const failed = qv?.passed === false;
    const tr = h('tr', { 'data-version': String(version), 'data-requests': String(v?.requests ?? 0), 'data-flagged': flagged.join(','), 'data-labelled': qv ? String(qv.labelled) : '', 'data-quality': qv?.passed === false ? 'failed' : qv?.passed ? 'passed' : 'none', class: flagged.length || failed ? 'exceeded' : '' });
    tr.append(
      h('td', {}, `v${version}`),
      h('td', { class: 'num' }, formatCount(v?.requests ?? 0)),
      h('td', {}, flagged.length ? flagged.join(', ') : '—'),
      ...(q && shown
        ? [
            h('td', { class: 'num' }, qv ? formatCount(qv.labelled) : '0'),
            h('td', { class: 'num', title: qv ? qv.checks.map((c) => c.message).join('\n') : 'no label joined yet' }, formatNumber(qv?.metrics[shown.metric] ?? null)),
          ]
        : []),
      h('td', {}, flagged.length || failed ? h('span', { class: 'badge alert', title: [flagged.length ? 'skew or anomalies on its own traffic' : '', failed ? 'quality fails the Evaluator\'s threshold' : ''].filter(Boolean).join('; ') }, failed && flagged.length ? 'both' : failed ? 'quality' : 'skew') : h('span', { class: 'badge ok' }, 'ok')),
    );
    tbody.append(tr);
  }
  // Short headings: the table fits the ~500 px column the panel opens in beside the pipeline.
  const heads = ['Version', 'Requests', 'Skew', ...(q && shown ? ['Labelled', shown.metric] : []), 'Status'];
  const head = h('tr', {}, ...heads.map((t) => h('th', { scope: 'col' }, t)));
  const parts: Node[] = [h('div', { class: 'tablewrap' }, h('table', { class: 'grid versions' }, h('thead', {}, head), tbody))];
  if (q) {
    const line = Object.entries(q.thresholds).flatMap(([m, t]) => [t.lower_bound !== undefined ? `${m} ≥ ${formatNumber(t.lower_bound)}` : '', t.upper_bound !== undefined ? `${m} ≤ ${formatNumber(t.upper_bound)}` : '']).filter(Boolean);
    parts.push(
      h(
        'p',
        { class: 'hint qualitysource', title: q.labelsFile },
        `Labels: ${q.labelsFile.split(/[\\/]/).pop() ?? ''} — ${formatCount(q.labels)} labels, ${formatCount(q.matched)} joined, ${formatCount(q.unmatchedLabels)} with no logged request, ${formatCount(q.unlabelledRequests)} requests without a label yet. ` +
          (line.length ? `Alert line (Evaluator ${q.evaluator ?? ''}): ${line.join(', ')}.` : 'No Evaluator value threshold: quality is shown, not judged.'),
      ),
    );
  }
  return section('versionsection', `Per version (${versions.length})`, ...parts);
}

function qualitySpec(q: Quality, metric: string, threshold: number | null, width: number): TopLevelSpec {
  const values = q.versions.flatMap((v) => v.series.filter((b) => b.metrics[metric] !== undefined).map((b) => ({ version: `v${v.version}`, from: b.from, value: b.metrics[metric], labelled: b.labelled, passed: b.passed !== false })));
  const layers: unknown[] = [
    { mark: { type: 'line', point: { filled: true, size: 50 } }, encoding: { x: { field: 'from', type: 'temporal', title: null }, y: { field: 'value', type: 'quantitative', title: metric, scale: { zero: false } }, color: { field: 'version', type: 'nominal', title: 'version' }, tooltip: [{ field: 'version' }, { field: 'from', type: 'temporal', format: '%Y-%m-%d %H:%M', title: 'from' }, { field: 'value', format: '.4f', title: metric }, { field: 'labelled' }] } },
  ];
  if (threshold !== null) layers.push({ data: { values: [{ threshold }] }, mark: { type: 'rule', strokeDash: [4, 3], color: ALERT }, encoding: { y: { field: 'threshold', type: 'quantitative' } } });
  // A bucket on the wrong side of the line is ringed in red, whatever its version's colour.
  layers.push({ data: { values: values.filter((v) => !v.passed) }, mark: { type: 'point', size: 140, strokeWidth: 2, color: ALERT }, encoding: { x: { field: 'from', type: 'temporal' }, y: { field: 'value', type: 'quantitative' } } });
  return { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: Math.max(240, width - 140), height: 160, data: { values }, layer: layers } as unknown as TopLevelSpec;
}

async function drawOverlay(box: HTMLElement, feature: string): Promise<void> {
  const r = report;
  if (!r) return;
  const f = r.overall.features.find((x) => x.name === feature);
  clear(box);
  box.append(
    h('h2', {}, `${feature}: training vs serving`),
    h('p', { class: 'hint' }, f?.metric ? `${METRIC[f.metric] ?? f.metric} ${formatNumber(f.distance)} (threshold ${formatNumber(f.threshold)})${f.anomalous ? ': anomalous' : ''}` : 'No distance for this feature.'),
  );
  const specs = distributionSpecs(feature, { label: `training (${r.training.name})`, stats: r.training }, { label: 'serving', stats: r.serving }, box.clientWidth);
  await Promise.all(
    specs.map(async ([title, spec]) => {
      const chart = h('div', { class: 'chart' });
      box.append(h('figure', { 'data-chart': title }, h('figcaption', {}, title), chart));
      await renderVegaLite(chart, spec);
    }),
  );
}

function ack(extra: Partial<MonitoringAck> = {}): MonitoringAck {
  const rows = [...body.querySelectorAll<HTMLElement>('table.skew tbody tr[data-feature]')].map((tr) => ({
    name: tr.dataset['feature'] ?? '',
    metric: (tr.dataset['metric'] || null) as MonitorFeature['metric'],
    distance: tr.dataset['distance'] ? Number(tr.dataset['distance']) : null,
    threshold: Number(tr.dataset['threshold']),
    anomalous: tr.dataset['anomalous'] === 'true',
  }));
  const anomalies = [...body.querySelectorAll<HTMLElement>('li.anomaly')].map((li) => ({ feature: li.dataset['feature'] ?? '', type: li.dataset['type'] ?? '', description: li.querySelector('.desc')?.textContent ?? '' }));
  const notices = [...body.querySelectorAll<HTMLElement>('.monitornotice li')].map((li) => li.textContent ?? '');
  const versions = [...body.querySelectorAll<HTMLElement>('table.versions tbody tr[data-version]')].map((tr) => ({
    version: Number(tr.dataset['version']),
    requests: Number(tr.dataset['requests']),
    flagged: (tr.dataset['flagged'] ?? '').split(',').filter(Boolean),
    labelled: tr.dataset['labelled'] ? Number(tr.dataset['labelled']) : null,
    quality: (tr.dataset['quality'] ?? 'none') as 'passed' | 'failed' | 'none',
  }));
  return { kind: 'report', rows, highlighted: [...body.querySelectorAll<HTMLElement>('table.skew tr.exceeded')].map((tr) => tr.dataset['feature'] ?? ''), anomalies, notices, ...(versions.length ? { versions } : {}), ...extra };
}

function select(feature: string, reveal = true): void {
  setState({ selected: feature });
  channel.post({ type: 'select', feature });
  for (const tr of body.querySelectorAll<HTMLElement>('tr[data-feature]')) tr.classList.toggle('selected', tr.dataset['feature'] === feature);
  const box = body.querySelector<HTMLElement>('section.overlay');
  const g = generation;
  if (box && report)
    void drawOverlay(box, feature)
      .then(() => reveal && box.scrollIntoView({ block: 'start' }))
      .then(() => g === generation && channel.post({ type: 'rendered', ack: { ...lastAck, overlay: feature } }))
      .catch(channel.reportError);
}

let lastAck: MonitoringAck = { kind: 'empty', rows: [], highlighted: [], anomalies: [] };

function draw(r: MonitorResult, by: MonitorBy): void {
  const g = ++generation;
  clear(body);
  if (r.kind === 'empty') {
    report = undefined;
    windowLine.textContent = '';
    status.textContent = '';
    body.append(h('div', { class: 'emptylog', role: 'status' }, h('p', {}, r.message), h('p', { class: 'hint' }, 'The panel reads the log again every few seconds while it is visible.')));
    lastAck = { kind: 'empty', message: r.message, rows: [], highlighted: [], anomalies: [] };
    channel.post({ type: 'rendered', ack: lastAck });
    return;
  }
  report = r;
  const { from, to } = r.overall.window;
  const [fromText, toText] = [from, to].map((t) => t.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'));
  const sameDay = from.slice(0, 10) === to.slice(0, 10);
  windowLine.textContent = `${fromText} → ${sameDay ? (toText ?? '').slice(11) : toText} · ${formatCount(r.overall.requests)} requests`;
  windowLine.title = `${from} → ${to}`;
  windowLine.dataset['requests'] = String(r.overall.requests);
  status.textContent = `training: run ${r.runId}`;
  const overTime = h('div', { class: 'chart overtime' });
  const overlay = h('section', { class: 'evsection overlay', 'aria-label': 'Training and serving distributions' }, h('p', { class: 'hint' }, 'Select a feature to overlay its training and serving distributions.'));
  // A skipped log file or shed rows change what the numbers below cover: said before them.
  if (r.notices.length) body.append(h('div', { class: 'monitornotice', role: 'status' }, h('ul', {}, ...r.notices.map((n) => h('li', {}, n)))));
  if (r.quality) setState({ labelsFile: r.quality.labelsFile });
  const versions = versionTable(r);
  const qualityBox = h('div', { class: 'chart quality' });
  const shown = r.quality ? qualityMetric(r.quality) : undefined;
  const points = Object.fromEntries((r.quality?.versions ?? []).map((v) => [`v${v.version}`, v.series.filter((b) => shown && b.metrics[shown.metric] !== undefined).length]));
  const drawQuality = !!r.quality && !!shown && Object.values(points).some((n) => n > 0);
  if (r.quality && !drawQuality) qualityBox.append(h('p', { class: 'hint single' }, 'No label has joined a logged request yet.'));
  body.append(
    ...(versions ? [versions] : []),
    ...(r.quality && shown ? [section('qualitysection', `Quality by ${by} per version (${shown.metric}${shown.threshold !== null ? '; dashed: the Evaluator\'s threshold' : ''})`, qualityBox)] : []),
    anomalyList(r),
    skewTable(r),
    overlay,
    section('overtimesection', `Distance by ${by} (${r.windows.length} window${r.windows.length === 1 ? '' : 's'}${r.windows.length < 2 ? '' : '; dashed: threshold'})`, overTime),
  );
  const width = Math.max(300, body.clientWidth || 600);
  const rows = sortedRows(r.overall.features);
  const selected = rows.find((f) => f.name === state.selected)?.name ?? rows[0]?.name;
  if (selected) for (const tr of body.querySelectorAll<HTMLElement>('tr[data-feature]')) tr.classList.toggle('selected', tr.dataset['feature'] === selected);
  overTimeDrawn?.view?.finalize();
  overTimeDrawn = r.windows.length < 2 ? undefined : { el: overTime, r, width };
  // One window is one dot per feature: a page of small multiples that says what the skew table
  // above already says. The over-time charts start at two windows.
  const single = r.windows.length < 2;
  if (single) overTime.append(h('p', { class: 'hint single' }, `One ${by} so far: its distances are the table's above. The distance over time is drawn from two windows on${by === 'hour' ? ' (or try by day)' : ''}.`));
  const qualityDrawn = drawQuality && r.quality && shown ? renderVegaLite(qualityBox, qualitySpec(r.quality, shown.metric, shown.threshold, width)).then(() => undefined) : Promise.resolve();
  void Promise.all([qualityDrawn, single ? Promise.resolve() : renderVegaLite(overTime, overTimeSpec(r, width)).then((v) => { if (overTimeDrawn?.el === overTime) overTimeDrawn.view = v; }), selected ? drawOverlay(overlay, selected) : Promise.resolve()])
    .then(() => {
      if (g !== generation) return;
      const chart = { by, windows: r.windows.length, features: [...new Set(r.windows.flatMap((w) => w.features.filter((f) => f.distance !== null).map((f) => f.name)))].sort() };
      lastAck = ack({ from, to, requests: Number(windowLine.dataset['requests']), chart, ...(drawQuality && shown ? { qualityChart: { metric: shown.metric, points, threshold: shown.threshold } } : {}) });
      channel.post({ type: 'rendered', ack: selected ? { ...lastAck, overlay: selected } : lastAck });
    })
    .catch(channel.reportError);
}

/** The over-time chart's small multiples are laid out for the panel's width: drawn again when it changes. */
let overTimeDrawn: { el: HTMLElement; r: NonNullable<typeof report>; width: number; view?: Awaited<ReturnType<typeof renderVegaLite>> } | undefined;
let resizeTimer: ReturnType<typeof setTimeout> | undefined;
new ResizeObserver(() => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    const d = overTimeDrawn;
    const width = Math.max(300, body.clientWidth || 600);
    if (!d || !d.el.isConnected || Math.abs(width - d.width) < 20) return;
    d.width = width;
    d.view?.finalize();
    clear(d.el);
    renderVegaLite(d.el, overTimeSpec(d.r, width))
      .then((v) => {
        if (overTimeDrawn === d) d.view = v;
        else v.finalize();
      })
      .catch(channel.reportError);
  }, 150);
}).observe(body);

channel.onMessage((m) => {
  if (m.type === 'loading') status.textContent = 'Reading the request log…';
  else if (m.type === 'result') draw(m.result, m.by);
  else if (m.type === 'error') {
    ++generation;
    report = undefined;
    status.textContent = '';
    clear(body);
    body.append(h('div', { class: 'panelerror', role: 'alert' }, m.message));
    lastAck = { kind: 'error', message: m.message, rows: [], highlighted: [], anomalies: [] };
    channel.post({ type: 'rendered', ack: lastAck });
  }
});
channel.ready();
