/** The statistics panel: a Facets-Overview-like table per feature kind, and a feature's detail charts. */
import type { TopLevelSpec } from 'vega-lite';
import type { FeatureDetail, StatisticsResult } from '../../src/protocol/data';
import { renderVegaLite } from '../shared/vega';
import { activatableRow, clear, h, shareBar, sparkBars } from '../shared/dom';
import { getState, post, reportError, setState } from './host';
import { axisLabelExpr } from '../../src/core/format';
import { formatNumber, formatPercent, overview, sortRows, type CategoricalRow, type NumericRow, type Overview, type SortDir } from './model';

interface Column<R> {
  readonly key: keyof R & string;
  readonly label: string;
  readonly numeric: boolean;
  readonly cell: (r: R, ctx: ViewContext) => Node | string;
  /** Explains the header (its tooltip). */
  readonly title?: string;
}

interface ViewContext {
  readonly missingThreshold: number;
}

const num = <R>(key: keyof R & string, label: string): Column<R> => ({ key, label, numeric: true, cell: (r) => formatNumber(r[key] as number | null) });

function missingCell<R extends { missing: number; missingShare: number }>(r: R, ctx: ViewContext): Node {
  const alert = r.missingShare > ctx.missingThreshold;
  return h('span', { class: `missing${alert ? ' alert' : ''}`, title: `${r.missing.toLocaleString('en')} missing` }, shareBar(r.missingShare, alert), ` ${formatPercent(r.missingShare)}`);
}

const NUMERIC_COLUMNS: Column<NumericRow>[] = [
  { key: 'feature', label: 'Feature', numeric: false, cell: (r) => h('span', { class: 'fname', title: `${r.feature} (${r.type})` }, r.feature) },
  num('count', 'Count'),
  { key: 'missingShare', label: 'Missing', numeric: true, cell: missingCell },
  num('zeros', 'Zeros'),
  num('mean', 'Mean'),
  // TFDV's std_dev is the population one (divides by n), so is ours: the header says which.
  { ...num<NumericRow>('std', 'Std dev (population)'), title: 'Population standard deviation (divides by n, as TFDV); the sample one divides by n − 1' },
  num('min', 'Min'),
  num('median', 'Median'),
  num('max', 'Max'),
  { key: 'histogram', label: 'Histogram', numeric: false, cell: (r) => sparkBars(r.histogram, 96, 22, `histogram of ${r.feature}`) },
];

const CATEGORICAL_COLUMNS: Column<CategoricalRow>[] = [
  { key: 'feature', label: 'Feature', numeric: false, cell: (r) => h('span', { class: 'fname', title: `${r.feature} (${r.type})` }, r.feature) },
  num('count', 'Count'),
  { key: 'missingShare', label: 'Missing', numeric: true, cell: missingCell },
  num('unique', 'Unique'),
  { key: 'top', label: 'Top value', numeric: false, cell: (r) => (r.top === null ? h('span', { class: 'null' }, 'none') : h('span', { class: 'topvalue', title: r.top }, r.top)) },
  num('topCount', 'Top freq.'),
  num('avgLength', 'Avg length'),
  { key: 'histogram', label: 'Top values', numeric: false, cell: (r) => sparkBars(r.histogram, 96, 22, `top values of ${r.feature}`) },
];

interface Sort {
  key: string;
  dir: SortDir;
}

export class StatisticsView {
  private readonly root: HTMLElement;
  private readonly status: HTMLElement;
  private readonly progress: HTMLElement;
  private readonly cancelButton: HTMLButtonElement;
  private readonly datasetPicker: HTMLSelectElement;
  private readonly tables: HTMLElement;
  private readonly detail: HTMLElement;
  private data: Overview | undefined;
  private result: StatisticsResult | undefined;
  private partial = false;
  private filter = '';
  private readonly sorts: Record<'numeric' | 'categorical', Sort> = { numeric: { key: 'feature', dir: 1 }, categorical: { key: 'feature', dir: 1 } };
  private logScale = false;
  private percent = false;
  private detailData: FeatureDetail | undefined;

