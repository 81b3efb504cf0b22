/**
 * Permutation feature importance (Breiman; scikit-learn's `permutation_importance`): for each raw
 * input feature, how much the primary metric drops when that feature's column is shuffled across
 * the eval rows, over seeded repeats. It predicts through the same `ServingModel` the Evaluator
 * scores, so every model kind — linear, DNN, a user module, trees — is explained the same way.
 *
 * The permutations are NumPy's (`RandomState`): with the same rows and seed, scikit-learn's
 * `permutation_importance(…, random_state=seed)` shuffles exactly as this does.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PipewiseError } from '../../core/errors';
import { errorMessage } from '../../protocol/errors';
import { argmax, r2, rocAuc } from '../../core/metrics';
import type { FeatureImportanceFile, ImportanceMetric, ModelImportances, PartialDependence, PermutationImportance } from '../../protocol/evaluation';
import type { Prediction, ServingModel, Task } from '../model/servingModel';
import type { RawRow, RawValue } from './examples';
import { predictAll } from './predict';
import type { EncodedLabels } from './sliceMetrics';
import { RandomState } from './randomState';

export const FEATURE_IMPORTANCE_FILE = 'feature_importance.json';
/** Written by a model kind that has its own importances (the tree models), beside signature.json. */
export const VARIABLE_IMPORTANCES_FILE = 'variable_importances.json';

export interface ImportanceOptions {
  readonly repeats: number;
  /** Above this many usable eval rows, a seeded sample of this many is used: cost is rows × (1 + features × repeats) predictions. */
  readonly maxRows: number;
  readonly seed: number;
}

/** The metric whose drop is the importance: threshold-free AUC for binary models, accuracy for multiclass, R² for regression. */
export function importanceMetric(task: Task): ImportanceMetric {
  return task === 'binary' ? 'auc' : task === 'multiclass' ? 'accuracy' : 'r2';
}

/** The metric of `predictions` against `y`; NaN when it is undefined (AUC with one class present). */
export function scorePredictions(metric: ImportanceMetric, y: ArrayLike<number>, predictions: readonly Prediction[]): number {
  switch (metric) {
    case 'auc':
      return rocAuc(y, predictions.map((p) => p.score ?? NaN)) ?? NaN;
    case 'accuracy': {
      // Multiclass: the most probable class; binary: positive above 0.5, as the Evaluator's confusion matrix decides.
      let hits = 0;
      predictions.forEach((p, i) => {
        const predicted = p.scores ? argmax(p.scores) : (p.score ?? NaN) > 0.5 ? 1 : 0;
        if (predicted === y[i]) hits++;
      });
      return predictions.length ? hits / predictions.length : NaN;
    }
    case 'r2':
      return r2(y, predictions.map((p) => Number(p.prediction)));
  }
}

/**
 * The rows importance is measured on: every usable row, or above `maxRows` the first `maxRows` of
 * NumPy's `RandomState(seed).permutation(n)`, back in file order.
 */
export function importanceRows(usable: readonly boolean[], maxRows: number, seed: number): number[] {
  const rows = usable.flatMap((u, i) => (u ? [i] : []));
  if (rows.length <= maxRows) return rows;
  const order = Array.from({ length: rows.length }, (_, i) => i);
  new RandomState(seed).shuffle(order);
  return order
    .slice(0, maxRows)
    .sort((a, b) => a - b)
    .map((k) => rows[k] as number);
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Population standard deviation, as `numpy.std`. */
function std(xs: readonly number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length);
}

export interface ImportanceInput {
  readonly model: ServingModel;
  /**
   * The eval split's rows, as the Evaluator read them; or, for a streamed split, a reader of the rows
   * at given indices (ascending), so that only the `maxRows` measured are ever held.
   */
  readonly rows: readonly RawRow[] | { readonly read: (indices: readonly number[]) => Promise<RawRow[]> };
  readonly labels: EncodedLabels;
  /** The raw feature columns to permute (the model's inputs that the examples have). */
  readonly features: readonly string[];
  readonly options: ImportanceOptions;
  readonly signal: AbortSignal;
  /** Called after each feature with the share done and the feature's name. */
  readonly onProgress?: (fraction: number, feature: string) => void;
}

