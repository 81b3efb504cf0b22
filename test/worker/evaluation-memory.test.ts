/**
 * The Evaluator streams: it holds numbers per eval row, not the rows. Eval splits of 50 thousand and
 * 400 thousand rows (generated at test time in a temp folder, never committed) are evaluated in child
 * processes whose JS heap is capped at 96 MB; each one's peak RSS is measured by the kernel
 * (`process.resourceUsage().maxRSS`). Holding every row as JS objects, as the Evaluator once did
 * (2.4 GB on 1.6 million rows), dies under the cap on 400 thousand rows and grows by 356 MB between the two.
 * The metrics are checked against DuckDB computing the same model's accuracy in SQL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { num, queryRows, withConnection } from '../../src/engine/duckdb';
import { type EvaluationFile, PREDICTIONS_MAX_ROWS } from '../../src/engine/components/evaluator';
import { tempDir } from './tf-helpers';

const child = path.join(__dirname, 'evaluation-memory-child.ts');
const SMALL = 50_000;
const LARGE = 400_000;
const HEAP_CAP_MB = 96;

/** Penguin-like eval examples of `rows` rows, written by DuckDB. */
async function generate(dir: string, rows: number): Promise<string> {
  mkdirSync(path.join(dir, 'Split-eval'), { recursive: true });
  const file = path.join(dir, 'Split-eval', 'data.parquet');
  await withConnection(async (c) => {
    await c.run(
      `COPY (SELECT ['Adelie', 'Gentoo', 'Chinstrap'][1 + (hash(i) % 3)::INT] AS species, ['Biscoe', 'Dream', 'Torgersen'][1 + (hash(i * 7) % 3)::INT] AS island, ` +
        `30 + (hash(i * 13) % 3000) / 100.0 AS bill_length_mm, 13 + (hash(i * 17) % 900) / 100.0 AS bill_depth_mm, 170 + (hash(i * 19) % 60)::BIGINT AS flipper_length_mm, ` +
        `CASE WHEN i % 97 = 0 THEN NULL ELSE 2700 + (hash(i * 23) % 3600)::BIGINT END AS body_mass_g ` +
        `FROM range(${rows}) t(i)) TO '${file}' (FORMAT parquet)`,
    );
  });
  return file;
}

function evaluateInChild(examples: string): { maxRssBytes: number; metrics: EvaluationFile; predictions: { rows: number; scores: number; sampled_from?: number } } {
  const stdout = execFileSync(process.execPath, [`--max-old-space-size=${HEAP_CAP_MB}`, '--import', 'tsx', child, examples], { encoding: 'utf8', timeout: 300_000, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop() as string) as { maxRssBytes: number; metrics: EvaluationFile; predictions: { rows: number; scores: number; sampled_from?: number } };
}

/** The fixtures' species model (the argmax of its three logits) scored by DuckDB: accuracy overall and per island. */
async function sqlAccuracy(file: string): Promise<Map<string, { n: number; accuracy: number }>> {
  const a = '(44 - bill_length_mm) / 3';
  const b = '(bill_length_mm - 44) / 3 + (bill_depth_mm - 16) / 2';
  const c = '(bill_length_mm - 44) / 4 - (bill_depth_mm - 16)';
  const predicted = `CASE WHEN ${a} >= ${b} AND ${a} >= ${c} THEN 'Adelie' WHEN ${b} >= ${c} THEN 'Chinstrap' ELSE 'Gentoo' END`;
  const rows = await withConnection((conn) =>
    queryRows(conn, `SELECT coalesce(island, '') AS slice, count(*) AS n, avg((${predicted} = species)::INT) AS accuracy FROM '${file}' GROUP BY ROLLUP (island)`),
  );
  return new Map(rows.map((r) => [String(r.slice), { n: num(r.n), accuracy: num(r.accuracy) }]));
}

test(`the Evaluator's peak memory on ${LARGE} eval rows is that of ${SMALL}`, { timeout: 600_000 }, async (t) => {
  const root = tempDir('pw-eval-mem-');
  try {
    await generate(path.join(root, 'small'), SMALL);
    const largeFile = await generate(path.join(root, 'large'), LARGE);
    const a = evaluateInChild(path.join(root, 'small'));
    const b = evaluateInChild(path.join(root, 'large'));
    const mb = (x: number): string => `${(x / 2 ** 20).toFixed(0)} MiB`;
    t.diagnostic(`peak RSS: ${mb(a.maxRssBytes)} for ${SMALL} rows, ${mb(b.maxRssBytes)} for ${LARGE} rows`);
    // Eight times the rows: the growth is DuckDB's ordered read and the per-row numbers (labels, scores, slice rows).
    assert.ok(b.maxRssBytes < a.maxRssBytes + 128 * 2 ** 20, `peak RSS ${mb(b.maxRssBytes)} for ${LARGE} rows vs ${mb(a.maxRssBytes)} for ${SMALL}`);

    const file = b.metrics;
    const oracle = await sqlAccuracy(largeFile);
    const overall = oracle.get('') as { n: number; accuracy: number };
    assert.equal(file.slices[0]?.metrics.example_count, LARGE);
    assert.equal(overall.n, LARGE);
    assert.ok(Math.abs((file.slices[0]?.metrics.accuracy as number) - overall.accuracy) < 1e-9, `accuracy ${file.slices[0]?.metrics.accuracy} vs DuckDB ${overall.accuracy}`);
    for (const s of file.slices.slice(1)) {
      const want = oracle.get(String(s.slice.island)) as { n: number; accuracy: number };
      assert.equal(s.metrics.example_count, want.n, JSON.stringify(s.slice));
      assert.ok(Math.abs((s.metrics.accuracy as number) - want.accuracy) < 1e-9, `${JSON.stringify(s.slice)}: ${s.metrics.accuracy} vs ${want.accuracy}`);
    }
    assert.equal(file.slices.length, 4);
    // predictions.json (the curves) keeps an evenly spaced PREDICTIONS_MAX_ROWS and says of how many.
    assert.deepEqual(b.predictions, { rows: PREDICTIONS_MAX_ROWS, scores: PREDICTIONS_MAX_ROWS, sampled_from: LARGE });
    assert.deepEqual(a.predictions, { rows: SMALL, scores: SMALL });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
