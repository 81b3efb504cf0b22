/**
 * Transform streams: its peak memory does not grow with the number of rows. A generated dataset
 * (5 million rows, made at test time in a temp folder, never committed) and one a twentieth of its size
 * are transformed in child processes whose JS heap is capped; each one's peak RSS is measured by the
 * kernel (`process.resourceUsage().maxRSS`). Holding every row as JS objects, as Transform once did,
 * needs gigabytes for 5 million rows and dies under the cap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { num, queryRows, withConnection } from '../../src/engine/duckdb';
import { tempDir } from './tf-helpers';

const child = path.join(__dirname, 'tf-transform-memory-child.ts');
const HEAP_CAP_MB = 256;

/** Penguin-like examples of `rows` rows, split 2:1, written by DuckDB. */
async function generate(dir: string, rows: number): Promise<void> {
  await withConnection(async (c) => {
    for (const [split, where] of [['train', 'i % 3 <> 0'], ['eval', 'i % 3 = 0']] as const) {
      mkdirSync(path.join(dir, `Split-${split}`), { recursive: true });
      await c.run(
        `COPY (SELECT ['Adelie', 'Gentoo', 'Chinstrap'][1 + (hash(i) % 3)::INT] AS species, ['Biscoe', 'Dream', 'Torgersen'][1 + (hash(i * 7) % 3)::INT] AS island, ` +
          `30 + (hash(i * 13) % 3000) / 100.0 AS bill_length_mm, 13 + (hash(i * 17) % 900) / 100.0 AS bill_depth_mm, 170 + (hash(i * 19) % 60)::BIGINT AS flipper_length_mm, ` +
          `CASE WHEN i % 97 = 0 THEN NULL ELSE 2700 + (hash(i * 23) % 3600)::BIGINT END AS body_mass_g ` +
          `FROM range(${rows}) t(i) WHERE ${where}) TO '${path.join(dir, `Split-${split}`, 'data.parquet')}' (FORMAT parquet)`,
      );
    }
  });
}

function transformInChild(examples: string): { maxRssBytes: number; out: string } {
  const stdout = execFileSync(process.execPath, [`--max-old-space-size=${HEAP_CAP_MB}`, '--import', 'tsx', child, examples], { encoding: 'utf8', timeout: 900_000, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop() as string) as { maxRssBytes: number; out: string };
}

test('Transform of 5 million rows runs under a capped heap with the peak RSS of 250 thousand', { timeout: 1_800_000 }, async (t) => {
  const root = tempDir('pw-mem-data-');
  try {
    const small = path.join(root, 'small');
    const large = path.join(root, 'large');
    await generate(small, 250_000);
    await generate(large, 5_000_000);
    const a = transformInChild(small);
    const b = transformInChild(large);
    const mb = (x: number): string => `${(x / 2 ** 20).toFixed(0)} MiB`;
    t.diagnostic(`peak RSS: ${mb(a.maxRssBytes)} for 250k rows, ${mb(b.maxRssBytes)} for 5M rows (heap cap ${HEAP_CAP_MB} MB)`);
    // Twenty times the rows, the same memory (a margin for allocator noise), and well under a gigabyte.
    assert.ok(b.maxRssBytes < a.maxRssBytes * 1.3 + 64 * 2 ** 20, `peak RSS ${mb(b.maxRssBytes)} for 5M rows vs ${mb(a.maxRssBytes)} for 250k`);
    assert.ok(b.maxRssBytes < 1024 * 2 ** 20, `peak RSS ${mb(b.maxRssBytes)}`);
    // Every row transformed, in order, with the z-score fitted on train: DuckDB checks the output.
    await withConnection(async (c) => {
      for (const split of ['train', 'eval']) {
        const input = path.join(large, `Split-${split}`, 'data.parquet');
        const output = path.join(b.out, `Split-${split}`, 'data.parquet');
        const [r] = await queryRows(
          c,
          `SELECT (SELECT count(*) FROM '${input}') AS n_in, (SELECT count(*) FROM '${output}') AS n_out, ` +
            `(SELECT avg(bill_length_mm) FROM '${output}') AS mean, (SELECT stddev_pop(bill_length_mm) FROM '${output}') AS std, ` +
            `(SELECT count(*) FROM (SELECT species, row_number() OVER () AS k FROM '${input}') i JOIN (SELECT species, row_number() OVER () AS k FROM '${output}') o USING (k) ` +
            `WHERE o.species <> ['Adelie', 'Chinstrap', 'Gentoo'].list_position(i.species) - 1) AS label_mismatches`,
        );
        assert.equal(num(r?.n_out), num(r?.n_in), split);
        assert.equal(num(r?.label_mismatches), 0, `${split}: labels row for row`);
        if (split === 'train') {
          assert.ok(Math.abs(num(r?.mean)) < 1e-6, `train mean ${num(r?.mean)}`);
          assert.ok(Math.abs(num(r?.std) - 1) < 1e-6, `train std ${num(r?.std)}`);
        }
      }
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
