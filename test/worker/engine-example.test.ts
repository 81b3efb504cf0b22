/**
 * The CLI on real data: `pipewise stats` against pandas (an independent oracle), and the penguin
 * example's data stages once their executors are registered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXECUTORS } from '../../src/engine/components/index';
import type { RunResult } from '../../src/protocol/runEvents';
import type { DatasetFeatureStatisticsList, FeatureNameStatistics, NumericStatistics } from '../../src/core/tfdv';
import { oraclePython } from '../python';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'bin/pipewise.js');
const penguins = path.join(root, 'test/fixtures/penguins.csv');
const PYTHON = oraclePython();

function pipewise(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('pipewise stats --json agrees with pandas on penguins.csv', { skip: !existsSync(PYTHON) && `no ${PYTHON}` }, () => {
  const r = pipewise(['stats', penguins, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const list = JSON.parse(r.stdout) as DatasetFeatureStatisticsList;
  assert.equal(list.datasets.length, 1);
  const ds = list.datasets[0];
  assert.ok(ds);
  const py = spawnSync(
    PYTHON,
    [
      '-c',
      `import pandas as pd, json, sys
df = pd.read_csv(sys.argv[1], na_values=['NA'])
out = {'rows': len(df)}
for c in ['bill_length_mm', 'body_mass_g']:
    s = df[c].dropna()
    out[c] = {'count': int(s.count()), 'missing': int(df[c].isna().sum()), 'mean': float(s.mean()), 'std': float(s.std(ddof=0)), 'min': float(s.min()), 'max': float(s.max())}
vc = df['species'].value_counts()
out['species'] = {'unique': int(vc.size), 'top': str(vc.index[0]), 'top_count': int(vc.iloc[0])}
print(json.dumps(out))`,
      penguins,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(py.status, 0, py.stderr);
  interface NumericOracle {
    count: number;
    missing: number;
    mean: number;
    std: number;
    min: number;
    max: number;
  }
  const oracle = JSON.parse(py.stdout) as {
    rows: number;
    bill_length_mm: NumericOracle;
    body_mass_g: NumericOracle;
    species: { unique: number; top: string; top_count: number };
  };
  assert.equal(ds.numExamples, oracle.rows);
  for (const c of ['bill_length_mm', 'body_mass_g'] as const) {
    const f: FeatureNameStatistics | undefined = ds.features.find((x) => (x.name ?? x.path?.step.join('.')) === c);
    const o = oracle[c];
    const n: NumericStatistics | undefined = f?.numStats;
    assert.ok(n, c);
    assert.equal(n.commonStats.numNonMissing, o.count);
    assert.equal(n.commonStats.numMissing, o.missing);
    assert.ok(Math.abs(n.mean - o.mean) < 1e-9, `${c} mean`);
    assert.ok(Math.abs(n.stdDev - o.std) < 1e-9, `${c} std`);
    assert.equal(n.min, o.min);
    assert.equal(n.max, o.max);
  }
  const species = ds.features.find((x) => (x.name ?? x.path?.step.join('.')) === 'species');
  assert.equal(species?.stringStats?.unique, oracle.species.unique);
  assert.equal(species?.stringStats?.topValues[0]?.value, oracle.species.top);
  assert.equal(species?.stringStats?.topValues[0]?.frequency, oracle.species.top_count);

  const text = pipewise(['stats', penguins]);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^penguins\.csv: 344 examples, 8 features/);
  assert.equal(pipewise(['stats', path.join(root, 'no-such.csv')]).code, 2);
});

const DATA_STAGES = ['ExampleGen', 'StatisticsGen', 'SchemaGen', 'ExampleValidator'];
const missing = DATA_STAGES.filter((c) => !(c in EXECUTORS));

test('the penguin example: data stages run, then are all cached', { skip: missing.length > 0 && `no executor yet for ${missing.join(', ')}` }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-penguins-'));
  try {
    cpSync(path.join(root, 'examples/penguins'), dir, { recursive: true, filter: (p) => !p.includes('.pipewise') });
    const file = path.join(dir, 'penguins.pipeline.yaml');
    const first = pipewise(['run', file, '--only', 'validate', '--json']);
    assert.equal(first.code, 0, first.stderr);
    const r1 = JSON.parse(first.stdout) as RunResult;
    assert.deepEqual(r1.stages.map((s) => [s.name, s.status]), [['examples', 'succeeded'], ['statistics', 'succeeded'], ['schema', 'succeeded'], ['validate', 'succeeded']]);
    for (const f of ['statistics/statistics.json', 'schema/schema.json', 'validate/anomalies.json']) {
      const [stage, name] = f.split('/') as [string, string];
      const uri = Object.values(r1.stages.find((s) => s.name === stage)?.artifacts ?? {})[0] ?? '';
      assert.ok(existsSync(path.join(uri, name)), f);
    }
    const second = JSON.parse(pipewise(['run', file, '--only', 'validate', '--json']).stdout) as RunResult;
    assert.deepEqual(second.stages.map((s) => s.status), ['cached', 'cached', 'cached', 'cached']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('out/pipeline.schema.json accepts the penguin example and rejects bad stages (checked by Python jsonschema)', { skip: !existsSync(PYTHON) && `no ${PYTHON}` }, async () => {
  const { parse } = await import('yaml');
  const { readFileSync } = await import('node:fs');
  const good = parse(readFileSync(path.join(root, 'examples/penguins/penguins.pipeline.yaml'), 'utf8')) as { stages: Record<string, Record<string, unknown>> };
  const cases = {
    good,
    unknownParam: { pipeline: 'p', stages: { e: { component: 'ExampleGen', params: { input: 'x.csv', fromat: 'csv' } } } },
    wrongType: { pipeline: 'p', stages: { s: { component: 'StatisticsGen', inputs: { examples: 'e.examples' }, params: { num_top_values: 'many' } } } },
    missingInput: { pipeline: 'p', stages: { s: { component: 'StatisticsGen' } } },
    badName: { pipeline: 'p', stages: { BadName: { component: 'ExampleGen', params: { input: 'x.csv' } } } },
    userComponent: { pipeline: 'p', stages: { mine: { component: './components/x.ts', params: { anything: 1 } } } },
  };
  const py = spawnSync(
    PYTHON,
    ['-c', 'import json, sys, jsonschema\nschema = json.load(open(sys.argv[1]))\ncases = json.load(sys.stdin)\nv = jsonschema.Draft7Validator(schema)\nprint(json.dumps({k: len(list(v.iter_errors(c))) == 0 for k, c in cases.items()}))', path.join(root, 'out/pipeline.schema.json')],
    { input: JSON.stringify(cases), encoding: 'utf8' },
  );
  assert.equal(py.status, 0, py.stderr);
  assert.deepEqual(JSON.parse(py.stdout), { good: true, unknownParam: false, wrongType: false, missingInput: false, badName: false, userComponent: true });
});
