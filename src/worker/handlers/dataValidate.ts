/**
 * Anomalies of statistics against a schema for the panels, with ExampleValidator's own checks (the
 * schema anomalies, and drift against a baseline where the schema sets a comparator threshold).
 */
import type { Anomalies, AnomalyInfo, DatasetFeatureStatistics, Schema } from '../../core/tfdv';
import { compareDistributions, thresholdsFor, validateAgainstSchema } from '../../engine/components/exampleValidator';

export function validateStatistics(stats: DatasetFeatureStatistics, schema: Schema, baseline?: DatasetFeatureStatistics): Anomalies {
  // A schema edited by hand may lack the lists the validator walks.
  const s: Schema = { ...schema, feature: Array.isArray(schema.feature) ? schema.feature : [] };
  const out = validateAgainstSchema(stats, s);
  if (!baseline) return out;
  const drift = compareDistributions(baseline, stats, thresholdsFor(s, stats, {}, 'drift'), 'drift');
  const anomalyInfo: Record<string, AnomalyInfo> = { ...out.anomalyInfo };
  for (const [feature, a] of Object.entries(drift.anomalyInfo)) {
    const prev = anomalyInfo[feature];
    anomalyInfo[feature] = prev ? { ...prev, description: `${prev.description} ${a.description}`, shortDescription: 'Multiple errors', reason: [...prev.reason, ...a.reason] } : a;
  }
  return { ...out, anomalyInfo };
}
