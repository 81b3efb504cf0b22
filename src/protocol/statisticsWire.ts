/** Statistics across JSON, in a module of its own (no JSON-RPC): the webviews use it too. */
import { normalizeStatisticsList, type DatasetFeatureStatistics } from '../core/tfdv';

/**
 * Statistics as they cross JSON (the worker's IPC, a webview's messages), which has no ±Infinity
 * or NaN: those go as proto3 JSON spells them ("Infinity", "-Infinity", "NaN"), as statistics.json
 * holds them; `statisticsFromWire` turns them back into numbers.
 */
export function statisticsToWire(s: DatasetFeatureStatistics): DatasetFeatureStatistics {
  return JSON.parse(JSON.stringify(s, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity') : v))) as DatasetFeatureStatistics;
}

export function statisticsFromWire(s: DatasetFeatureStatistics): DatasetFeatureStatistics {
  return normalizeStatisticsList({ datasets: [s] }).datasets[0] ?? s;
}
