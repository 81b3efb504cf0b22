/** Two datasets side by side: drift per feature (L∞ or JS), past-threshold rows highlighted, overlaid charts. */
import type { DatasetFeatureStatistics } from '../../src/core/tfdv';
import type { CompareResult, FeatureDrift } from '../../src/protocol/data';
import { renderVegaLite } from '../shared/vega';
import { activatableRow, clear, h, shareBar } from '../shared/dom';
import { distributionSpecs, featureOf } from '../shared/distributionCharts';
import { getState, post, reportError, setState } from './host';
import { formatNumber, formatPercent, numericRow, categoricalRow } from './model';

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
      this.detail.hidden = true;
      post({ type: 'rendered', digest: { kind: 'compare', rows: [], highlighted: [], exact: true } });
      return;
    }
    this.detail.hidden = false;
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
      activatableRow(tr, () => this.select(d));
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
    const specs = distributionSpecs(d.feature, { label: ln, stats: result.left }, { label: rn, stats: result.right }, this.detail.clientWidth);
    for (const [title, spec] of specs) {
      const box = h('div', { class: 'chart' });
      this.detail.append(h('figure', { 'data-chart': title }, h('figcaption', {}, title), box));
      renderVegaLite(box, spec).catch(reportError);
    }
  }
}
