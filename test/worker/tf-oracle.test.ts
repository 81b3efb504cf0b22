/**
 * Defaults against tuned linear baselines on public tables Pipewise has never seen (issue 14):
 * a pipeline that names only the label must come within 0.01 of scikit-learn's
 * LogisticRegressionCV (AUC for binary, accuracy for multiclass) and within 0.02 of RidgeCV's R²,
 * on the very rows of Pipewise's own train and eval splits. The tables come from Debian packages:
 * R's mlbench (r-cran-mlbench: BostonHousing, PimaIndiansDiabetes2, Sonar, Glass) and the data
 * python3-sklearn bundles (diabetes, wine). The oracle standardises numbers (train mean/std, missing
 * → train mean) and one-hot encodes strings, as a careful linear baseline would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { scoreAgainstOracle, tempDir } from './tf-helpers';
import { oraclePython } from '../python';

const PY = oraclePython();
const RSCRIPT = '/usr/bin/Rscript';

interface Table {
  readonly name: string;
  readonly label: string;
  readonly task: 'binary' | 'multiclass' | 'regression';
  readonly source: 'mlbench' | 'sklearn';
  /** R or Python code that writes the table to the CSV path `out`. */
  readonly code: string;
}

const mlbench = (dataset: string): string => `suppressMessages(library(mlbench)); data(${dataset}); write.csv(${dataset}, out, row.names = FALSE)`;

export const TABLES: readonly Table[] = [
  { name: 'BostonHousing', label: 'medv', task: 'regression', source: 'mlbench', code: mlbench('BostonHousing') },
  { name: 'PimaIndiansDiabetes2', label: 'diabetes', task: 'binary', source: 'mlbench', code: mlbench('PimaIndiansDiabetes2') },
  { name: 'Sonar', label: 'Class', task: 'binary', source: 'mlbench', code: mlbench('Sonar') },
  { name: 'Glass', label: 'Type', task: 'multiclass', source: 'mlbench', code: mlbench('Glass') },
  { name: 'diabetes', label: 'target', task: 'regression', source: 'sklearn', code: 'import sklearn.datasets as d; d.load_diabetes(as_frame=True, scaled=False).frame.to_csv(out, index=False)' },
  { name: 'wine', label: 'cultivar', task: 'multiclass', source: 'sklearn', code: "import sklearn.datasets as d; f = d.load_wine(as_frame=True).frame; f['cultivar'] = f.pop('target').map(lambda c: 'class_%d' % c); f.to_csv(out, index=False)" },
];

function missing(t: Table): string | undefined {
  if (t.source === 'mlbench') {
    if (!existsSync(RSCRIPT)) return 'no Rscript (scripts/setup-test-env.sh installs r-cran-mlbench)';
    const r = spawnSync(RSCRIPT, ['-e', 'library(mlbench)'], { encoding: 'utf8' });
    return r.status === 0 ? undefined : 'R has no mlbench package (scripts/setup-test-env.sh installs r-cran-mlbench)';
  }
  return existsSync(PY) ? undefined : `no ${PY} with scikit-learn`;
}

function writeTable(t: Table, out: string): void {
  if (t.source === 'mlbench') execFileSync(RSCRIPT, ['-e', `out <- ${JSON.stringify(out)}; ${t.code}`]);
  else execFileSync(PY, ['-c', `out = ${JSON.stringify(out)}\n${t.code}`]);
}

const ORACLE = `
import json, sys, numpy as np, pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegressionCV, RidgeCV
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
train_csv, eval_csv, label, task = sys.argv[1:5]
tr, ev = pd.read_csv(train_csv), pd.read_csv(eval_csv)
tr, ev = tr[tr[label].notna()], ev[ev[label].notna()]
X = lambda f: f.drop(columns=[label])
num = [c for c in X(tr).columns if pd.api.types.is_numeric_dtype(tr[c])]
cat = [c for c in X(tr).columns if c not in num]
pre = ColumnTransformer([('num', make_pipeline(SimpleImputer(), StandardScaler()), num)] +
                        ([('cat', make_pipeline(SimpleImputer(strategy='most_frequent'), OneHotEncoder(handle_unknown='ignore')), cat)] if cat else []))
if task == 'regression':
    m = make_pipeline(pre, RidgeCV(alphas=np.logspace(-3, 3, 13))).fit(X(tr), tr[label])
    out = {'r2': r2_score(ev[label], m.predict(X(ev)))}
else:
    y = tr[label].astype(str)
    m = make_pipeline(pre, LogisticRegressionCV(max_iter=5000)).fit(X(tr), y)
    ye = ev[label].astype(str)
    out = {'accuracy': accuracy_score(ye, m.predict(X(ev)))}
    if task == 'binary':
        pos = m.classes_[1]
        out['auc'] = roc_auc_score(ye == pos, m.predict_proba(X(ev))[:, 1])
out['n'] = int(len(ev))
print(json.dumps(out))
`;

export interface OracleOutcome {
  readonly table: string;
  readonly metric: string;
  readonly pipewise: number;
  readonly oracle: number;
  readonly chosen?: string;
  readonly n: number;
}

/** Runs the defaults-only pipeline on a table and the oracle on the same split. */
export function runTable(t: Table, trainerParams = ''): OracleOutcome {
  const dir = tempDir(`pw-oracle-${t.name}-`);
  const csv = path.join(dir, `${t.name}.csv`);
  writeTable(t, csv);
  const { overall, oracle, signature, metric } = scoreAgainstOracle(t, dir, ORACLE, { trainerParams });
  return { table: t.name, metric, pipewise: overall[metric] as number, oracle: oracle[metric] as number, chosen: signature.modelChoice?.chosen, n: oracle.n as number };
}

for (const t of TABLES) {
  const skip = missing(t);
  test(`defaults on ${t.name} (${t.source}, ${t.task}) come within ${t.task === 'regression' ? '0.02 R²' : '0.01'} of the tuned linear oracle`, { skip }, (c) => {
    const o = runTable(t);
    const tolerance = t.task === 'regression' ? 0.02 : 0.01;
    c.diagnostic(`${t.name}: Pipewise ${o.metric} ${o.pipewise.toFixed(4)} (model ${o.chosen}), oracle ${o.oracle.toFixed(4)}, ${o.n} eval rows`);
    assert.ok(o.pipewise >= o.oracle - tolerance, `${t.name}: Pipewise ${o.metric} ${o.pipewise} vs ${t.task === 'regression' ? 'RidgeCV' : 'LogisticRegressionCV'} ${o.oracle} (tolerance ${tolerance})`);
  });
}
