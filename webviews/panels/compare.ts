/** Two datasets side by side: drift per feature (L∞ or JS), past-threshold rows highlighted, overlaid charts. */
import type { TopLevelSpec } from 'vega-lite';
import { featureName, type DatasetFeatureStatistics, type FeatureNameStatistics } from '../../src/core/tfdv';
import type { CompareResult, FeatureDrift } from '../../src/protocol/data';
import { renderVegaLite } from '../shared/vega';
import { clear, h, shareBar } from '../shared/dom';
import { getState, post, reportError, setState } from './host';
import { formatNumber, formatPercent, numericRow, categoricalRow } from './model';

function featureOf(d: DatasetFeatureStatistics, name: string): FeatureNameStatistics | undefined {
  return d.features.find((f) => featureName(f) === name);
}

export class CompareView {
  private readonly status: HTMLElement;
  private readonly table: HTMLElement;
  private readonly detail: HTMLElement;
  private result: CompareResult | undefined;
  private labels: [string, string] = ['left', 'right'];

  constructor(app: HTMLElement) {
    const st = getState();
    const threshold = h('input', { type: 'number', min: 0, max: 1, step: 0.01, value: String(st.threshold ?? 0.05), 'aria-label': 'Drift threshold', class: 'threshold' });
    threshold.addEventListener('change', () => {
      const v = Number(threshold.value);
      if (Number.isFinite(v) && v > 0 && v <= 1) post({ type: 'setThreshold', threshold: v });
    });
    this.status = h('span', { class: 'status', role: 'status' }, 'Computing…');
    this.table = h('div', { class: 'tables' });
    this.detail = h('section', { class: 'detail', 'aria-label': 'Feature comparison' }, h('p', { class: 'hint' }, 'Select a feature to overlay its distributions.'));
    app.append(
      h(
        'div',
        { class: 'compare' },
        h('header', { class: 'toolbar' }, h('h1', {}, st.title), h('label', { class: 'inline' }, 'Threshold ', threshold)),
        h('div', { class: 'statusline' }, this.status),
        h('div', { class: 'split' }, this.table, this.detail),
      ),
    );
  }

  setStatus(message: string): void {
    this.status.textContent = message;
  }

