/**
 * Tuner: random or grid search over `space`, each trial a Trainer model trained with early
 * stopping on the objective and scored on the eval split. Trials are streamed as `trial` metrics as
 * they finish; `best_hyperparameters.json` holds the winning values (the Trainer's optional
 * `hyperparameters` input), `trials.json` every trial.
 */
import path from 'node:path';
import type { z } from 'zod';
import type { Tuner } from '../../core/components/modelComponents';
import { CancelledError, PipewiseError } from '../../core/errors';
import type { ComponentContext, ComponentExecutor } from '../component';
import { writeJsonAtomic } from '../model/files';
import { mulberry32 } from '../model/fitModel';
import { applyHyperparameters, BEST_HYPERPARAMETERS_FILE, hyperparametersFromParams } from '../model/hyperparameters';
import { isTreeFamily } from '../model/builtinModels';
import { chooseModel, disposeChosen, forestRefusal, withoutTreesFor } from '../model/chooseModel';
import { prepareData } from '../model/trainModel';
import { loadTf } from '../tf/loadTf';
import { readTransformSpec } from './trainer';

export type TunerParams = z.output<typeof Tuner.params>;
type Candidate = Record<string, unknown>;

/** Every combination of the space's values, in declaration order (the last key varies fastest). */
export function gridOf(space: Readonly<Record<string, readonly unknown[]>>): Candidate[] {
  let combos: Candidate[] = [{}];
  for (const [k, values] of Object.entries(space)) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [k]: v })));
  return combos;
}

/** The trials to run: the grid in order, or a seeded random draw from it without repetition. */
export function planTrials(space: Readonly<Record<string, readonly unknown[]>>, strategy: 'random' | 'grid', maxTrials: number, seed: number): Candidate[] {
  const grid = gridOf(space);
  if (strategy === 'grid') return grid.slice(0, maxTrials);
  const rand = mulberry32(seed);
  for (let i = grid.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [grid[i], grid[j]] = [grid[j] as Candidate, grid[i] as Candidate];
  }
  return grid.slice(0, maxTrials);
}

/**
 * The space without decision forests when stages downstream of the tuned Trainers refuse them
 * (ctx.forestRefusers): forest values of `model` are dropped, as `auto` drops its tree candidate,
 * and a space that would train forests only is an error before any training.
 */
export function spaceWithoutForests(
  space: Readonly<Record<string, readonly unknown[]>>,
  base: { readonly model: string },
  refusers: readonly string[] | undefined,
  log: (message: string) => void,
): Readonly<Record<string, readonly unknown[]>> {
  const why = forestRefusal(refusers);
  if (!why) return space;
  const models = space['model'];
  const isForest = (m: unknown): boolean => typeof m === 'string' && isTreeFamily(m);
  const forests = (models ?? [base.model]).filter(isForest);
  const kept = (models ?? [base.model]).filter((m) => !isForest(m));
  if (kept.length === 0) throw new PipewiseError(`Tuner: every model of the space is a decision forest, and ${(refusers ?? []).join(', ')} cannot take one; add linear, dnn, wide_and_deep or auto to space.model`);
  if (!models || forests.length === 0) return space;
  log(`left out of the space: ${forests.join(', ')} (${why})`);
  return { ...space, model: kept };
}

function lowerIsBetter(objective: string): boolean {
  return !/acc|auc|precision|recall|f1/i.test(objective);
}

