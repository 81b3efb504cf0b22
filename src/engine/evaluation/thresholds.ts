/**
 * Model validation as TFMA does it: value thresholds (lower_bound ≤ metric ≤ upper_bound) and
 * change thresholds against a baseline model (diff = candidate − baseline; higher_is_better passes
 * when diff ≥ absolute, lower_is_better when diff ≤ absolute). Thresholds gate the overall slice.
 * Without a baseline (the first run) change thresholds pass, as in TFX. A threshold on a metric
 * that the evaluation does not have fails ("metric not found"), as in TFMA.
 */
import type { EvaluationCheck } from '../../core/evaluationTypes';
import type { MetricValues } from '../../core/metrics';
import { formatNumber } from '../../core/format';

export interface MetricThreshold {
  readonly lower_bound?: number;
  readonly upper_bound?: number;
  readonly change?: { readonly direction: 'higher_is_better' | 'lower_is_better'; readonly absolute: number };
}

/** One threshold's verdict, as metrics.json records it and the evaluation view shows it. */
export type ThresholdCheck = EvaluationCheck;

export function checkThresholds(
  thresholds: Readonly<Record<string, MetricThreshold>>,
  candidate: MetricValues,
  baseline: MetricValues | undefined,
): ThresholdCheck[] {
  const checks: ThresholdCheck[] = [];
  const available = Object.keys(candidate).sort().join(', ');
  for (const [metric, t] of Object.entries(thresholds)) {
    const value = candidate[metric];
    const kinds: ('lower_bound' | 'upper_bound')[] = [];
    if (t.lower_bound !== undefined) kinds.push('lower_bound');
    if (t.upper_bound !== undefined) kinds.push('upper_bound');
    for (const kind of kinds) {
      const bound = t[kind] as number;
      if (value === undefined) {
        checks.push({ metric, kind, threshold: bound, passed: false, message: `${metric}: metric not found (this evaluation has: ${available})` });
        continue;
      }
      const passed = kind === 'lower_bound' ? value >= bound : value <= bound;
      checks.push({
        metric,
        kind,
        threshold: bound,
        value,
        passed,
        message: `${metric} = ${formatNumber(value)} ${passed ? 'meets' : 'fails'} ${kind === 'lower_bound' ? '≥' : '≤'} ${formatNumber(bound)}`,
      });
    }
    if (t.change) {
      const { direction, absolute } = t.change;
      const base = { metric, kind: 'change' as const, threshold: absolute, direction };
      if (value === undefined) {
        checks.push({ ...base, passed: false, message: `${metric}: metric not found (this evaluation has: ${available})` });
        continue;
      }
      if (!baseline) {
        checks.push({ ...base, value, passed: true, skipped: 'no baseline model', message: `${metric}: no blessed baseline model yet, the change threshold passes (as on TFX's first run)` });
        continue;
      }
      const b = baseline[metric];
      if (b === undefined) {
        checks.push({ ...base, value, passed: false, message: `${metric}: the baseline model has no value for it` });
        continue;
      }
      const diff = value - b;
      const passed = direction === 'higher_is_better' ? diff >= absolute : diff <= absolute;
      checks.push({
        ...base,
        value,
        baseline: b,
        diff,
        passed,
        message: `${metric} = ${formatNumber(value)} vs baseline ${formatNumber(b)}: change ${formatNumber(diff)} ${passed ? 'meets' : 'fails'} ${direction === 'higher_is_better' ? '≥' : '≤'} ${formatNumber(absolute)} (${direction.replace(/_/g, ' ')})`,
      });
    }
  }
  return checks;
}