  setResult(result: CompareResult, leftLabel: string, rightLabel: string): void {
    this.result = result;
    this.labels = [leftLabel, rightLabel];
    clear(this.table);
    if (result.drift.length > 0 && result.drift.every((d) => d.onlyIn)) {
      // Drift compares columns by name: with none in common there is nothing to compare, say so.
      const names = (side: 'left' | 'right') => result.drift.filter((d) => d.onlyIn === side).map((d) => d.feature);
      const list = (xs: string[]) => (xs.length > 12 ? `${xs.slice(0, 12).join(', ')} … (${xs.length})` : xs.join(', ') || 'none');
      this.table.append(
        h(
          'div',
          { class: 'panelerror nocommon', role: 'status' },
          `${leftLabel} and ${rightLabel} have no column in common, so there is no drift to measure (columns are matched by name).\n`,
          `${leftLabel}: ${list(names('left'))}\n${rightLabel}: ${list(names('right'))}`,
        ),
      );
      clear(this.detail);
      post({ type: 'rendered', digest: { kind: 'compare', rows: [], highlighted: [], exact: true } });
      return;
    }
    const rows = [...result.drift].sort((a, b) => Number(b.exceeded) - Number(a.exceeded) || b.value / b.threshold - a.value / a.threshold);
    const body = h('tbody');
    const missing = (d: DatasetFeatureStatistics, name: string) => {
      const f = featureOf(d, name);
      if (!f) return h('span', { class: 'null' }, 'absent');
      const r = f.numStats ? numericRow(f) : categoricalRow(f);
      return h('span', { class: 'missing' }, shareBar(r.missingShare, false, 40), ` ${formatPercent(r.missingShare)}`);
    };
    for (const d of rows) {
      const tr = h('tr', { tabindex: 0, 'data-feature': d.feature, class: d.exceeded ? 'exceeded' : '' });
      tr.append(
        h('td', {}, h('span', { class: 'fname' }, d.feature)),
        h('td', {}, d.measure === 'JS' ? 'Jensen–Shannon' : 'L∞'),
        h('td', { class: 'num' }, d.onlyIn ? `only in ${d.onlyIn === 'left' ? leftLabel : rightLabel}` : formatNumber(d.value)),
        h('td', { class: 'num' }, formatNumber(d.threshold)),
        h('td', {}, d.exceeded ? h('span', { class: 'badge alert' }, 'past threshold') : h('span', { class: 'badge ok' }, 'ok')),
        h('td', {}, missing(result.left, d.feature)),
        h('td', {}, missing(result.right, d.feature)),
      );
      const open = () => this.select(d);
      tr.addEventListener('click', open);
      tr.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          open();
        } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
          e.preventDefault();
          ((e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling) as HTMLElement | null)?.focus();
        }
      });
      body.append(tr);
    }
    const head = h('tr', {}, ...['Feature', 'Measure', 'Distance', 'Threshold', 'Status', `Missing · ${leftLabel}`, `Missing · ${rightLabel}`].map((t) => h('th', { scope: 'col' }, t)));
    this.table.append(h('div', { class: 'tablewrap' }, h('table', { class: 'grid' }, h('thead', {}, head), body)));
    post({
      type: 'rendered',
      digest: {
        kind: 'compare',
        rows: rows.map((d) => ({ feature: d.feature, cells: { measure: d.measure, value: d.value, threshold: d.threshold, exceeded: d.exceeded ? 1 : 0 } })),
        highlighted: rows.filter((d) => d.exceeded).map((d) => d.feature),
        exact: true,
      },
    });
    const sel = getState().selected;
    const first = rows.find((d) => d.feature === sel) ?? rows[0];
    if (first) this.select(first);
  }

  private select(d: FeatureDrift): void {
    const result = this.result;
    if (!result) return;
    setState({ selected: d.feature });
    for (const tr of this.table.querySelectorAll('tr[data-feature]')) tr.classList.toggle('selected', (tr as HTMLElement).dataset['feature'] === d.feature);
    clear(this.detail);
    this.detail.append(h('h2', {}, d.feature), h('p', { class: 'hint' }, `${d.measure === 'JS' ? 'Jensen–Shannon divergence' : 'L∞ distance'} ${formatNumber(d.value)} (threshold ${formatNumber(d.threshold)})`));
    const [ln, rn] = this.labels;
    const a = featureOf(result.left, d.feature);
    const b = featureOf(result.right, d.feature);
    const specs: [string, TopLevelSpec][] = [];
    if ((a?.numStats ?? b?.numStats) !== undefined) {
      const values: Record<string, unknown>[] = [];
      for (const [label, f] of [[ln, a], [rn, b]] as const) {
        const hist = f?.numStats?.histograms.find((x) => x.type === 'STANDARD');
        const total = hist?.buckets.reduce((s, x) => s + x.sampleCount, 0) ?? 0;
        for (const x of hist?.buckets ?? []) values.push({ dataset: label, low: x.lowValue, high: x.highValue, share: total ? x.sampleCount / total : 0 });
      }
      const base = {
        data: { values },
        encoding: {
          x: { field: 'low', type: 'quantitative', bin: { binned: true }, title: d.feature },
          x2: { field: 'high' },
          y: { field: 'share', type: 'quantitative', title: 'share', axis: { format: '%' }, stack: null },
          color: { field: 'dataset', type: 'nominal', title: null, legend: { orient: 'bottom' } },
          tooltip: [{ field: 'dataset' }, { field: 'low', format: '.4~g' }, { field: 'high', format: '.4~g' }, { field: 'share', format: '.2%' }],
        },
      };
      specs.push(['Overlaid', { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 'container', height: 160, mark: { type: 'bar', opacity: 0.55, binSpacing: 0 }, ...base } as TopLevelSpec]);
      specs.push([
        'Side by side',
        { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', ...base, facet: { field: 'dataset', type: 'nominal', title: null }, spec: { width: 180, height: 110, mark: { type: 'bar', binSpacing: 1 }, encoding: base.encoding }, data: base.data } as unknown as TopLevelSpec,
      ]);
    } else {
      const counts = new Map<string, { [k: string]: number }>();
      const totals: number[] = [];
      [a, b].forEach((f, i) => {
        const tops = f?.stringStats?.rankHistogram?.buckets.map((x) => ({ value: x.label, frequency: x.sampleCount })) ?? f?.stringStats?.topValues ?? [];
        totals[i] = f?.stringStats?.commonStats.numNonMissing ?? tops.reduce((s, t) => s + t.frequency, 0);
        for (const t of tops) counts.set(t.value, { ...(counts.get(t.value) ?? {}), [i]: t.frequency });
      });
      const ranked = [...counts.entries()].sort((x, y) => (y[1][0] ?? 0) + (y[1][1] ?? 0) - ((x[1][0] ?? 0) + (x[1][1] ?? 0))).slice(0, 25);
      const values = ranked.flatMap(([value, c]) => [
        { value, dataset: ln, share: totals[0] ? (c[0] ?? 0) / totals[0] : 0 },
        { value, dataset: rn, share: totals[1] ? (c[1] ?? 0) / totals[1] : 0 },
      ]);
      specs.push([
        'Value shares, overlaid',
        {
          $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
          width: 'container',
          height: Math.max(80, ranked.length * 22),
          data: { values },
          mark: 'bar',
          encoding: {
            y: { field: 'value', type: 'nominal', sort: null, title: null },
            yOffset: { field: 'dataset' },
            x: { field: 'share', type: 'quantitative', axis: { format: '%' }, title: 'share of present values' },
            color: { field: 'dataset', type: 'nominal', title: null, legend: { orient: 'bottom' } },
            tooltip: [{ field: 'value' }, { field: 'dataset' }, { field: 'share', format: '.2%' }],
          },
        } as TopLevelSpec,
      ]);
    }
    for (const [title, spec] of specs) {
      const box = h('div', { class: 'chart' });
      this.detail.append(h('figure', {}, h('figcaption', {}, title), box));
      renderVegaLite(box, spec).catch(reportError);
    }
  }
}
