/**
 * The model's output tensor values → predictions, the one implementation the model server, the
 * Evaluator, BulkInferrer (through `loadServingModel`) and the browser runtime of a web push share.
 * Pure: no I/O, no TensorFlow.js.
 */
import type { ModelSignature, Prediction } from './signature';

/** Decodes `rows` predictions from row-major outputs with `units` values per row. */
export function decodePredictions(signature: ModelSignature, values: ArrayLike<number>, units: number, rows: number): Prediction[] {
  const classes = signature.classes ?? [];
  const out: Prediction[] = [];
  for (let i = 0; i < rows; i++) {
    if (signature.task === 'regression') {
      const v = values[i * units] as number;
      out.push({ prediction: signature.labelTransform === 'log' ? Math.exp(v) : v });
    } else if (signature.task === 'binary') {
      const score = values[i * units] as number;
      out.push({ score, prediction: (score >= 0.5 ? classes[1] : classes[0]) as string });
    } else {
      const scores: number[] = [];
      for (let k = 0; k < units; k++) scores.push(values[i * units + k] as number);
      let best = 0;
      for (let k = 1; k < scores.length; k++) if ((scores[k] as number) > (scores[best] as number)) best = k;
      out.push({ scores, prediction: classes[best] ?? String(best) });
    }
  }
  return out;
}
