/**
 * The SQL box's sandboxed DuckDB: it runs within the engine's memory limit, a PIVOT (one statement
 * that DuckDB expands into two) runs and agrees with a GROUP BY, a PIVOT followed by a write is
 * still refused, and a filter value that does not fit its column's type names the column and the
 * value. DuckDB's own GROUP BY on the same file is the oracle.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { WorkerClient } from '../../src/worker/client';
import { PreviewRows, RunQuery, type DataSource, type QueryResult } from '../../src/protocol/data';
import { queryRows, quoteLiteral, withConnection } from '../../src/engine/duckdb';

const root = path.resolve(__dirname, '../..');
const worker = new WorkerClient({ workerPath: path.join(root, 'out/worker.js'), env: { ...process.env, PIPEWISE_DUCKDB_MEMORY_LIMIT: '700MB' } });
const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-sql-box-'));
const penguins = path.join(dir, 'penguins.csv');
copyFileSync(path.join(root, 'test/fixtures/penguins.csv'), penguins);
after(() => {
  worker.shutdown();
  rmSync(dir, { recursive: true, force: true });
});
const source: DataSource = { kind: 'file', path: penguins };

test('the SQL box runs within the engine\'s memory limit', async () => {
  const r: QueryResult = await worker.request(RunQuery, { source, sql: "SELECT current_setting('memory_limit') AS m" });
  assert.ok(r.ok, JSON.stringify(r));
  // DuckDB shows 700MB as 667.5 MiB.
  assert.equal(r.ok && r.rows[0]?.[0], '667.5 MiB');
});

test('PIVOT runs as the one statement it is, and agrees with GROUP BY; a write after it is refused', async () => {
  const r: QueryResult = await worker.request(RunQuery, { source, sql: 'PIVOT data ON island USING count(*) GROUP BY species ORDER BY species' });
  assert.ok(r.ok, JSON.stringify(r));
  const expected = await withConnection((c) => queryRows(c, `SELECT species, island, count(*) AS n FROM read_csv(${quoteLiteral(penguins)}, nullstr=['NA']) GROUP BY ALL`));
  if (!r.ok) return;
  const col = (name: string): number => r.columns.findIndex((c) => c.name === name);
  for (const e of expected) {
    const row: readonly unknown[] | undefined = r.rows.find((x) => x[col('species')] === String(e.species));
    assert.equal(Number(row?.[col(String(e.island))]), Number(e.n), `${String(e.species)} on ${String(e.island)}`);
  }
  const smuggled: QueryResult = await worker.request(RunQuery, { source, sql: `PIVOT data ON island USING count(*); COPY (SELECT 1) TO ${quoteLiteral(path.join(dir, 'x.csv'))}` });
  assert.equal(smuggled.ok, false);
});

test('a filter value of the wrong type names the column and the value', async () => {
  const filtered: DataSource = { kind: 'file', path: penguins, where: [{ column: 'bill_length_mm', op: '>', value: 'long' }] };
  await assert.rejects(worker.request(PreviewRows, { source: filtered, offset: 0, limit: 5 }), (e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    assert.match(message, /bill_length_mm/);
    assert.match(message, /'long'|"long"/);
    assert.doesNotMatch(message, /SET VARIABLE|CAST\(\$1/);
    return true;
  });
});
