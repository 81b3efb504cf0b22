/**
 * Permutation importance (src/engine/evaluation/importance.ts) against scikit-learn's
 * `permutation_importance` (test/fixtures/evaluation/sklearn_permutation_importance.py) on the same
 * rows with the same seed. The model is linear with weights the test chooses, so Python predicts
 * exactly what the TypeScript model predicts; with NumPy's RandomState reproduced, both shuffle
 * identically, and the drops agree to 1e-9 — the room left for float64 sums taken in another order
 * (AUC and accuracy are ratios of integer counts; R² sums squares). Also: the row sample equals
 * the documented NumPy expression, the generator equals NumPy's, cancellation, and the model's own
 * importances file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CancelledError } from '../../src/core/errors';
import { permutationImportance, readModelImportances } from '../../src/engine/evaluation/importance';
import { RandomState } from '../../src/engine/evaluation/randomState';
import type { RawRow } from '../../src/engine/evaluation/examples';
import type { EncodedLabels } from '../../src/engine/evaluation/sliceMetrics';
import type { Prediction, ServingModel, Task } from '../../src/engine/model/servingModel';
import { runSystemPython, seededRandom } from '../fixtures/evaluation/oracle';

const TOLERANCE = 1e-9;
const COLUMNS = ['x1', 'x2', 'x3', 'colour'];

interface LinearCase {
  task: Task;
  columns: string[];
  rows: RawRow[];
  y: number[];
  usable: boolean[];
  weights: Record<string, number[]>;
  bias: number[];
  categorical: Record<string, Record<string, number[]>>;
  classes: string[];
  repeats: number;
  seed: number;
  max_rows: number;
}

function makeCase(task: Task, n: number, seed: number, repeats: number, maxRows: number): LinearCase {
  const rnd = seededRandom(seed + 1);
  const k = task === 'multiclass' ? 3 : 1;
  const per = (...w: number[]): number[] => (k === 1 ? [w[0] as number] : w);
  // x1 matters most, x2 less, x3 not at all (and has missing values), colour a little.
  const weights = { x1: per(2.5, -1.5, 0.2), x2: per(0.8, 0.3, -0.9), x3: per(0, 0, 0) };
  const categorical = { colour: { red: per(0.6, -0.2, 0), green: per(-0.4, 0.5, 0.1), blue: per(0, 0, 0.3) } };
  const bias = per(0.1, -0.1, 0.05);
  const classes = task === 'multiclass' ? ['a', 'b', 'c'] : task === 'binary' ? ['no', 'yes'] : [];
  const model = linearModel({ task, weights, categorical, bias, classes });
  const rows: RawRow[] = [];
  for (let i = 0; i < n; i++) {
    rows.push({ x1: rnd() * 2 - 1, x2: rnd() * 2 - 1, x3: i % 9 === 0 ? null : rnd(), colour: ['red', 'green', 'blue'][Math.floor(rnd() * 3)] as string });
  }
  // Labels that follow the model with noise, so the metrics sit well inside their range.
  const z = model.logits(rows);
  const y: number[] = [];
  const usable: boolean[] = [];
  z.forEach((zi, i) => {
    if (task === 'regression') y.push((zi[0] as number) + (rnd() - 0.5) * 2);
    else if (task === 'binary') y.push(1 / (1 + Math.exp(-(zi[0] as number) * 1.5)) > rnd() ? 1 : 0);
    else {
      const noisy = zi.map((v) => v + (rnd() - 0.5) * 1.5);
      y.push(i % 50 === 7 ? -1 : noisy.indexOf(Math.max(...noisy))); // −1: a class the model never saw
    }
    // A few rows without a usable label: left out of the importance as out of the metrics.
    usable.push(i % 31 !== 3);
  });
  return { task, columns: COLUMNS, rows, y, usable, weights, bias, categorical, classes, repeats, seed, max_rows: maxRows };
}

function linearModel(c: Pick<LinearCase, 'task' | 'weights' | 'categorical' | 'bias' | 'classes'>): ServingModel & { logits(rows: readonly RawRow[]): number[][] } {
  const logits = (rows: readonly Readonly<Record<string, unknown>>[]): number[][] =>
    rows.map((r) => {
      const out = [...c.bias];
      for (const [col, w] of Object.entries(c.weights)) {
        const x = typeof r[col] === 'number' ? (r[col] as number) : 0;
        w.forEach((wk, k) => (out[k] = (out[k] as number) + wk * x));
      }
      for (const [col, table] of Object.entries(c.categorical)) {
        const w = table[String(r[col])];
        w?.forEach((wk, k) => (out[k] = (out[k] as number) + wk));
      }
      return out;
    });
  return {
    signature: { task: c.task, label: 'y', classes: c.classes, inputs: COLUMNS.map((name) => ({ name, type: name === 'colour' ? 'string' : 'number' })), backend: 'test', hyperparameters: {} },
    logits,
    async predict(rows): Promise<Prediction[]> {
      return logits(rows).map((z) => {
        if (c.task === 'regression') return { prediction: z[0] as number };
        if (c.task === 'binary') {
          const score = 1 / (1 + Math.exp(-(z[0] as number)));
          return { score, prediction: score > 0.5 ? 'yes' : 'no' };
        }
        const m = Math.max(...z);
        const e = z.map((v) => Math.exp(v - m));
        const s = e.reduce((a, b) => a + b, 0);
        const scores = e.map((v) => v / s);
        return { scores, prediction: c.classes[scores.indexOf(Math.max(...scores))] as string };
      });
    },
    dispose() {},
  };
}

function labelsOf(c: LinearCase): EncodedLabels {
  return { y: Float64Array.from(c.y), usable: c.usable, missing: c.usable.filter((u) => !u).length, unknown: {} };
}

interface OracleImportance {
  rows: number[];
  mean: Record<string, number>;
  std: Record<string, number>;
  drops: Record<string, number[]>;
}

function sklearnImportance(cases: readonly LinearCase[]): OracleImportance[] {
  // Python sees only the usable rows, as a data scientist's eval frame would hold them.
  const payload = cases.map((c) => ({ ...c, rows: c.rows.filter((_, i) => c.usable[i]), y: c.y.filter((_, i) => c.usable[i]) }));
  const script = path.join(__dirname, '../fixtures/evaluation/sklearn_permutation_importance.py');
  return JSON.parse(runSystemPython(script, [], JSON.stringify(payload))) as OracleImportance[];
}

test('permutation importance agrees with scikit-learn\'s permutation_importance on the same rows and seed (regression R², binary AUC, multiclass accuracy)', async () => {
  const cases = [
    makeCase('regression', 600, 0, 5, 5000),
    makeCase('binary', 900, 7, 4, 500), // sampled: 500 of the usable rows
    makeCase('multiclass', 700, 42, 5, 5000),
  ];
  const oracle = sklearnImportance(cases);
  for (const [n, c] of cases.entries()) {
    const expected = oracle[n] as OracleImportance;
    const model = linearModel(c);
    const got = await permutationImportance({ model, rows: c.rows, labels: labelsOf(c), features: COLUMNS, options: { repeats: c.repeats, maxRows: c.max_rows, seed: c.seed }, signal: new AbortController().signal });
    const usableCount = c.usable.filter(Boolean).length;
    assert.equal(got.metric, { regression: 'r2', binary: 'auc', multiclass: 'accuracy' }[c.task]);
    assert.equal(got.usable_rows, usableCount);
    assert.equal(got.rows, expected.rows.length, `${c.task}: rows used`);
    assert.equal(got.sampled, expected.rows.length < usableCount);
    assert.deepEqual(got.features.map((f) => f.feature).sort(), [...COLUMNS].sort());
    for (const f of got.features) {
      const what = `${c.task} ${f.feature}`;
      assert.ok(Math.abs(f.mean - (expected.mean[f.feature] as number)) <= TOLERANCE, `${what}: mean ${f.mean} vs scikit-learn ${expected.mean[f.feature]}`);
      assert.ok(Math.abs(f.std - (expected.std[f.feature] as number)) <= TOLERANCE, `${what}: std ${f.std} vs scikit-learn ${expected.std[f.feature]}`);
      assert.equal(f.drops.length, c.repeats);
      f.drops.forEach((d, k) => assert.ok(Math.abs(d - (expected.drops[f.feature]?.[k] as number)) <= TOLERANCE, `${what}: repeat ${k} drop ${d} vs ${expected.drops[f.feature]?.[k]}`));
    }
    // Sorted by mean drop; the planted order shows through; the unused feature changes nothing.
    for (let i = 1; i < got.features.length; i++) assert.ok((got.features[i - 1]?.mean as number) >= (got.features[i]?.mean as number));
    assert.equal(got.features[0]?.feature, 'x1', `${c.task}: ${JSON.stringify(got.features.map((f) => [f.feature, f.mean]))}`);
    const unused = got.features.find((f) => f.feature === 'x3');
    assert.deepEqual([unused?.mean, unused?.std], [0, 0]);
  }
});

test('the generator is NumPy\'s RandomState: randint(2**31) and successive shuffles match NumPy for several seeds', () => {
  const seeds = [0, 1, 42, 123456789, 4294967295];
  const py = `import json,numpy as np
out=[]
for s in ${JSON.stringify(seeds)}:
    r=np.random.RandomState(s); first=int(r.randint(2**31)); a=np.arange(1000); r.shuffle(a); b=a.copy(); r.shuffle(b)
    out.append([first, a.tolist(), b.tolist()])
print(json.dumps(out))`;
  const script = path.join(os.tmpdir(), `pipewise-randomstate-${process.pid}.py`);
  return fs.writeFile(script, py).then(async () => {
    try {
      const expected = JSON.parse(runSystemPython(script, [])) as [number, number[], number[]][];
      seeds.forEach((s, n) => {
        const r = new RandomState(s);
        const first = r.randint(2 ** 31);
        const a = Array.from({ length: 1000 }, (_, i) => i);
        r.shuffle(a);
        const b = [...a];
        r.shuffle(b);
        assert.deepEqual([first, a, b], expected[n], `seed ${s}`);
      });
    } finally {
      await fs.rm(script, { force: true });
    }
  });
});

test('cancelling stops permutation importance with CancelledError', async () => {
  const c = makeCase('regression', 2000, 3, 5, 5000);
  const ac = new AbortController();
  const model = linearModel(c);
  let calls = 0;
  const counting: ServingModel = {
    signature: model.signature,
    predict: (rows) => {
      if (++calls === 3) ac.abort();
      return model.predict(rows);
    },
    dispose() {},
  };
  await assert.rejects(permutationImportance({ model: counting, rows: c.rows, labels: labelsOf(c), features: COLUMNS, options: { repeats: 5, maxRows: 5000, seed: 0 }, signal: ac.signal }), CancelledError);
  assert.ok(calls < 10, `it went on predicting after the cancel (${calls} batches)`);
});

test('a model\'s own variable_importances.json is read as written; a malformed one is an error naming the file', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pipewise-vi-'));
  try {
    assert.equal(await readModelImportances(dir), undefined);
    const own = { source: 'ydf', importances: { NUM_AS_ROOT: [{ feature: 'x1', importance: 12 }, { feature: 'x2', importance: 3 }] } };
    await fs.writeFile(path.join(dir, 'variable_importances.json'), JSON.stringify(own));
    assert.deepEqual(await readModelImportances(dir), own);
    await fs.writeFile(path.join(dir, 'variable_importances.json'), JSON.stringify({ source: 'ydf', importances: { NUM_AS_ROOT: [{ feature: 'x1' }] } }));
    await assert.rejects(readModelImportances(dir), (e: Error) => e.message.includes(path.join(dir, 'variable_importances.json')));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('the evaluation view takes feature_importance.json sorted and the chart draws one bar per feature up to 25; a file that is not one is an error naming it', async () => {
  const { buildImportanceView, buildEvaluationView } = await import('../../src/core/evaluationView');
  const { importanceCharts, MAX_IMPORTANCE_BARS } = await import('../../webviews/shared/evaluationCharts');
  const features = Array.from({ length: 30 }, (_, i) => ({ feature: `f${i}`, mean: ((i * 7) % 30) / 100, std: 0.01, drops: [] }));
  const file = { method: 'permutation', metric: 'r2', baseline: 0.8, repeats: 5, seed: 0, usable_rows: 9000, rows: 5000, max_rows: 5000, sampled: true, features } as const;
  const view = buildImportanceView('/e/feature_importance.json', file);
  assert.deepEqual(view.features.map((f) => f.mean), [...features.map((f) => f.mean)].sort((a, b) => b - a));
  const ev = buildEvaluationView('/e/metrics.json', { slices: [{ slice: {}, metrics: { example_count: 9000, r2: 0.8 } }], blessed: true, task: 'regression' }, undefined, view);
  const [chart] = importanceCharts(ev);
  assert.equal(chart?.id, 'importance');
  const values = (chart?.spec as unknown as { data: { values: { feature: string; lo: number; hi: number; mean: number }[] } }).data.values;
  assert.equal(values.length, MAX_IMPORTANCE_BARS);
  assert.deepEqual(values.map((v) => v.feature), view.features.slice(0, MAX_IMPORTANCE_BARS).map((f) => f.feature));
  for (const v of values) assert.deepEqual([v.lo, v.hi], [v.mean - 0.01, v.mean + 0.01]);
  assert.match(chart?.caption ?? '', /5000 of 9000 eval rows \(sampled\).*top 25 of 30/);
  assert.equal(importanceCharts({ ...ev, importance: undefined }).length, 0);
  assert.throws(() => buildImportanceView('/e/feature_importance.json', { ...file, features: [{ feature: 'x', mean: NaN, std: 0, drops: [] }] }), /\/e\/feature_importance\.json/);
});

test('partial dependence of the top three features agrees with scikit-learn\'s partial_dependence (brute, its grid) on the same rows; a linear regression\'s curve is a line with the coefficient as slope', async () => {
  const cases = [
    makeCase('regression', 400, 3, 2, 5000),
    makeCase('binary', 700, 11, 2, 300), // sampled: 300 of the usable rows, as importance used them
    makeCase('multiclass', 500, 5, 2, 5000),
  ];
  const results: Awaited<ReturnType<typeof permutationImportance>>[] = [];
  for (const c of cases) {
    const got = await permutationImportance({ model: linearModel(c), rows: c.rows, labels: labelsOf(c), features: COLUMNS, options: { repeats: c.repeats, maxRows: c.max_rows, seed: c.seed }, signal: new AbortController().signal });
    results.push(got);
  }
  const payload = cases.map((c, n) => {
    const usable = { ...c, rows: c.rows.filter((_, i) => c.usable[i]), y: c.y.filter((_, i) => c.usable[i]) };
    return { case: usable, features: (results[n]?.partial_dependence ?? []).map((p) => p.feature) };
  });
  const oracle = JSON.parse(runSystemPython(path.join(__dirname, '../fixtures/evaluation/sklearn_partial_dependence.py'), [], JSON.stringify(payload))) as Record<string, { grid: (number | string)[]; average: number[][] }>[];
  for (const [n, c] of cases.entries()) {
    const got = results[n];
    const pd = got?.partial_dependence ?? [];
    // The three most important features, in importance order.
    assert.deepEqual(pd.map((p) => p.feature), got?.features.slice(0, 3).map((f) => f.feature));
    assert.deepEqual(pd.map((p) => p.kind), pd.map((p) => (p.feature === 'colour' ? 'categorical' : 'numeric')));
    for (const p of pd) {
      const expected = oracle[n]?.[p.feature];
      assert.ok(expected, `${c.task} ${p.feature}: scikit-learn's curve`);
      assert.equal(p.grid.length, expected.grid.length, `${c.task} ${p.feature}: grid ${JSON.stringify(p.grid)} vs ${JSON.stringify(expected.grid)}`);
      p.grid.forEach((v, g) => (typeof v === 'number' ? assert.ok(Math.abs(v - (expected.grid[g] as number)) <= 1e-12, `${c.task} ${p.feature}: grid ${g}: ${v} vs ${expected.grid[g]}`) : assert.equal(v, expected.grid[g])));
      assert.deepEqual(p.outputs, c.task === 'regression' ? ['prediction'] : c.task === 'binary' ? ['yes'] : c.classes);
      assert.equal(p.average.length, expected.average.length);
      p.average.forEach((line, k) => line.forEach((v, g) => assert.ok(Math.abs(v - (expected.average[k]?.[g] as number)) <= TOLERANCE, `${c.task} ${p.feature} output ${k} at ${p.grid[g]}: ${v} vs scikit-learn ${expected.average[k]?.[g]}`)));
    }
  }
  // Linear regression: the curve of x1 rises by exactly its weight per unit of x1.
  const x1 = results[0]?.partial_dependence?.find((p) => p.feature === 'x1');
  assert.ok(x1 && x1.grid.length === 20);
  const w = cases[0]?.weights.x1?.[0] as number;
  for (let g = 1; g < x1.grid.length; g++) {
    const slope = ((x1.average[0]?.[g] as number) - (x1.average[0]?.[g - 1] as number)) / ((x1.grid[g] as number) - (x1.grid[g - 1] as number));
    assert.ok(Math.abs(slope - w) <= 1e-9, `slope ${slope} vs weight ${w}`);
  }
});

test('partial dependence reaches the view (one small line chart per feature, one line per class) and the CLI table; a malformed entry is an error naming the file', async () => {
  const { buildImportanceView, buildEvaluationView } = await import('../../src/core/evaluationView');
  const { importanceCharts } = await import('../../webviews/shared/evaluationCharts');
  const { formatImportance } = await import('../../src/cli/importance');
  const c = makeCase('multiclass', 300, 9, 2, 5000);
  const file = await permutationImportance({ model: linearModel(c), rows: c.rows, labels: labelsOf(c), features: COLUMNS, options: { repeats: c.repeats, maxRows: c.max_rows, seed: c.seed }, signal: new AbortController().signal });
  const pd = file.partial_dependence ?? [];
  assert.equal(pd.length, 3);
  const view = buildImportanceView('/e/feature_importance.json', file);
  const ev = buildEvaluationView('/e/metrics.json', { slices: [{ slice: {}, metrics: { example_count: 300, accuracy: 0.8 } }], blessed: true, task: 'multiclass' }, undefined, view);
  const charts = importanceCharts(ev).filter((x) => x.id.startsWith('partial-dependence-'));
  assert.deepEqual(charts.map((x) => x.title), pd.map((p) => `Partial dependence: ${p.feature}`));
  for (const [i, chart] of charts.entries()) {
    const p = pd[i] as NonNullable<typeof file.partial_dependence>[number];
    const values = (chart.spec as unknown as { data: { values: { x: unknown; output: string; mean: number }[] } }).data.values;
    assert.equal(values.length, p.grid.length * 3, 'a point per grid value and class');
    assert.deepEqual([...new Set(values.map((v) => v.output))], c.classes);
    values.forEach((v, j) => assert.equal(v.mean, p.average[Math.floor(j / p.grid.length)]?.[j % p.grid.length]));
  }
  // The CLI prints each curve as a table: a row per grid value, a column per class.
  const text = formatImportance(file);
  for (const p of pd) {
    const at = text.indexOf(`Partial dependence on ${p.feature}: mean probability of each class over the ${file.rows} rows`);
    assert.ok(at >= 0, text);
    const rows = text.slice(at).split('\n').slice(2, 2 + p.grid.length);
    rows.forEach((line, g) => assert.deepEqual(line.trim().split(/\s+/).slice(1).map(Number), p.average.map((a) => Number((a[g] as number).toFixed(4))), line));
  }
  const broken = { ...file, partial_dependence: [{ ...(pd[0] as NonNullable<typeof file.partial_dependence>[number]), average: [[1, 2]] }] };
  assert.throws(() => buildImportanceView('/e/feature_importance.json', broken), /\/e\/feature_importance\.json: partial_dependence/);
});
