/** The schema as an editable table, and its anomalies with severity, a readable description and quick fixes. */
import type { Anomalies, QuickFix, QuickFixOffer, Schema, SchemaFeature } from '../../src/protocol/data';
import { clear, h } from '../shared/dom';
import { getState, post } from './host';

const TYPES = ['INT', 'FLOAT', 'BYTES', 'STRUCT'];

function domainText(f: SchemaFeature, schema: Schema): string {
  if (f.domain) {
    const named = schema.stringDomain?.find((d) => d.name === f.domain);
    return `${f.domain}: ${(named?.value ?? []).join(', ')}`;
  }
  if (f.stringDomain) return (f.stringDomain.value ?? []).join(', ');
  return '';
}

export class SchemaView {
  private readonly anomaliesBox: HTMLElement;
  private readonly tableBox: HTMLElement;
  private readonly status: HTMLElement;

  constructor(app: HTMLElement) {
    const st = getState();
    const revalidate = h('button', { type: 'button', class: 'secondary' }, 'Validate again');
    revalidate.addEventListener('click', () => post({ type: 'refresh' }));
    this.status = h('span', { class: 'status', role: 'status' }, 'Loading…');
    this.anomaliesBox = h('section', { class: 'anomalies', 'aria-label': 'Anomalies' });
    this.tableBox = h('section', { class: 'schema', 'aria-label': 'Schema' });
    app.append(h('div', { class: 'schemaview' }, h('header', { class: 'toolbar' }, h('h1', {}, st.title), revalidate), h('div', { class: 'statusline' }, this.status), this.anomaliesBox, this.tableBox));
  }

  setStatus(message: string): void {
    this.status.textContent = message;
  }