/** Permutation importance of every feature; cancellable between prediction batches. */
export async function permutationImportance(input: ImportanceInput): Promise<Omit<FeatureImportanceFile, 'model'>> {
  const { model, labels, features, options, signal } = input;
  const { repeats, maxRows, seed } = options;
  if (!Number.isInteger(repeats) || repeats < 1) throw new PipewiseError(`feature importance needs at least one repeat, not ${repeats}`);
  const usableRows = labels.usable.filter(Boolean).length;
  const picked = importanceRows(labels.usable, maxRows, seed);
  const source = input.rows;
  const rows = 'read' in source ? await source.read(picked) : picked.map((i) => source[i] as RawRow);
  if (rows.length !== picked.length) throw new PipewiseError(`feature importance: ${rows.length} eval rows read of the ${picked.length} picked`);
  const y = Float64Array.from(picked, (i) => labels.y[i] as number);
  let metric = importanceMetric(model.signature.task);
  const unpermuted = await predictAll(model, rows, signal);
  let baseline = scorePredictions(metric, y, unpermuted);
  // AUC needs both classes among the rows; with one, accuracy is the measure there is.
  if (Number.isNaN(baseline) && metric === 'auc') {
    metric = 'accuracy';
    baseline = scorePredictions(metric, y, unpermuted);
  }
  if (Number.isNaN(baseline)) throw new PipewiseError(`feature importance: the ${metric} of the model on the ${rows.length} eval rows used is not a number`);

  // scikit-learn draws one seed for all features from RandomState(seed); each feature then
  // starts a fresh RandomState from it and shuffles one index array repeat after repeat.
  const featureSeed = new RandomState(seed).randint(2 ** 31);
  const results: PermutationImportance[] = [];
  for (const [f, feature] of features.entries()) {
    const rs = new RandomState(featureSeed);
    const index = Array.from({ length: rows.length }, (_, i) => i);
    let column: RawValue[] = rows.map((r) => r[feature] ?? null);
    const batch: RawRow[] = [];
    for (let k = 0; k < repeats; k++) {
      rs.shuffle(index);
      const current = column;
      column = index.map((i) => current[i] as RawValue);
      for (let i = 0; i < rows.length; i++) batch.push({ ...(rows[i] as RawRow), [feature]: column[i] as RawValue });
    }
    const predictions = await predictAll(model, batch, signal);
    const drops: number[] = [];
    for (let k = 0; k < repeats; k++) {
      drops.push(baseline - scorePredictions(metric, y, predictions.slice(k * rows.length, (k + 1) * rows.length)));
    }
    results.push({ feature, mean: mean(drops), std: std(drops), drops });
    input.onProgress?.((f + 1) / features.length, feature);
  }
  results.sort((a, b) => b.mean - a.mean || a.feature.localeCompare(b.feature));
  const explained = results.slice(0, PARTIAL_DEPENDENCE_FEATURES).map((r) => r.feature);
  const partial = await partialDependence(model, rows, explained, signal);
  return {
    method: 'permutation',
    metric,
    baseline,
    repeats,
    seed,
    usable_rows: usableRows,
    rows: rows.length,
    max_rows: maxRows,
    sampled: rows.length < usableRows,
    features: results,
    ...(partial.length ? { partial_dependence: partial } : {}),
  };
}

/** How many of the most important features get a partial dependence curve. */
export const PARTIAL_DEPENDENCE_FEATURES = 3;
/** Grid values per curve: scikit-learn's `grid_resolution`. */
export const PARTIAL_DEPENDENCE_GRID = 20;
/** The range a number grid spans: scikit-learn's default `percentiles`. */
const GRID_PERCENTILES = [0.05, 0.95] as const;

/**
 * SciPy's `mstats.mquantiles(values, prob=[p])` with its defaults (alphap = betap = 0.4), which
 * scikit-learn's partial dependence uses for a grid's ends; `sorted` ascending, not empty.
 */
export function mquantile(sorted: readonly number[], p: number): number {
  const n = sorted.length;
  const alphap = 0.4;
  const betap = 0.4;
  const aleph = n * p + alphap + p * (1 - alphap - betap);
  if (n === 1) return sorted[0] as number;
  const k = Math.floor(Math.min(Math.max(aleph, 1), n - 1));
  const gamma = Math.min(Math.max(aleph - k, 0), 1);
  return (1 - gamma) * (sorted[k - 1] as number) + gamma * (sorted[k] as number);
}

