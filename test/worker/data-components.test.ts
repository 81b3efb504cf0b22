/**
 * The data components called as the orchestrator calls them (a hand-built context in a temp
 * folder), on real data, with pandas and DuckDB queries as oracles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { exampleGen, splitFile } from '../../src/engine/components/exampleGen';
import { statisticsGen } from '../../src/engine/components/statisticsGen';
import { schemaGen } from '../../src/engine/components/schemaGen';
import { exampleValidator } from '../../src/engine/components/exampleValidator';
import { sql } from '../../src/engine/components/sql';
import { num, queryRows, withConnection } from '../../src/engine/duckdb';
import type { AnomaliesFile, DatasetFeatureStatisticsList, Schema } from '../../src/core/tfdv';
import { runComponent, tempDir } from './data-helpers';
import { oraclePython } from '../python';

const fixtures = path.resolve(__dirname, '../fixtures');

async function workspace(...files: string[]): Promise<string> {
  const dir = await tempDir();
  await fs.mkdir(path.join(dir, 'data'));
  for (const f of files) await fs.copyFile(path.join(fixtures, f), path.join(dir, 'data', f));
  return dir;
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as T;
}

async function rowsOf(file: string): Promise<number> {
  return withConnection(async (c) => num((await queryRows(c, `SELECT count(*) AS n FROM read_parquet('${file}')`))[0]?.n));
}

test('ExampleGen: default hash split is 2:1, deterministic and independent of row order', async () => {
  const dir = await workspace('seattle-weather.csv');
  const text = await fs.readFile(path.join(dir, 'data/seattle-weather.csv'), 'utf8');
  const [header, ...lines] = text.trimEnd().split('\n');
  await fs.writeFile(path.join(dir, 'data/reversed.csv'), [header, ...lines.reverse()].join('\n') + '\n');

  const a = (await runComponent(exampleGen, dir, { input: 'data/seattle-weather.csv' })).outputs.examples!;
  const b = (await runComponent(exampleGen, dir, { input: 'data/reversed.csv' })).outputs.examples!;
  assert.deepEqual(a.properties.splits, ['train', 'eval']);
  const rows = a.properties.rows as Record<string, number>;
  assert.equal((rows.train ?? 0) + (rows.eval ?? 0), 1461);
  assert.equal(rows.train, await rowsOf(splitFile(a.uri, 'train')));
  assert.equal(rows.eval, await rowsOf(splitFile(a.uri, 'eval')));
  // 1461 rows: the train fraction's standard deviation is 0.012; allow 4 of them.
  assert.ok(Math.abs((rows.train ?? 0) / 1461 - 2 / 3) < 0.05, `train fraction ${(rows.train ?? 0) / 1461}`);
  assert.deepEqual(b.properties.rows, rows);
  assert.deepEqual(a.properties.columns, [
    { name: 'date', type: 'DATE' },
    { name: 'precipitation', type: 'DOUBLE' },
    { name: 'temp_max', type: 'DOUBLE' },
    { name: 'temp_min', type: 'DOUBLE' },
    { name: 'wind', type: 'DOUBLE' },
    { name: 'weather', type: 'VARCHAR' },
  ]);
  for (const split of ['train', 'eval']) {
    const diff = await withConnection(async (c) =>
      num(
        (
          await queryRows(
            c,
            `SELECT count(*) AS n FROM ((SELECT * FROM '${splitFile(a.uri, split)}' EXCEPT ALL SELECT * FROM '${splitFile(b.uri, split)}') UNION ALL (SELECT * FROM '${splitFile(b.uri, split)}' EXCEPT ALL SELECT * FROM '${splitFile(a.uri, split)}'))`,
          )
        )[0]?.n,
      ),
    );
    assert.equal(diff, 0, `split ${split} has the same rows whatever the file's order`);
  }
  // Same data again: same content hash; an edit of the same size: a different one.
  const fp = (input: string): Promise<string> => exampleGen.externalFingerprint!({ ...{ input }, format: 'auto', splits: { train: 2, eval: 1 }, csv: { header: true, null_strings: [] } } as never, (p) => path.resolve(dir, p), { storeDir: path.join(dir, '.pipewise'), pipeline: 'test', inputs: {} });
  const before = await fp('data/seattle-weather.csv');
  assert.equal(await fp('data/seattle-weather.csv'), before);
  // A plain path is hashed without DuckDB; a glob naming the same one file goes through DuckDB's glob: one key.
  assert.equal(await fp('data/seattle-weather.cs?'), before, 'a plain path and a glob of the same file give the same fingerprint');
  await fs.writeFile(path.join(dir, 'data/seattle-weather.csv'), text.replace('2012-01-01,0.0', '2012-01-01,0.1'));
  assert.equal((await fs.stat(path.join(dir, 'data/seattle-weather.csv'))).size, Buffer.byteLength(text));
  assert.notEqual(await fp('data/seattle-weather.csv'), before);
});

test('ExampleGen: split by a column\'s value, with named groups of values', async () => {
  const dir = await workspace('penguins.csv');
  const byIsland = (await runComponent(exampleGen, dir, { input: 'data/penguins.csv', split_column: 'island' })).outputs.examples!;
  assert.deepEqual(byIsland.properties.splits, ['Biscoe', 'Dream', 'Torgersen']);
  assert.deepEqual(byIsland.properties.rows, { Biscoe: 168, Dream: 124, Torgersen: 52 });
  const grouped = (
    await runComponent(exampleGen, dir, { input: 'data/penguins.csv', split_column: 'year', split_values: { train: [2007, 2008], eval: [2009] } })
  ).outputs.examples!;
  assert.deepEqual(grouped.properties.rows, { train: 224, eval: 120 });
  // Hashing only `split_key`: every penguin of one island lands in the same split.
  const keyed = (await runComponent(exampleGen, dir, { input: 'data/penguins.csv', split_key: ['island'] })).outputs.examples!;
  const islands = await withConnection((c) =>
    queryRows(c, `SELECT island, count(DISTINCT s) AS splits FROM (SELECT island, 'train' AS s FROM '${splitFile(keyed.uri, 'train')}' UNION ALL SELECT island, 'eval' FROM '${splitFile(keyed.uri, 'eval')}') GROUP BY island`),
  );
  assert.equal(islands.length, 3);
  for (const r of islands) assert.equal(num(r.splits), 1, `island ${String(r.island)}`);
  await assert.rejects(runComponent(exampleGen, dir, { input: 'data/penguins.csv', split_key: ['isle'] }), /parameter 'split_key': no column 'isle'/);
  await assert.rejects(
    runComponent(exampleGen, dir, { input: 'data/penguins.csv', split_time: { column: 'year', boundary: 'soon' } }),
    /parameter 'split_time.boundary': "soon" is not a date/,
  );
});

/** pandas' L∞ distance of `weather` between 2012–13 and 2014–15. */
function pandasWeatherLinf(csv: string): number {
  const code = `
import sys, pandas as pd
df = pd.read_csv(sys.argv[1])
early = df[df['date'] < '2014-01-01']['weather'].value_counts(normalize=True)
late = df[df['date'] >= '2014-01-01']['weather'].value_counts(normalize=True)
print(float((early.reindex(early.index.union(late.index), fill_value=0) - late.reindex(early.index.union(late.index), fill_value=0)).abs().max()))`;
  return Number(execFileSync(oraclePython(), ['-c', code, csv], { encoding: 'utf8' }));
}

