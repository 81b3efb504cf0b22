/**
 * Automatic model choice (`model: auto`, the default): a linear model and a DNN — and a
 * wide-and-deep model when the input has many one-hot categorical slots or crosses — are trained on
 * the fit rows with early stopping, and judged on the validation rows (carved out of the train
 * split, never the eval split). Validation sets are small and noisy, so the rule is the simplest
 * model unless a more complex one has a lower validation loss by more than two standard errors of
 * the paired per-row loss difference (the "one-standard-error" idea, made a little stricter): on
 * small tables a DNN that wins on 60 validation rows by chance loses on the eval split. For a
 * regression on a positive, skewed label the winner is also trained on log(label), and kept that
 * way when its validation loss, measured in the label's own units, is lower by the same rule.
 * Gradient-boosted trees (YDF, treeModel.ts) are the last and most complex candidate: they replace
 * the leader by the same rule, judged on the same validation rows with the same per-row losses.
 */
import { CancelledError } from '../../core/errors';
import type { LoadedTf } from '../tf/loadTf';
import type { TransformSpec } from '../transform/transformSpec';
import type { ModelFamily } from './builtinModels';
import type { EpochLogs, FitResult } from './fitModel';
import { predictAll, type Dataset } from './fitModel';
import { trainOnce, type PreparedData, type Trained, type TrainOnceOptions } from './trainModel';
import { rowLoss } from './trainStep';
import { isTreeFamily, trainTrees, type TrainedTrees, type TreeFamily } from './treeModel';

/** Per-row validation losses of a trained built-in model (regression: squared error in label units over the label's variance). */
function validationLosses(loaded: LoadedTf, data: PreparedData, trained: Trained): Float64Array {
  const d = data.validation;
  const p = predictAll(loaded.tf, trained.model, d, d.outDim);
  const out = new Float64Array(d.n);
  for (let i = 0; i < d.n; i++) {
    if (data.task === 'regression') {
      const inv = (v: number): number => (data.labelTransform === 'log' ? Math.exp(v) : v);
      out[i] = (inv((d.y[i] as number) * data.labelStd + data.labelMean) - inv(p[i] as number)) ** 2 / (data.labelScale ?? 1) ** 2;
    } else {
      const k = d.outDim;
      out[i] = rowLoss(data.task, d.y.subarray(i * k, (i + 1) * k), p.subarray(i * k, (i + 1) * k), 1);
    }
  }
  return out;
}

/** Mean of a − b and its standard error, paired by row. */
function pairedGain(a: Float64Array, b: Float64Array): { mean: number; se: number } {
  const n = a.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += ((a[i] as number) - (b[i] as number)) / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += ((a[i] as number) - (b[i] as number) - mean) ** 2;
  return { mean, se: n > 1 ? Math.sqrt(v / (n - 1) / n) : Infinity };
}

export interface ModelChoice {
  readonly chosen: string;
  /** Candidate → its validation loss (label units for regression, as `val_loss` of scoreModel). */
  readonly candidates: Readonly<Record<string, number>>;
  /** How much lower the winner's validation loss is than the runner-up's (absolute, and relative). */
  readonly margin: number;
  readonly relativeMargin: number;
}

/** The kept model: a TF.js model (built-in or the user's), or a decision forest. */
export type Chosen = {
  readonly family: ModelFamily | TreeFamily | 'user';
  readonly labelTransform: 'none' | 'log';
  readonly choice?: ModelChoice;
  readonly scores: EpochLogs;
} & ({ readonly runtime: 'tfjs'; readonly model: Trained['model']; readonly fit: FitResult } | { readonly runtime: 'ydf'; readonly trees: TrainedTrees });

/**
 * Why `auto` leaves the trees out, when stages downstream (`forestRefusersOf`, ctx.forestRefusers)
 * cannot take a decision forest: the `withoutTrees` the Trainer and the Tuner pass to chooseModel.
 */
export function forestRefusal(refusers: readonly string[] | undefined): string | undefined {
  return refusers?.length ? `${refusers.join(', ')} cannot take a decision forest (quantize applies to weights, and a forest has none)` : undefined;
}

/** chooseModel's `withoutTrees` option for these refusers (none when there are none). */
export function withoutTreesFor(refusers: readonly string[] | undefined): { withoutTrees?: string } {
  const why = forestRefusal(refusers);
  return why ? { withoutTrees: why } : {};
}

/** Releases the model a Chosen holds. */
export function disposeChosen(c: Chosen): void {
  if (c.runtime === 'tfjs') c.model.dispose();
  else c.trees.model.unload();
}

/** Wide-and-deep joins when the input is mostly one-hot: at least 2 categorical features with 10+ slots, or crosses. */
export function wantsWide(spec: TransformSpec): boolean {
  const categorical = spec.features.filter((f) => f.kind === 'vocabulary' || f.kind === 'hash');
  const slots = spec.layout.filter((s) => categorical.some((f) => f.name === s.name)).reduce((n, s) => n + s.size, 0);
  return spec.crosses.length > 0 || (categorical.length >= 2 && slots >= 10);
}

/** Sample skewness of the label over the fit and validation rows (label units). */
function skewness(values: Float64Array): number {
  const n = values.length;
  let mean = 0;
  for (const v of values) mean += v / n;
  let m2 = 0;
  let m3 = 0;
  for (const v of values) {
    m2 += (v - mean) ** 2 / n;
    m3 += (v - mean) ** 3 / n;
  }
  return m2 > 0 ? m3 / m2 ** 1.5 : 0;
}