/** Ascending, as NumPy's `np.unique` orders numbers and strings (by code point). */
function ascending<T extends number | string>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The values a feature is set to (scikit-learn's grid, README "Partial dependence"): missing values
 * are not grid values. Undefined when the column has no value at all.
 */
export function partialDependenceGrid(values: readonly RawValue[], kind: PartialDependence['kind']): (number | string)[] | undefined {
  if (kind === 'numeric') {
    const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
    if (!xs.length) return undefined;
    const distinct = xs.filter((x, i) => i === 0 || x !== xs[i - 1]);
    if (distinct.length < PARTIAL_DEPENDENCE_GRID) return distinct;
    const lo = mquantile(xs, GRID_PERCENTILES[0]);
    const hi = mquantile(xs, GRID_PERCENTILES[1]);
    // Most rows on one value: the 5th and 95th percentiles meet (scikit-learn refuses); that value is the grid.
    if (!(hi > lo)) return [lo];
    // np.linspace's arithmetic (i × step + start, the last value `hi` exactly), so the grid is scikit-learn's to the bit.
    const step = (hi - lo) / (PARTIAL_DEPENDENCE_GRID - 1);
    return Array.from({ length: PARTIAL_DEPENDENCE_GRID }, (_, i) => (i === PARTIAL_DEPENDENCE_GRID - 1 ? hi : i * step + lo));
  }
  const counts = new Map<string, number>();
  for (const v of values) if (v !== null && v !== undefined) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
  if (!counts.size) return undefined;
  // Past the grid's size, the most frequent categories (ties by value) stand for the column.
  const kept = [...counts].sort((a, b) => b[1] - a[1] || ascending(a[0], b[0])).slice(0, PARTIAL_DEPENDENCE_GRID);
  return kept.map(([v]) => v).sort(ascending);
}

/** The outputs averaged for a model's task: the regression value, the positive class's probability, or each class's. */
function outputsOf(model: ServingModel): { names: string[]; of: (p: Prediction) => readonly number[] } {
  const { task, classes = [] } = model.signature;
  if (task === 'regression') return { names: ['prediction'], of: (p) => [Number(p.prediction)] };
  if (task === 'binary') return { names: [classes[1] ?? 'positive'], of: (p) => [p.score ?? NaN] };
  return { names: [...classes], of: (p) => p.scores ?? classes.map(() => NaN) };
}

/**
 * Partial dependence (Friedman; scikit-learn's `partial_dependence(method='brute')`) of each of
 * `features` on `rows`: for each grid value, every row with the feature set to it is predicted
 * through the same `ServingModel`, and the predictions are averaged. Cost: rows × grid values per feature.
 */
export async function partialDependence(model: ServingModel, rows: readonly RawRow[], features: readonly string[], signal: AbortSignal): Promise<PartialDependence[]> {
  const outputs = outputsOf(model);
  const out: PartialDependence[] = [];
  for (const feature of features) {
    const type = model.signature.inputs.find((i) => i.name === feature)?.type;
    const kind: PartialDependence['kind'] = type === 'number' ? 'numeric' : 'categorical';
    // A category read back as a number (e.g. a numeric-looking code) is still the string the model saw.
    const grid = partialDependenceGrid(rows.map((r) => (kind === 'categorical' && typeof r[feature] === 'number' ? String(r[feature]) : (r[feature] ?? null))), kind);
    if (!grid) continue;
    const average = outputs.names.map(() => new Array<number>(grid.length).fill(0));
    // One grid value at a time, so no more than the rows used are held as modified copies.
    for (const [g, value] of grid.entries()) {
      const predictions = await predictAll(
        model,
        rows.map((r) => ({ ...r, [feature]: value })),
        signal,
      );
      average.forEach((line, k) => {
        let sum = 0;
        for (const p of predictions) sum += outputs.of(p)[k] as number;
        line[g] = sum / rows.length;
      });
    }
    out.push({ feature, kind, grid, outputs: outputs.names, average });
  }
  return out;
}

/** The model's own importances, if its folder has them; a malformed file is an error that names it. */
export async function readModelImportances(modelUri: string): Promise<ModelImportances | undefined> {
  for (const file of [path.join(modelUri, VARIABLE_IMPORTANCES_FILE), path.join(modelUri, 'model', VARIABLE_IMPORTANCES_FILE)]) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new PipewiseError(`${file}: not JSON (${errorMessage(e)})`);
    }
    const p = parsed as Partial<ModelImportances> | null;
    const ok =
      p !== null &&
      typeof p === 'object' &&
      typeof p.source === 'string' &&
      typeof p.importances === 'object' &&
      p.importances !== null &&
      Object.values(p.importances).every((list) => Array.isArray(list) && list.every((e) => typeof e?.feature === 'string' && typeof e?.importance === 'number'));
    if (!ok) throw new PipewiseError(`${file}: expected { "source": "…", "importances": { "<TYPE>": [{ "feature", "importance" }] } }`);
    return { source: p.source as string, importances: p.importances as ModelImportances['importances'] };
  }
  return undefined;
}