test('seattle-weather split by year drifts on `weather`; the same data against itself does not', async () => {
  const dir = await workspace('seattle-weather.csv');
  const examples = (await runComponent(exampleGen, dir, { input: 'data/seattle-weather.csv', split_time: { column: 'date', boundary: '2014-01-01' } })).outputs.examples!;
  // 2012 (leap year) and 2013: 731 days; 2014 and 2015: 730.
  assert.deepEqual(examples.properties.rows, { train: 731, eval: 730 });
  const statistics = (await runComponent(statisticsGen, dir, {}, { examples })).outputs.statistics!;
  const list = await readJson<DatasetFeatureStatisticsList>(path.join(statistics.uri, 'statistics.json'));
  assert.deepEqual(list.datasets.map((d) => [d.name, d.numExamples]), [['train', 731], ['eval', 730]]);
  const schema = (await runComponent(schemaGen, dir, {}, { statistics })).outputs.schema!;

  const drifted = (await runComponent(exampleValidator, dir, { drift: { weather: 0.05 } }, { statistics, schema })).outputs.anomalies!;
  const anomalies = await readJson<AnomaliesFile>(path.join(drifted.uri, 'anomalies.json'));
  const weather = anomalies.anomalyInfo.weather;
  assert.ok(weather, 'weather has an anomaly');
  assert.ok(weather.reason.some((r) => r.type === 'COMPARATOR_L_INFTY_HIGH'), JSON.stringify(weather));
  assert.equal(weather.severity, 'ERROR');
  const measured = (drifted.properties.comparisons as { feature: string; value: number }[]).find((c) => c.feature === 'weather');
  const expected = pandasWeatherLinf(path.join(dir, 'data/seattle-weather.csv'));
  assert.ok(Math.abs((measured?.value ?? NaN) - expected) < 1e-12, `L∞ ${measured?.value} vs pandas ${expected}`);
  assert.ok(expected > 0.05);
  assert.ok(anomalies.splits?.eval?.anomalyInfo.weather, 'the drift belongs to the later split');

  // The same statistics as their own baseline: every distance is 0, no anomaly.
  const itself = (await runComponent(exampleValidator, dir, { drift: { weather: 0.1, temp_max: 0.05 } }, { statistics, schema, baseline_statistics: statistics })).outputs.anomalies!;
  const none = await readJson<AnomaliesFile>(path.join(itself.uri, 'anomalies.json'));
  assert.deepEqual(none.anomalyInfo, {});
  const cs = itself.properties.comparisons as { value: number; measure: string }[];
  assert.equal(cs.length, 4);
  for (const c of cs) assert.equal(c.value, 0);

  // Numeric drift by Jensen–Shannon divergence, and skew of train vs eval on the label.
  const numeric = (await runComponent(exampleValidator, dir, { drift: { temp_max: 0.001 }, skew: { weather: 0.05 } }, { statistics, schema })).outputs.anomalies!;
  const na = await readJson<AnomaliesFile>(path.join(numeric.uri, 'anomalies.json'));
  assert.equal(na.anomalyInfo.temp_max?.reason[0]?.type, 'COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH');
  assert.match(na.anomalyInfo.weather?.reason[0]?.description ?? '', /between training and serving/);
});

