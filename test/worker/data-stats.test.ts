/**
 * TFDV statistics computed with DuckDB, checked against oracles nobody here wrote: pandas/numpy
 * (Debian's python3, found by oraclePython()), DuckDB's SUMMARIZE and quantile_cont, and the known facts of
 * ../shared/data/PROVENANCE.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sharedDir } from '../sharedDir';
import { computeStatistics } from '../../src/engine/stats/computeStatistics';
import { num, queryRows, withConnection } from '../../src/engine/duckdb';
import type { DatasetFeatureStatistics, FeatureNameStatistics } from '../../src/core/tfdv';
import { oraclePython } from '../python';

const fixtures = path.resolve(__dirname, '../fixtures');
const penguins = path.join(fixtures, 'penguins.csv');
const seattle = path.join(fixtures, 'seattle-weather.csv');
const flights = sharedDir('data', 'flights-3m.parquet');

function feature(s: DatasetFeatureStatistics, name: string): FeatureNameStatistics {
  const f = s.features.find((x) => x.name === name);
  assert.ok(f, `feature ${name}`);
  return f;
}

function close(actual: number, expected: number, what: string, tol = 1e-9): void {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
}

interface PandasColumn {
  missing: number;
  nonMissing: number;
  numeric: boolean;
  mean?: number;
  std0?: number;
  min?: number;
  max?: number;
  median?: number;
  zeros?: number;
  hist?: number[];
  unique?: number;
  top?: [string, number][];
  avgLength?: number;
}

/** pandas' reading of a CSV, column by column (population std, numpy's 10-bucket histogram). */
function pandasOracle(csv: string): Record<string, PandasColumn> {
  const code = `
import json, sys, numpy as np, pandas as pd
df = pd.read_csv(sys.argv[1])
out = {}
for c in df.columns:
    s = df[c]; v = s.dropna()
    col = {'missing': int(s.isna().sum()), 'nonMissing': int(s.notna().sum()), 'numeric': bool(pd.api.types.is_numeric_dtype(s))}
    if col['numeric']:
        col.update(mean=float(v.mean()), std0=float(v.std(ddof=0)), min=float(v.min()), max=float(v.max()), median=float(v.median()),
                   zeros=int((v == 0).sum()), hist=[int(x) for x in np.histogram(v.to_numpy(dtype=float), bins=10)[0]])
    else:
        vc = v.value_counts()
        col.update(unique=int(v.nunique()), top=[[str(k), int(n)] for k, n in vc.items()], avgLength=float(v.str.len().mean()))
    out[c] = col
print(json.dumps(out))`;
  return JSON.parse(execFileSync(oraclePython(), ['-c', code, csv], { encoding: 'utf8' })) as Record<string, PandasColumn>;
}

