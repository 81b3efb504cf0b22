/**
 * ExampleGen on CSV files that a single bad cell would otherwise silently change: a malformed quote,
 * a stray quote, missing-value tokens in a numeric column, duplicate header names. The clean
 * penguins file read by DuckDB and by pandas is the oracle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { exampleGen, splitFile } from '../../src/engine/components/exampleGen';
import { statisticsGen } from '../../src/engine/components/statisticsGen';
import { num, queryRows, withConnection } from '../../src/engine/duckdb';
import { runComponent, tempDir } from './data-helpers';
import { oraclePython } from '../python';

const penguins = path.resolve(__dirname, '../fixtures/penguins.csv');
const cli = path.resolve(__dirname, '../../bin/pipewise.js');

/** The penguins file as rows of cells (header first), read by Python's csv module. */
function penguinRows(): string[][] {
  const out = execFileSync(oraclePython(), ['-c', 'import csv,json,sys; print(json.dumps(list(csv.reader(open(sys.argv[1])))))', penguins], { encoding: 'utf8' });
  return JSON.parse(out) as string[][];
}

async function workspaceWith(text: string): Promise<string> {
  const dir = await tempDir();
  await fs.mkdir(path.join(dir, 'data'));
  await fs.writeFile(path.join(dir, 'data/p.csv'), text);
  return dir;
}

async function typesOf(file: string): Promise<Record<string, string>> {
  return withConnection(async (c) => Object.fromEntries((await queryRows(c, `DESCRIBE SELECT * FROM read_parquet('${file}')`)).map((r) => [String(r.column_name), String(r.column_type)])));
}

async function cleanTypes(): Promise<Record<string, string>> {
  return withConnection(async (c) =>
    Object.fromEntries((await queryRows(c, `DESCRIBE SELECT * FROM read_csv('${penguins}', nullstr=['NA'])`)).map((r) => [String(r.column_name), String(r.column_type)])),
  );
}

async function failureOf(p: Promise<unknown>): Promise<Error & { details?: { file?: string; line?: number } }> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  assert.fail('expected ExampleGen to fail');
}

test('a malformed quoted field in an all-quoted CSV fails at its line; on_bad_rows: skip leaves that row out and keeps the types', async () => {
  const rows = penguinRows();
  const bad = 20; // index in rows, header is 0: physical line 21
  const text = rows.map((r, i) => r.map((c, j) => (i === bad && j === 1 ? `"Bis"coe"` : `"${c}"`)).join(',')).join('\n') + '\n';
  const dir = await workspaceWith(text);
  const e = await failureOf(runComponent(exampleGen, dir, { input: 'data/p.csv' }));
  assert.equal(e.details?.line, bad + 1, e.message);
  assert.equal(e.details?.file, path.join(dir, 'data/p.csv'));
  assert.match(e.message, /quote/);

  const ok = await runComponent(exampleGen, dir, { input: 'data/p.csv', on_bad_rows: 'skip' });
  const ex = ok.outputs.examples!;
  const counts = ex.properties.rows as Record<string, number>;
  assert.equal((counts.train ?? 0) + (counts.eval ?? 0), rows.length - 2);
  assert.deepEqual(await typesOf(splitFile(ex.uri, 'train')), await cleanTypes());
  assert.ok(ok.logs.some((l) => /warn: .*left out 1 bad row.* line 21/.test(l)), ok.logs.join('\n'));
  // The rows kept are exactly the clean file's rows but the bad one (both ways round).
  const kept = `SELECT * FROM read_parquet(['${splitFile(ex.uri, 'train')}', '${splitFile(ex.uri, 'eval')}'])`;
  const clean = `SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER () AS rn FROM read_csv('${penguins}', nullstr=['NA'])) WHERE rn <> ${bad}`;
  const diff = await withConnection(async (c) => num((await queryRows(c, `SELECT count(*) AS n FROM ((${kept} EXCEPT ALL ${clean}) UNION ALL (${clean} EXCEPT ALL ${kept}))`))[0]?.n));
  assert.equal(diff, 0);
});

test('a stray unmatched quote in an unquoted CSV fails at its line instead of becoming a category', async () => {
  const rows = penguinRows();
  const bad = 30;
  const text = rows.map((r, i) => (i === bad ? [r[0], `"${r[1]}`, ...r.slice(2)] : r).join(',')).join('\n') + '\n';
  const dir = await workspaceWith(text);
  const e = await failureOf(runComponent(exampleGen, dir, { input: 'data/p.csv' }));
  assert.equal(e.details?.line, bad + 1, e.message);

  const ok = await runComponent(exampleGen, dir, { input: 'data/p.csv', on_bad_rows: 'skip' });
  const ex = ok.outputs.examples!;
  const islands = await withConnection(async (c) =>
    (await queryRows(c, `SELECT DISTINCT island FROM read_parquet(['${splitFile(ex.uri, 'train')}', '${splitFile(ex.uri, 'eval')}']) ORDER BY 1`)).map((r) => String(r.island)),
  );
  const expected = [...new Set(rows.slice(1).map((r) => r[1] as string))].sort();
  assert.deepEqual(islands, expected);
  const counts = ex.properties.rows as Record<string, number>;
  assert.equal((counts.train ?? 0) + (counts.eval ?? 0), rows.length - 2);
});