test('SchemaGen follows TFDV\'s inference rules on penguins', async () => {
  const dir = await workspace('penguins.csv');
  const examples = (await runComponent(exampleGen, dir, { input: 'data/penguins.csv', splits: { train: 1 } })).outputs.examples!;
  const statistics = (await runComponent(statisticsGen, dir, {}, { examples })).outputs.statistics!;
  const out = (await runComponent(schemaGen, dir, {}, { statistics })).outputs.schema!;
  const schema = await readJson<Schema>(path.join(out.uri, 'schema.json'));
  const by = Object.fromEntries(schema.feature.map((f) => [f.name, f]));
  assert.deepEqual(schema.feature.map((f) => [f.name, f.type]), [
    ['species', 'BYTES'], ['island', 'BYTES'], ['bill_length_mm', 'FLOAT'], ['bill_depth_mm', 'FLOAT'],
    ['flipper_length_mm', 'INT'], ['body_mass_g', 'INT'], ['sex', 'BYTES'], ['year', 'INT'],
  ]);
  // Required only when never missing.
  assert.deepEqual(by.species?.presence, { minFraction: 1, minCount: 1 });
  assert.deepEqual(by.year?.presence, { minFraction: 1, minCount: 1 });
  assert.deepEqual(by.sex?.presence, { minCount: 1 });
  assert.deepEqual(by.bill_length_mm?.presence, { minCount: 1 });
  assert.equal(by.species?.domain, 'species');
  assert.deepEqual(schema.stringDomain, [
    { name: 'species', value: ['Adelie', 'Chinstrap', 'Gentoo'] },
    { name: 'island', value: ['Biscoe', 'Dream', 'Torgersen'] },
    { name: 'sex', value: ['female', 'male'] },
  ]);
  assert.match(await fs.readFile(path.join(out.uri, 'schema.yaml'), 'utf8'), /stringDomain:/);
  // At most N distinct values get a domain.
  const small = await readJson<Schema>(path.join((await runComponent(schemaGen, dir, { max_domain_values: 2 }, { statistics })).outputs.schema!.uri, 'schema.json'));
  assert.deepEqual(small.stringDomain?.map((d) => d.name), ['sex']);
  const ranges = await readJson<Schema>(path.join((await runComponent(schemaGen, dir, { infer_value_ranges: true }, { statistics })).outputs.schema!.uri, 'schema.json'));
  assert.deepEqual(ranges.feature.find((f) => f.name === 'body_mass_g')?.intDomain, { min: 2700, max: 6300 });
});

