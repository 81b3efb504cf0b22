/**
 * Numbers as people read them — durations, counts, metrics, shares — for every webview, the notebook
 * renderer, the extension's views and the engine's messages. One rule everywhere (issue 26 found three):
 * - integers below 10,000 are not grouped, so years read "1880"; from 10,000 on they are: "25,432";
 * - other numbers keep four significant digits, six from 1000 on, so a mean year keeps its decimals
 *   ("0.9877", "2008.03", "25,432.1");
 * - magnitudes under 0.001 read in exponent form ("1.235e-4").
 */

/** Below this, integers read without thousands separators (years, small counts, most metrics). */
const GROUP_FROM = 10_000;

function grouped(v: number): string {
  return Math.abs(v) >= GROUP_FROM ? v.toLocaleString('en', { maximumFractionDigits: 20 }) : String(v);
}

/** `850 ms`, `4.2 s`, `3 min 12 s`; empty for undefined. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A count: `1880`, `3,000,000`. */
export function formatCount(n: number): string {
  return formatNumber(n);
}

/** A number for a table cell, a caption or a message; `—` when there is none. */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return grouped(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e15)) return Number(v.toPrecision(4)).toExponential();
  return grouped(Number(v.toPrecision(a >= 1000 ? 6 : 4)));
}

/** A share as a percentage: `0 %`, `<0.1 %`, `4.5 %`, `62 %`. */
export function formatPercent(share: number): string {
  if (share === 0) return '0 %';
  if (share < 0.001) return '<0.1 %';
  return `${(share * 100).toFixed(share < 0.1 ? 1 : 0)} %`;
}

/**
 * A Vega axis `labelExpr` with the same rule as `formatNumber`, for quantitative axes: Vega's default
 * labels group years ("1,880") and an `s` format reads counts as "0k 0.2k".
 */
export const axisLabelExpr = "abs(datum.value) >= 10000 ? format(datum.value, ',~r') : format(datum.value, '~r')";