  constructor(app: HTMLElement) {
    const st = getState();
    this.filter = '';
    const filter = h('input', { type: 'search', placeholder: 'Filter features by name', 'aria-label': 'Filter features by name', class: 'filter' });
    filter.addEventListener('input', () => {
      this.filter = filter.value;
      this.drawTables();
    });
    const threshold = h('input', { type: 'number', min: 0, max: 100, step: 1, value: String(Math.round((st.threshold ?? 0.05) * 100)), 'aria-label': 'Missing share drawn red above (percent)', class: 'threshold' });
    threshold.addEventListener('change', () => {
      const v = Number(threshold.value);
      if (Number.isFinite(v) && v >= 0 && v <= 100) {
        setState({ threshold: v / 100 });
        this.drawTables();
      }
    });
    this.cancelButton = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Cancel');
    this.cancelButton.addEventListener('click', () => post({ type: 'cancel' }));
    this.datasetPicker = h('select', { 'aria-label': 'Split', hidden: true });
    this.datasetPicker.addEventListener('change', () => {
      const src = getState().source;
      if (src?.kind === 'statistics') setState({ source: { ...src, dataset: this.datasetPicker.value }, selected: undefined });
      this.detailData = undefined;
      post({ type: 'selectDataset', dataset: this.datasetPicker.value });
    });
    const refresh = h('button', { type: 'button', class: 'secondary', title: 'Compute again' }, 'Refresh');
    refresh.addEventListener('click', () => post({ type: 'refresh' }));
    this.progress = h('div', { class: 'progress', role: 'progressbar', 'aria-label': 'Computing statistics', hidden: true });
    this.status = h('span', { class: 'status', role: 'status' }, 'Waiting for data…');
    this.tables = h('div', { class: 'tables' });
    this.detail = h('section', { class: 'detail', 'aria-label': 'Feature detail' }, h('p', { class: 'hint' }, 'Select a feature to see its charts.'));
    this.root = h(
      'div',
      { class: 'statistics' },
      h('header', { class: 'toolbar' }, h('h1', {}, st.title), this.datasetPicker, filter, h('label', { class: 'inline' }, 'Missing alert above ', threshold, ' %'), refresh, this.cancelButton),
      h('div', { class: 'statusline' }, this.progress, this.status),
      h('div', { class: 'split' }, this.tables, this.detail),
    );
    app.append(this.root);
  }

  setProgress(phase: string, message: string): void {
    const busy = phase === 'reading' || phase === 'sample' || phase === 'exact';
    this.progress.hidden = !busy;
    this.cancelButton.hidden = !busy;
    this.status.textContent = message;
    this.root.classList.toggle('busy', busy);
  }

  setStatistics(result: StatisticsResult, partial: boolean): void {
    this.result = result;
    this.partial = partial;
    this.data = overview(result.statistics);
    if (result.datasets.length > 1 && this.datasetPicker.options.length === 0) {
      for (const d of result.datasets) this.datasetPicker.append(h('option', { value: d, selected: d === result.statistics.name }, `split: ${d}`));
      this.datasetPicker.hidden = false;
    }
    this.drawTables();
    const sel = getState().selected;
    if (sel && !partial && !this.detailData) post({ type: 'selectFeature', feature: sel });
  }

