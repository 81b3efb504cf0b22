/**
 * ±Infinity in a FLOAT column, as TFDV treats it (basic_stats_generator + quantiles_util): min and
 * max are the infinities, the mean is np.mean of the non-NaN values (±Infinity, NaN when both
 * signs occur), the equal-width histogram spans the finite range with one bucket [-inf, -inf]
 * before it and one [inf, inf] after it, and quantiles count the infinities. Checked against
 * numpy (Debian's python3, found by oraclePython()) on CSV and Parquet, exact and sketched quantiles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { queryRows, quoteIdent, quoteLiteral, withConnection } from '../../src/engine/duckdb';
import { computeStatistics } from '../../src/engine/stats/computeStatistics';
import type { NumericStatistics } from '../../src/core/tfdv';
import { DEFAULT_NULL_STRINGS } from '../../src/core/components/dataComponents';
import { oraclePython } from '../python';

const ROWS = 200_000;

interface Oracle {
  nonMissing: number;
  nan: number;
  mean: number | string;
  std: number | string;
  min: number | string;
  max: number | string;
  median: number | string;
  zeros: number;
  negInf: number;
  posInf: number;
  edges: number[];
  hist: number[];
  /** Quantiles 0, 0.1, …, 1 by the definition (rank q(n-1), linear between neighbours). */
  quantiles: (number | string)[];
}

/**
 * numpy over Python's own reading of the CSV: a cell among `nulls` is missing, anything else is
 * float(text) ("nan", "inf", "-inf" included); non-finite figures come back as strings.
 */
function numpyOracle(csv: string, column: string, nulls: readonly string[]): Oracle {
  const code = `
import csv, json, math, sys, numpy as np
with open(sys.argv[1], newline='') as fh:
    nulls = set(json.loads(sys.argv[3]))
    a = np.array([float(r[sys.argv[2]]) for r in csv.DictReader(fh) if r[sys.argv[2]] not in nulls], dtype=float)
nan = int(np.isnan(a).sum()); v = a[~np.isnan(a)]; f = v[np.isfinite(v)]
with np.errstate(invalid='ignore'):
    mean = float(np.mean(v)); std = float(np.std(v))
counts, edges = np.histogram(f, bins=10)
srt = np.sort(v); n = len(srt)
def q(p):
    r = p * (n - 1); lo = math.floor(r); hi = math.ceil(r); lv = srt[lo]; hv = srt[hi]
    if lo == hi or lv == hv: return float(lv)
    if math.isinf(lv) and lv < 0: return float('-inf')
    if math.isinf(hv) and hv > 0: return float('inf')
    return float(lv + (hv - lv) * (r - lo))
fix = lambda x: x if math.isfinite(x) else str(x)
print(json.dumps({'nonMissing': int(len(a)), 'nan': nan, 'mean': fix(mean), 'std': fix(std), 'min': fix(float(v.min())), 'max': fix(float(v.max())),
  'median': fix(float(np.median(v))), 'zeros': int((v == 0).sum()), 'negInf': int(np.isneginf(v).sum()), 'posInf': int(np.isposinf(v).sum()),
  'edges': [float(e) for e in edges], 'hist': [int(c) for c in counts], 'quantiles': [fix(q(i / 10)) for i in range(11)]}))`;
  return JSON.parse(execFileSync(oraclePython(), ['-c', code, csv, column, JSON.stringify(nulls)], { encoding: 'utf8' })) as Oracle;
}

const value = (x: number | string): number => (x === 'inf' ? Infinity : x === '-inf' ? -Infinity : x === 'nan' ? Number.NaN : Number(x));

function close(actual: number, expected: number | string, what: string, tol = 1e-9): void {
  const e = value(expected);
  if (!Number.isFinite(e)) assert.ok(Object.is(actual, e), `${what}: ${actual}, numpy ${e}`);
  else assert.ok(Math.abs(actual - e) <= tol * Math.max(1, Math.abs(e)), `${what}: ${actual}, numpy ${e}`);
}

/** The figures that do not depend on how quantiles were found, against numpy. */
function checkAgainstNumpy(n: NumericStatistics | undefined, o: Oracle, what: string): void {
  assert.ok(n, `${what} is numeric`);
  assert.equal(n.commonStats.numNonMissing, o.nonMissing, `${what} non-missing`);
  close(n.mean, o.mean, `${what} mean`);
  close(n.stdDev, o.std, `${what} std`);
  close(n.min, o.min, `${what} min`);
  close(n.max, o.max, `${what} max`);
  assert.equal(n.numZeros, o.zeros, `${what} zeros`);
  const standard = n.histograms.find((h) => h.type === 'STANDARD');
  assert.equal(standard?.numNan, o.nan, `${what} NaN count`);
  const buckets = standard?.buckets ?? [];
  const expected = [
    ...(o.negInf > 0 ? [{ lowValue: -Infinity, highValue: -Infinity, sampleCount: o.negInf }] : []),
    ...o.hist.map((c, i) => ({ lowValue: o.edges[i] as number, highValue: o.edges[i + 1] as number, sampleCount: c })),
    ...(o.posInf > 0 ? [{ lowValue: Infinity, highValue: Infinity, sampleCount: o.posInf }] : []),
  ];
  assert.equal(buckets.length, expected.length, `${what} bucket count`);
  buckets.forEach((b, i) => {
    const e = expected[i];
    assert.ok(e);
    assert.equal(b.sampleCount, e.sampleCount, `${what} bucket ${i} count`);
    close(b.lowValue, e.lowValue, `${what} bucket ${i} low`);
    close(b.highValue, e.highValue, `${what} bucket ${i} high`);
  });
}

