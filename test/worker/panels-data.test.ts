/**
 * The data panels' worker requests on a real worker process with real DuckDB and real data, checked
 * against DuckDB's own SUMMARIZE / quantile_cont run here independently of the engine.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { DuckDBInstance } from '@duckdb/node-api';
import { sharedDir } from '../sharedDir';
import { WorkerClient, CancellationTokenSource } from '../../src/worker/client';
import {
  CompareDatasets,
  ComputeStatistics,
  GetFeatureDetail,
  PreviewRows,
  RunQuery,
  StatisticsProgress,
  type DataSource,
  type StatisticsProgressParams,
  statisticsFromWire,
} from '../../src/protocol/data';
import { featureName, type DatasetFeatureStatistics, type FeatureNameStatistics } from '../../src/core/tfdv';

const root = path.resolve(__dirname, '../..');
const workerPath = path.join(root, 'out/worker.js');
const penguins = path.join(root, 'test/fixtures/penguins.csv');
const seattle = path.join(root, 'test/fixtures/seattle-weather.csv');
const flights = sharedDir('data', 'flights-3m.parquet');
const NULLS = "nullstr=['', 'NA', 'N/A', 'NaN', 'null', 'NULL']";

const worker = new WorkerClient({ workerPath });
after(() => worker.shutdown());

async function oracle(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

function feature(d: DatasetFeatureStatistics, name: string): FeatureNameStatistics {
  const f = d.features.find((x) => featureName(x) === name);
  assert.ok(f, `feature ${name} in statistics`);
  return f;
}

/** Every numeric column agrees with SUMMARIZE (count, mean, std, min, max) and quantile_cont (median). */
async function checkAgainstSummarize(stats: DatasetFeatureStatistics, relation: string): Promise<number> {
  const summary = await oracle(`SUMMARIZE SELECT * FROM ${relation}`);
  let checked = 0;
  for (const s of summary) {
    const name = String(s.column_name);
    const f = feature(stats, name);
    const total = Number(s.count);
    const nonNull = Math.round(total * (1 - Number(s.null_percentage) / 100));
    if (!f.numStats) {
      assert.equal(f.stringStats?.commonStats.numNonMissing, nonNull, `${name} count`);
      continue;
    }
    const n = f.numStats.commonStats.numNonMissing;
    assert.equal(n, nonNull, `${name} count`);
    assert.equal(f.numStats.commonStats.numMissing, total - nonNull, `${name} missing`);
    assert.ok(Math.abs(f.numStats.mean - Number(s.avg)) < 1e-9 * Math.max(1, Math.abs(Number(s.avg))), `${name} mean ${f.numStats.mean} vs ${s.avg}`);
    // SUMMARIZE gives the sample standard deviation; TFDV's is the population one.
    const popStd = Number(s.std) * Math.sqrt((n - 1) / n);
    assert.ok(Math.abs(f.numStats.stdDev - popStd) < 1e-6 * Math.max(1, popStd), `${name} std ${f.numStats.stdDev} vs ${popStd}`);
    assert.equal(f.numStats.min, Number(s.min), `${name} min`);
    assert.equal(f.numStats.max, Number(s.max), `${name} max`);
    const [q] = await oracle(`SELECT quantile_cont(${JSON.stringify(name)}, 0.5) AS m FROM ${relation}`);
    assert.ok(Math.abs(f.numStats.median - Number(q?.m)) <= 1e-9 * Math.max(1, Math.abs(Number(q?.m))), `${name} median ${f.numStats.median} vs ${q?.m}`);
    checked++;
  }
  return checked;
}

test('statistics of penguins.csv agree with DuckDB SUMMARIZE', async () => {
  const r = await worker.request(ComputeStatistics, { source: { kind: 'file', path: penguins } });
  assert.equal(r.rows, 344);
  assert.equal(r.exact, true);
  const checked = await checkAgainstSummarize(r.statistics, `read_csv('${penguins}', ${NULLS})`);
  assert.equal(checked, 5); // four measurements and year
  const species = feature(r.statistics, 'species').stringStats;
  assert.deepEqual(species?.topValues.map((t) => [t.value, t.frequency]), [['Adelie', 152], ['Gentoo', 124], ['Chinstrap', 68]]);
  assert.equal(feature(r.statistics, 'sex').stringStats?.commonStats.numMissing, 11);
});