test('missing-value tokens (?, n/a, -, na) keep a numeric column numeric; other tokens warn with column, tokens and lines', async () => {
  const rows = penguinRows();
  const tokens: Record<number, string> = { 5: '?', 50: 'n/a', 100: '-', 150: 'na' };
  const text = rows.map((r, i) => (tokens[i] ? [r[0], r[1], tokens[i], ...r.slice(3)] : r).join(',')).join('\n') + '\n';
  const dir = await workspaceWith(text);
  const ok = await runComponent(exampleGen, dir, { input: 'data/p.csv' });
  const ex = ok.outputs.examples!;
  const files = `['${splitFile(ex.uri, 'train')}', '${splitFile(ex.uri, 'eval')}']`;
  assert.equal((await typesOf(splitFile(ex.uri, 'train'))).bill_length_mm, 'DOUBLE');
  // pandas, told the same tokens, counts the same missing values.
  const pandasMissing = Number(
    execFileSync(oraclePython(), ['-c', "import pandas as pd,sys; print(pd.read_csv(sys.argv[1], na_values=['?','n/a','-','na'])['bill_length_mm'].isna().sum())", path.join(dir, 'data/p.csv')], {
      encoding: 'utf8',
    }).trim(),
  );
  const ours = await withConnection(async (c) => num((await queryRows(c, `SELECT count(*) - count(bill_length_mm) AS n FROM read_parquet(${files})`))[0]?.n));
  assert.equal(ours, pandasMissing);
  assert.ok(!ok.logs.some((l) => l.startsWith('warn')), ok.logs.join('\n'));

  // Tokens that are not missing-value markers: a warning, at ExampleGen (with lines) and StatisticsGen.
  const odd: Record<number, string> = { 7: 'unknown', 70: 'unknown', 170: 'unknown', 270: '~' };
  const text2 = rows.map((r, i) => (odd[i] ? [r[0], r[1], r[2], odd[i], ...r.slice(4)] : r).join(',')).join('\n') + '\n';
  const dir2 = await workspaceWith(text2);
  const run2 = await runComponent(exampleGen, dir2, { input: 'data/p.csv' });
  const warn = run2.logs.find((l) => l.startsWith('warn') && l.includes("'bill_depth_mm'"));
  assert.ok(warn, run2.logs.join('\n'));
  // Lines where pandas sees a non-number in the column (its row index + 2: header and 1-based).
  const pyLines = execFileSync(
    oraclePython(),
    ['-c', "import pandas as pd,sys; d=pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)['bill_depth_mm']; print(' '.join(str(i+2) for i,v in enumerate(d) if v!='NA' and pd.to_numeric(v, errors='coerce')!=pd.to_numeric(v, errors='coerce')))", path.join(dir2, 'data/p.csv')],
    { encoding: 'utf8' },
  ).trim();
  assert.ok(warn.includes(`lines ${pyLines.split(' ').join(', ')}`), `${warn}\nexpected lines ${pyLines}`);
  assert.match(warn, /`unknown` ×3, `~` ×1/);
  assert.match(warn, /98\.\d% numeric/);
  const stats = await runComponent(statisticsGen, dir2, {}, { examples: run2.outputs.examples });
  assert.ok(stats.logs.some((l) => l.startsWith('warn') && l.includes("'bill_depth_mm'") && l.includes('`unknown` ×3')), stats.logs.join('\n'));

  // The warning reaches the CLI's stderr (in a folder of its own: the components above wrote their
  // outputs under .pipewise without a store's layout, which a run rightly refuses as its store).
  const dir3 = await workspaceWith(text2);
  await fs.writeFile(path.join(dir3, 'p.pipeline.yaml'), 'pipeline: p\nstages:\n  examples:\n    component: ExampleGen\n    params: { input: data/p.csv }\n');
  const r = spawnSync(process.execPath, [cli, 'run', path.join(dir3, 'p.pipeline.yaml')], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /warn: data\/p\.csv: column 'bill_depth_mm' is 98\.\d% numeric/);
});

test('a duplicate column name fails at the header line, naming both columns', async () => {
  const rows = penguinRows();
  const header = [...(rows[0] as string[])];
  header[6] = 'Species';
  const dir = await workspaceWith([header, ...rows.slice(1)].map((r) => r.join(',')).join('\n') + '\n');
  const e = await failureOf(runComponent(exampleGen, dir, { input: 'data/p.csv' }));
  assert.equal(e.details?.line, 1);
  assert.match(e.message, /'species' \(column 1\) and 'Species' \(column 7\)/);
});
