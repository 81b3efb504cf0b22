/**
 * "A pipeline with only a label named and every other parameter left at its default trains a
 * sensible model on a real binary-classification table it has never seen" (issue 4). The table:
 * the Wisconsin diagnostic breast-cancer data (569 × 30, malignant/benign) as Debian's
 * python3-sklearn ships it, written to CSV by scikit-learn itself; nothing in Pipewise was tuned on
 * it. The bar is scikit-learn's own default LogisticRegression on the same split, computed here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunResult } from '../../src/protocol/runEvents';
import { tempDir } from './tf-helpers';
import { oraclePython } from '../python';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'bin/pipewise.js');
const PY = oraclePython();

test('defaults only: a label named, a sensible binary model on data never seen', (t) => {
  const dir = tempDir('pw-tf-defaults-');
  const csv = path.join(dir, 'cancer.csv');
  // Column names as sklearn gives them, with spaces: the engine must quote them.
  execFileSync(PY, ['-c', `
import sklearn.datasets as d
f = d.load_breast_cancer(as_frame=True).frame
f['diagnosis'] = f['target'].map({0: 'malignant', 1: 'benign'})
f.drop(columns=['target']).to_csv(${JSON.stringify(csv)}, index=False)
`]);
  writeFileSync(
    path.join(dir, 'cancer.pipeline.yaml'),
    [
      'pipeline: cancer',
      'stages:',
      '  examples: { component: ExampleGen, params: { input: cancer.csv } }',
      '  statistics: { component: StatisticsGen, inputs: { examples: examples.examples } }',
      '  schema: { component: SchemaGen, inputs: { statistics: statistics.statistics } }',
      '  transform: { component: Transform, inputs: { examples: examples.examples, schema: schema.schema }, params: { label: diagnosis } }',
      '  train: { component: Trainer, inputs: { examples: transform.transformed_examples, transform_graph: transform.transform_graph } }',
      '  evaluate: { component: Evaluator, inputs: { examples: examples.examples, model: train.model } }',
      '  infer: { component: BulkInferrer, inputs: { examples: examples.examples, model: train.model } }',
      '',
    ].join('\n'),
  );
  const r = spawnSync(process.execPath, [cli, 'run', path.join(dir, 'cancer.pipeline.yaml'), '--json'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as RunResult;
  const evaluation = result.stages.find((s) => s.name === 'evaluate')?.artifacts.evaluation;
  assert.ok(evaluation, 'evaluate.evaluation');
  const metrics = JSON.parse(readFileSync(path.join(evaluation, 'metrics.json'), 'utf8')) as { slices: { slice: object; metrics: Record<string, number> }[] };
  const overall = metrics.slices.find((s) => Object.keys(s.slice).length === 0)?.metrics;
  assert.ok(overall, 'the overall slice');

  // The oracle: scikit-learn's default logistic regression (standardised inputs) on the very rows
  // of Pipewise's train and eval splits, read back from its predictions' inputs.
  const predictions = result.stages.find((s) => s.name === 'infer')?.artifacts.inference_result;
  assert.ok(predictions);
  const examples = result.stages.find((s) => s.name === 'examples')?.artifacts.examples;
  assert.ok(examples);
  const csvOf = (split: string): string => {
    const out = path.join(dir, `${split}.csv`);
    execFileSync(process.execPath, ['-e', `
const { DuckDBInstance } = require('@duckdb/node-api');
(async () => { const c = await (await DuckDBInstance.create(':memory:')).connect();
await c.run("COPY (SELECT * FROM read_parquet('${path.join(examples, `Split-${split}`, 'data.parquet')}')) TO '${out}' (HEADER)"); })();
`], { cwd: root });
    return out;
  };
  const baseline = JSON.parse(
    execFileSync(PY, ['-c', `
import json, pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.metrics import roc_auc_score, accuracy_score
tr, ev = pd.read_csv(${JSON.stringify(csvOf('train'))}), pd.read_csv(${JSON.stringify(csvOf('eval'))})
X = lambda f: f.drop(columns=['diagnosis'])
m = make_pipeline(StandardScaler(), LogisticRegression()).fit(X(tr), tr['diagnosis'])
p = m.predict_proba(X(ev))[:, list(m.classes_).index('malignant')]
print(json.dumps({'n': len(ev), 'auc': roc_auc_score(ev['diagnosis'] == 'malignant', p), 'accuracy': accuracy_score(ev['diagnosis'], m.predict(X(ev)))}))
`], { encoding: 'utf8' }),
  ) as { n: number; auc: number; accuracy: number };

  t.diagnostic(`Pipewise defaults: accuracy ${overall.accuracy}, AUC ${overall.auc}; sklearn LogisticRegression: accuracy ${baseline.accuracy}, AUC ${baseline.auc} (${baseline.n} eval rows)`);
  assert.equal(overall.example_count, baseline.n, 'Pipewise and the oracle see the same eval rows');
  // Sensible: within a few points of a well-tuned linear baseline on this data (≈ 0.97 accuracy).
  assert.ok((overall.accuracy ?? 0) >= baseline.accuracy - 0.05, `accuracy ${overall.accuracy} vs sklearn ${baseline.accuracy}`);
  assert.ok((overall.auc ?? 0) >= baseline.auc - 0.03, `AUC ${overall.auc} vs sklearn ${baseline.auc}`);
});