  private drawTables(): void {
    const data = this.data;
    if (!data) return;
    clear(this.tables);
    const ctx: ViewContext = { missingThreshold: getState().threshold ?? 0.05 };
    const badge = this.partial ? h('span', { class: 'badge sample', title: 'Figures from a sample; exact figures follow' }, 'sample') : null;
    // Over every row of a big dataset the median and quantiles are the sketch's, as TFDV's are: say so.
    const approximate = !this.partial && !!this.result?.approximateQuantiles;
    const sketchBadge = approximate
      ? h(
          'span',
          { class: 'badge ok sketch', title: 'Median and quantile histogram from a T-Digest sketch (DuckDB approx_quantile), within 1% of rank; min and max are exact. Above 20M numeric values, as TFDV\'s quantiles come from a sketch.' },
          '≈ quantiles',
        )
      : null;
    const drawn: { feature: string; cells: Record<string, number | string | null> }[] = [];
    const section = <R extends NumericRow | CategoricalRow>(which: 'numeric' | 'categorical', title: string, rows: R[], columns: Column<R>[]) => {
      if (!rows.length) return;
      const sort = this.sorts[which];
      const sorted = sortRows(rows, sort.key as keyof R, sort.dir, this.filter);
      const head = h(
        'tr',
        {},
        ...columns.map((c) => {
          const active = sort.key === c.key;
          const b = h('button', { type: 'button', class: 'sort', title: `${c.title ? `${c.title}. ` : ''}Sort by ${c.label}` }, c.label, active ? (sort.dir === 1 ? ' ▲' : ' ▼') : '');
          b.addEventListener('click', () => {
            this.sorts[which] = { key: c.key, dir: active ? ((-sort.dir) as SortDir) : c.numeric ? -1 : 1 };
            this.drawTables();
          });
          return h('th', { scope: 'col', class: c.numeric ? 'num' : '', 'aria-sort': active ? (sort.dir === 1 ? 'ascending' : 'descending') : undefined }, b);
        }),
      );
      const body = h('tbody');
      for (const r of sorted) {
        const tr = h('tr', { tabindex: 0, 'data-feature': r.feature, class: getState().selected === r.feature ? 'selected' : '', 'aria-selected': getState().selected === r.feature ? 'true' : 'false' });
        for (const c of columns) tr.append(h('td', { class: c.numeric ? 'num' : c.key }, c.cell(r, ctx)));
        activatableRow(tr, () => this.select(r.feature));
        body.append(tr);
        const cells: Record<string, number | string | null> = {};
        for (const [k, v] of Object.entries(r)) if (typeof v !== 'object' || v === null) cells[k] = v as number | string | null;
        drawn.push({ feature: r.feature, cells });
      }
      this.tables.append(
        h(
          'section',
          { class: `overview ${which}` },
          h(
            'h2',
            {},
            `${title} (${sorted.length}${sorted.length !== rows.length ? ` of ${rows.length}` : ''})`,
            badge ? ' ' : '',
            badge ? badge.cloneNode(true) : null,
            which === 'numeric' && sketchBadge ? ' ' : '',
            which === 'numeric' ? sketchBadge : null,
          ),
          h('div', { class: 'tablewrap' }, h('table', { class: 'grid' }, h('thead', {}, head), body)),
        ),
      );
    };
    section('numeric', 'Numeric features', data.numeric, NUMERIC_COLUMNS);
    section('categorical', 'Categorical features', data.categorical, CATEGORICAL_COLUMNS);
    if (!data.numeric.length && !data.categorical.length) this.tables.append(h('p', { class: 'hint' }, 'No features: the file has no columns.'));
    post({ type: 'rendered', digest: { kind: 'statistics', rows: drawn, exact: !this.partial && !!this.result?.exact, ...(approximate ? { approximateQuantiles: true } : {}) } });
  }

  private select(feature: string): void {
    setState({ selected: feature });
    for (const tr of this.tables.querySelectorAll('tr[data-feature]')) {
      const on = (tr as HTMLElement).dataset['feature'] === feature;
      tr.classList.toggle('selected', on);
      tr.setAttribute('aria-selected', on ? 'true' : 'false');
    }
    clear(this.detail);
    this.detail.append(h('h2', {}, feature), h('p', { class: 'hint' }, 'Loading charts…'));
    this.detailData = undefined;
    post({ type: 'selectFeature', feature });
  }

  setDetail(d: FeatureDetail): void {
    this.detailData = d;
    this.drawDetail();
  }

