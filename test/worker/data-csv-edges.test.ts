/**
 * The last CSV inputs DuckDB reads without a word: a stray quote inside or at the end of an
 * unquoted field, a header naming a column twice up to surrounding spaces, mixed CRLF/LF line
 * endings, a stray quote in the header, a NUL byte in a field. Python's csv module on the clean
 * penguins file is the oracle for what is kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { exampleGen, splitFile } from '../../src/engine/components/exampleGen';
import { queryRows, quoteLiteral, withConnection } from '../../src/engine/duckdb';
import { runComponent, tempDir } from './data-helpers';
import { oraclePython } from '../python';

const penguins = path.resolve(__dirname, '../fixtures/penguins.csv');

function penguinRows(): string[][] {
  const out = execFileSync(oraclePython(), ['-c', 'import csv,json,sys; print(json.dumps(list(csv.reader(open(sys.argv[1])))))', penguins], { encoding: 'utf8' });
  return JSON.parse(out) as string[][];
}

async function workspaceWith(text: string | Buffer): Promise<string> {
  const dir = await tempDir();
  await fs.mkdir(path.join(dir, 'data'));
  await fs.writeFile(path.join(dir, 'data/p.csv'), text);
  return dir;
}

async function failureOf(p: Promise<unknown>): Promise<Error & { details?: { file?: string; line?: number; column?: number } }> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  assert.fail('expected ExampleGen to fail');
}

async function islandsOf(uri: string): Promise<string[]> {
  return withConnection(async (c) =>
    (await queryRows(c, `SELECT DISTINCT island FROM read_parquet([${quoteLiteral(splitFile(uri, 'train'))}, ${quoteLiteral(splitFile(uri, 'eval'))}]) ORDER BY 1`)).map((r) => String(r.island)),
  );
}

for (const [what, cell] of [
  ['inside', (v: string) => `${v.slice(0, 2)}"${v.slice(2)}`],
  ['at the end of', (v: string) => `${v}"`],
] as const) {
  test(`a stray quote ${what} an unquoted field fails at its line; on_bad_rows: skip leaves the row out`, async () => {
    const rows = penguinRows();
    const bad = 40;
    const text = rows.map((r, i) => (i === bad ? [r[0], cell(r[1] as string), ...r.slice(2)] : r).join(',')).join('\n') + '\n';
    const dir = await workspaceWith(text);
    const e = await failureOf(runComponent(exampleGen, dir, { input: 'data/p.csv' }));
    assert.equal(e.details?.file, path.join(dir, 'data/p.csv'), e.message);
    assert.equal(e.details?.line, bad + 1, e.message);
    assert.match(e.message, /quote/);

    const ok = await runComponent(exampleGen, dir, { input: 'data/p.csv', on_bad_rows: 'skip' });
    const ex = ok.outputs.examples!;
    assert.deepEqual(await islandsOf(ex.uri), [...new Set(rows.slice(1).map((r) => r[1] as string))].sort());
    const counts = ex.properties.rows as Record<string, number>;
    assert.equal((counts.train ?? 0) + (counts.eval ?? 0), rows.length - 2);
  });
}

test('a header naming a column twice up to surrounding spaces fails at line 1, naming both columns', async () => {
  const rows = penguinRows();
  const header = [...(rows[0] as string[])];
  header[6] = `${header[0]} `;
  const dir = await workspaceWith([header, ...rows.slice(1)].map((r) => r.join(',')).join('\n') + '\n');
  const e = await failureOf(runComponent(exampleGen, dir, { input: 'data/p.csv' }));
  assert.equal(e.details?.line, 1, e.message);
  assert.match(e.message, /'species' \(column 1\) and 'species ' \(column 7\)/);
});

test('mixed CRLF and LF line endings are read as the rows they hold', async () => {
  const rows = penguinRows();
  const text = rows.map((r, i) => r.join(',') + (i % 3 === 0 ? '\r\n' : '\n')).join('');
  const dir = await workspaceWith(text);
  const ok = await runComponent(exampleGen, dir, { input: 'data/p.csv' });
  const ex = ok.outputs.examples!;
  const counts = ex.properties.rows as Record<string, number>;
  assert.equal((counts.train ?? 0) + (counts.eval ?? 0), rows.length - 1);
  const species = await withConnection(async (c) =>
    (await queryRows(c, `SELECT species, count(*) AS n FROM read_parquet([${quoteLiteral(splitFile(ex.uri, 'train'))}, ${quoteLiteral(splitFile(ex.uri, 'eval'))}]) GROUP BY 1 ORDER BY 1`)).map((r) => `${String(r.species)}:${String(r.n)}`),
  );
  const expected = new Map<string, number>();
  for (const r of rows.slice(1)) expected.set(r[0] as string, (expected.get(r[0] as string) ?? 0) + 1);
  assert.deepEqual(species, [...expected].sort().map(([k, n]) => `${k}:${n}`), 'no value keeps a carriage return');
});

test('a stray quote in the header gets our own message naming the line and column', async () => {
  const rows = penguinRows();
  const header = [...(rows[0] as string[])];
  header[2] = `"${header[2]}`;
  const dir = await workspaceWith([header, ...rows.slice(1)].map((r) => r.join(',')).join('\n') + '\n');
  const e = await failureOf(runComponent(exampleGen, dir, { input: 'data/p.csv' }));
  assert.equal(e.details?.line, 1, e.message);
  assert.match(e.message, /header/);
  assert.match(e.message, /quote/);
  assert.doesNotMatch(e.message, /sniff|search space|Delimiter Candidates/i);
});

test('a NUL byte in a field fails at its line; on_bad_rows: skip leaves the row out', async () => {
  const rows = penguinRows();
  const bad = 12;
  const text = rows.map((r, i) => (i === bad ? [r[0], `${(r[1] as string).slice(0, 3)}\0${(r[1] as string).slice(3)}`, ...r.slice(2)] : r).join(',')).join('\n') + '\n';
  const dir = await workspaceWith(text);
  const e = await failureOf(runComponent(exampleGen, dir, { input: 'data/p.csv' }));
  assert.equal(e.details?.line, bad + 1, e.message);
  assert.match(e.message, /NUL/);
  const ok = await runComponent(exampleGen, dir, { input: 'data/p.csv', on_bad_rows: 'skip' });
  assert.deepEqual(await islandsOf(ok.outputs.examples!.uri), [...new Set(rows.slice(1).map((r) => r[1] as string))].sort());
});