test('the result says when the median and quantiles are the sketch\'s: above exactQuantileValues, not below', async () => {
  const exact = await worker.request(ComputeStatistics, { source: { kind: 'file', path: penguins } });
  assert.equal(exact.approximateQuantiles, undefined, 'penguins (344 rows × 5 numeric columns) is far below the 20M default: exact');
  // 344 × 5 = 1,720 numeric values: above 1,000 the sketch describes them.
  const sketched = await worker.request(ComputeStatistics, { source: { kind: 'file', path: penguins }, exactQuantileValues: 1000 });
  assert.equal(sketched.approximateQuantiles, true);
  // The exact median against the sketch's: the same within the documented 1% of rank (of 342 values, ±4 ranks).
  const values = readFileSync(penguins, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[5])).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const median = feature(sketched.statistics, 'body_mass_g').numStats?.median ?? NaN;
  // Its rank, with ties: between the values below it and those at or below it.
  const below = values.filter((v) => v < median).length;
  const upTo = values.filter((v) => v <= median).length;
  const half = values.length / 2;
  const tolerance = Math.ceil(values.length * 0.01) + 1;
  assert.ok(below <= half + tolerance && upTo >= half - tolerance, `the sketch's median ${median} has ranks ${below}–${upTo} of ${values.length}`);
  const atThreshold = await worker.request(ComputeStatistics, { source: { kind: 'file', path: penguins }, exactQuantileValues: 1720 });
  assert.equal(atThreshold.approximateQuantiles, undefined, 'at the threshold itself quantiles stay exact');
  assert.equal(feature(atThreshold.statistics, 'body_mass_g').numStats?.median, feature(exact.statistics, 'body_mass_g').numStats?.median);
});

test('a big file sends sampled statistics first, then exact ones that agree with SUMMARIZE', { skip: !existsSync(flights) && 'flights-3m.parquet not present' }, async () => {
  const progress: StatisticsProgressParams[] = [];
  const sub = worker.onNotification(StatisticsProgress, (p) => progress.push(p));
  const t0 = Date.now();
  const r = await worker.request(ComputeStatistics, { source: { kind: 'file', path: flights }, progressId: 'flights' });
  sub.dispose();
  const sample = progress.find((p) => p.phase === 'sample');
  assert.ok(sample?.statistics, 'a sampled result came first');
  assert.equal(sample.totalRows, 3_000_000);
  assert.equal(r.rows, 3_000_000);
  const delay = feature(r.statistics, 'delay').numStats;
  assert.equal(delay?.mean, 6.667867666666667);
  await checkAgainstSummarize(r.statistics, `read_parquet('${flights}')`);
  console.log(`flights-3m: sample after ${sample.elapsedMs} ms, exact after ${r.elapsedMs} ms (request ${Date.now() - t0} ms)`);
});

test('a statistics request is cancelled on a big file', { skip: !existsSync(flights) && 'flights-3m.parquet not present' }, async () => {
  const cts = new CancellationTokenSource();
  const p = worker.request(ComputeStatistics, { source: { kind: 'file', path: flights }, sampleRows: 0 }, cts.token);
  setTimeout(() => cts.cancel(), 200);
  await assert.rejects(p, /cancel/i);
  // The worker keeps serving.
  const r = await worker.request(PreviewRows, { source: { kind: 'file', path: penguins }, offset: 0, limit: 2 });
  assert.equal(r.rows.length, 2);
});

test('preview pages carry column types and real nulls', async () => {
  const r = await worker.request(PreviewRows, { source: { kind: 'file', path: penguins }, offset: 3, limit: 2 });
  assert.equal(r.totalRows, 344);
  assert.deepEqual(r.columns.map((c) => c.type), ['VARCHAR', 'VARCHAR', 'DOUBLE', 'DOUBLE', 'BIGINT', 'BIGINT', 'VARCHAR', 'BIGINT']);
  // Row 4 of penguins.csv is the Adelie with every measurement NA.
  assert.deepEqual(r.rows[0], ['Adelie', 'Torgersen', null, null, null, null, null, 2007]);
});