export const tuner: ComponentExecutor<TunerParams> = {
  name: 'Tuner',
  async run(ctx: ComponentContext<TunerParams>): Promise<void> {
    const p = ctx.params;
    const examples = ctx.inputs.examples;
    const graph = ctx.inputs.transform_graph;
    if (!examples || !graph) throw new Error('Tuner needs its examples and transform_graph inputs');
    const spec = await readTransformSpec(graph.uri);
    const base = hyperparametersFromParams(p);
    const space = spaceWithoutForests(p.space, base, ctx.forestRefusers, (m) => ctx.log('info', m));
    const trials = planTrials(space, p.strategy, p.max_trials, p.seed);
    // Check every candidate before the first trial trains.
    const candidates = trials.map((t, i) => ({ values: t, hp: applyHyperparameters(base, t, `Tuner space (trial ${i + 1})`) }));
    const grid = gridOf(space).length;
    ctx.log('info', `${p.strategy} search: ${trials.length} trial${trials.length === 1 ? '' : 's'} of ${grid} combinations, objective ${p.objective}`);

    const loaded = await loadTf();
    ctx.log('info', `TensorFlow.js backend: ${loaded.label}`);
    if (loaded.warning) ctx.log('warn', loaded.warning);
    const maxBatch = Math.max(...candidates.map((c) => c.hp.batch_size));
    const data = await prepareData(loaded, spec, examples.uri, {
      task: p.task,
      trainSplit: p.train_split,
      evalSplit: p.eval_split,
      batchSize: maxBatch,
      scaleRegressionLabel: true,
      seed: p.seed,
    });
    ctx.log('info', `trials are judged on ${data.validation.n} validation rows carved out of ${p.train_split} (the Trainer's, for the same seed), not on ${p.eval_split}`);
    const lower = lowerIsBetter(p.objective);
    const results: { trial: number; hyperparameters: Candidate; chosen: string; score: number; epochs: number; bestEpoch: number; metrics: Record<string, number> }[] = [];
    for (const [i, c] of candidates.entries()) {
      if (ctx.signal.aborted) throw new CancelledError();
      ctx.progress(i / candidates.length, `trial ${i + 1}/${candidates.length}`);
      const chosen = await chooseModel(
        loaded,
        spec,
        data,
        { hp: c.hp, seed: p.seed, earlyStopping: { patience: p.patience, monitor: p.objective }, signal: ctx.signal, ...withoutTreesFor(ctx.forestRefusers) },
        (m) => ctx.log('info', `trial ${i + 1}: ${m}`),
      );
      disposeChosen(chosen);
      // A decision forest has no epochs: one "epoch" that is its final state.
      const fit = chosen.runtime === 'tfjs' ? chosen.fit : { best: {}, history: [{}], bestEpoch: 1 };
      // The eval split's scores are left out: trials are compared on the validation rows only.
      const metrics = { ...fit.best, ...Object.fromEntries(Object.entries(chosen.scores).filter(([k]) => !k.startsWith('eval_'))) };
      const score = metrics[p.objective];
      if (score === undefined) throw new PipewiseError(`Tuner: the objective '${p.objective}' is not a training metric (metrics: ${Object.keys(metrics).join(', ')})`);
      results.push({ trial: i + 1, hyperparameters: c.values, chosen: chosen.family, score, epochs: fit.history.length, bestEpoch: fit.bestEpoch, metrics });
      ctx.metrics({ scope: 'trial', trial: i + 1, values: { [p.objective]: score, ...metrics, epochs: fit.history.length } });
      ctx.log('info', `trial ${i + 1}: ${JSON.stringify(c.values)} → ${p.objective} ${score.toFixed(4)}`);
    }
    const best = results.reduce((a, b) => ((lower ? b.score < a.score : b.score > a.score) ? b : a));
    const out = ctx.outputs.best_hyperparameters as string;
    await writeJsonAtomic(path.join(out, BEST_HYPERPARAMETERS_FILE), best.hyperparameters);
    await writeJsonAtomic(path.join(out, 'trials.json'), { objective: p.objective, direction: lower ? 'minimize' : 'maximize', best: best.trial, trials: results });
    ctx.setProperties('best_hyperparameters', { objective: p.objective, score: best.score, trial: best.trial, trials: results.length, backend: loaded.backend });
    ctx.log('info', `best trial ${best.trial}: ${JSON.stringify(best.hyperparameters)} (${p.objective} ${best.score.toFixed(4)})`);
    ctx.progress(1);
  },
};
