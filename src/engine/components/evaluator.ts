/**
 * Evaluator: TFMA-style evaluation of a model on the eval split — metrics overall and per slice,
 * Fairness-Indicator rates per slice (binary), value and change thresholds against a baseline (by
 * default the model of the last blessed evaluation of this pipeline), and the blessing.
 *
 * Also measures permutation feature importance on the same rows through the same model
 * (src/engine/evaluation/importance.ts).
 *
 * Writes `evaluation/metrics.json`, `predictions.json` and `feature_importance.json`
 * (docs/ARCHITECTURE.md, "Contracts": artifact files) and `blessing/BLESSED` or `blessing/NOT_BLESSED`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { Evaluator } from '../../core/components/modelComponents';
import { PipewiseError } from '../../core/errors';
import type { MetricValues } from '../../core/metrics';
import type { ComponentContext, ComponentExecutor } from '../component';
import type { ServingModel } from '../model/servingModel';
import { writeFileAtomic } from '../store';
import { findLastBlessedModel } from '../evaluation/baseline';
import { withConnection } from '../duckdb';
import { openSplit, requireColumn } from '../evaluation/examples';
import { loadModel, type ModelLoader, type PredictionColumn } from '../evaluation/predict';
import { readSplitRows, scoreSplit } from '../evaluation/scoreSplit';
import { computeSliceMetrics, type EncodedLabels, type SliceResult } from '../evaluation/sliceMetrics';
import type { FeatureImportanceFile, PredictionsFile } from '../../protocol/evaluation';
import { FEATURE_IMPORTANCE_FILE, permutationImportance, readModelImportances } from '../evaluation/importance';
import { describeSlice } from '../evaluation/slicing';
import { type BootstrapRecord, bootstrapRecord, EVALUATOR_BOOTSTRAP } from '../evaluation/bootstrap';
import { checkThresholds, type ThresholdCheck } from '../evaluation/thresholds';
import { evaluateQuantized, QUANTIZATION_FILE, type QuantizedEvaluation } from '../evaluation/quantized';

export type EvaluatorParams = z.output<typeof Evaluator.params>;

/** metrics.json. `slices` and `blessed` are the artifact contract (docs/ARCHITECTURE.md, "Contracts"); the rest explains them. */
export interface EvaluationFile {
  readonly slices: readonly SliceResult[];
  readonly blessed: boolean;
  readonly task: string;
  readonly label: string;
  readonly split: string;
  readonly classes?: readonly string[];
  readonly model: string;
  readonly baseline: { readonly model: string; readonly metrics: MetricValues } | null;
  readonly thresholds: readonly ThresholdCheck[];
  /** Messages of the failed threshold checks; empty when blessed. */
  readonly failed: readonly string[];
  /** Eval rows left out of the metrics, and why. */
  readonly excluded: { readonly missing_label: number; readonly unknown_label: Readonly<Record<string, number>> };
  /** `quantize`: the quantized model's overall metrics and threshold checks on the same rows. */
  readonly quantized?: QuantizedEvaluation;
  /** How each slice's `intervals` were computed (a seeded percentile bootstrap over its eval rows). */
  readonly bootstrap: BootstrapRecord;
}