test('SQL: results, and errors with DuckDB\'s position; odd column names are quoted', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-panels-'));
  const odd = path.join(dir, 'odd.csv');
  writeFileSync(odd, '"it\'s ""quoted""","with space","ünïcødé"\n1,a,x\n2,,y\n3,c,\n');
  const src: DataSource = { kind: 'file', path: odd };
  const ok = await worker.request(RunQuery, { source: src, sql: 'SELECT count(*) AS n, sum("it\'s ""quoted""") AS s FROM data' });
  assert.ok(ok.ok);
  assert.deepEqual(ok.rows, [[3, 6]]);
  const stats = await worker.request(ComputeStatistics, { source: src });
  assert.deepEqual(stats.statistics.features.map(featureName), ['it\'s "quoted"', 'with space', 'ünïcødé']);
  const detail = await worker.request(GetFeatureDetail, { source: src, feature: 'with space' });
  assert.equal(detail.numMissing, 1);
  const syntax = await worker.request(RunQuery, { source: src, sql: 'SELECT *\nFRM data' });
  assert.equal(syntax.ok, false);
  assert.ok(!syntax.ok && syntax.position, 'a position');
  if (!syntax.ok) assert.deepEqual(syntax.position, { offset: 13, line: 2, column: 5 });
  const binder = await worker.request(RunQuery, { source: src, sql: 'SELECT nosuch FROM data' });
  assert.ok(!binder.ok && binder.position?.offset === 7, JSON.stringify(binder));
  // The SQL box cannot reach files outside the data's folder.
  const escape = await worker.request(RunQuery, { source: src, sql: `SELECT * FROM read_csv('${penguins}')` });
  assert.equal(escape.ok, false);
});

test('feature detail: histogram counts sum to the non-missing count; quantile edges match quantile_cont', async () => {
  const d = await worker.request(GetFeatureDetail, { source: { kind: 'file', path: penguins }, feature: 'body_mass_g', buckets: 20, quantiles: 4 });
  assert.equal(d.numNonMissing, 342);
  assert.equal(d.numMissing, 2);
  assert.equal(d.histogram.reduce((s, b) => s + b.count, 0), 342);
  const [q] = await oracle(`SELECT quantile_cont(body_mass_g, [0, 0.25, 0.5, 0.75, 1]) AS q FROM read_csv('${penguins}', ${NULLS})`);
  assert.deepEqual(d.quantiles.map((b) => b.low).concat([d.quantiles.at(-1)?.high ?? NaN]), (q?.q as number[]).map(Number));
});

test('compare seattle-weather 2012–13 with 2014–15: weather drifts past the threshold; the data with itself does not', async () => {
  const left: DataSource = { kind: 'file', path: seattle, where: [{ column: 'date', op: '<', value: '2014-01-01' }] };
  const right: DataSource = { kind: 'file', path: seattle, where: [{ column: 'date', op: '>=', value: '2014-01-01' }] };
  const r = await worker.request(CompareDatasets, { left, right });
  const weather = r.drift.find((d) => d.feature === 'weather');
  assert.equal(weather?.measure, 'L_infty');
  assert.ok(weather?.exceeded, JSON.stringify(weather));
  // Oracle: L∞ between the normalized value counts, straight from DuckDB.
  const rows = await oracle(
    `WITH t AS (SELECT weather, year("date") <= 2013 AS early FROM read_csv('${seattle}')),
     p AS (SELECT weather, count(*) FILTER (WHERE early) / (SELECT count(*) FROM t WHERE early) AS pe,
                  count(*) FILTER (WHERE NOT early) / (SELECT count(*) FROM t WHERE NOT early) AS pl FROM t GROUP BY weather)
     SELECT max(abs(pe - pl)) AS linf FROM p`,
  );
  assert.ok(Math.abs((weather?.value ?? 0) - Number(rows[0]?.linf)) < 1e-12, `${weather?.value} vs ${rows[0]?.linf}`);
  const same = await worker.request(CompareDatasets, { left, right: left });
  assert.deepEqual(same.drift.filter((d) => d.exceeded), []);
});

