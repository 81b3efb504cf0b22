/**
 * ExampleGen's span patterns resolved on real folders with DuckDB's glob: the latest span by number
 * (not by text), one span, a range, {VERSION} inside a span, dates as TFX's day numbers, and errors
 * that name the pattern.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withConnection } from '../../src/engine/duckdb';
import { resolveInputs } from '../../src/engine/components/spans';

function tree(files: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-spans-'));
  for (const f of files) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), 'a\n1\n');
  }
  return dir;
}

test('{SPAN}: latest by number, one span, a range; {VERSION}: the latest in the span', async () => {
  const dir = tree(['data/span-1/a.csv', 'data/span-2/a.csv', 'data/span-2/b.csv', 'data/span-10/a.csv', 'data/notes.txt', 'v/span-3/v1/x.csv', 'v/span-3/v12/x.csv', 'v/span-3/v2/x.csv']);
  try {
    await withConnection(async (conn) => {
      const p = path.join(dir, 'data/span-{SPAN}/*.csv');
      const latest = await resolveInputs(conn, [p], 'latest');
      assert.deepEqual(latest.spans, [10]);
      assert.deepEqual(latest.inputs, [path.join(dir, 'data/span-10/a.csv')]);
      const two = await resolveInputs(conn, [p], 2);
      assert.deepEqual(two.inputs, [path.join(dir, 'data/span-2/a.csv'), path.join(dir, 'data/span-2/b.csv')]);
      const range = await resolveInputs(conn, [p], { from: 1, to: 2 });
      assert.deepEqual(range.spans, [1, 2]);
      assert.equal(range.inputs.length, 3);
      await assert.rejects(resolveInputs(conn, [p], 5), /no span 5 \(spans found: 1, 2, 10\)/);
      await assert.rejects(resolveInputs(conn, [p], { from: 3, to: 9 }), /no span from 3 to 9/);
      const v = await resolveInputs(conn, [path.join(dir, 'v/span-{SPAN}/v{VERSION}/*.csv')], 'latest');
      assert.deepEqual(v, { inputs: [path.join(dir, 'v/span-3/v12/x.csv')], spans: [3], version: 12 });
      const plain = await resolveInputs(conn, [path.join(dir, 'data/span-1/a.csv')], 'latest');
      assert.deepEqual(plain, { inputs: [path.join(dir, 'data/span-1/a.csv')], spans: [] });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('{YYYY}{MM}{DD}: the span is the day number since 1970-01-01, as TFX', async () => {
  const dir = tree(['logs/2026-11-28/a.csv', 'logs/2026-11-29/a.csv', 'logs/2026-02-31/a.csv']);
  try {
    await withConnection(async (conn) => {
      const p = path.join(dir, 'logs/{YYYY}-{MM}-{DD}/*.csv');
      await assert.rejects(resolveInputs(conn, [p], 'latest'), /2026-02-31 is not a date/);
      rmSync(path.join(dir, 'logs/2026-02-31'), { recursive: true });
      const r = await resolveInputs(conn, [p], 'latest');
      assert.deepEqual(r.spans, [Date.UTC(2026, 10, 29) / 86_400_000]);
      assert.deepEqual(r.inputs, [path.join(dir, 'logs/2026-11-29/a.csv')]);
      await assert.rejects(resolveInputs(conn, [path.join(dir, 'logs/{SPAN}/{YYYY}/*.csv')], 'latest'), /needs \{SPAN\}, or \{YYYY\}, \{MM\} and \{DD\} together/);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
