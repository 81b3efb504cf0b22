/**
 * The HTML report's charts as inline SVG, drawn when the report is made: the page then needs no
 * script at all (its CSP allows none), opens offline in any browser and prints as vectors. Colours
 * and sizes are SVG presentation attributes, never `style` attributes (the CSP allows only the one
 * hashed stylesheet). Every text goes through `escapeXml`.
 */
import { formatNumber } from './format';
import type { FairnessRate, PartialDependence } from './evaluationTypes';

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Vega's category10-like palette, readable on white and in print. */
export const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d', '#bab0ac', '#ff9da6'];

export interface SvgChart {
  /** What it shows, for `data-chart` (the browser test finds each by it). */
  readonly kind: string;
  readonly title: string;
  /** A sentence under the title saying how to read it (the evaluation panel's wording). */
  readonly caption?: string;
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

/** A tick of a categorical x axis: where it sits on the numeric scale and what it says. */
interface CategoryTick {
  readonly at: number;
  readonly label: string;
}

/**
 * The plot area with its ticks and axis titles. Tick labels carry `tick-x`/`tick-y` classes: with
 * their positions they are the chart's scale, which a test reads back to recover the data.
 */
function frame(title: string, xDomain: readonly [number, number], yDomain: readonly [number, number], xLabel: string, yLabel: string, size: { readonly width: number; readonly height: number } = { width: W, height: H }, categories?: readonly CategoryTick[]): Frame {
  const [x0, x1] = xDomain;
  const [y0, y1] = yDomain;
  const { width, height } = size;
  const iw = width - M.left - M.right;
  const ih = height - M.top - M.bottom;
  const x = (v: number): number => M.left + ((v - x0) / (x1 - x0 || 1)) * iw;
  const y = (v: number): number => M.top + ih - ((v - y0) / (y1 - y0 || 1)) * ih;
  const parts = [`<title>${escapeXml(title)}</title>`, `<rect x="${M.left}" y="${M.top}" width="${iw}" height="${ih}" fill="#ffffff" stroke="#c8c8c8"/>`];
  const xTicks = categories ?? niceTicks(x0, x1).map((t) => ({ at: t, label: formatNumber(t) }));
  for (const t of xTicks) {
    parts.push(`<line x1="${n(x(t.at))}" x2="${n(x(t.at))}" y1="${M.top + ih}" y2="${M.top + ih + 4}" stroke="#888888"/>`);
    parts.push(`<text class="tick-x" x="${n(x(t.at))}" y="${M.top + ih + 16}" font-size="10" text-anchor="middle" fill="#444444">${escapeXml(t.label)}</text>`);
  }
  for (const t of niceTicks(y0, y1)) {
    parts.push(`<line x1="${M.left - 4}" x2="${M.left + iw}" y1="${n(y(t))}" y2="${n(y(t))}" stroke="#eeeeee"/>`);
    parts.push(`<text class="tick-y" x="${M.left - 6}" y="${n(y(t) + 3)}" font-size="10" text-anchor="end" fill="#444444">${escapeXml(formatNumber(t))}</text>`);
  }
  parts.push(`<text x="${M.left + iw / 2}" y="${height - 8}" font-size="11" text-anchor="middle" fill="#222222">${escapeXml(xLabel)}</text>`);
  parts.push(`<text x="14" y="${M.top + ih / 2}" font-size="11" text-anchor="middle" fill="#222222" transform="rotate(-90 14 ${M.top + ih / 2})">${escapeXml(yLabel)}</text>`);
  return { x, y, parts };
}

function svg(kind: string, title: string, parts: readonly string[], height = H, width = W, caption?: string): SvgChart {
  return {
    kind,
    title,
    ...(caption ? { caption } : {}),
    svg: `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}" data-chart="${escapeXml(kind)}">${parts.join('')}</svg>`,
  };
}

/**
 * A legend in rows under a chart, left to right, wrapping at `width`: it covers no data, where one
 * inside the plot would cover a curve crossing its corner.
 */
function legendRows(names: readonly string[], x: number, y: number, width: number): { parts: string[]; height: number } {
  const parts: string[] = [];
  let cx = x;
  let row = 0;
  names.forEach((name, i) => {
    const label = name.length > 24 ? `${name.slice(0, 23)}…` : name;
    // About 6 px a character at 10 px, the swatch and a gap.
    const w = 14 + label.length * 6 + 12;
    if (cx > x && cx + w > x + width) {
      cx = x;
      row++;
    }
    const cy = y + row * 14;
    parts.push(`<rect class="mark-legend" x="${n(cx)}" y="${cy - 8}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/>`);
    parts.push(`<text x="${n(cx + 14)}" y="${cy + 1}" font-size="10" fill="#222222"><title>${escapeXml(name)}</title>${escapeXml(label)}</text>`);
    cx += w;
  });
  return { parts, height: names.length ? (row + 1) * 14 : 0 };
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

const CURVES = {
  roc: { title: 'ROC curve', x: 'false positive rate', y: 'true positive rate', diagonal: true, legend: [0.6, 0.4] },
  pr: { title: 'Precision–recall curve', x: 'recall', y: 'precision', diagonal: false, legend: [0.05, 0.35] },
  // The evaluation panel's wording (webviews/shared/evaluationCharts.ts). A miscalibrated bin sits
  // off the diagonal, rarely in the top-left corner: the legend goes there.
  calibration: { title: 'Calibration', x: 'mean predicted probability', y: 'share of positives', diagonal: true, legend: [0.05, 0.92] },
} as const;

/**
 * ROC, precision–recall or calibration (reliability): one polyline per series on [0, 1]², with the
 * diagonal for ROC (chance) and calibration (perfect calibration). Calibration also marks each bin,
 * its example count in the tooltip (`n`).
 */
export function curveChart(kind: keyof typeof CURVES, series: readonly (LineSeries & { readonly n?: readonly number[] })[]): SvgChart {
  const c = CURVES[kind];
  const f = frame(c.title, [0, 1], [0, 1], c.x, c.y);
  if (c.diagonal) f.parts.push(`<line x1="${n(f.x(0))}" y1="${n(f.y(0))}" x2="${n(f.x(1))}" y2="${n(f.y(1))}" stroke="#aaaaaa" stroke-dasharray="4 3"/>`);
  series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length] as string;
    const points = s.x.map((x, k) => `${n(f.x(x))},${n(f.y(s.y[k] ?? 0))}`).join(' ');
    f.parts.push(`<polyline class="mark" points="${points}" fill="none" stroke="${colour}" stroke-width="2"><title>${escapeXml(s.name)}</title></polyline>`);
    if (kind === 'calibration') {
      s.x.forEach((x, k) => {
        const tip = `${s.name}: mean predicted ${formatNumber(x)}, share of positives ${formatNumber(s.y[k])}${s.n?.[k] !== undefined ? `, ${formatNumber(s.n[k])} examples` : ''}`;
        f.parts.push(`<circle class="mark-point" cx="${n(f.x(x))}" cy="${n(f.y(s.y[k] ?? 0))}" r="3" fill="${colour}"><title>${escapeXml(tip)}</title></circle>`);
      });
    }
  });
  if (series.length > 1) f.parts.push(...legend(series.map((s) => s.name), f.x(c.legend[0]), f.y(c.legend[1])));
  const caption = kind === 'calibration' ? 'Mean predicted probability against the share of positives, in 10 equal bins; the diagonal is perfect calibration.' : undefined;
  return svg(kind, c.title, f.parts, H, W, caption);
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