function compareWithPandas(stats: DatasetFeatureStatistics, oracle: Record<string, PandasColumn>, rows: number): void {
  assert.equal(stats.numExamples, rows);
  assert.deepEqual(stats.features.map((f) => f.name), Object.keys(oracle));
  for (const [name, o] of Object.entries(oracle)) {
    const f = feature(stats, name);
    if (o.numeric) {
      const n = f.numStats;
      assert.ok(n, `${name} is numeric`);
      assert.equal(n.commonStats.numMissing, o.missing, `${name} missing`);
      assert.equal(n.commonStats.numNonMissing, o.nonMissing, `${name} non-missing`);
      close(n.mean, o.mean as number, `${name} mean`);
      close(n.stdDev, o.std0 as number, `${name} std`);
      close(n.min, o.min as number, `${name} min`);
      close(n.max, o.max as number, `${name} max`);
      close(n.median, o.median as number, `${name} median`);
      assert.equal(n.numZeros, o.zeros, `${name} zeros`);
      const standard = n.histograms.find((h) => h.type === 'STANDARD');
      assert.deepEqual(standard?.buckets.map((b) => b.sampleCount), o.hist, `${name} histogram`);
      close(standard?.buckets[0]?.lowValue ?? NaN, o.min as number, `${name} first edge`);
      close(standard?.buckets.at(-1)?.highValue ?? NaN, o.max as number, `${name} last edge`);
      const quantiles = n.histograms.find((h) => h.type === 'QUANTILES');
      assert.equal(quantiles?.buckets.length, 10);
      close(quantiles?.buckets.reduce((s, b) => s + b.sampleCount, 0) ?? 0, o.nonMissing, `${name} quantile mass`);
    } else {
      const s = f.stringStats;
      assert.ok(s, `${name} is a string`);
      assert.equal(s.commonStats.numMissing, o.missing, `${name} missing`);
      assert.equal(s.unique, o.unique, `${name} unique`);
      close(s.avgLength, o.avgLength as number, `${name} avgLength`);
      const top = o.top ?? [];
      assert.equal(s.topValues.length, Math.min(20, top.length));
      // Frequencies in order; values too where pandas' order is not a tie.
      assert.deepEqual(s.topValues.map((t) => t.frequency), top.slice(0, 20).map(([, c]) => c), `${name} top frequencies`);
      const counts = new Map(top);
      for (const t of s.topValues) assert.equal(counts.get(t.value), t.frequency, `${name} count of ${t.value}`);
      assert.equal(s.rankHistogram?.buckets.length, Math.min(1000, top.length));
    }
  }
}

test('penguins.csv: statistics agree with pandas and the known facts', async () => {
  const stats = await computeStatistics(penguins);
  compareWithPandas(stats, pandasOracle(penguins), 344);
  // PROVENANCE.md: 19 empty cells, sex 11 missing; species Adelie 152, Gentoo 124, Chinstrap 68.
  const missing = stats.features.reduce((s, f) => s + (f.numStats ?? f.stringStats)!.commonStats.numMissing, 0);
  assert.equal(missing, 19);
  assert.equal(feature(stats, 'sex').stringStats?.commonStats.numMissing, 11);
  assert.deepEqual(feature(stats, 'species').stringStats?.topValues, [
    { value: 'Adelie', frequency: 152 },
    { value: 'Gentoo', frequency: 124 },
    { value: 'Chinstrap', frequency: 68 },
  ]);
});

test('seattle-weather.csv: statistics agree with pandas and with DuckDB SUMMARIZE', async () => {
  const stats = await computeStatistics(seattle);
  const oracle = pandasOracle(seattle);
  // pandas reads `date` as text, DuckDB as DATE; both are strings to TFDV.
  compareWithPandas(stats, oracle, 1461);
  const summary = await withConnection((conn) => queryRows(conn, `SUMMARIZE SELECT * FROM read_csv('${seattle}')`));
  for (const row of summary) {
    const name = String(row.column_name);
    const f = feature(stats, name);
    if (!f.numStats) continue;
    close(f.numStats.mean, Number(row.avg), `${name} avg (SUMMARIZE)`);
    const n = f.numStats.commonStats.numNonMissing;
    // SUMMARIZE's std is the sample std; TFDV's is the population std.
    close(f.numStats.stdDev * Math.sqrt(n / (n - 1)), Number(row.std), `${name} std (SUMMARIZE)`, 1e-6);
    close(f.numStats.min, Number(row.min), `${name} min (SUMMARIZE)`);
    close(f.numStats.max, Number(row.max), `${name} max (SUMMARIZE)`);
  }
  assert.deepEqual(
    Object.fromEntries(feature(stats, 'weather').stringStats!.topValues.map((t) => [t.value, t.frequency])),
    { rain: 641, sun: 640, fog: 101, drizzle: 53, snow: 26 },
  );
});

