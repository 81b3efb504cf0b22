/**
 * The HTML report's charts as inline SVG, drawn when the report is made: the page then needs no
 * script at all (its CSP allows none), opens offline in any browser and prints as vectors. Colours
 * and sizes are SVG presentation attributes, never `style` attributes (the CSP allows only the one
 * hashed stylesheet). Every text goes through `escapeXml`.
 */
import { formatNumber } from './format';

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Vega's category10-like palette, readable on white and in print. */
export const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d', '#bab0ac', '#ff9da6'];

export interface SvgChart {
  /** What it shows, for `data-chart` (the browser test finds each by it). */
  readonly kind: string;
  readonly title: string;
  readonly svg: string;
}

const W = 440;
const H = 300;
const M = { left: 56, right: 14, top: 14, bottom: 44 };

function n(x: number): string {
  return Number.isFinite(x) ? String(Math.round(x * 100) / 100) : '0';
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

interface Frame {
  readonly x: (v: number) => number;
  readonly y: (v: number) => number;
  readonly parts: string[];
}

function frame(title: string, xDomain: readonly [number, number], yDomain: readonly [number, number], xLabel: string, yLabel: string): Frame {
  const [x0, x1] = xDomain;
  const [y0, y1] = yDomain;
  const iw = W - M.left - M.right;
  const ih = H - M.top - M.bottom;
  const x = (v: number): number => M.left + ((v - x0) / (x1 - x0 || 1)) * iw;
  const y = (v: number): number => M.top + ih - ((v - y0) / (y1 - y0 || 1)) * ih;
  const parts = [`<title>${escapeXml(title)}</title>`, `<rect x="${M.left}" y="${M.top}" width="${iw}" height="${ih}" fill="#ffffff" stroke="#c8c8c8"/>`];
  for (const t of niceTicks(x0, x1)) {
    parts.push(`<line x1="${n(x(t))}" x2="${n(x(t))}" y1="${M.top + ih}" y2="${M.top + ih + 4}" stroke="#888888"/>`);
    parts.push(`<text x="${n(x(t))}" y="${M.top + ih + 16}" font-size="10" text-anchor="middle" fill="#444444">${escapeXml(formatNumber(t))}</text>`);
  }
  for (const t of niceTicks(y0, y1)) {
    parts.push(`<line x1="${M.left - 4}" x2="${M.left + iw}" y1="${n(y(t))}" y2="${n(y(t))}" stroke="#eeeeee"/>`);
    parts.push(`<text x="${M.left - 6}" y="${n(y(t) + 3)}" font-size="10" text-anchor="end" fill="#444444">${escapeXml(formatNumber(t))}</text>`);
  }
  parts.push(`<text x="${M.left + iw / 2}" y="${H - 8}" font-size="11" text-anchor="middle" fill="#222222">${escapeXml(xLabel)}</text>`);
  parts.push(`<text x="14" y="${M.top + ih / 2}" font-size="11" text-anchor="middle" fill="#222222" transform="rotate(-90 14 ${M.top + ih / 2})">${escapeXml(yLabel)}</text>`);
  return { x, y, parts };
}

function svg(kind: string, title: string, parts: readonly string[], height = H, width = W): SvgChart {
  return {
    kind,
    title,
    svg: `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}" data-chart="${escapeXml(kind)}">${parts.join('')}</svg>`,
  };
}

function legend(names: readonly string[], x: number, y: number): string[] {
  return names.flatMap((name, i) => [
    `<rect class="mark-legend" x="${x}" y="${y + i * 14 - 8}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/>`,
    `<text x="${x + 14}" y="${y + i * 14 + 1}" font-size="10" fill="#222222">${escapeXml(name)}</text>`,
  ]);
}

export interface LineSeries {
  readonly name: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
}

/** ROC or precision–recall: one polyline per series on [0, 1]², with the chance line for ROC. */
export function curveChart(kind: 'roc' | 'pr', series: readonly LineSeries[]): SvgChart {
  const title = kind === 'roc' ? 'ROC curve' : 'Precision–recall curve';
  const f = frame(title, [0, 1], [0, 1], kind === 'roc' ? 'false positive rate' : 'recall', kind === 'roc' ? 'true positive rate' : 'precision');
  if (kind === 'roc') f.parts.push(`<line x1="${n(f.x(0))}" y1="${n(f.y(0))}" x2="${n(f.x(1))}" y2="${n(f.y(1))}" stroke="#aaaaaa" stroke-dasharray="4 3"/>`);
  series.forEach((s, i) => {
    const points = s.x.map((x, k) => `${n(f.x(x))},${n(f.y(s.y[k] ?? 0))}`).join(' ');
    f.parts.push(`<polyline class="mark" points="${points}" fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="2"><title>${escapeXml(s.name)}</title></polyline>`);
  });
  if (series.length > 1) f.parts.push(...legend(series.map((s) => s.name), kind === 'roc' ? f.x(0.6) : f.x(0.05), f.y(kind === 'roc' ? 0.4 : 0.35)));
  return svg(kind, title, f.parts);
}

/** `matrix[true][predicted]` as shaded cells with their counts. */
export function confusionChart(classes: readonly string[], matrix: readonly (readonly number[])[]): SvgChart {
  const k = Math.max(1, classes.length);
  const size = Math.min(60, Math.floor(300 / k));
  const left = 110;
  const top = 30;
  const max = Math.max(1, ...matrix.flat());
  const parts = ['<title>Confusion matrix</title>'];
  parts.push(`<text x="${left + (k * size) / 2}" y="14" font-size="11" text-anchor="middle" fill="#222222">predicted</text>`);
  classes.forEach((c, j) => parts.push(`<text x="${left + j * size + size / 2}" y="${top - 4}" font-size="10" text-anchor="middle" fill="#444444">${escapeXml(c)}</text>`));
  classes.forEach((c, i) => {
    parts.push(`<text x="${left - 6}" y="${top + i * size + size / 2 + 3}" font-size="10" text-anchor="end" fill="#444444">${escapeXml(c)}</text>`);
    classes.forEach((_, j) => {
      const v = matrix[i]?.[j] ?? 0;
      const share = v / max;
      // Shade toward the palette's blue; the count in white on dark cells.
      const shade = Math.round(255 - share * (255 - 76));
      const fill = `rgb(${shade},${Math.round(255 - share * (255 - 120))},${Math.round(255 - share * (255 - 168))})`;
      parts.push(`<rect class="mark" x="${left + j * size}" y="${top + i * size}" width="${size - 1}" height="${size - 1}" fill="${fill}"><title>true ${escapeXml(c)}, predicted ${escapeXml(classes[j] ?? '')}: ${v}</title></rect>`);
      parts.push(`<text x="${left + j * size + size / 2}" y="${top + i * size + size / 2 + 4}" font-size="11" text-anchor="middle" fill="${share > 0.55 ? '#ffffff' : '#222222'}">${escapeXml(formatNumber(v))}</text>`);
    });
  });
  parts.push(`<text x="12" y="${top + (k * size) / 2}" font-size="11" text-anchor="middle" fill="#222222" transform="rotate(-90 12 ${top + (k * size) / 2})">true</text>`);
  return svg('confusion', 'Confusion matrix', parts, Math.max(H, top + k * size + 10));
}

/** Regression: predicted against actual (at most `maxPoints`, evenly chosen) with the line y = x. */
export function residualChart(actual: readonly number[], predicted: readonly number[], maxPoints = 1500): SvgChart {
  const all = [...actual, ...predicted].filter(Number.isFinite);
  const lo = all.length ? Math.min(...all) : 0;
  const hi = all.length ? Math.max(...all) : 1;
  const pad = (hi - lo) * 0.04 || 1;
  const d: [number, number] = [lo - pad, hi + pad];
  const f = frame('Predicted against actual', d, d, 'actual', 'predicted');
  f.parts.push(`<line x1="${n(f.x(d[0]))}" y1="${n(f.y(d[0]))}" x2="${n(f.x(d[1]))}" y2="${n(f.y(d[1]))}" stroke="#aaaaaa" stroke-dasharray="4 3"/>`);
  const step = Math.max(1, Math.ceil(actual.length / maxPoints));
  for (let i = 0; i < actual.length; i += step) {
    const a = actual[i] as number;
    const p = predicted[i];
    if (p === undefined || !Number.isFinite(a) || !Number.isFinite(p)) continue;
    f.parts.push(`<circle class="mark" cx="${n(f.x(a))}" cy="${n(f.y(p))}" r="2" fill="${PALETTE[0]}" fill-opacity="0.55"/>`);
  }
  return svg('residuals', 'Predicted against actual', f.parts);
}

export interface BarRow {
  readonly label: string;
  readonly value: number;
  /** A whisker of ± this around the value (importance's standard deviation). */
  readonly error?: number;
  /** A tick at this value (drift's threshold); the bar turns red past it. */
  readonly threshold?: number;
}

/** Row charts are wider than the curve charts: their labels need the room. */
const ROWS_W = 640;

/** Horizontal bars, one row each (importance, drift against threshold). */
export function barChart(kind: string, title: string, rows: readonly BarRow[], axisLabel: string): SvgChart {
  const rowH = 22;
  const left = 220;
  const top = 10;
  const width = ROWS_W - left - 20;
  const height = top + rows.length * rowH + 40;
  const values = rows.flatMap((r) => [r.value + (r.error ?? 0), r.value - (r.error ?? 0), r.threshold ?? 0, 0]);
  const lo = Math.min(0, ...values);
  const hi = Math.max(...values, lo + 1e-9);
  const x = (v: number): number => left + ((v - lo) / (hi - lo)) * width;
  const parts = [`<title>${escapeXml(title)}</title>`];
  for (const t of niceTicks(lo, hi, 4)) {
    parts.push(`<line x1="${n(x(t))}" x2="${n(x(t))}" y1="${top}" y2="${top + rows.length * rowH}" stroke="#eeeeee"/>`);
    parts.push(`<text x="${n(x(t))}" y="${top + rows.length * rowH + 14}" font-size="10" text-anchor="middle" fill="#444444">${escapeXml(formatNumber(t))}</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const over = r.threshold !== undefined && r.value > r.threshold;
    const label = r.label.length > 36 ? `${r.label.slice(0, 35)}…` : r.label;
    parts.push(`<text x="${left - 6}" y="${y + 15}" font-size="12" text-anchor="end" fill="#222222">${escapeXml(label)}</text>`);
    const [a, b] = [x(Math.min(0, r.value)), x(Math.max(0, r.value))];
    parts.push(`<rect class="mark" x="${n(a)}" y="${y + 4}" width="${n(Math.max(1, b - a))}" height="${rowH - 8}" fill="${over ? PALETTE[3] : PALETTE[0]}"><title>${escapeXml(`${r.label}: ${formatNumber(r.value)}${r.error ? ` ± ${formatNumber(r.error)}` : ''}${r.threshold !== undefined ? ` (threshold ${formatNumber(r.threshold)})` : ''}`)}</title></rect>`);
    if (r.error) parts.push(`<line x1="${n(x(r.value - r.error))}" x2="${n(x(r.value + r.error))}" y1="${y + rowH / 2}" y2="${y + rowH / 2}" stroke="#222222"/>`);
    if (r.threshold !== undefined) parts.push(`<line x1="${n(x(r.threshold))}" x2="${n(x(r.threshold))}" y1="${y + 1}" y2="${y + rowH - 1}" stroke="#222222" stroke-width="2"/>`);
  });
  parts.push(`<text x="${left + width / 2}" y="${height - 8}" font-size="12" text-anchor="middle" fill="#222222">${escapeXml(axisLabel)}</text>`);
  return svg(kind, title, parts, height, ROWS_W);
}

export interface IntervalRow {
  readonly metric: string;
  readonly candidate: number;
  readonly baseline?: number;
  /** 95 % half-width of the delta, drawn around the baseline: a candidate inside it is within noise. */
  readonly noise?: number;
}

/**
 * Each metric's delta with its noise band around zero, on an axis that always spans the noise
 * (so a 0.0002 change on a ±0.02 band reads as the nothing it is).
 */
export function deltaChart(rows: readonly IntervalRow[]): SvgChart {
  const usable = rows.filter((r) => r.baseline !== undefined);
  const rowH = 22;
  const left = 220;
  const top = 10;
  const width = ROWS_W - left - 20;
  const height = top + usable.length * rowH + 40;
  const extent = Math.max(1e-9, ...usable.flatMap((r) => [Math.abs(r.candidate - (r.baseline as number)), r.noise ?? 0])) * 1.15;
  const x = (v: number): number => left + ((v + extent) / (2 * extent)) * width;
  const parts = ['<title>Δ against the baseline, with noise</title>'];
  for (const t of niceTicks(-extent, extent, 4)) {
    parts.push(`<line x1="${n(x(t))}" x2="${n(x(t))}" y1="${top}" y2="${top + usable.length * rowH}" stroke="${t === 0 ? '#888888' : '#eeeeee'}"/>`);
    parts.push(`<text x="${n(x(t))}" y="${top + usable.length * rowH + 14}" font-size="10" text-anchor="middle" fill="#444444">${escapeXml(formatNumber(t))}</text>`);
  }
  usable.forEach((r, i) => {
    const y = top + i * rowH + rowH / 2;
    const d = r.candidate - (r.baseline as number);
    parts.push(`<text x="${left - 6}" y="${y + 4}" font-size="12" text-anchor="end" fill="#222222">${escapeXml(r.metric)}</text>`);
    if (r.noise !== undefined) parts.push(`<rect x="${n(x(-r.noise))}" y="${y - 6}" width="${n(x(r.noise) - x(-r.noise))}" height="12" fill="#dddddd"><title>noise ±${escapeXml(formatNumber(r.noise))}</title></rect>`);
    const inside = r.noise !== undefined && Math.abs(d) < r.noise;
    parts.push(`<circle class="mark" cx="${n(x(d))}" cy="${y}" r="4" fill="${inside ? '#888888' : PALETTE[0]}"><title>${escapeXml(`${r.metric}: Δ ${formatNumber(d)}${r.noise !== undefined ? ` (noise ±${formatNumber(r.noise)})` : ''}`)}</title></circle>`);
  });
  parts.push(`<text x="${left + width / 2}" y="${height - 8}" font-size="12" text-anchor="middle" fill="#222222">Δ = this run − baseline (grey band: 95 % noise)</text>`);
  return svg('deltas', 'Δ against the baseline, with noise', parts, height, ROWS_W);
}

/** A numeric feature's STANDARD histogram as a small bar strip for the statistics table. */
export function histogramSpark(buckets: readonly { readonly lowValue: number; readonly highValue: number; readonly sampleCount: number }[]): string {
  const w = 120;
  const h = 28;
  const max = Math.max(1, ...buckets.map((b) => b.sampleCount));
  const bw = w / Math.max(1, buckets.length);
  const bars = buckets
    .map((b, i) => `<rect class="mark" x="${n(i * bw)}" y="${n(h - (b.sampleCount / max) * h)}" width="${n(Math.max(0.5, bw - 1))}" height="${n((b.sampleCount / max) * h)}" fill="${PALETTE[0]}"><title>${escapeXml(`${formatNumber(b.lowValue)} – ${formatNumber(b.highValue)}: ${formatNumber(b.sampleCount)}`)}</title></rect>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" class="spark" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="histogram">${bars}</svg>`;
}
