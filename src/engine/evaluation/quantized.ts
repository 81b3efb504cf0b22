/**
 * The Evaluator's `quantize`: the candidate model with its weights quantized (exactly as the
 * Pusher's `quantize` writes them) measured on the same eval rows and checked against the same
 * thresholds, so a quantized model is pushed only if it is as good as the thresholds demand.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MetricValues } from '../../core/metrics';
import type { QuantizeDtype } from '../model/quantize';
import { quantizeModelArtifact, type QuantizedSize } from '../model/quantizeModel';
import type { ServingModel } from '../model/servingModel';
import type { ModelLoader, PredictionColumn } from './predict';
import { computeSliceMetrics, type EncodedLabels } from './sliceMetrics';
import { checkThresholds, type ThresholdCheck } from './thresholds';

/** In the blessing artifact: `{ dtype, blessed, size }` when the Evaluator measured a quantized model. */
export const QUANTIZATION_FILE = 'quantization.json';

export interface QuantizedEvaluation {
  readonly size: QuantizedSize;
  /** Overall metrics of the quantized model. */
  readonly metrics: MetricValues;
  readonly thresholds: readonly ThresholdCheck[];
}

export async function evaluateQuantized(
  load: ModelLoader,
  modelUri: string,
  dtype: QuantizeDtype,
  /** The eval split's pass of a model (src/engine/evaluation/scoreSplit.ts), its predictions row for row with `labels`. */
  predict: (model: ServingModel) => Promise<PredictionColumn>,
  labels: EncodedLabels,
  p: { readonly thresholds: Parameters<typeof checkThresholds>[0]; readonly fairness_thresholds: readonly number[] },
  baseline: MetricValues | undefined,
  models: ServingModel[],
): Promise<QuantizedEvaluation> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipewise-quantized-'));
  try {
    const size = await quantizeModelArtifact(modelUri, path.join(tmp, 'model'), dtype);
    const model = await load(path.join(tmp, 'model'));
    models.push(model);
    const predictions = await predict(model);
    const [overall] = computeSliceMetrics(model.signature, labels, predictions, [{ key: {}, rows: Array.from({ length: predictions.length }, (_, i) => i) }], p.fairness_thresholds);
    const metrics = overall?.metrics ?? {};
    return { size, metrics, thresholds: checkThresholds(p.thresholds, metrics, baseline) };
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}
