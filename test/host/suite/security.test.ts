/**
 * Issue 18 through the extension's own commands in a real VS Code: opening and graphing a pipeline
 * never runs its user modules and shows a symlink escape at its position; the data panels refuse a
 * filter given as SQL text and filter by structured conditions; the SQL box is read-only.
 */
import * as assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { DataSource, RenderedDigest } from '../../../src/protocol/data';

const EXTENSION_ID = 'pipewise.pipewise';
const INJECTION = "false UNION ALL SELECT * FROM read_csv('/etc/passwd', sep=':', header=false, all_varchar=true)";

function extensionRoot(): string {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
  return ext.extensionPath;
}

function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the host tests need a workspace folder');
  return folder.uri.fsPath;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function digest(id: string, want: { kind?: string; exact?: boolean; fresh?: boolean }): Promise<RenderedDigest> {
  return vscode.commands.executeCommand<RenderedDigest>('pipewise.internal.panelDigest', id, want) as Promise<RenderedDigest>;
}

async function duckdbCount(sql: string): Promise<number> {
  const duckdb = createRequire(path.join(extensionRoot(), 'package.json'))('@duckdb/node-api') as typeof import('@duckdb/node-api');
  const db = await duckdb.DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return Number((await c.runAndReadAll(sql)).getRowsJson()[0]?.[0]);
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

suite('security', () => {
  suiteSetup(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
  });

  teardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('opening and graphing a pipeline runs none of its modules; a symlinked input is an error at its position', async () => {
    const dir = path.join(workspaceRoot(), 'penguins');
    const marker = path.join(dir, 'MARKER');
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-outside-'));
    fs.writeFileSync(path.join(outside, 'secret.csv'), 'a,b\n1,2\n');
    fs.rmSync(path.join(dir, 'data/link.csv'), { force: true });
    fs.symlinkSync(path.join(outside, 'secret.csv'), path.join(dir, 'data/link.csv'));
    fs.mkdirSync(path.join(dir, 'components'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'components/my_step.js'),
      `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\nexports.declaration = { name: 'MyStep', inputs: { examples: { type: 'Examples' } }, outputs: {} };\nexports.run = async () => {};\n`,
    );
    const text = 'pipeline: sec\nstages:\n  examples:\n    component: ExampleGen\n    params: { input: data/link.csv }\n  mine:\n    component: ./components/my_step.js\n    inputs: { examples: examples.examples }\n';
    const file = path.join(dir, 'sec.pipeline.yaml');
    fs.writeFileSync(file, text);
    const uri = vscode.Uri.file(file);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const escape = await waitFor('a path-escape diagnostic for the symlinked input', () =>
      vscode.languages.getDiagnostics(uri).find((d) => d.source === 'pipewise' && d.code === 'path-escape'),
    );
    const at = doc.positionAt(text.indexOf('data/link.csv'));
    assert.deepEqual([escape.range.start.line, escape.range.start.character], [at.line, at.character]);
    assert.match(escape.message, /symbolic link to .*secret\.csv, outside the pipeline's folder/);
    await vscode.commands.executeCommand('pipewise.showGraph', uri);
    await waitFor('the graph to draw', () => vscode.commands.executeCommand<unknown>('pipewise.test.graphAck', uri));
    assert.ok(!fs.existsSync(marker), 'opening or graphing the pipeline ran the user module');
    fs.rmSync(outside, { recursive: true, force: true });
  });

  test('a data panel refuses a filter written as SQL text, and filters by structured conditions', async () => {
    const file = path.join(extensionRoot(), 'test', 'fixtures', 'penguins.csv');
    const hostile = { kind: 'file', path: file, where: INJECTION };
    for (const command of ['pipewise.previewData', 'pipewise.previewStatistics']) {
      const refused = await vscode.commands.executeCommand<string | undefined>(command, hostile);
      assert.equal(refused, undefined, `${command} opened a panel for a SQL-text filter`);
    }
    const source: DataSource = { kind: 'file', path: file, where: [{ column: 'island', op: 'in', value: ['Dream'] }, { column: 'body_mass_g', op: '>', value: 3500 }] };
    const id = await vscode.commands.executeCommand<string>('pipewise.previewStatistics', source);
    assert.ok(id, 'the statistics panel opens for a structured filter');
    const d = await digest(id, { kind: 'statistics', exact: true });
    const expected = await duckdbCount(`SELECT count(species) FROM read_csv('${file.replace(/'/g, "''")}', nullstr=['NA']) WHERE island = 'Dream' AND body_mass_g > 3500`);
    assert.ok(expected > 0 && expected < 124, `oracle ${expected}`);
    assert.equal(d.rows.find((r) => r.feature === 'species')?.cells.count, expected);
  });

  test('the SQL box is read-only: COPY over the data file and ATTACH are refused, the file is unchanged', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-sqlbox-'));
    const file = path.join(dir, 'penguins.csv');
    fs.copyFileSync(path.join(extensionRoot(), 'test', 'fixtures', 'penguins.csv'), file);
    const before = fs.readFileSync(file, 'utf8');
    const id = await vscode.commands.executeCommand<string>('pipewise.previewData', vscode.Uri.file(file));
    assert.ok(id);
    await digest(id, { kind: 'preview' });
    for (const sql of [`COPY (SELECT 1 AS x) TO '${file}'`, `SELECT 1; ATTACH '${path.join(dir, 'new.db')}'`]) {
      await vscode.commands.executeCommand('pipewise.internal.panelMessage', id, { type: 'query', sql });
      const err = await digest(id, { kind: 'preview', exact: false, fresh: true });
      assert.match(err.anomalies?.[0] ?? '', /read-only|one statement at a time/, sql);
    }
    assert.equal(fs.readFileSync(file, 'utf8'), before, 'the data file changed');
    assert.deepEqual(fs.readdirSync(dir), ['penguins.csv']);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