  private drawDetail(): void {
    const d = this.detailData;
    if (!d) return;
    clear(this.detail);
    const toggle = (label: string, on: boolean, set: (v: boolean) => void) => {
      const b = h('button', { type: 'button', class: 'toggle', 'aria-pressed': on ? 'true' : 'false' }, label);
      b.addEventListener('click', () => {
        set(!on);
        this.drawDetail();
      });
      return b;
    };
    const total = d.numNonMissing + d.numMissing;
    this.detail.append(
      h('div', { class: 'detailhead' }, h('h2', {}, d.name), toggle('Log scale', this.logScale, (v) => (this.logScale = v)), toggle('Percent', this.percent, (v) => (this.percent = v))),
      h('p', { class: 'hint' }, `${d.kind === 'numeric' ? 'Numeric' : 'Categorical'} · ${d.numNonMissing.toLocaleString('en')} present · ${d.numMissing.toLocaleString('en')} missing (${formatPercent(total ? d.numMissing / total : 0)})`),
    );
    const charts: [string, TopLevelSpec][] = [];
    const yField = this.percent ? 'share' : 'count';
    const yTitle = this.percent ? 'share of present values' : 'count';
    const yScale = this.logScale ? { type: 'symlog' as const } : {};
    // Counts follow the one number rule (an `s` format read "0k 0.2k"); shares are percentages.
    const yAxis = this.percent ? { format: '.1%' } : { labelExpr: axisLabelExpr };
    if (d.kind === 'numeric' && d.histogram.length) {
      const values = d.histogram.map((b) => ({ low: b.low, high: b.high, count: b.count, share: d.numNonMissing ? b.count / d.numNonMissing : 0 }));
      charts.push([
        'Histogram (equal width)',
        {
          $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
          width: 'container',
          height: 160,
          data: { values },
          mark: { type: 'bar', binSpacing: 1 } as never,
          encoding: {
            x: { field: 'low', type: 'quantitative', bin: { binned: true }, title: d.name, axis: { labelExpr: axisLabelExpr } },
            x2: { field: 'high' },
            y: { field: yField, type: 'quantitative', title: yTitle, scale: yScale, axis: yAxis },
            tooltip: [{ field: 'low', format: '.4~g' }, { field: 'high', format: '.4~g' }, { field: 'count' }],
          },
        } as TopLevelSpec,
      ]);
    }
    if (d.kind === 'numeric' && d.quantiles.length) {
      const values = d.quantiles.map((b) => ({ low: b.low, high: b.high, density: b.high > b.low ? b.count / (b.high - b.low) : 0, count: b.count }));
      charts.push([
        'Quantiles (equal count; height = density)',
        {
          $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
          width: 'container',
          height: 120,
          data: { values },
          mark: { type: 'bar', binSpacing: 0, stroke: 'currentColor', strokeOpacity: 0.3 } as never,
          encoding: {
            x: { field: 'low', type: 'quantitative', bin: { binned: true }, title: d.name, axis: { labelExpr: axisLabelExpr } },
            x2: { field: 'high' },
            y: { field: 'density', type: 'quantitative', title: 'density', scale: yScale },
            tooltip: [{ field: 'low', format: '.4~g' }, { field: 'high', format: '.4~g' }, { field: 'count', format: '.0f' }],
          },
        } as TopLevelSpec,
      ]);
    }
    if (d.topValues.length) {
      const values = d.topValues.map((t) => ({ value: t.value, count: t.count, share: d.numNonMissing ? t.count / d.numNonMissing : 0 }));
      charts.push([
        `Top ${values.length} values`,
        {
          $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
          width: 'container',
          height: Math.max(60, values.length * 16),
          data: { values },
          mark: 'bar',
          encoding: {
            y: { field: 'value', type: 'nominal', sort: '-x', title: null, axis: { labelLimit: 160 } },
            x: { field: yField, type: 'quantitative', title: yTitle, scale: yScale, axis: yAxis },
            tooltip: [{ field: 'value' }, { field: 'count' }, { field: 'share', format: '.2%' }],
          },
        } as TopLevelSpec,
      ]);
    }
    charts.push([
      'Missing share',
      {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        width: 'container',
        height: 28,
        data: { values: [{ part: 'present', count: d.numNonMissing, order: 0 }, { part: 'missing', count: d.numMissing, order: 1 }] },
        mark: 'bar',
        encoding: {
          x: { field: 'count', type: 'quantitative', stack: 'normalize', title: null, axis: { format: '%' } },
          color: { field: 'part', type: 'nominal', sort: ['present', 'missing'], title: null, legend: { orient: 'bottom' } },
          order: { field: 'order' },
          tooltip: [{ field: 'part' }, { field: 'count' }],
        },
      } as TopLevelSpec,
    ]);
    for (const [title, spec] of charts) {
      const box = h('div', { class: 'chart' });
      this.detail.append(h('figure', {}, h('figcaption', {}, title), box));
      renderVegaLite(box, spec).catch(reportError);
    }
  }
}
