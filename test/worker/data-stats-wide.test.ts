/**
 * Wide tables: `pipewise stats` on 2,000 columns × 1,000 rows (one SELECT over 1,500 columns used to
 * kill the process with SIGFPE inside DuckDB, and 1,000 columns ran it out of its 1 GB). Every
 * column is a formula of the row number, so NumPy computes the same statistics independently from
 * the formula, never from our output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { quoteLiteral, withConnection } from '../../src/engine/duckdb';
import type { DatasetFeatureStatisticsList } from '../../src/core/tfdv';
import { noOraclePython, oraclePython } from '../python';
import { tempDir } from './data-helpers';

const ROWS = 1000;
const NUMERIC = 1800;
const STRINGS = 200;
const cli = path.resolve(__dirname, '../../bin/pipewise.js');

/** Column j of row i: numeric `((i * (j + 7)) % 1009) / 13`, string `'v' || ((i * (j + 3)) % 5)`. */
const ORACLE = `
import json, sys
import numpy as np
rows, numeric, strings = ${ROWS}, ${NUMERIC}, ${STRINGS}
i = np.arange(rows)
out = {}
for j in range(numeric):
    x = ((i * (j + 7)) % 1009) / 13.0
    out[f"n{j}"] = {"mean": float(x.mean()), "std": float(x.std()), "min": float(x.min()), "max": float(x.max()), "median": float(np.median(x)), "zeros": int((x == 0).sum())}
for j in range(strings):
    v, n = np.unique((i * (j + 3)) % 5, return_counts=True)
    out[f"s{j}"] = {"unique": int(len(v)), "counts": {f"v{a}": int(b) for a, b in zip(v, n)}}
json.dump(out, sys.stdout)
`;

interface NumericOracle {
  mean: number;
  std: number;
  min: number;
  max: number;
  median: number;
  zeros: number;
}
interface StringOracle {
  unique: number;
  counts: Record<string, number>;
}

test('pipewise stats describes 2,000 columns × 1,000 rows, every column as NumPy does', { skip: noOraclePython(), timeout: 600_000 }, async () => {
  const dir = await tempDir('pipewise-wide-');
  const file = path.join(dir, 'wide.parquet');
  await withConnection(async (c) => {
    const cols: string[] = [];
    for (let j = 0; j < NUMERIC; j++) cols.push(`((i * ${j + 7}) % 1009) / 13.0 AS n${j}`);
    for (let j = 0; j < STRINGS; j++) cols.push(`'v' || ((i * ${j + 3}) % 5) AS s${j}`);
    await c.run(`COPY (SELECT ${cols.join(', ')} FROM (SELECT range AS i FROM range(${ROWS}))) TO ${quoteLiteral(file)} (FORMAT parquet)`);
  });
  const run = spawnSync(process.execPath, [cli, 'stats', file, '--json'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  assert.equal(run.status, 0, `pipewise stats exited ${run.status} (signal ${run.signal}): ${run.stderr}`);
  const stats = (JSON.parse(run.stdout) as DatasetFeatureStatisticsList).datasets[0];
  assert.ok(stats);
  const oracle = JSON.parse(execFileSync(oraclePython(), ['-c', ORACLE], { encoding: 'utf8', maxBuffer: 1 << 28 })) as Record<string, NumericOracle | StringOracle>;
  assert.equal(stats.numExamples, ROWS);
  assert.deepEqual(
    stats.features.map((f) => f.name),
    Object.keys(oracle),
    'every column, in the file\'s order',
  );
  const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  for (const f of stats.features) {
    const want = oracle[f.name ?? ''];
    if (f.numStats) {
      const w = want as NumericOracle;
      const s = f.numStats;
      for (const [got, exp, what] of [[s.mean, w.mean, 'mean'], [s.stdDev, w.std, 'std_dev'], [s.min, w.min, 'min'], [s.max, w.max, 'max'], [s.median, w.median, 'median']] as const) {
        assert.ok(close(got, exp), `${f.name}.${what}: ${got}, NumPy ${exp}`);
      }
      assert.equal(s.numZeros, w.zeros, `${f.name}.zeros`);
      assert.equal(s.histograms[0]?.buckets.reduce((a, b) => a + b.sampleCount, 0), ROWS, `${f.name}: the histogram counts every row`);
    } else {
      const w = want as StringOracle;
      const s = f.stringStats;
      assert.ok(s, `${f.name} is a string feature`);
      assert.equal(s.unique, w.unique, `${f.name}.unique`);
      assert.deepEqual(Object.fromEntries(s.topValues.map((t) => [t.value, t.frequency])), w.counts, `${f.name}: value counts`);
    }
  }
});