/** The same data with the regression target log(label) standardised over the fit rows; undefined when the label is not positive and skewed. */
export function withLogLabel(data: PreparedData): PreparedData | undefined {
  if (data.task !== 'regression' || data.labelTransform !== 'none') return undefined;
  const units = (d: Dataset): Float64Array => Float64Array.from(d.y, (y) => y * data.labelStd + data.labelMean);
  const fit = units(data.train);
  const all = Float64Array.from([...fit, ...units(data.validation)]);
  if (all.some((v) => !(v > 0)) || skewness(all) < 0.75) return undefined;
  const logs = fit.map(Math.log);
  const m = logs.reduce((a, b) => a + b, 0) / logs.length;
  const s = Math.sqrt(logs.reduce((a, b) => a + (b - m) ** 2, 0) / logs.length) || 1;
  // Eval rows at or below zero cannot be logged: they are clamped, and so scored, as a tiny positive value.
  const retarget = (d: Dataset): Dataset => ({ ...d, y: Float32Array.from(units(d), (v) => (Math.log(Math.max(v, 1e-12)) - m) / s) });
  return { ...data, train: retarget(data.train), validation: retarget(data.validation), eval: retarget(data.eval), labelMean: m, labelStd: s, labelTransform: 'log' };
}

export async function chooseModel(
  loaded: LoadedTf,
  spec: TransformSpec,
  data: PreparedData,
  o: TrainOnceOptions,
  log?: (message: string) => void,
  treeLog: (line: string) => void = () => undefined,
): Promise<Chosen & { data: PreparedData }> {
  if (o.userModule) return { ...(await trainOnce(loaded, spec, data, o)), runtime: 'tfjs', family: 'user', labelTransform: 'none', data };
  const requested = o.hp.model;
  if (isTreeFamily(requested)) {
    const trees = await trainTrees(requested, spec, data, treeLog, o.seed);
    return { runtime: 'ydf', trees, scores: trees.scores, family: requested, labelTransform: 'none', data };
  }
  if (requested !== 'auto') return { ...(await trainOnce(loaded, spec, data, o)), runtime: 'tfjs', family: requested, labelTransform: data.labelTransform, data };
  const families: ModelFamily[] = ['linear', 'dnn', ...(wantsWide(spec) ? (['wide_and_deep'] as const) : [])];
  type Candidate = { name: string; family: ModelFamily | TreeFamily; data: PreparedData; trained: Trained | TrainedTrees; loss: number; rows: Float64Array };
  const done: Candidate[] = [];
  const dispose = (c: Candidate): void => {
    if ('kind' in c.trained) c.trained.model.unload();
    else c.trained.model.dispose();
  };
  const run = async (family: ModelFamily, d: PreparedData, name: string): Promise<Candidate> => {
    const trained = await trainOnce(loaded, spec, d, { ...o, hp: { ...o.hp, model: family } });
    const c = { name, family, data: d, trained, loss: trained.scores.val_loss ?? Infinity, rows: validationLosses(loaded, d, trained) };
    done.push(c);
    log?.(`candidate ${name}: validation loss ${c.loss.toFixed(4)} after ${trained.fit.history.length} epochs`);
    return c;
  };
  const runTrees = async (family: TreeFamily): Promise<Candidate> => {
    const trained = await trainTrees(family, spec, data, treeLog, o.seed);
    const c = { name: family, family, data, trained, loss: trained.scores.val_loss ?? Infinity, rows: trained.validationLosses };
    done.push(c);
    log?.(`candidate ${family}: validation loss ${c.loss.toFixed(4)} with ${trained.info.numTrees ?? '?'} trees`);
    return c;
  };
  try {
    // Simplest first; a later candidate replaces the leader only by a clear margin.
    let best: Candidate | undefined;
    const challenge = (c: Candidate): void => {
      if (!best) best = c;
      else {
        const g = pairedGain(best.rows, c.rows);
        log?.(`  ${c.name} vs ${best.name}: validation loss lower by ${g.mean.toFixed(4)} ± ${g.se.toFixed(4)} (standard error)`);
        if (g.mean > 2 * g.se) best = c;
      }
    };
    for (const f of families) challenge(await run(f, data, f));
    const logData = withLogLabel(data);
    const leader = best as Candidate | undefined;
    if (logData && leader && !isTreeFamily(leader.family)) challenge(await run(leader.family, logData, `${leader.family} on log(${spec.label.name})`));
    if (o.signal.aborted) throw new CancelledError();
    if (o.withoutTrees) log?.(`gradient_boosted_trees left out: ${o.withoutTrees}`);
    else challenge(await runTrees('gradient_boosted_trees'));
    const kept = best as Candidate | undefined;
    if (!kept) throw new Error('no model candidate trained');
    const others = done.filter((c) => c !== kept).map((c) => c.loss);
    const runnerUp = others.length ? Math.min(...others) : kept.loss;
    const choice: ModelChoice = {
      chosen: kept.name,
      candidates: Object.fromEntries(done.map((c) => [c.name, Number(c.loss.toFixed(6))])),
      margin: runnerUp - kept.loss,
      relativeMargin: runnerUp > 0 ? (runnerUp - kept.loss) / runnerUp : 0,
    };
    for (const c of done) if (c !== kept) dispose(c);
    const t = kept.trained;
    if ('kind' in t) return { runtime: 'ydf', trees: t, scores: t.scores, family: t.family, labelTransform: 'none', choice, data };
    return { ...t, runtime: 'tfjs', family: kept.family, labelTransform: kept.data.labelTransform, choice, data: kept.data };
  } catch (e) {
    for (const c of done) dispose(c);
    throw e;
  }
}