test('flights-3m.parquet: statistics agree with quantile_cont, SUMMARIZE and the known facts', { skip: !existsSync(flights) }, async () => {
  const stats = await computeStatistics(flights);
  assert.equal(stats.numExamples, 3_000_000);
  const delay = feature(stats, 'delay').numStats!;
  assert.equal(delay.mean, 6.667867666666667);
  assert.equal(delay.median, -1);
  for (const f of stats.features) assert.equal((f.numStats ?? f.stringStats)!.commonStats.numMissing, 0, `${f.name} has no empty cells`);
  assert.equal(feature(stats, 'origin').stringStats?.unique, 229);
  assert.equal(feature(stats, 'destination').stringStats?.unique, 228);
  const oracle = await withConnection(async (conn) => {
    const q = await queryRows(conn, `SELECT quantile_cont(delay, [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]) AS q, quantile_cont(delay, [0.25, 0.5, 0.75]) AS quartiles, stddev_pop(distance) AS sd, count_if(delay = 0) AS z FROM '${flights}'`);
    const s = await queryRows(conn, `SUMMARIZE SELECT delay, distance FROM '${flights}'`);
    const top = await queryRows(conn, `SELECT origin, count(*) AS n FROM '${flights}' GROUP BY origin ORDER BY n DESC, origin LIMIT 20`);
    return { q: q[0]!, s, top };
  });
  // PROVENANCE.md: quartiles of delay (quantile_cont) −9, −1, 11.
  assert.deepEqual((oracle.q.quartiles as number[]).map(Number), [-9, -1, 11]);
  const deciles = (oracle.q.q as number[]).map(Number);
  const quantiles = delay.histograms.find((h) => h.type === 'QUANTILES')!;
  assert.deepEqual([quantiles.buckets[0]!.lowValue, ...quantiles.buckets.map((b) => b.highValue)], deciles);
  assert.equal(delay.numZeros, num(oracle.q.z));
  close(feature(stats, 'distance').numStats!.stdDev, Number(oracle.q.sd), 'distance std');
  for (const row of oracle.s) {
    const n = feature(stats, String(row.column_name)).numStats!;
    close(n.mean, Number(row.avg), `${row.column_name} avg`);
    close(n.min, Number(row.min), `${row.column_name} min`);
    close(n.max, Number(row.max), `${row.column_name} max`);
  }
  const standard = delay.histograms.find((h) => h.type === 'STANDARD')!;
  assert.equal(standard.buckets.reduce((s, b) => s + b.sampleCount, 0), 3_000_000);
  assert.deepEqual(
    feature(stats, 'origin').stringStats!.topValues.map((t) => [t.value, t.frequency]),
    oracle.top.map((r) => [String(r.origin), num(r.n)]),
  );
});

test('a sample gives a quick first look: the requested number of rows, the same each time', async () => {
  const a = await computeStatistics(flights, { sampleRows: 5000 });
  const b = await computeStatistics(flights, { sampleRows: 5000 });
  assert.equal(a.numExamples, 5000);
  assert.deepEqual(a, b);
  // Close to the exact mean delay (6.67; the std is 32, so a 5000-row sample is within ~2).
  assert.ok(Math.abs(feature(a, 'delay').numStats!.mean - 6.667867666666667) < 3);
});

test('an aborted signal cancels the computation', async () => {
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(computeStatistics(flights, { signal: ac.signal }), (e: Error) => e.name === 'CancelledError');
  const ac2 = new AbortController();
  const p = computeStatistics(flights, { signal: ac2.signal });
  setTimeout(() => ac2.abort(), 50);
  await assert.rejects(p, (e: Error) => e.name === 'CancelledError');
});