  set(schema: Schema, file: string, anomalies: Anomalies | undefined, fixes: Readonly<Record<string, readonly QuickFixOffer[]>>): void {
    clear(this.anomaliesBox);
    clear(this.tableBox);
    const infos = Object.entries(anomalies?.anomalyInfo ?? {});
    const dataset = anomalies?.datasetAnomalyInfo;
    this.status.textContent = anomalies ? `${infos.length + (dataset ? 1 : 0)} ${infos.length + (dataset ? 1 : 0) === 1 ? 'anomaly' : 'anomalies'}${file ? ` · ${file}` : ''}` : file;
    this.anomaliesBox.append(h('h2', {}, 'Anomalies'));
    if (anomalies && !infos.length && !dataset) this.anomaliesBox.append(h('p', { class: 'ok' }, 'No anomalies: the data matches the schema.'));
    if (!anomalies) {
      const choose = h('button', { type: 'button', class: 'secondary' }, 'Validate against a dataset…');
      choose.addEventListener('click', () => post({ type: 'chooseStatistics' }));
      this.anomaliesBox.append(h('p', { class: 'hint' }, 'No statistics to validate against yet. ', choose));
    }
    const list = h('ul', { class: 'anomalylist' });
    const item = (feature: string, info: NonNullable<Anomalies['datasetAnomalyInfo']>) => {
      const sev = (info.severity ?? 'UNKNOWN').toLowerCase();
      const li = h(
        'li',
        { class: `anomaly ${sev}`, 'data-feature': feature },
        h('span', { class: `badge ${sev}` }, info.severity ?? 'UNKNOWN'),
        h('strong', {}, feature),
        ' ',
        h('span', { class: 'short' }, info.shortDescription ?? ''),
        h('p', { class: 'desc' }, info.description ?? (info.reason ?? []).map((r) => r.description).join(' ')),
      );
      const buttons = h('div', { class: 'fixes' });
      for (const offer of fixes[feature] ?? []) {
        const b = h('button', { type: 'button', class: 'fix', title: 'Edit the schema file (undo with Ctrl+Z in its editor)' }, offer.title);
        b.addEventListener('click', () => {
          b.disabled = true;
          post({ type: 'quickFix', fix: offer.fix });
        });
        buttons.append(b);
      }
      if (buttons.childElementCount) li.append(buttons);
      list.append(li);
    };
    if (dataset) item('(dataset)', dataset);
    for (const [feature, info] of infos) item(feature, info);
    this.anomaliesBox.append(list);

    if (file) {
      this.tableBox.append(h('h2', {}, `Schema (${schema.feature?.length ?? 0} features)`));
      const body = h('tbody');
      for (const f of schema.feature ?? []) {
        const fix = (q: QuickFix) => post({ type: 'quickFix', fix: q });
        const type = h('select', { 'aria-label': `Type of ${f.name}` }, ...TYPES.map((t) => h('option', { value: t, selected: f.type === t }, t)));
        if (!TYPES.includes(f.type)) type.prepend(h('option', { value: f.type, selected: true, disabled: true }, f.type));
        type.addEventListener('change', () => fix({ kind: 'setField', feature: f.name, field: 'type', value: type.value }));
        const presence = h('input', { type: 'number', min: 0, max: 1, step: 0.01, value: String(f.presence?.minFraction ?? ''), placeholder: '—', 'aria-label': `Minimum fraction present of ${f.name}` });
        presence.addEventListener('change', () => fix({ kind: 'setField', feature: f.name, field: 'minFraction', value: presence.value }));
        const range = f.intDomain ?? f.floatDomain;
        const rangeCell = h('td', { class: 'range' });
        if (range || f.type === 'INT' || f.type === 'FLOAT') {
          for (const k of ['min', 'max'] as const) {
            const v = range?.[k];
            const input = h('input', { type: 'number', value: v === undefined ? '' : String(v), placeholder: k, 'aria-label': `${k} of ${f.name}` });
            input.addEventListener('change', () => fix({ kind: 'setField', feature: f.name, field: k, value: input.value }));
            rangeCell.append(input);
          }
        }
        const drift = f.driftComparator?.infinityNorm?.threshold ?? f.driftComparator?.jensenShannonDivergence?.threshold;
        const driftInput = h('input', { type: 'number', min: 0, max: 1, step: 0.01, value: drift === undefined ? '' : String(drift), placeholder: '—', 'aria-label': `Drift threshold of ${f.name}` });
        driftInput.addEventListener('change', () => {
          const v = Number(driftInput.value);
          if (driftInput.value !== '' && Number.isFinite(v) && v > 0) fix({ kind: 'setDriftThreshold', feature: f.name, threshold: v, measure: f.type === 'BYTES' ? 'L_infty' : f.driftComparator?.jensenShannonDivergence ? 'JS' : f.type === 'FLOAT' || (f.type === 'INT' && !f.intDomain?.isCategorical) ? 'JS' : 'L_infty' });
        });
        const anomalous = !!anomalies?.anomalyInfo[f.name];
        body.append(
          h(
            'tr',
            { class: anomalous ? 'exceeded' : '' },
            h('td', {}, h('span', { class: 'fname' }, f.name)),
            h('td', {}, type),
            h('td', {}, presence),
            h('td', { class: 'domain', title: domainText(f, schema) }, domainText(f, schema)),
            rangeCell,
            h('td', {}, driftInput),
          ),
        );
      }
      const head = h('tr', {}, ...['Feature', 'Type', 'Min. fraction present', 'Domain', 'Range', 'Drift threshold'].map((t) => h('th', { scope: 'col' }, t)));
      this.tableBox.append(h('div', { class: 'tablewrap' }, h('table', { class: 'grid editable' }, h('thead', {}, head), body)));
    }
    post({
      type: 'rendered',
      digest: {
        kind: 'schema',
        rows: (schema.feature ?? []).map((f) => ({ feature: f.name, cells: { type: f.type, minFraction: f.presence?.minFraction ?? null } })),
        anomalies: [...(dataset ? ['(dataset)'] : []), ...infos.map(([k]) => k)],
        fixes: Object.fromEntries(Object.entries(fixes).map(([k, v]) => [k, v.map((o) => o.fix)])),
        exact: true,
      },
    });
  }
}