export function createEvaluator(load: ModelLoader = loadModel): ComponentExecutor<EvaluatorParams> {
  return {
    name: 'Evaluator',
    // The default baseline (the last blessed model) is an input the pipeline file does not name:
    // it joins the cache key, so a newer blessed model makes a cached verdict stale.
    async externalFingerprint(p, _resolvePath, store) {
      const compares = Object.values(p.thresholds).some((t) => t.change) && p.compare_with_last_blessed;
      if (!compares) return '';
      const found = await findLastBlessedModel(store.storeDir, '', store.pipeline, store.inputs.model?.id);
      return found ? `baseline:${found.artifactId}` : 'baseline:none';
    },
    async run(ctx: ComponentContext<EvaluatorParams>): Promise<void> {
      const p = ctx.params;
      const examples = ctx.inputs.examples;
      const modelArtifact = ctx.inputs.model;
      if (!examples || !modelArtifact) throw new PipewiseError('Evaluator needs its examples and model inputs');
      const evaluationDir = ctx.outputs.evaluation as string;
      const blessingDir = ctx.outputs.blessing as string;

      const models: ServingModel[] = [];
      try {
        const model = await load(modelArtifact.uri);
        models.push(model);
        const signature = model.signature;
        const label = p.label ?? signature.label;
        if (p.label && p.label !== signature.label) {
          ctx.log('warn', `label '${p.label}' differs from the label the model was trained on ('${signature.label}')`);
        }

        // Streamed (src/engine/evaluation/scoreSplit.ts): the rows are never all held, only what the metrics need.
        const split = await withConnection((conn) => openSplit(conn, examples.uri, p.split), ctx.signal);
        requireColumn(split, label, 'label');
        const explain = p.feature_importance.repeats > 0;
        const predictShare = explain ? 0.5 : 0.8;
        const specs = p.slices.some((s) => s.length === 0) ? p.slices : [[], ...p.slices];
        ctx.progress(0, `predicting ${split.rowCount} examples`);
        const scored = await scoreSplit(model, split, label, {
          specs,
          signal: ctx.signal,
          onProgress: (done) => ctx.progress((predictShare * done) / Math.max(1, split.rowCount)),
        });
        const { labels, predictions, slices } = scored;
        if (labels.missing > 0) ctx.log('warn', `${labels.missing} eval example(s) have no value for the label '${label}' and are left out`);
        const unknown = Object.entries(labels.unknown);
        if (unknown.length > 0) {
          const list = unknown.map(([v, n]) => `'${v}' ×${n}`).join(', ');
          ctx.log(
            'warn',
            signature.task === 'multiclass'
              ? `label values the model never saw in training count as misses: ${list}`
              : `label values the model cannot score are left out: ${list}`,
          );
        }
        if (!labels.usable.some(Boolean)) {
          throw new PipewiseError(`no example of the split '${p.split}' has a usable value for the label '${label}' (${split.rowCount} rows in ${split.glob})`);
        }
        ctx.progress(predictShare, `confidence intervals: ${EVALUATOR_BOOTSTRAP.resamples} bootstrap resamples per slice`);
        const results = computeSliceMetrics(signature, labels, predictions, slices, p.fairness_thresholds, EVALUATOR_BOOTSTRAP);
        const overall = results[0] as SliceResult;
        const allRows = (): number[] => Array.from({ length: split.rowCount }, (_, i) => i);

        let importance: FeatureImportanceFile | undefined;
        if (explain) {
          const features = signature.inputs.map((f) => f.name).filter((f) => f !== label && split.columns.includes(f));
          ctx.progress(predictShare, `feature importance: ${features.length} features × ${p.feature_importance.repeats} repeats`);
          const measured = await permutationImportance({
            model,
            rows: { read: (indices) => readSplitRows(split, indices, ctx.signal) },
            labels,
            features,
            options: { repeats: p.feature_importance.repeats, maxRows: p.feature_importance.max_rows, seed: p.feature_importance.seed },
            signal: ctx.signal,
            onProgress: (fraction, feature) => ctx.progress(predictShare + 0.3 * fraction, `feature importance: ${feature}`),
          });
          const own = await readModelImportances(modelArtifact.uri);
          importance = { ...measured, ...(own ? { model: own } : {}) };
        }

        // The baseline: an explicit input, else the model of the last blessed evaluation.
        const hasChangeThresholds = Object.values(p.thresholds).some((t) => t.change);
        let baseline: EvaluationFile['baseline'] = null;
        let baselineUri = ctx.inputs.baseline_model?.uri;
        if (!baselineUri && hasChangeThresholds && p.compare_with_last_blessed) {
          const found = await findLastBlessedModel(ctx.storeDir, ctx.executionId, undefined, ctx.inputs.model?.id);
          baselineUri = found?.uri;
          ctx.log('info', found ? `baseline: the last blessed model ${found.uri}` : 'no blessed model yet: change thresholds pass (as on TFX\'s first run)');
        }
        if (baselineUri) {
          ctx.progress(0.85, 'evaluating the baseline model');
          const base = await load(baselineUri);
          models.push(base);
          if (base.signature.task !== signature.task) {
            throw new PipewiseError(`the baseline model ${baselineUri} is a ${base.signature.task} model; the candidate is ${signature.task}`);
          }
          const based = await scoreSplit(base, split, label, { signal: ctx.signal });
          const [baseOverall] = computeSliceMetrics(base.signature, based.labels, based.predictions, [{ key: {}, rows: allRows() }], p.fairness_thresholds);
          baseline = { model: baselineUri, metrics: baseOverall?.metrics ?? {} };
        }

        const checks = checkThresholds(p.thresholds, overall.metrics, baseline?.metrics);
        const failed = checks.filter((c) => !c.passed).map((c) => c.message);
        let quantized: QuantizedEvaluation | undefined;
        if (p.quantize) {
          ctx.progress(0.9, `evaluating the model quantized to ${p.quantize}`);
          quantized = await evaluateQuantized(
            load,
            modelArtifact.uri,
            p.quantize,
            async (m) => (await scoreSplit(m, split, label, { signal: ctx.signal })).predictions,
            labels,
            p,
            baseline?.metrics,
            models,
          );
          for (const c of quantized.thresholds) if (!c.passed) failed.push(`quantized (${p.quantize}): ${c.message}`);
          const s = quantized.size;
          ctx.log('info', `quantized to ${s.dtype}: weights ${s.bytesBefore} → ${s.bytesAfter} bytes; ${summarise(quantized.metrics)}`);
        }
        const blessed = failed.length === 0;
        const file: EvaluationFile = {
          slices: results,
          blessed,
          task: signature.task,
          label,
          split: p.split,
          ...(signature.classes ? { classes: signature.classes } : {}),
          model: modelArtifact.uri,
          baseline,
          thresholds: checks,
          failed,
          excluded: { missing_label: labels.missing, unknown_label: labels.unknown },
          ...(quantized ? { quantized } : {}),
          bootstrap: bootstrapRecord(EVALUATOR_BOOTSTRAP),
        };
        await writeFileAtomic(path.join(evaluationDir, 'metrics.json'), JSON.stringify(file, null, 1));
        // The overall slice's predictions, for the evaluation view's curves (ROC, PR, calibration, residuals).
        await writeFileAtomic(path.join(evaluationDir, PREDICTIONS_FILE), JSON.stringify(predictionsFile(signature.task, signature.classes, labels, predictions)));
        if (importance) await writeFileAtomic(path.join(evaluationDir, FEATURE_IMPORTANCE_FILE), JSON.stringify(importance, null, 1));
        await fs.writeFile(path.join(blessingDir, blessed ? 'BLESSED' : 'NOT_BLESSED'), '');
        // The Pusher's `quantize` pushes a quantized model only when this says it was measured and passed.
        if (quantized) await writeFileAtomic(path.join(blessingDir, QUANTIZATION_FILE), JSON.stringify({ dtype: quantized.size.dtype, blessed, size: quantized.size }, null, 1));
        ctx.setProperties('blessing', { blessed });
        ctx.setProperties('evaluation', { blessed, task: signature.task, example_count: overall.metrics.example_count ?? 0 });

        for (const r of results) ctx.log('info', `${describeSlice(r.slice)}: ${summarise(r.metrics)}`);
        if (importance) ctx.log('info', describeImportance(importance));
        for (const c of checks) ctx.log(c.passed ? 'info' : 'warn', c.message);
        ctx.log(blessed ? 'info' : 'warn', blessed ? 'BLESSED' : `NOT_BLESSED: ${failed.join('; ')}`);
        ctx.progress(1);
      } finally {
        for (const m of models) m.dispose();
      }
    },
  };
}

