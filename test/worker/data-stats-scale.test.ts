/**
 * Statistics at scale: above a size, quantiles come from DuckDB's T-Digest sketch; this checks
 * its documented error bound (each quantile within 1% of rank of its target, the ends exact)
 * against the exact empirical CDF computed by DuckDB, on 2M rows of uniform, normal, heavy-tailed
 * and integer data, and that everything else matches the exact computation. Also: the DuckDB
 * instance runs within a memory limit and spills to its own temp folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { queryRows, quoteLiteral, withConnection } from '../../src/engine/duckdb';
import { computeStatistics } from '../../src/engine/stats/computeStatistics';

const ROWS = 2_000_000;

test('above the threshold, quantiles come from the sketch within 1% of rank; the rest is unchanged', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-scale-'));
  const file = path.join(dir, 'big.parquet');
  try {
    await withConnection(async (c) => {
      await c.run('SELECT setseed(0.15)');
      await c.run(
        `COPY (SELECT random() AS u, sqrt(-2 * ln(random())) * cos(2 * pi() * random()) AS n, exp(4 * random() * random()) AS heavy,
                CAST(floor(random() * 1000) AS BIGINT) AS i, CASE WHEN random() < 0.05 THEN NULL ELSE random() END AS gaps
              FROM range(${ROWS})) TO ${quoteLiteral(file)} (FORMAT parquet)`,
      );
    });
    const exact = await computeStatistics(file, { exactQuantileValues: Infinity });
    const sketch = await computeStatistics(file, { exactQuantileValues: 0 });
    assert.equal(sketch.numExamples, ROWS);
    let compared = 0;
    for (const f of sketch.features) {
      const e = exact.features.find((x) => x.name === f.name);
      const s = f.numStats;
      const x = e?.numStats;
      assert.ok(s && x, f.name);
      // Everything but the quantiles is the exact computation's.
      for (const k of ['numZeros', 'min', 'max'] as const) assert.equal(s[k], x[k], `${f.name}.${k}`);
      // Parallel floating-point sums may differ in the last bits from run to run.
      for (const k of ['mean', 'stdDev'] as const) assert.ok(Math.abs(s[k] - x[k]) <= 1e-12 * Math.max(1, Math.abs(x[k])), `${f.name}.${k}: ${s[k]} vs ${x[k]}`);
      assert.deepEqual(s.histograms[0], x.histograms[0], `${f.name}: the equal-width histogram`);
      assert.deepEqual(s.commonStats, x.commonStats);
      const edges = [s.histograms[1]?.buckets[0]?.lowValue as number, ...(s.histograms[1]?.buckets.map((b) => b.highValue) ?? [])];
      assert.equal(edges.length, 11);
      assert.equal(edges[0], s.min, 'the first edge is the exact min');
      assert.equal(edges[10], s.max, 'the last edge is the exact max');
      // Rank of each sketch quantile in the real data (DuckDB counts), against its target.
      const targets = [...edges.map((v, i) => ({ q: i / 10, v })), { q: 0.5, v: s.median }];
      const sql = `SELECT count(${f.name}) AS n, ${targets.map((t, i) => `count_if(${f.name} <= ${t.v}) AS le${i}, count_if(${f.name} < ${t.v}) AS lt${i}`).join(', ')} FROM read_parquet(${quoteLiteral(file)})`;
      const r = (await withConnection((c) => queryRows(c, sql)))[0] ?? {};
      const n = Number(r.n);
      targets.forEach((t, i) => {
        // The value's rank interval [lt, le] / n must come within 1% of q.
        const lo = Number(r[`lt${i}`]) / n;
        const hi = Number(r[`le${i}`]) / n;
        const err = t.q < lo ? lo - t.q : t.q > hi ? t.q - hi : 0;
        assert.ok(err <= 0.01, `${f.name} q=${t.q}: value ${t.v} has rank ${lo}..${hi} (error ${err})`);
        compared++;
      });
      // And the sketch is really in use (exact and sketch medians differ somewhere, or the test proves nothing).
    }
    assert.equal(compared, 5 * 12);
    const differs = sketch.features.some((f) => f.numStats?.median !== exact.features.find((x) => x.name === f.name)?.numStats?.median);
    assert.ok(differs, 'the sketch was not used');
    // A relation (as the editor's worker describes a file) takes the sketch from the row count it is given.
    const relation = { relation: `SELECT * FROM read_parquet(${quoteLiteral(file)})` };
    const viaRelation = await computeStatistics(relation, { rows: ROWS, exactQuantileValues: ROWS, parquetFiles: [file] });
    const sketched = (s: typeof exact): boolean => s.features.some((f) => f.numStats?.median !== exact.features.find((x) => x.name === f.name)?.numStats?.median);
    assert.ok(sketched(viaRelation), 'a relation with a known row count above the threshold uses the sketch');
    assert.ok(!sketched(await computeStatistics(relation, { exactQuantileValues: ROWS })), 'without a row count a relation stays exact');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('DuckDB runs within a memory limit and spills to its own folder under the temp folder', async () => {
  const r = (await withConnection((c) => queryRows(c, "SELECT current_setting('memory_limit') AS m, current_setting('temp_directory') AS t")))[0] ?? {};
  assert.match(String(r.m), /^(953\.6 MiB|1000\.0 MiB|1\.0 GiB|976\.5 MiB)$/);
  assert.equal(String(r.t), path.join(os.tmpdir(), `pipewise-duckdb-spill-${process.pid}`));
});
