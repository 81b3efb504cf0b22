/** Formatting shared by every webview and the notebook renderer: durations, counts, numbers, shares. */

/** `850 ms`, `4.2 s`, `3 min 12 s`; empty for undefined. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A count with thousands separators: `3,000,000`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en');
}

/** A number for a table cell: integers with separators, others with 4 significant digits. */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return v.toLocaleString('en');
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e9)) return v.toExponential(3);
  return Number(v.toPrecision(a >= 1000 ? 6 : 4)).toLocaleString('en', { maximumFractionDigits: 6 });
}

export function formatPercent(share: number): string {
  if (share === 0) return '0 %';
  if (share < 0.001) return '<0.1 %';
  return `${(share * 100).toFixed(share < 0.1 ? 1 : 0)} %`;
}