test('ExampleValidator reports schema anomalies with TFMD\'s names', async () => {
  const dir = await workspace('penguins.csv');
  const examples = (await runComponent(exampleGen, dir, { input: 'data/penguins.csv', splits: { train: 1 } })).outputs.examples!;
  const statistics = (await runComponent(statisticsGen, dir, {}, { examples })).outputs.statistics!;
  const curated: Schema = {
    feature: [
      { name: 'species', type: 'BYTES', domain: 'species' },
      { name: 'island', type: 'BYTES' },
      { name: 'bill_length_mm', type: 'FLOAT', floatDomain: { min: 40 } },
      { name: 'bill_depth_mm', type: 'FLOAT', floatDomain: { max: 100, disallowNan: true } },
      { name: 'flipper_length_mm', type: 'INT', intDomain: { min: 0, max: 200 } },
      { name: 'body_mass_g', type: 'FLOAT' },
      { name: 'sex', type: 'BYTES', presence: { minFraction: 1 } },
      { name: 'ghost', type: 'INT', presence: { minCount: 1 } },
    ],
    stringDomain: [{ name: 'species', value: ['Adelie', 'Gentoo'] }],
    datasetConstraints: { minExamplesCount: 1000 },
  };
  await fs.writeFile(path.join(dir, 'schema.json'), JSON.stringify(curated));
  const schema = (await runComponent(schemaGen, dir, { schema_file: 'schema.json' }, { statistics })).outputs.schema!;
  const out = (await runComponent(exampleValidator, dir, {}, { statistics, schema })).outputs.anomalies!;
  const a = await readJson<AnomaliesFile>(path.join(out.uri, 'anomalies.json'));
  const types = Object.fromEntries(Object.entries(a.anomalyInfo).map(([f, i]) => [f, i.reason.map((r) => r.type)]));
  assert.deepEqual(types, {
    species: ['ENUM_TYPE_UNEXPECTED_STRING_VALUES'],
    bill_length_mm: ['FLOAT_TYPE_SMALL_FLOAT'],
    flipper_length_mm: ['INT_TYPE_BIG_INT'],
    body_mass_g: ['UNEXPECTED_DATA_TYPE'],
    sex: ['FEATURE_TYPE_LOW_FRACTION_PRESENT'],
    ghost: ['SCHEMA_MISSING_COLUMN'],
    year: ['SCHEMA_NEW_COLUMN'],
  });
  assert.match(a.anomalyInfo.species?.description ?? '', /Chinstrap/);
  assert.match(a.anomalyInfo.body_mass_g?.description ?? '', /Expected data of type: FLOAT but got INT/);
  assert.equal(a.datasetAnomalyInfo?.reason[0]?.type, 'DATASET_LOW_NUM_EXAMPLES');
  await assert.rejects(runComponent(exampleValidator, dir, { fail_on_error: true }, { statistics, schema }), /anomalies/);
});

test('ExampleValidator: NaN where the schema disallows it', async () => {
  const dir = await tempDir();
  await withConnection((c) => c.run(`COPY (SELECT x::DOUBLE AS x FROM (VALUES ('1.0'), ('NaN'), ('2.5'), (NULL)) t(x)) TO '${dir}/nan.parquet' (FORMAT parquet)`));
  const examples = (await runComponent(exampleGen, dir, { input: 'nan.parquet', splits: { train: 1 } })).outputs.examples!;
  const statistics = (await runComponent(statisticsGen, dir, {}, { examples })).outputs.statistics!;
  const list = await readJson<DatasetFeatureStatisticsList>(path.join(statistics.uri, 'statistics.json'));
  const x = list.datasets[0]?.features[0]?.numStats;
  assert.equal(x?.histograms[0]?.numNan, 1);
  assert.equal(x?.commonStats.numMissing, 1);
  assert.equal(x?.mean, 1.75);
  await fs.writeFile(path.join(dir, 'schema.yaml'), 'feature:\n  - name: x\n    type: FLOAT\n    floatDomain: { disallowNan: true }\n');
  const schema = (await runComponent(schemaGen, dir, { schema_file: 'schema.yaml' }, { statistics })).outputs.schema!;
  const out = (await runComponent(exampleValidator, dir, {}, { statistics, schema })).outputs.anomalies!;
  const a = await readJson<AnomaliesFile>(path.join(out.uri, 'anomalies.json'));
  assert.equal(a.anomalyInfo.x?.reason[0]?.type, 'FLOAT_TYPE_HAS_NAN');
});

test('Sql runs its query per split over `examples`, confined to its artifacts', async () => {
  const dir = await workspace('penguins.csv');
  const examples = (await runComponent(exampleGen, dir, { input: 'data/penguins.csv', split_column: 'island' })).outputs.examples!;
  const out = (await runComponent(sql, dir, { query: 'SELECT species, count(*) AS n, avg(body_mass_g) AS mass FROM examples GROUP BY species ORDER BY species;' }, { examples })).outputs.examples!;
  assert.deepEqual(out.properties.splits, ['Biscoe', 'Dream', 'Torgersen']);
  assert.deepEqual(out.properties.rows, { Biscoe: 2, Dream: 2, Torgersen: 1 });
  const rows = await withConnection((c) => queryRows(c, `SELECT species, n FROM '${splitFile(out.uri, 'Dream')}' ORDER BY species`));
  assert.deepEqual(rows.map((r) => [r.species, num(r.n)]), [['Adelie', 56], ['Chinstrap', 68]]);
  await assert.rejects(runComponent(sql, dir, { query: `SELECT * FROM read_csv('${path.join(fixtures, 'penguins.csv')}')` }, { examples }), /disabled by configuration|Permission/);
  await assert.rejects(runComponent(sql, dir, { query: 'SELECT 1; SELECT 2' }, { examples }), /exactly one SELECT/);
  await assert.rejects(runComponent(sql, dir, { query: 'SELECT nope FROM examples' }, { examples }), /parameter 'query' \(split 'Biscoe'\)/);
});
