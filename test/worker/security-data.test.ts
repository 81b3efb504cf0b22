/**
 * Issue 18, the data panels' requests under hostile input: a row filter is data (column, operator,
 * value), never SQL text; the SQL box runs read statements only and keeps DuckDB's temp files in a
 * private folder. Real worker process, real DuckDB; row counts checked against DuckDB run here.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { DuckDBInstance } from '@duckdb/node-api';
import { WorkerClient } from '../../src/worker/client';
import { ComputeStatistics, GetFeatureDetail, PreviewRows, RunQuery, type DataSource, type QueryResult } from '../../src/protocol/data';

const root = path.resolve(__dirname, '../..');
const penguinsFixture = path.join(root, 'test/fixtures/penguins.csv');
const NULLS = "nullstr=['', 'NA', 'N/A', 'NaN', 'null', 'NULL']";
const INJECTION = "false UNION ALL SELECT * FROM read_csv('/etc/passwd', sep=':', header=false, all_varchar=true)";

const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-sec-data-'));
// The worker's working folder, where a relative path in SQL would write: its own, so the test sees
// every file that appears in it (the repository's root, where the package layer writes VSIXs at the
// same time, was checked before: it raced, and it was not the worker's folder).
const workDir = mkdtempSync(path.join(os.tmpdir(), 'pw-sec-cwd-'));
const worker = new WorkerClient({ workerPath: path.join(root, 'out/worker.js'), cwd: workDir });
const penguins = path.join(dir, 'penguins.csv');
copyFileSync(penguinsFixture, penguins);
after(() => {
  worker.shutdown();
  rmSync(dir, { recursive: true, force: true });
  rmSync(workDir, { recursive: true, force: true });
});

async function oracleCount(where: string): Promise<number> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return Number((await c.runAndReadAll(`SELECT count(*) FROM read_csv('${penguinsFixture}', ${NULLS}) WHERE ${where}`)).getRowsJson()[0]?.[0]);
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

test('a row filter given as SQL text is refused by every panel request, and reads nothing', async () => {
  const source = { kind: 'file', path: penguins, where: INJECTION } as unknown as DataSource;
  await assert.rejects(worker.request(PreviewRows, { source, offset: 0, limit: 5 }), /where.*must be a list of \{ column, op, value \}/);
  await assert.rejects(worker.request(ComputeStatistics, { source, sampleRows: 0 }), /must be a list/);
  await assert.rejects(worker.request(GetFeatureDetail, { source, feature: 'species' }), /must be a list/);
  const q = await worker.request(RunQuery, { source, sql: 'SELECT count(*) FROM data' }).catch((e: Error) => e);
  assert.ok(q instanceof Error && /must be a list/.test(q.message), String(q));
});

test('structured filters: the hostile text is only a value, a hostile column name is no column', async () => {
  // The injection as a value compares as a string: no row has that species, and /etc/passwd is not read.
  const asValue: DataSource = { kind: 'file', path: penguins, where: [{ column: 'species', op: '=', value: INJECTION }] };
  const r = await worker.request(PreviewRows, { source: asValue, offset: 0, limit: 50 });
  assert.equal(r.totalRows, 0);
  assert.deepEqual(r.rows, []);
  const asColumn: DataSource = { kind: 'file', path: penguins, where: [{ column: `species" = 'x' OR ${INJECTION} --`, op: 'is null' }] };
  await assert.rejects(worker.request(PreviewRows, { source: asColumn, offset: 0, limit: 5 }), /no column/);
  // A value that does not fit the column's type is an error, not SQL.
  const numeric: DataSource = { kind: 'file', path: penguins, where: [{ column: 'bill_length_mm', op: '>', value: '1 OR 1=1' }] };
  await assert.rejects(worker.request(PreviewRows, { source: numeric, offset: 0, limit: 5 }), /Could not convert string '1 OR 1=1'/);
});

test('structured filters filter: preview, statistics and feature detail agree with DuckDB', async () => {
  const where = [
    { column: 'island', op: 'in', value: ['Dream', 'Biscoe'] },
    { column: 'bill_length_mm', op: '>=', value: 45 },
    { column: 'sex', op: 'is not null' },
  ] as const;
  const source: DataSource = { kind: 'file', path: penguins, where };
  const expected = await oracleCount(`island IN ('Dream', 'Biscoe') AND bill_length_mm >= 45 AND sex IS NOT NULL`);
  assert.ok(expected > 50 && expected < 344, `oracle count ${expected}`);
  const preview = await worker.request(PreviewRows, { source, offset: 0, limit: 1000 });
  assert.equal(preview.totalRows, expected);
  assert.ok(preview.rows.every((row) => (row[1] === 'Dream' || row[1] === 'Biscoe') && Number(row[2]) >= 45 && row[6] !== null));
  const stats = await worker.request(ComputeStatistics, { source, sampleRows: 0 });
  assert.equal(stats.rows, expected);
  const detail = await worker.request(GetFeatureDetail, { source, feature: 'bill_length_mm' });
  assert.equal(detail.numNonMissing + detail.numMissing, expected);
  const notIn: DataSource = { kind: 'file', path: penguins, where: [{ column: 'island', op: 'not in', value: ['Dream', 'Biscoe'] }] };
  assert.equal((await worker.request(PreviewRows, { source: notIn, offset: 0, limit: 1 })).totalRows, await oracleCount(`island NOT IN ('Dream', 'Biscoe')`));
  // The SQL box sees the filtered rows as `data`.
  const q = await worker.request(RunQuery, { source, sql: 'SELECT count(*) AS n FROM data' });
  assert.ok(q.ok, JSON.stringify(q));
  if (q.ok) assert.deepEqual(q.rows, [[expected]]);
});

test('the SQL box is read-only: every write form is refused and nothing in the folder changes', async () => {
  const source: DataSource = { kind: 'file', path: penguins };
  const before = readFileSync(penguins, 'utf8');
  const listing = readdirSync(dir).sort();
  const cwdListing = readdirSync(workDir).sort();
  const writes = [
    `COPY (SELECT 1 AS x) TO '${penguins}'`,
    `COPY (SELECT * FROM data) TO '${path.join(dir, 'out.parquet')}' (FORMAT parquet)`,
    `ATTACH '${path.join(dir, 'new.db')}' AS n`,
    `EXPORT DATABASE '${path.join(dir, 'exported')}'`,
    `CREATE TABLE t AS SELECT * FROM data`,
    `CREATE OR REPLACE TEMP VIEW data AS SELECT 1`,
    `INSTALL httpfs`,
    `LOAD httpfs`,
    `SET memory_limit = '1GB'`,
    `SET VARIABLE pipewise_where_0 = 1`,
    `PRAGMA threads = 1`,
    `CALL pragma_version()`,
    `EXPLAIN ANALYZE COPY (SELECT 1) TO '${path.join(dir, 'explained.csv')}'`,
    `SELECT 1; COPY (SELECT 1 AS x) TO '${penguins}'`,
    `SELECT * FROM data LIMIT 1; ATTACH '${path.join(dir, 'smuggled.db')}'`,
  ];
  // (INSERT INTO the view `data` fails in DuckDB's binder before the read-only check can see it.)
  for (const sql of writes) {
    const r: QueryResult = await worker.request(RunQuery, { source, sql });
    assert.equal(r.ok, false, `${sql} ran`);
    if (!r.ok) assert.match(r.message, /read-only|one statement at a time/, sql);
  }
  assert.equal(readFileSync(penguins, 'utf8'), before, 'the data file changed');
  assert.deepEqual(readdirSync(dir).sort(), listing, 'a file appeared in the data folder');
  assert.deepEqual(readdirSync(workDir).sort(), cwdListing, "a file appeared in the worker's working folder");
  // Reads still run: SELECT, FROM-first, WITH, SUMMARIZE, DESCRIBE.
  for (const sql of ['SELECT count(*) FROM data', 'FROM data LIMIT 2', 'WITH a AS (SELECT * FROM data) SELECT count(*) FROM a', 'SUMMARIZE data', 'DESCRIBE data']) {
    const r: QueryResult = await worker.request(RunQuery, { source, sql });
    assert.ok(r.ok, `${sql}: ${JSON.stringify(r)}`);
  }
  // DuckDB's temp folder is a private one under the system temp folder, not the data's or the worker's.
  const t = await worker.request(RunQuery, { source, sql: "SELECT current_setting('temp_directory') AS t" });
  assert.ok(t.ok);
  const temp = String(t.ok ? t.rows[0]?.[0] : '');
  assert.ok(temp.startsWith(path.join(os.tmpdir(), 'pipewise-duckdb-')), temp);
});
