/**
 * Automatic model choice (`model: auto`, the default): a linear model and a DNN — and a
 * wide-and-deep model when the input has many one-hot categorical slots or crosses — are trained on
 * the fit rows with early stopping, and the one with the lowest loss on the validation rows (carved
 * out of the train split, never the eval split) is kept. For a regression on a positive, skewed
 * label the winner is also trained on log(label), and kept that way when the validation loss,
 * measured in the label's own units, says it helps.
 */
import type { LoadedTf } from '../tf/loadTf';
import type { TransformSpec } from '../transform/transformSpec';
import type { ModelFamily } from './builtinModels';
import type { Dataset } from './fitModel';
import { trainOnce, type PreparedData, type Trained, type TrainOnceOptions } from './trainModel';

export interface ModelChoice {
  readonly chosen: string;
  /** Candidate → its validation loss (label units for regression, as `val_loss` of scoreModel). */
  readonly candidates: Readonly<Record<string, number>>;
  /** How much lower the winner's validation loss is than the runner-up's (absolute, and relative). */
  readonly margin: number;
  readonly relativeMargin: number;
}

export interface Chosen extends Trained {
  readonly family: ModelFamily | 'user';
  readonly labelTransform: 'none' | 'log';
  readonly choice?: ModelChoice;
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

export async function chooseModel(loaded: LoadedTf, spec: TransformSpec, data: PreparedData, o: TrainOnceOptions, log?: (message: string) => void): Promise<Chosen & { data: PreparedData }> {
  if (o.userModule) return { ...(await trainOnce(loaded, spec, data, o)), family: 'user', labelTransform: 'none', data };
  if (o.hp.model !== 'auto') return { ...(await trainOnce(loaded, spec, data, o)), family: o.hp.model, labelTransform: data.labelTransform, data };
  const families: ModelFamily[] = ['linear', 'dnn', ...(wantsWide(spec) ? (['wide_and_deep'] as const) : [])];
  type Candidate = { name: string; family: ModelFamily; data: PreparedData; trained: Trained; loss: number };
  const done: Candidate[] = [];
  const run = async (family: ModelFamily, d: PreparedData, name: string): Promise<Candidate> => {
    const trained = await trainOnce(loaded, spec, d, { ...o, hp: { ...o.hp, model: family } });
    const c = { name, family, data: d, trained, loss: trained.scores.val_loss ?? Infinity };
    done.push(c);
    log?.(`candidate ${name}: validation loss ${c.loss.toFixed(4)} after ${trained.fit.history.length} epochs`);
    return c;
  };
  try {
    for (const f of families) await run(f, data, f);
    const bestOf = (): Candidate => done.reduce((a, b) => (b.loss < a.loss ? b : a));
    const logData = withLogLabel(data);
    if (logData) {
      const leader = bestOf();
      await run(leader.family, logData, `${leader.family} on log(${spec.label.name})`);
    }
    const best = bestOf();
    const others = done.filter((c) => c !== best).map((c) => c.loss);
    const runnerUp = others.length ? Math.min(...others) : best.loss;
    const choice: ModelChoice = {
      chosen: best.name,
      candidates: Object.fromEntries(done.map((c) => [c.name, Number(c.loss.toFixed(6))])),
      margin: runnerUp - best.loss,
      relativeMargin: runnerUp > 0 ? (runnerUp - best.loss) / runnerUp : 0,
    };
    for (const c of done) if (c !== best) c.trained.model.dispose();
    return { ...best.trained, family: best.family, labelTransform: best.data.labelTransform, choice, data: best.data };
  } catch (e) {
    for (const c of done) c.trained.model.dispose();
    throw e;
  }
}
