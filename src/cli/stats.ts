/**
 * `pipewise stats DATA_FILE [--json]`: TFDV statistics of one CSV, Parquet or JSON file (or glob),
 * computed by `src/engine/stats/` with DuckDB. `--json` prints the proto3 JSON mapping of TFDV's
 * DatasetFeatureStatisticsList; otherwise a table per feature kind.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PipewiseError } from '../core/errors';
import type { DatasetFeatureStatistics, DatasetFeatureStatisticsList, FeatureNameStatistics } from '../core/tfdv';
import { computeStatistics } from '../engine/stats/computeStatistics';

export async function statsCommand(dataFile: string, json: boolean): Promise<number> {
  const abs = path.resolve(dataFile);
  // A glob is the reader's business; a plain path that is not there is a mistake worth naming now.
  if (!/[*?[]/.test(dataFile) && !existsSync(abs)) throw new PipewiseError(`no such data file: ${abs}`, { code: 'usage' });
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  try {
    const plan: { quantiles: 'sketch' | 'exact' } = { quantiles: 'exact' };
    const stats = await computeStatistics(abs, { signal: controller.signal, onQuantiles: (how) => (plan.quantiles = how) });
    if (json) {
      const list: DatasetFeatureStatisticsList = { datasets: [stats] };
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    } else {
      process.stdout.write(formatStatistics(stats, { approximateQuantiles: plan.quantiles === 'sketch' }));
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

function featureName(f: FeatureNameStatistics): string {
  return f.name ?? f.path?.step.join('.') ?? '?';
}

function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '';
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 1e5 || (Math.abs(n) < 1e-3 && n !== 0) ? n.toExponential(3) : n.toFixed(3);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatStatistics(s: DatasetFeatureStatistics, how: { approximateQuantiles?: boolean } = {}): string {
  const out = [`${s.name}: ${s.numExamples} examples, ${s.features.length} features`];
  const numeric = s.features.filter((f) => f.numStats);
  if (numeric.length) {
    out.push('', 'numeric features');
    out.push(
      table(
        ['feature', 'type', 'count', 'missing', 'mean', 'std_dev', 'zeros', 'min', 'median', 'max'],
        numeric.map((f) => {
          const n = f.numStats as NonNullable<FeatureNameStatistics['numStats']>;
          return [featureName(f), f.type, fmt(n.commonStats.numNonMissing), fmt(n.commonStats.numMissing), fmt(n.mean), fmt(n.stdDev), fmt(n.numZeros), fmt(n.min), fmt(n.median), fmt(n.max)];
        }),
      ),
    );
    if (how.approximateQuantiles) out.push('(median and quantiles from a T-Digest sketch, within 1% of rank: more than 20M numeric values; min and max are exact)');
  }
  const strings = s.features.filter((f) => f.stringStats);
  if (strings.length) {
    out.push('', 'string features');
    out.push(
      table(
        ['feature', 'count', 'missing', 'unique', 'avg_length', 'top values'],
        strings.map((f) => {
          const t = f.stringStats as NonNullable<FeatureNameStatistics['stringStats']>;
          const top = t.topValues.slice(0, 3).map((v) => `${v.value} (${v.frequency})`).join(', ');
          return [featureName(f), fmt(t.commonStats.numNonMissing), fmt(t.commonStats.numMissing), fmt(t.unique), fmt(t.avgLength), top];
        }),
      ),
    );
  }
  return `${out.join('\n')}\n`;
}