function quantileEdges(n: NumericStatistics): number[] {
  const q = n.histograms.find((h) => h.type === 'QUANTILES')?.buckets ?? [];
  return [q[0]?.lowValue as number, ...q.map((b) => b.highValue)];
}

test('±Infinity in a FLOAT column: statistics of CSV and Parquet as TFDV makes them, against numpy', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-inf-'));
  try {
    const csv = path.join(dir, 'inf.csv');
    const parquet = path.join(dir, 'inf.parquet');
    // both: -inf and +inf, NaN, gaps; pos: +inf only; plain: no infinity (unchanged behaviour).
    await withConnection(async (c) => {
      await c.run(
        `COPY (SELECT i AS id,
                CASE WHEN i % 20 = 3 THEN '-inf'::DOUBLE WHEN i % 20 = 7 THEN 'inf'::DOUBLE WHEN i % 97 = 5 THEN 'nan'::DOUBLE
                     WHEN i % 50 = 11 THEN NULL WHEN i % 331 = 0 THEN 0 ELSE sin(i) * 100 END AS both,
                CASE WHEN i % 9 = 4 THEN 'inf'::DOUBLE ELSE cos(i) * exp(i % 7) END AS pos,
                (i % 1000) / 10.0 AS plain
              FROM range(${ROWS}) t(i)) TO ${quoteLiteral(csv)} (HEADER)`,
      );
      await c.run(`COPY (SELECT * FROM read_csv(${quoteLiteral(csv)}, columns = {'id': 'BIGINT', 'both': 'DOUBLE', 'pos': 'DOUBLE', 'plain': 'DOUBLE'}, header = true))
                   TO ${quoteLiteral(parquet)} (FORMAT parquet)`);
    });
    // A CSV cell "nan" is missing (Pipewise's default null strings, as pandas reads it); in the
    // Parquet file (written by DuckDB's CSV reader with only the empty cell missing) it is NaN.
    const oraclesOf = (nulls: readonly string[]): Record<string, Oracle> => Object.fromEntries(['both', 'pos', 'plain'].map((c) => [c, numpyOracle(csv, c, nulls)]));
    const csvOracles = oraclesOf(DEFAULT_NULL_STRINGS);
    const parquetOracles = oraclesOf(['']);
    const both = parquetOracles.both;
    assert.ok(both && both.negInf > 0 && both.posInf > 0 && both.nan > 0, 'the data has the cases');

    const runs = [
      { what: 'CSV', stats: await computeStatistics(csv), oracles: csvOracles },
      { what: 'Parquet', stats: await computeStatistics(parquet), oracles: parquetOracles },
      { what: 'Parquet, sketched quantiles', stats: await computeStatistics(parquet, { exactQuantileValues: 0 }), oracles: parquetOracles },
    ];
    for (const { what, stats, oracles } of runs) {
      assert.equal(stats.numExamples, ROWS);
      for (const [name, o] of Object.entries(oracles)) {
        const n = stats.features.find((f) => f.name === name)?.numStats;
        assert.equal(stats.features.find((f) => f.name === name)?.type, 'FLOAT', `${what} ${name} type`);
        checkAgainstNumpy(n, o, `${what} ${name}`);
        if (!n) continue;
        const edges = quantileEdges(n);
        assert.equal(edges.length, 11);
        if (!what.includes('sketch')) {
          close(n.median, o.median, `${what} ${name} median`);
          edges.forEach((e, i) => close(e, o.quantiles[i] as number | string, `${what} ${name} quantile ${i / 10}`));
        }
      }
    }

    // The sketch: each quantile's rank interval in the real data within 1% of its target, infinities counted.
    const sketched = runs[2]?.stats;
    for (const name of ['both', 'pos']) {
      const n = sketched?.features.find((f) => f.name === name)?.numStats;
      assert.ok(n);
      const targets = [...quantileEdges(n).map((v, i) => ({ q: i / 10, v })), { q: 0.5, v: n.median }];
      const lit = (v: number): string => `CAST(${quoteLiteral(String(v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v))} AS DOUBLE)`;
      const c = quoteIdent(name);
      const sql = `SELECT count(${c}) FILTER (WHERE NOT isnan(${c})) AS n,
        ${targets.map((t, i) => `count_if(${c} <= ${lit(t.v)} AND NOT isnan(${c})) AS le${i}, count_if(${c} < ${lit(t.v)} AND NOT isnan(${c})) AS lt${i}`).join(', ')}
        FROM read_parquet(${quoteLiteral(parquet)})`;
      const r = (await withConnection((c) => queryRows(c, sql)))[0] ?? {};
      const total = Number(r.n);
      targets.forEach((t, i) => {
        assert.ok(!Number.isNaN(t.v), `sketch ${name} q=${t.q} is a number`);
        const lo = Number(r[`lt${i}`]) / total;
        const hi = Number(r[`le${i}`]) / total;
        const err = t.q < lo ? lo - t.q : t.q > hi ? t.q - hi : 0;
        assert.ok(err <= 0.01, `sketch ${name} q=${t.q}: value ${t.v} has rank ${lo}..${hi} (error ${err})`);
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