test('Parquet histograms counted in the first pass (footer ranges) equal the two-pass ones (NaN, FLOAT and DECIMAL footers, a constant and an empty column)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-stats-footer-'));
  try {
    await withConnection(async (conn) => {
      await conn.run('SELECT setseed(0.42)');
      const cols = [
        'random() * 1000 - 300 AS d', // a plain double
        'CAST(floor(random() * 50) AS BIGINT) AS i', // integers: values fall on the edges
        "CASE WHEN random() < 0.01 THEN 'nan'::DOUBLE ELSE random() END AS f", // NaN in the column
        '7.5 AS c', // one value: one bucket
        'CAST(NULL AS DOUBLE) AS z', // no values: no histogram
        "CASE WHEN random() < 0.1 THEN NULL ELSE CAST(random() * 3 AS FLOAT) END AS g", // FLOAT: the footer prints float32 values
        'CAST(random() * 100 AS DECIMAL(9, 3)) AS m', // DECIMAL: the footer holds unscaled integers (a range that is not the values')
      ];
      for (const part of [0, 1]) {
        await conn.run(`COPY (SELECT ${cols.join(', ')} FROM range(${part ? 50_000 : 100_000})) TO '${path.join(dir, `part-${part}.parquet`)}' (FORMAT parquet, ROW_GROUP_SIZE 20000)`);
      }
    });
    const glob = path.join(dir, '*.parquet');
    const fromFile = await computeStatistics(glob);
    // A relation has no footer: every histogram takes the second pass.
    const fromRelation = await computeStatistics({ relation: `SELECT * FROM read_parquet('${glob}')` }, { name: fromFile.name });
    assert.equal(fromFile.numExamples, 150_000);
    for (const name of ['d', 'i', 'f', 'c', 'z', 'g', 'm']) {
      const a = feature(fromFile, name).numStats!;
      const b = feature(fromRelation, name).numStats!;
      assert.deepEqual(a.histograms, b.histograms, `${name} histograms`);
    }
    const counts = (name: string): number[] => feature(fromFile, name).numStats!.histograms.find((h) => h.type === 'STANDARD')!.buckets.map((b) => b.sampleCount);
    assert.equal(counts('d').length, 10);
    assert.equal(counts('d').reduce((s, x) => s + x, 0), 150_000);
    assert.deepEqual(counts('c'), [150_000]);
    assert.deepEqual(counts('z'), []);
    // The integer histogram against an independent count: bucket = floor((x − min)·10 / (max − min)), the last closed.
    const oracle = await withConnection((conn) =>
      queryRows(conn, `SELECT least(CAST(floor((i - 0) * 10.0 / 49) AS BIGINT), 9) AS b, count(*) AS n FROM read_parquet('${glob}') GROUP BY b ORDER BY b`),
    );
    assert.deepEqual(counts('i'), oracle.map((r) => num(r.n)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('equal-width histograms count each value in the bucket [lo, hi) its edges give (the last closed), also where edges round to the same double', async () => {
  // Values on every edge (integers 0…100 over 10 buckets), a range two doubles wide (edges that
  // collide), negatives, and a column whose edges are not representable in decimal.
  const eps = Number.EPSILON;
  const columns: Record<string, number[]> = {
    onEdges: Array.from({ length: 101 }, (_, i) => i),
    narrow: [1, 1, 1 + eps, 1 + 2 * eps, 1 + 2 * eps, 1 + eps],
    negative: [-5, -4.5, -4, -3.25, -2, -1, -0.5, 0, -5, -1e-300],
    thirds: Array.from({ length: 30 }, (_, i) => i / 3 - 2),
  };
  for (const [name, values] of Object.entries(columns)) {
    const rows = values.map((v) => `(CAST('${v}' AS DOUBLE))`).join(', ');
    const stats = await computeStatistics({ relation: `SELECT * FROM (VALUES ${rows}) t(${name})` }, { name });
    const buckets = feature(stats, name).numStats!.histograms.find((h) => h.type === 'STANDARD')!.buckets;
    assert.equal(buckets.length, 10, `${name}: 10 buckets`);
    // The oracle: each value's bucket found by comparing it with the reported edges.
    const expected = buckets.map((b, i) => values.filter((v) => v >= b.lowValue && (i === buckets.length - 1 ? v <= b.highValue : v < b.highValue)).length);
    assert.deepEqual(buckets.map((b) => b.sampleCount), expected, `${name} counts`);
    assert.equal(expected.reduce((s, x) => s + x, 0), values.length, `${name}: every value in a bucket`);
  }
});
