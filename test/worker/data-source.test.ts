/** Bad input to the data components: every error names the file (and the line) or the value. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PipewiseError } from '../../src/core/errors';
import { exampleGen } from '../../src/engine/components/exampleGen';
import { quoteIdent, quoteLiteral, readSource, withConnection } from '../../src/engine/duckdb';
import { runComponent, tempDir } from './data-helpers';

const fixtures = path.resolve(__dirname, '../fixtures');

function pipewiseError(pattern: RegExp, details: { file?: string; line?: number; code?: string } = {}) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof PipewiseError, `a PipewiseError, got ${String(e)}`);
    assert.match(e.describe(), pattern);
    if (details.file !== undefined) assert.equal(e.details.file, details.file);
    if (details.line !== undefined) assert.equal(e.details.line, details.line);
    if (details.code !== undefined) assert.equal(e.details.code, details.code);
    return true;
  };
}

test('quoting keeps identifiers and literals inside their quotes', async () => {
  assert.equal(quoteIdent('a"b'), '"a""b"');
  assert.equal(quoteLiteral("it's"), "'it''s'");
  assert.throws(() => quoteIdent('a\0b'), /NUL/);
  const rows = await withConnection(async (c) => (await c.runAndReadAll(`SELECT 1 AS ${quoteIdent('x"; DROP TABLE t; --')}, ${quoteLiteral("'; SELECT 2; --")} AS v`)).getRowObjectsJS());
  assert.deepEqual(rows, [{ 'x"; DROP TABLE t; --': 1, v: "'; SELECT 2; --" }]);
});

test('a missing file, an empty file, a header without rows', async () => {
  const dir = await tempDir();
  await assert.rejects(runComponent(exampleGen, dir, { input: 'nope.csv' }), pipewiseError(/nope\.csv: data file not found/, { code: 'file-not-found' }));
  await assert.rejects(runComponent(exampleGen, dir, { input: 'data/*.csv' }), pipewiseError(/no file matches/));
  await fs.writeFile(path.join(dir, 'empty.csv'), '');
  await assert.rejects(runComponent(exampleGen, dir, { input: 'empty.csv' }), pipewiseError(/empty\.csv: the file is empty/, { file: path.join(dir, 'empty.csv') }));
  await fs.writeFile(path.join(dir, 'header.csv'), 'a,b,c\n');
  await assert.rejects(runComponent(exampleGen, dir, { input: 'header.csv' }), pipewiseError(/header\.csv: the data has a header but no rows/));
});

test('a ragged CSV row is reported with its line', async () => {
  const dir = await tempDir();
  const lines = (await fs.readFile(path.join(fixtures, 'penguins.csv'), 'utf8')).split('\n');
  // Line 101 of the file: a row with 4 of the 8 columns.
  lines.splice(100, 0, 'Adelie,Torgersen,39.1,18.7');
  await fs.writeFile(path.join(dir, 'ragged.csv'), lines.join('\n'));
  const file = path.join(dir, 'ragged.csv');
  await assert.rejects(runComponent(exampleGen, dir, { input: 'ragged.csv' }), pipewiseError(/ragged\.csv:101:1: ragged row: missing columns \(expected 8, found 4\): "Adelie,Torgersen,39\.1,18\.7"/, { file, line: 101, code: 'csv-bad-row' }));
  // One row too long, further down.
  const long = (await fs.readFile(path.join(fixtures, 'penguins.csv'), 'utf8')).split('\n');
  long[300] = `${long[300]},extra`;
  await fs.writeFile(path.join(dir, 'long.csv'), long.join('\n'));
  await assert.rejects(runComponent(exampleGen, dir, { input: 'long.csv' }), pipewiseError(/long\.csv:301:1: ragged row: too many columns \(expected 8, found 9\)/, { line: 301 }));
});

test('files that are not data: binary as CSV, CSV as Parquet, broken JSON', async () => {
  const dir = await tempDir();
  await fs.writeFile(path.join(dir, 'binary.csv'), Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 256)));
  await assert.rejects(runComponent(exampleGen, dir, { input: 'binary.csv' }), pipewiseError(/binary\.csv(:\d+:\d+)?: (cannot be read as CSV|is not a UTF-8 text file)/));
  await fs.copyFile(path.join(fixtures, 'penguins.csv'), path.join(dir, 'fake.parquet'));
  await assert.rejects(runComponent(exampleGen, dir, { input: 'fake.parquet' }), pipewiseError(/fake\.parquet: is not a Parquet file/));
  await fs.writeFile(path.join(dir, 'broken.json'), '{"a": 1}\n{"a": 2,,}\n');
  await assert.rejects(runComponent(exampleGen, dir, { input: 'broken.json' }), pipewiseError(/broken\.json.*JSON/));
  await fs.writeFile(path.join(dir, 'data.xyz'), 'a\n1\n');
  await assert.rejects(runComponent(exampleGen, dir, { input: 'data.xyz' }), pipewiseError(/cannot tell the format.*set `format`/));
  const ok = await runComponent(exampleGen, dir, { input: 'data.xyz', format: 'csv', splits: { train: 1 } });
  assert.deepEqual(ok.outputs.examples?.properties.rows, { train: 1 });
});

test('a path that leaves the pipeline\'s folder is refused', async () => {
  const dir = await tempDir();
  await assert.rejects(runComponent(exampleGen, dir, { input: '../penguins.csv' }), pipewiseError(/parameter 'input'.*leaves the pipeline's folder/, { code: 'path-escape' }));
  await assert.rejects(runComponent(exampleGen, dir, { input: path.join(fixtures, 'penguins.csv') }), pipewiseError(/absolute path outside/));
  await assert.rejects(runComponent(exampleGen, dir, { input: 'data/*/../../../x/*.csv' }), pipewiseError(/leaves the pipeline's folder/));
});

test('a column whose type differs between input files names the column and both types', async () => {
  const dir = await tempDir();
  await fs.mkdir(path.join(dir, 'parts'));
  await fs.writeFile(path.join(dir, 'parts/a.csv'), 'id,size\n1,10\n2,20\n');
  await fs.writeFile(path.join(dir, 'parts/b.csv'), 'id,size\n3,large\n4,small\n');
  await assert.rejects(runComponent(exampleGen, dir, { input: 'parts/*.csv' }), pipewiseError(/b\.csv: column 'size' is VARCHAR here but BIGINT in .*a\.csv/, { code: 'column-type-changed' }));
  await assert.rejects(runComponent(exampleGen, dir, { input: ['parts/a.csv', 'parts/b.csv'] }), pipewiseError(/column 'size' is VARCHAR here but BIGINT/));
  // Agreeing files are read together, from a glob or a list.
  await fs.writeFile(path.join(dir, 'parts/b.csv'), 'id,size\n3,30\n4,40\n');
  const glob = await runComponent(exampleGen, dir, { input: 'parts/*.csv', splits: { all: 1 } });
  assert.deepEqual(glob.outputs.examples?.properties.rows, { all: 4 });
  const list = await runComponent(exampleGen, dir, { input: ['parts/a.csv', 'parts/b.csv'], splits: { all: 1 } });
  assert.deepEqual(list.outputs.examples?.properties.rows, { all: 4 });
});

test('readSource settles column types from the whole file when a late row does not fit the sample', async () => {
  const dir = await tempDir();
  const rows = Array.from({ length: 30000 }, (_, i) => `${i},${i % 7}`);
  rows.push('30000,seven');
  await fs.writeFile(path.join(dir, 'late.csv'), ['id,code', ...rows].join('\n') + '\n');
  const source = await withConnection((c) => readSource(c, path.join(dir, 'late.csv')));
  assert.deepEqual(source.columns, [
    { name: 'id', type: 'BIGINT' },
    { name: 'code', type: 'VARCHAR' },
  ]);
});

test('JSON arrays and NDJSON are read, missing values counted', async () => {
  const dir = await tempDir();
  await fs.writeFile(path.join(dir, 'rows.ndjson'), '{"a":1,"b":"x"}\n{"a":2,"b":null}\n{"a":3}\n');
  await fs.writeFile(path.join(dir, 'rows.json'), '[{"a":1.5,"b":"x"},{"a":2,"b":"y"}]');
  const nd = await runComponent(exampleGen, dir, { input: 'rows.ndjson', splits: { all: 1 } });
  assert.deepEqual(nd.outputs.examples?.properties.rows, { all: 3 });
  assert.deepEqual(nd.outputs.examples?.properties.columns, [
    { name: 'a', type: 'BIGINT' },
    { name: 'b', type: 'VARCHAR' },
  ]);
  const arr = await runComponent(exampleGen, dir, { input: 'rows.json', splits: { all: 1 } });
  assert.deepEqual(arr.outputs.examples?.properties.columns, [
    { name: 'a', type: 'DOUBLE' },
    { name: 'b', type: 'VARCHAR' },
  ]);
});

test('a Yes/No column keeps the strings written in the data; true/false stays boolean', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'answers.csv');
  const rows = ['x,answer,flag', '1,Yes,true', '2,No,false', '3,Yes,true', '4,No,false'];
  await fs.writeFile(file, `${rows.join('\n')}\n`);
  const types = await withConnection(async (c) => {
    const src = await readSource(c, file);
    const values = (await c.runAndReadAll(`SELECT DISTINCT answer FROM ${src.relation} ORDER BY answer`)).getRowObjectsJS().map((r) => r.answer);
    return { columns: Object.fromEntries(src.columns.map((col) => [col.name, col.type])), values };
  });
  assert.equal(types.columns.answer, 'VARCHAR');
  assert.equal(types.columns.flag, 'BOOLEAN');
  // The oracle: the distinct words in the file's second column, read as text.
  assert.deepEqual(types.values, [...new Set(rows.slice(1).map((r) => r.split(',')[1]))].sort());
});