export const PREDICTIONS_FILE = 'predictions.json';

/**
 * Rows kept in predictions.json: the curves (ROC, PR, calibration, residuals) are drawn from a few
 * hundred points, and a file of every row of a million-row split would be the largest thing the
 * Evaluator holds. Above this, an evenly spaced sample, marked with the count it came from.
 */
export const PREDICTIONS_MAX_ROWS = 50_000;

/** The usable rows' encoded labels and what the model predicted for them (src/protocol/evaluation.ts). */
function predictionsFile(task: string, classes: readonly string[] | undefined, labels: EncodedLabels, predictions: PredictionColumn): PredictionsFile {
  const usable = labels.usable.flatMap((u, i) => (u ? [i] : []));
  const sampled = usable.length > PREDICTIONS_MAX_ROWS;
  const rows = sampled ? Array.from({ length: PREDICTIONS_MAX_ROWS }, (_, k) => usable[Math.floor((k * usable.length) / PREDICTIONS_MAX_ROWS)] as number) : usable;
  const y = rows.map((i) => labels.y[i] as number);
  const t = task as PredictionsFile['task'];
  const from = sampled ? { sampled_from: usable.length } : {};
  if (t === 'binary') return { task: t, ...(classes ? { classes } : {}), y, score: rows.map((i) => predictions.get(i).score ?? NaN), ...from };
  if (t === 'multiclass') return { task: t, ...(classes ? { classes } : {}), y, scores: rows.map((i) => predictions.get(i).scores ?? []), ...from };
  return { task: t, y, prediction: rows.map((i) => Number(predictions.get(i).prediction)), ...from };
}

/** The run output's line: the top features by permutation importance, with the rows and repeats behind them. */
export function describeImportance(f: FeatureImportanceFile, top = 5): string {
  const rows = f.sampled ? `${f.rows} of ${f.usable_rows} eval rows (sampled above max_rows ${f.max_rows})` : `${f.rows} eval rows`;
  const shown = f.features.slice(0, top).map((x) => `${x.feature} ${x.mean.toFixed(4)} ± ${x.std.toFixed(4)}`);
  const more = f.features.length > top ? `, … (${f.features.length - top} more in ${FEATURE_IMPORTANCE_FILE})` : '';
  return `feature importance (drop of ${f.metric} from ${f.baseline.toFixed(4)} when shuffled, ${f.repeats} repeats on ${rows}): ${shown.join(', ') || 'no features'}${more}`;
}

const HEADLINE = ['example_count', 'accuracy', 'auc', 'log_loss', 'rmse', 'mae', 'r2'];

function summarise(m: MetricValues): string {
  return HEADLINE.filter((k) => m[k] !== undefined)
    .map((k) => `${k} ${Number.isInteger(m[k]) ? m[k] : (m[k] as number).toFixed(4)}`)
    .join(', ');
}

export const evaluator = createEvaluator();
