/**
 * TFDV statistics (`DatasetFeatureStatisticsList` in its proto3 JSON mapping) as a compact table
 * per split, in the spirit of Facets Overview: counts, missing share, the moments for numbers, the
 * top values for strings, and a small histogram drawn as plain SVG. Built with DOM calls only
 * (values are text, never markup).
 */

import type { DatasetFeatureStatisticsList } from '../../src/core/tfdv';
import { formatNumber, formatPercent } from '../../src/core/format';

type Num = number | string | undefined;
/** The renderer reads TFDV's proto3 JSON mapping with the types of src/core/tfdv.ts. */
export type StatisticsList = DatasetFeatureStatisticsList;

const SVG = 'http://www.w3.org/2000/svg';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A cell of the statistics table: blank when the statistic is absent, else the one number rule. */
function fmt(v: Num): string {
  if (v === undefined || v === '') return '';
  const n = Number(v);
  return Number.isFinite(n) ? formatNumber(n) : String(v);
}

function bars(values: readonly number[], title: string): SVGSVGElement {
  const w = 96;
  const h = 24;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(h));
  svg.setAttribute('class', 'pw-hist');
  const t = document.createElementNS(SVG, 'title');
  t.textContent = title;
  svg.appendChild(t);
  const max = Math.max(1, ...values);
  const bw = w / Math.max(1, values.length);
  values.forEach((v, i) => {
    const r = document.createElementNS(SVG, 'rect');
    const bh = Math.max(v > 0 ? 1 : 0, (v / max) * h);
    r.setAttribute('x', String(i * bw + 0.5));
    r.setAttribute('y', String(h - bh));
    r.setAttribute('width', String(Math.max(1, bw - 1)));
    r.setAttribute('height', String(bh));
    svg.appendChild(r);
  });
  return svg;
}

export function renderStatistics(stats: StatisticsList): HTMLElement {
  const root = el('div', 'pw-stats');
  for (const ds of stats.datasets ?? []) {
    const section = el('section');
    section.appendChild(el('h4', undefined, `${ds.name ?? 'dataset'}${ds.numExamples !== undefined ? ` — ${fmt(ds.numExamples)} examples` : ''}`));
    const table = el('table');
    const head = el('tr');
    for (const h of ['feature', 'type', 'count', 'missing', 'mean / unique', 'std dev / top', 'min', 'median', 'max', 'distribution']) head.appendChild(el('th', undefined, h));
    table.appendChild(el('thead')).appendChild(head);
    const body = table.appendChild(el('tbody'));
    for (const f of ds.features ?? []) {
      const common = f.numStats?.commonStats ?? f.stringStats?.commonStats;
      const present = Number(common?.numNonMissing ?? 0);
      const missing = Number(common?.numMissing ?? 0);
      const missingShare = present + missing > 0 ? missing / (present + missing) : 0;
      const tr = el('tr');
      tr.appendChild(el('td', 'pw-name', f.name ?? f.path?.step?.join('.') ?? ''));
      tr.appendChild(el('td', undefined, f.type ?? (f.numStats ? 'FLOAT' : 'STRING')));
      tr.appendChild(el('td', 'pw-num', fmt(present)));
      tr.appendChild(el('td', missingShare > 0 ? 'pw-num pw-warn' : 'pw-num', formatPercent(missingShare)));
      const dist = el('td');
      if (f.numStats) {
        const n = f.numStats;
        for (const v of [n.mean, n.stdDev, n.min, n.median, n.max]) tr.appendChild(el('td', 'pw-num', fmt(v)));
        const hist = n.histograms?.find((h) => h.type !== 'QUANTILES') ?? n.histograms?.[0];
        if (hist?.buckets?.length) {
          const b = hist.buckets;
          dist.appendChild(bars(b.map((x) => x.sampleCount ?? 0), `${fmt(b[0]?.lowValue)} … ${fmt(b[b.length - 1]?.highValue)}`));
        }
      } else {
        const s = f.stringStats;
        const top = s?.topValues ?? [];
        tr.appendChild(el('td', 'pw-num', fmt(s?.unique)));
        tr.appendChild(el('td', undefined, top.slice(0, 3).map((t) => `${t.value ?? ''} (${fmt(t.frequency)})`).join(', ')));
        tr.appendChild(el('td'));
        tr.appendChild(el('td'));
        tr.appendChild(el('td'));
        if (top.length) dist.appendChild(bars(top.slice(0, 10).map((t) => t.frequency ?? 0), top.slice(0, 10).map((t) => `${t.value}: ${t.frequency}`).join('\n')));
      }
      tr.appendChild(dist);
      body.appendChild(tr);
    }
    section.appendChild(table);
    root.appendChild(section);
  }
  return root;
}
