/**
 * The data panels in a real VS Code: the commands open webviews, the webviews draw what the worker
 * computed and report it back (a digest of the rows drawn), and those figures agree with DuckDB's
 * own SUMMARIZE run here, in the extension host, independently of the worker.
 */
import * as assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { DataSource, QuickFix, RenderedDigest } from '../../../src/protocol/data';
import { sharedDir } from '../../sharedDir';

const EXTENSION_ID = 'pipewise.pipewise';

function extensionRoot(): string {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
  return ext.extensionPath;
}

async function summarize(relation: string): Promise<Record<string, unknown>[]> {
  const duckdb = createRequire(path.join(extensionRoot(), 'package.json'))('@duckdb/node-api') as typeof import('@duckdb/node-api');
  const db = await duckdb.DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(`SUMMARIZE SELECT * FROM ${relation}`)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** Writes a CSV of `rows` rows (an integer id, a number, a label) with DuckDB, here in the extension host. */
async function writeBigCsv(file: string, rows: number): Promise<void> {
  const duckdb = createRequire(path.join(extensionRoot(), 'package.json'))('@duckdb/node-api') as typeof import('@duckdb/node-api');
  const db = await duckdb.DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    await c.run(
      `COPY (SELECT range AS id, (range * 7919 % 10007) / 100.0 AS value, CASE range % 3 WHEN 0 THEN 'a' WHEN 1 THEN 'b' ELSE 'c' END AS label FROM range(${rows})) TO '${file.replace(/'/g, "''")}' (HEADER)`,
    );
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** A render the panel reported (any so far, or with `fresh` only one still to come). */
function digest(id: string, want: { kind?: string; exact?: boolean; anomalyFree?: string; timeoutMs?: number; fresh?: boolean }): Promise<RenderedDigest> {
  return vscode.commands.executeCommand<RenderedDigest>('pipewise.internal.panelDigest', id, want) as Promise<RenderedDigest>;
}

/** Every feature the panel drew agrees with SUMMARIZE: counts exactly, mean and min/max to 1e-9. */
async function assertAgreesWithSummarize(d: RenderedDigest, relation: string): Promise<void> {
  const rows = await summarize(relation);
  assert.equal(d.rows.length, rows.length, 'one drawn row per column');
  for (const s of rows) {
    const name = String(s.column_name);
    const drawn = d.rows.find((r) => r.feature === name);
    assert.ok(drawn, `the panel drew ${name}`);
    const total = Number(s.count);
    const nonNull = Math.round(total * (1 - Number(s.null_percentage) / 100));
    assert.equal(drawn.cells.count, nonNull, `${name}: count`);
    assert.equal(drawn.cells.missing, total - nonNull, `${name}: missing`);
    if (s.avg !== null && /INT|DOUBLE|FLOAT|DECIMAL/.test(String(s.column_type))) {
      const mean = Number(drawn.cells.mean);
      assert.ok(Math.abs(mean - Number(s.avg)) <= 1e-9 * Math.max(1, Math.abs(Number(s.avg))), `${name}: mean ${mean} vs SUMMARIZE ${String(s.avg)}`);
      assert.equal(drawn.cells.min, Number(s.min), `${name}: min`);
      assert.equal(drawn.cells.max, Number(s.max), `${name}: max`);
    }
  }
}

suite('data panels', () => {
  suiteSetup(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
  });

  teardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('statistics of penguins.csv: the panel draws what SUMMARIZE finds', async () => {
    const file = path.join(extensionRoot(), 'test', 'fixtures', 'penguins.csv');
    const id = await vscode.commands.executeCommand<string>('pipewise.previewStatistics', vscode.Uri.file(file));
    assert.ok(id, 'the command returns the panel id');
    const d = await digest(id, { kind: 'statistics', exact: true });
    await assertAgreesWithSummarize(d, `read_csv('${file.replace(/'/g, "''")}', nullstr=['', 'NA', 'N/A', 'NaN', 'null', 'NULL'])`);
    assert.equal(d.rows.find((r) => r.feature === 'species')?.cells.top, 'Adelie');
  });

  test('a Yes/No column is drawn as the strings in the file, not as booleans; true/false stays boolean', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-yesno-'));
    const file = path.join(dir, 'answers.csv');
    const lines = ['x,answer,flag', '1,Yes,true', '2,No,false', '3,Yes,true', '4,Yes,false', '5,No,true', '6,Yes,true'];
    writeFileSync(file, `${lines.join('\n')}\n`);
    const id = await vscode.commands.executeCommand<string>('pipewise.previewStatistics', vscode.Uri.file(file));
    assert.ok(id);
    const d = await digest(id, { kind: 'statistics', exact: true });
    // The oracle: the most frequent word in the file's second column, counted here.
    const words = lines.slice(1).map((l) => l.split(',')[1] as string);
    const top = [...new Set(words)].sort((a, b) => words.filter((w) => w === b).length - words.filter((w) => w === a).length)[0];
    const answer = d.rows.find((r) => r.feature === 'answer');
    assert.equal(answer?.cells.top, top, JSON.stringify(answer));
    assert.equal(answer?.cells.unique, 2);
    // true/false stays a boolean, which statistics count as TFDV does (INT 0/1): its mean is the share of true.
    const flag = d.rows.find((r) => r.feature === 'flag');
    assert.equal(flag?.cells.type, 'INT', JSON.stringify(flag));
    assert.ok(Math.abs(Number(flag?.cells.mean) - lines.slice(1).filter((l) => l.endsWith(',true')).length / 6) < 1e-12, JSON.stringify(flag));
  });

  test('statistics of flights-3m.parquet: a sample first, then exact figures that agree with SUMMARIZE', async function () {
    const file = sharedDir('data', 'flights-3m.parquet');
    if (!existsSync(file)) return this.skip();
    this.timeout(180_000);
    const id = await vscode.commands.executeCommand<string>('pipewise.previewStatistics', vscode.Uri.file(file));
    assert.ok(id);
    const exact = await digest(id, { kind: 'statistics', exact: true, timeoutMs: 170_000 });
    // The sampled figures were drawn before the exact ones (the panel keeps what it drew).
    const sample = await digest(id, { kind: 'statistics', exact: false, timeoutMs: 1000 });
    assert.equal(sample.rows.length, 5);
    await assertAgreesWithSummarize(exact, `read_parquet('${file.replace(/'/g, "''")}')`);
    assert.equal(exact.rows.find((r) => r.feature === 'delay')?.cells.mean, 6.667867666666667);
  });

  test('two statistics panels on two large files at once: both draw their sample while computing, then finish exact', async function () {
    const flights = sharedDir('data', 'flights-3m.parquet');
    if (!existsSync(flights)) return this.skip();
    this.timeout(300_000);
    // A generated CSV big enough to be sampled first (more than twice the 100,000-row sample).
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-big-'));
    const csv = path.join(dir, 'big.csv');
    await writeBigCsv(csv, 3_000_000);
    // Both at once, side by side (a webview hidden behind another tab would not load until shown):
    // the second panel subscribes to the worker's statistics progress while the first one computes.
    const a = await vscode.commands.executeCommand<string>('pipewise.previewStatistics', vscode.Uri.file(csv));
    await vscode.commands.executeCommand('workbench.action.newGroupRight');
    const b = await vscode.commands.executeCommand<string>('pipewise.previewStatistics', vscode.Uri.file(flights));
    assert.ok(a && b && a !== b, `two panels: ${a}, ${b}`);
    const [exactA, exactB] = await Promise.all([
      digest(a, { kind: 'statistics', exact: true, timeoutMs: 280_000 }),
      digest(b, { kind: 'statistics', exact: true, timeoutMs: 280_000 }),
    ]);
    // Progress: each panel drew the sampled figures its own progress notifications carried, before the exact ones.
    const sampleA = await digest(a, { kind: 'statistics', exact: false, timeoutMs: 1000 });
    const sampleB = await digest(b, { kind: 'statistics', exact: false, timeoutMs: 1000 });
    assert.deepEqual(sampleA.rows.map((r) => r.feature).sort(), ['id', 'label', 'value']);
    assert.equal(sampleB.rows.length, 5, 'flights: the sample of every column');
    await assertAgreesWithSummarize(exactA, `read_csv('${csv.replace(/'/g, "''")}', nullstr=['', 'NA', 'N/A', 'NaN', 'null', 'NULL'])`);
    await assertAgreesWithSummarize(exactB, `read_parquet('${flights.replace(/'/g, "''")}')`);
  });

  test('compare seattle-weather 2012–13 with 2014–15 highlights weather', async () => {
    const file = path.join(extensionRoot(), 'test', 'fixtures', 'seattle-weather.csv');
    const left: DataSource = { kind: 'file', path: file, where: [{ column: 'date', op: '<', value: '2014-01-01' }] };
    const right: DataSource = { kind: 'file', path: file, where: [{ column: 'date', op: '>=', value: '2014-01-01' }] };
    const id = await vscode.commands.executeCommand<string>('pipewise.compareDatasets', left, right);
    assert.ok(id);
    const d = await digest(id, { kind: 'compare' });
    assert.ok(d.highlighted?.includes('weather'), `highlighted: ${JSON.stringify(d.highlighted)}`);
    assert.ok(!d.highlighted?.includes('date'), 'dates of different years do not count as drift of single values');
  });

  test('a quick fix edits the schema file, undoably, and the anomaly disappears', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-schema-'));
    const schemaFile = path.join(dir, 'schema.json');
    const schema = {
      feature: [
        { name: 'species', type: 'BYTES', stringDomain: { value: ['Adelie', 'Chinstrap'] } },
        { name: 'island', type: 'BYTES' },
        { name: 'bill_length_mm', type: 'FLOAT' },
        { name: 'bill_depth_mm', type: 'FLOAT' },
        { name: 'flipper_length_mm', type: 'INT' },
        { name: 'body_mass_g', type: 'INT' },
        { name: 'sex', type: 'BYTES' },
        { name: 'year', type: 'INT' },
      ],
    };
    writeFileSync(schemaFile, JSON.stringify(schema, null, 2));
    const data = path.join(extensionRoot(), 'test', 'fixtures', 'penguins.csv');
    const id = await vscode.commands.executeCommand<string>('pipewise.openSchema', { schema: vscode.Uri.file(schemaFile), statistics: vscode.Uri.file(data) });
    assert.ok(id);
    const before = await digest(id, { kind: 'schema' });
    assert.deepEqual(before.anomalies, ['species'], `anomalies before: ${JSON.stringify(before.anomalies)}`);
    const fix = before.fixes?.species?.[0] as QuickFix | undefined;
    assert.deepEqual(fix, { kind: 'addDomainValues', feature: 'species', values: ['Gentoo'] });
    await vscode.commands.executeCommand('pipewise.internal.panelMessage', id, { type: 'quickFix', fix });
    const after = await digest(id, { kind: 'schema', anomalyFree: 'species', fresh: true });
    assert.deepEqual(after.anomalies, []);
    const onDisk = JSON.parse(readFileSync(schemaFile, 'utf8')) as typeof schema;
    assert.deepEqual(onDisk.feature[0]?.stringDomain?.value, ['Adelie', 'Chinstrap', 'Gentoo']);
    // The edit is an ordinary one: undo in the schema's editor takes it back.
    const doc = await vscode.workspace.openTextDocument(schemaFile);
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('undo');
    assert.ok(!doc.getText().includes('Gentoo'), 'undo removes the added value');
    await doc.save();
  });

  test('the SQL box answers, and a SQL error comes back with its position while the panel keeps working', async () => {
    const file = path.join(extensionRoot(), 'test', 'fixtures', 'penguins.csv');
    const id = await vscode.commands.executeCommand<string>('pipewise.previewData', vscode.Uri.file(file));
    assert.ok(id);
    const first = await digest(id, { kind: 'preview' });
    assert.equal(first.rows[3]?.cells.bill_length_mm, null, 'the NA row shows a real null');
    await vscode.commands.executeCommand('pipewise.internal.panelMessage', id, { type: 'query', sql: 'SELEC species FROM data' });
    const err = await digest(id, { kind: 'preview', exact: false, fresh: true });
    assert.match(err.anomalies?.[0] ?? '', /syntax error/i);
    await vscode.commands.executeCommand('pipewise.internal.panelMessage', id, { type: 'query', sql: 'SELECT species, count(*) AS n FROM data GROUP BY 1 ORDER BY n DESC' });
    const ok = await digest(id, { kind: 'preview', exact: true, fresh: true });
    assert.deepEqual(ok.rows.map((r) => [r.cells.species, r.cells.n]), [['Adelie', 152], ['Gentoo', 124], ['Chinstrap', 68]]);
  });
});
