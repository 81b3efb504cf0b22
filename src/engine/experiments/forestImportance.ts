/**
 * A random forest fitted on the runs' changed parameters → the chosen metric, for the Experiments
 * panel's importance chart: unlike a correlation it sees an effect that is not monotone (a learning
 * rate with its best value inside the range searched). YDF's RandomForestLearner with its defaults
 * (300 trees, seeded: the same runs give the same importances; ydf-training 0.0.1 takes no
 * hyperparameters). Its importance is SUM_SCORE — the metric's variance the parameter's splits
 * remove — as a share of the total, since permutation importance on the out-of-bag rows is a
 * hyperparameter this build cannot set.
 */
import { PipewiseError } from '../../core/errors';
import { FOREST_MIN_RUNS, type ForestInput } from '../../core/experimentsCompare';
import type { ExperimentsForest } from '../../core/experimentsTypes';
import { loadYdf, parseVariableImportances, numberOfTrees, ydfCall, type YdfColumns } from '../model/ydf';

/** The label column's name: the parameters are `p0`, `p1`, … so no parameter name can collide with it or upset YDF's column parser. */
const LABEL = 'metric';

export async function forestImportance(input: ForestInput): Promise<ExperimentsForest> {
  const n = input.metricValues.length;
  if (n < FOREST_MIN_RUNS) throw new PipewiseError(`a forest's importance needs at least ${FOREST_MIN_RUNS} runs with ${input.metric}, not ${n}`);
  if (input.params.length === 0 || input.columns.length !== input.params.length) throw new PipewiseError(`a forest's importance needs one column per parameter: ${input.params.length} parameter(s), ${input.columns.length} column(s)`);
  const bad = input.columns.findIndex((c) => c.length !== n);
  if (bad >= 0) throw new PipewiseError(`the column of ${input.params[bad]} has ${input.columns[bad]?.length} values for ${n} runs`);
  const badMetric = input.metricValues.findIndex((v) => !Number.isFinite(v));
  if (badMetric >= 0) throw new PipewiseError(`${input.metric} of run ${badMetric + 1} is not a finite number: ${input.metricValues[badMetric]}`);
  const columns: YdfColumns = { [LABEL]: [...input.metricValues] };
  input.columns.forEach((c, i) => {
    columns[`p${i}`] = (typeof c[0] === 'number' ? [...(c as readonly number[])] : [...(c as readonly string[])]) as number[] | string[];
  });
  const ydf = await loadYdf();
  const model = ydfCall(`fitting a random forest on ${n} runs × ${input.params.length} parameters → ${input.metric}`, () => new ydf.RandomForestLearner(LABEL, 'REGRESSION').train(columns));
  try {
    const description = ydfCall('describing the forest', () => model.describe());
    const scores = parseVariableImportances(description)['SUM_SCORE'] ?? [];
    const byColumn = new Map(scores.map((s) => [s.feature, Math.max(0, s.importance)]));
    const total = [...byColumn.values()].reduce((a, b) => a + b, 0);
    const importances = input.params
      .map((param, i) => ({ param, share: total > 0 ? (byColumn.get(`p${i}`) ?? 0) / total : 0 }))
      .sort((a, b) => b.share - a.share);
    const mean = input.metricValues.reduce((a, b) => a + b, 0) / n;
    const metricSd = Math.sqrt(input.metricValues.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
    const oob = /^Out-of-bag evaluation: rmse:([\d.eE+-]+)/m.exec(description);
    return { metric: input.metric, runs: n, trees: numberOfTrees(description) ?? 0, importances, metricSd, ...(oob ? { oobRmse: Number(oob[1]) } : {}) };
  } finally {
    model.unload();
  }
}