test('bad input: an empty file, a file that is not data, a missing file', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-panels-'));
  const empty = path.join(dir, 'empty.csv');
  writeFileSync(empty, '');
  await assert.rejects(worker.request(ComputeStatistics, { source: { kind: 'file', path: empty } }), /empty/);
  const notParquet = path.join(dir, 'fake.parquet');
  writeFileSync(notParquet, 'hello, I am text');
  await assert.rejects(worker.request(ComputeStatistics, { source: { kind: 'file', path: notParquet } }), /not a Parquet file/);
  await assert.rejects(worker.request(PreviewRows, { source: { kind: 'file', path: path.join(dir, 'nope.csv') }, offset: 0, limit: 1 }), /not found|no such/i);
  // Every message names what it is about: the missing file's path, the empty file's, the pattern.
  const named = (file: string) => (e: unknown) => e instanceof Error && e.message.includes(file);
  const nope = path.join(dir, 'nope.csv');
  await assert.rejects(worker.request(ComputeStatistics, { source: { kind: 'file', path: nope } }), named(nope));
  await assert.rejects(worker.request(PreviewRows, { source: { kind: 'file', path: nope }, offset: 0, limit: 1 }), named(nope));
  await assert.rejects(worker.request(ComputeStatistics, { source: { kind: 'file', path: empty } }), named(empty));
  const glob = path.join(dir, 'none-*.csv');
  await assert.rejects(worker.request(ComputeStatistics, { source: { kind: 'file', path: glob } }), named(glob));
});

test('an all-null column and 1,000 columns', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-panels-'));
  const wide = path.join(dir, 'wide.csv');
  const cols = Array.from({ length: 1000 }, (_, i) => `c${i}`);
  const lines = [cols.join(',') + ',allnull'];
  for (let r = 0; r < 20; r++) lines.push(cols.map((_, i) => String(r * i)).join(',') + ',');
  writeFileSync(wide, lines.join('\n') + '\n');
  const r = await worker.request(ComputeStatistics, { source: { kind: 'file', path: wide } });
  assert.equal(r.statistics.features.length, 1001);
  const allNull = feature(r.statistics, 'allnull');
  const common = allNull.numStats?.commonStats ?? allNull.stringStats?.commonStats;
  assert.equal(common?.numMissing, 20);
  assert.equal(common?.numNonMissing, 0);
});

test('validate: anomalies of penguins against a narrow schema go away once the quick fixes are applied', async () => {
  const { applyQuickFix, quickFixesFor } = await import('../../src/extension/panels/schemaFile');
  const { ValidateStatistics } = await import('../../src/protocol/data');
  const schema = {
    feature: [
      { name: 'species', type: 'BYTES' as const, stringDomain: { value: ['Adelie', 'Chinstrap'] }, presence: { minFraction: 1 } },
      { name: 'body_mass_g', type: 'INT' as const, intDomain: { min: 3000, max: 6000 }, presence: { minFraction: 1 } },
    ],
  };
  const source: DataSource = { kind: 'file', path: penguins };
  const before = await worker.request(ValidateStatistics, { statistics: source, schema });
  assert.deepEqual(Object.keys(before.anomalyInfo).sort(), ['body_mass_g', 'island', 'sex', 'species', 'year', 'bill_length_mm', 'bill_depth_mm', 'flipper_length_mm'].sort());
  assert.match(before.anomalyInfo.species?.reason.map((r) => r.type).join() ?? '', /ENUM_TYPE_UNEXPECTED_STRING_VALUES/);
  const stats = (await worker.request(ComputeStatistics, { source })).statistics;
  const fixes = quickFixesFor(before, schema, stats);
  let fixed = schema as import('../../src/core/tfdv').Schema;
  for (const feature of ['species', 'body_mass_g']) for (const f of fixes[feature] ?? []) fixed = applyQuickFix(fixed, f.fix);
  const after = await worker.request(ValidateStatistics, { statistics: source, schema: fixed });
  assert.equal(after.anomalyInfo.species, undefined, JSON.stringify(after.anomalyInfo.species));
  assert.equal(after.anomalyInfo.body_mass_g, undefined, JSON.stringify(after.anomalyInfo.body_mass_g));
});