/** A fairness rate as the evaluation panel names it: `false positive rate`. */
export function rateName(rate: string): string {
  return rate.replace(/_/g, ' ');
}

/** Ascending, as Vega-Lite orders a nominal field by default (the evaluation panel's order). */
function ascending(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The fairness rates in the evaluation panel's order: by rate, then threshold, then slice name. The
 * panel facets by `rate @ threshold` and lists the slices ascending inside each facet.
 */
export function sortFairness(rows: readonly FairnessRate[]): FairnessRate[] {
  return [...rows].sort((a, b) => ascending(a.rate, b.rate) || a.threshold - b.threshold || ascending(a.slice, b.slice));
}

/**
 * One chart per rate (false positive rate, …): a row per slice, its bars one per threshold on a
 * 0–1 axis, each labelled with its value, so the gap between slices reads at a glance.
 */
export function fairnessCharts(rows: readonly FairnessRate[]): SvgChart[] {
  const sorted = sortFairness(rows);
  const rates = [...new Set(sorted.map((r) => r.rate))];
  return rates.map((rate) => {
    const mine = sorted.filter((r) => r.rate === rate);
    const thresholds = [...new Set(mine.map((r) => r.threshold))].sort((a, b) => a - b);
    const slices = [...new Set(mine.map((r) => r.slice))].sort(ascending);
    const title = thresholds.length === 1 ? `${rateName(rate)} @ ${thresholds[0]}` : rateName(rate);
    const barH = 14;
    const rowH = thresholds.length * barH + 8;
    // Drawn about as wide as a chart cell (340–400 px), so its 10–11 px text stays that size on screen.
    const chartW = 360;
    const left = 118;
    const right = 46;
    const top = 8;
    const legendH = thresholds.length > 1 ? 18 : 0;
    const width = chartW - left - right;
    const height = top + legendH + slices.length * rowH + 40;
    const y0 = top + legendH;
    const x = (v: number): number => left + Math.min(1, Math.max(0, v)) * width;
    const parts = [`<title>${escapeXml(`${title}, per slice`)}</title>`];
    if (thresholds.length > 1) {
      thresholds.forEach((t, i) => {
        parts.push(`<rect class="mark-legend" x="${left + i * 70}" y="${top}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/>`);
        parts.push(`<text x="${left + i * 70 + 14}" y="${top + 9}" font-size="10" fill="#222222">@ ${escapeXml(String(t))}</text>`);
      });
    }
    for (const t of niceTicks(0, 1, 4)) {
      parts.push(`<line x1="${n(x(t))}" x2="${n(x(t))}" y1="${y0}" y2="${y0 + slices.length * rowH}" stroke="#eeeeee"/>`);
      parts.push(`<text class="tick-x" x="${n(x(t))}" y="${y0 + slices.length * rowH + 14}" font-size="10" text-anchor="middle" fill="#444444">${escapeXml(formatNumber(t))}</text>`);
    }
    slices.forEach((slice, i) => {
      const y = y0 + i * rowH;
      const label = slice.length > 19 ? `${slice.slice(0, 18)}…` : slice;
      parts.push(`<text x="${left - 6}" y="${n(y + rowH / 2 + 4)}" font-size="11" text-anchor="end" fill="#222222"><title>${escapeXml(slice)}</title>${escapeXml(label)}</text>`);
      thresholds.forEach((t, k) => {
        const r = mine.find((m) => m.slice === slice && m.threshold === t);
        if (!r) return;
        const by = y + 4 + k * barH;
        const tip = `${slice}: ${rateName(rate)} @ ${t} = ${formatNumber(r.value)}`;
        parts.push(
          `<rect class="mark" data-slice="${escapeXml(slice)}" data-threshold="${t}" x="${left}" y="${by}" width="${n(Math.max(1, x(r.value) - left))}" height="${barH - 2}" fill="${PALETTE[k % PALETTE.length]}"><title>${escapeXml(tip)}</title></rect>`,
        );
        parts.push(`<text x="${n(x(r.value) + 4)}" y="${by + barH - 4}" font-size="10" fill="#444444">${escapeXml(formatNumber(r.value))}</text>`);
      });
    });
    parts.push(`<text x="${left + width / 2}" y="${height - 8}" font-size="11" text-anchor="middle" fill="#222222">${escapeXml(rateName(rate))}</text>`);
    return svg(`fairness-${rate}`, title, parts, height, chartW);
  });
}

/** A partial dependence chart's plot: several sit in a row below the importance bars, each drawn about as wide as its cell. */
const PD = { width: 380, height: 240 } as const;

/**
 * One feature's partial dependence: the mean prediction against the value the feature was set to,
 * one series per output (each class's probability for a multiclass model). A numeric feature is a
 * line through its grid; a categorical one is a point per category (its categories have no order
 * a line between them would imply). Grid points whose average is not a number (NaN, written as
 * null) are left out.
 */
export function partialDependenceChart(p: PartialDependence, yLabel: string, kindIndex: number): SvgChart {
  const title = `Partial dependence: ${p.feature}`;
  const numeric = p.kind === 'numeric';
  const xs = p.grid.map((g, i) => (numeric ? Number(g) : i));
  const ys = p.average.flat().filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  let lo = ys.length ? Math.min(...ys) : 0;
  let hi = ys.length ? Math.max(...ys) : 1;
  // A flat curve (the model ignores the feature there) still gets an axis a few hundredths tall.
  const pad = (hi - lo) * 0.08 || Math.max(Math.abs(hi) * 0.05, 0.01);
  lo -= pad;
  hi += pad;
  const finiteX = xs.filter(Number.isFinite);
  const xDomain: [number, number] = !numeric ? [-0.5, p.grid.length - 0.5] : finiteX.length ? [Math.min(...finiteX), Math.max(...finiteX)] : [0, 1];
  if (!(xDomain[1] > xDomain[0])) xDomain[1] = xDomain[0] + 1;
  // Up to 7 category labels fit under the 310 px plot; with more, every other one (each still in its points' tooltips).
  const every = Math.ceil(p.grid.length / 7);
  const categories = numeric ? undefined : p.grid.flatMap((g, i) => (i % every === 0 ? [{ at: i, label: String(g).length > 10 ? `${String(g).slice(0, 9)}…` : String(g) }] : []));
  const f = frame(title, xDomain, [lo, hi], p.feature, yLabel, PD, categories);
  p.outputs.forEach((output, k) => {
    const colour = PALETTE[k % PALETTE.length] as string;
    const line = p.average[k] ?? [];
    const at = xs.flatMap((xv, g) => {
      const v = line[g];
      return typeof v === 'number' && Number.isFinite(v) && Number.isFinite(xv) ? [{ x: xv, y: v, g }] : [];
    });
    if (numeric && at.length) {
      f.parts.push(`<polyline class="mark" data-output="${escapeXml(output)}" points="${at.map((q) => `${n(f.x(q.x))},${n(f.y(q.y))}`).join(' ')}" fill="none" stroke="${colour}" stroke-width="2"><title>${escapeXml(output)}</title></polyline>`);
    }
    for (const q of at) {
      const tip = `${output}: ${p.feature} = ${typeof p.grid[q.g] === 'number' ? formatNumber(p.grid[q.g] as number) : String(p.grid[q.g])} → ${formatNumber(q.y)}`;
      f.parts.push(`<circle class="${numeric ? 'mark-point' : 'mark'}" data-output="${escapeXml(output)}" cx="${n(f.x(q.x))}" cy="${n(f.y(q.y))}" r="${numeric ? 2.5 : 4}" fill="${colour}"><title>${escapeXml(tip)}</title></circle>`);
    }
  });
  // The key in rows below the axis title (its baseline 8 px above the plot's height).
  const key = p.outputs.length > 1 ? legendRows(p.outputs, M.left, PD.height + 10, PD.width - M.left - M.right) : { parts: [], height: 0 };
  return svg(`partial-dependence-${kindIndex}`, title, [...f.parts, ...key.parts], PD.height + key.height + (key.height ? 2 : 0), PD.width);
}