test('a StatisticsGen statistics.json: pick a split, detail charts from its own histograms, compare two splits', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-panels-'));
  const train = (await worker.request(ComputeStatistics, { source: { kind: 'file', path: seattle, where: [{ column: 'date', op: '<', value: '2014-01-01' }] } })).statistics;
  const evalSplit = (await worker.request(ComputeStatistics, { source: { kind: 'file', path: seattle, where: [{ column: 'date', op: '>=', value: '2014-01-01' }] } })).statistics;
  const file = path.join(dir, 'statistics.json');
  // int64 as strings, as TFDV in Python writes the JSON mapping.
  const asProto = (d: DatasetFeatureStatistics, name: string) => JSON.parse(JSON.stringify({ ...d, name }).replace(/"(numNonMissing|numMissing|numExamples)":(\d+)/g, '"$1":"$2"'));
  writeFileSync(file, JSON.stringify({ datasets: [asProto(train, 'train'), asProto(evalSplit, 'eval')] }));
  const r = await worker.request(ComputeStatistics, { source: { kind: 'statistics', path: file, dataset: 'eval' } });
  assert.deepEqual(r.datasets, ['train', 'eval']);
  assert.equal(r.rows, 730);
  assert.equal(feature(r.statistics, 'weather').stringStats?.commonStats.numNonMissing, 730);
  const d = await worker.request(GetFeatureDetail, { source: { kind: 'statistics', path: file }, feature: 'temp_max' });
  assert.equal(d.histogram.reduce((s, b) => s + b.count, 0), 731);
  const cmp = await worker.request(CompareDatasets, { left: { kind: 'statistics', path: file, dataset: 'train' }, right: { kind: 'statistics', path: file, dataset: 'eval' } });
  assert.ok(cmp.drift.find((x) => x.feature === 'weather')?.exceeded);
  await assert.rejects(worker.request(ComputeStatistics, { source: { kind: 'statistics', path: file, dataset: 'serving' } }), /no dataset "serving" \(it has "train", "eval"\)/);
  await assert.rejects(worker.request(PreviewRows, { source: { kind: 'statistics', path: file }, offset: 0, limit: 1 }), /statistics hold no rows/);
});

test('±Infinity crosses the worker\'s JSON: the result carries them as proto3 JSON spells them, and they read back as numbers', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-inf-wire-'));
  const csv = path.join(dir, 'inf.csv');
  writeFileSync(csv, 'x,y\n1.5,2\ninf,3\n-inf,4\n2.5,5\n');
  const r = await worker.request(ComputeStatistics, { source: { kind: 'file', path: csv }, sampleRows: 0 });
  const raw = feature(r.statistics, 'x').numStats as unknown as Record<string, unknown>;
  // JSON would have made them null; the wire form keeps them as text.
  assert.deepEqual([raw.min, raw.max, raw.mean, raw.stdDev], ['-Infinity', 'Infinity', 'NaN', 'NaN']);
  const x = feature(statisticsFromWire(r.statistics), 'x').numStats;
  assert.ok(x);
  assert.deepEqual([x.min, x.max, x.median], [-Infinity, Infinity, 2]);
  assert.ok(Number.isNaN(x.mean) && Number.isNaN(x.stdDev));
  const standard = x.histograms.find((h) => h.type === 'STANDARD')?.buckets ?? [];
  assert.deepEqual([standard[0], standard.at(-1)], [
    { lowValue: -Infinity, highValue: -Infinity, sampleCount: 1 },
    { lowValue: Infinity, highValue: Infinity, sampleCount: 1 },
  ]);
  assert.equal(standard.slice(1, -1).reduce((s, b) => s + b.sampleCount, 0), 2, 'the two finite values in the finite buckets');
  assert.equal(feature(statisticsFromWire(r.statistics), 'y').numStats?.max, 5, 'finite columns unchanged');
});
