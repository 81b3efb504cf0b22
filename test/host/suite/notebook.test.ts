/**
 * The Pipewise kernel in a real VS Code: a Jupyter notebook (`.ipynb`, VS Code's own ipynb
 * serializer) with the Pipewise kernel selected runs a SQL cell (counts checked against a count
 * of the CSV's lines made here), a stage cell whose training chart updates while it trains
 * (counted from the notebook's own change events), a code cell, an error, diagnostics at the cell
 * line, interrupt, restart, "Open Pipeline as Notebook", and a save that is valid nbformat 4.
 *
 * A stand-in trainer (test/fixtures/notebook/train_fake.mjs) emits the per-epoch metric points, so
 * the kernel is tested apart from TensorFlow.js; the browser test runs the real Trainer.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { PipewiseContext } from '../../../src/extension/context';
import { oraclePython } from '../../python';

const EXTENSION_ID = 'pipewise.pipewise';
const VEGA_LITE = 'application/vnd.vegalite.v5+json';

let ext: vscode.Extension<PipewiseContext>;
let dir: string;
let notebook: vscode.NotebookDocument;

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function code(languageId: string, source: string): Record<string, unknown> {
  return { cell_type: 'code', id: Math.random().toString(16).slice(2, 10), execution_count: null, metadata: { vscode: { languageId } }, outputs: [], source: source.split(/(?<=\n)/) };
}

const CELLS = {
  sql: 0,
  train: 1,
  js: 2,
  throws: 3,
  broken: 4,
  long: 5,
  probe: 6,
  means: 7,
  trees: 8,
} as const;

function cellAt(i: number): vscode.NotebookCell {
  return notebook.cellAt(i);
}

/** Runs cells through VS Code's own command and waits until each has ended. */
async function run(...indexes: number[]): Promise<void> {
  const before = indexes.map((i) => cellAt(i).executionSummary?.timing?.endTime);
  await vscode.commands.executeCommand('notebook.cell.execute', { ranges: indexes.map((i) => ({ start: i, end: i + 1 })), document: notebook.uri });
  await waitFor(`cells ${indexes.join(', ')} to finish`, () =>
    indexes.every((i, k) => {
      const end = cellAt(i).executionSummary?.timing?.endTime;
      return end !== undefined && end !== before[k];
    }),
  );
}

function items(cell: vscode.NotebookCell, mime: string): vscode.NotebookCellOutputItem[] {
  return cell.outputs.flatMap((o) => o.items.filter((i) => i.mime === mime));
}

function json<T>(item: vscode.NotebookCellOutputItem | undefined): T {
  assert.ok(item, 'output item present');
  return JSON.parse(new TextDecoder().decode(item.data)) as T;
}

function text(item: vscode.NotebookCellOutputItem): string {
  return new TextDecoder().decode(item.data);
}

suite('notebook', () => {
  suiteSetup(async () => {
    const found = vscode.extensions.getExtension<PipewiseContext>(EXTENSION_ID);
    assert.ok(found, `extension ${EXTENSION_ID} is installed`);
    ext = found;
    await ext.activate();
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(root, 'a workspace folder');
    dir = path.join(root, `notebook-host-${process.pid}`);
    fs.mkdirSync(dir, { recursive: true });
    const fixtures = path.join(ext.extensionPath, 'test', 'fixtures');
    fs.copyFileSync(path.join(fixtures, 'penguins.csv'), path.join(dir, 'penguins.csv'));
    fs.copyFileSync(path.join(fixtures, 'notebook', 'train_fake.mjs'), path.join(dir, 'train_fake.mjs'));
    fs.writeFileSync(path.join(dir, 'p.pipeline.yaml'), 'pipeline: host_nb\nstages:\n  fit:\n    component: ./train_fake.mjs\n    params: { epochs: 1, delay_ms: 1 }\n');
    const cells = [
      code('sql', "SELECT species, count(*) AS n\nFROM 'penguins.csv'\nGROUP BY species\nORDER BY species"),
      code('yaml', `fit_live:\n  component: ./train_fake.mjs\n  params: { epochs: 8, delay_ms: 250, seed: ${Date.now()} }`),
      code('javascript', "console.log('hello from', 'javascript');\nkept = 7;\nreturn { mark: 'point', data: { values: [{ x: 1, y: 2 }] }, encoding: { x: { field: 'x', type: 'quantitative' } } };"),
      code('javascript', 'const f = () => {\n  throw new TypeError("no such penguin");\n};\nf();'),
      code('yaml', 'broken:\n  component: ./train_fake.mjs\n  paramz: { epochs: 1 }'),
      code('yaml', 'fit_long:\n  component: ./train_fake.mjs\n  params: { epochs: 1000, delay_ms: 50 }'),
      code('javascript', "return (() => { try { return String(kept); } catch { return 'gone'; } })();"),
      code('sql', "SELECT species, count(*) AS n, avg(bill_length_mm) AS mean_bill\nFROM read_csv('penguins.csv', nullstr = 'NA')\nGROUP BY species\nORDER BY species"),
      // The real Trainer with a decision forest (issue 25), on the stages it needs, all in this cell.
      code(
        'yaml',
        [
          'nb_examples:\n  component: ExampleGen\n  params: { input: penguins.csv }',
          'nb_statistics:\n  component: StatisticsGen\n  inputs: { examples: nb_examples.examples }',
          'nb_schema:\n  component: SchemaGen\n  inputs: { statistics: nb_statistics.statistics }',
          'nb_transform:\n  component: Transform\n  inputs: { examples: nb_examples.examples, schema: nb_schema.schema }\n  params: { label: species }',
          'trees:\n  component: Trainer\n  inputs: { examples: nb_transform.transformed_examples, transform_graph: nb_transform.transform_graph }\n  params: { model: gradient_boosted_trees }',
        ].join('\n'),
      ),
    ];
    const file = path.join(dir, 'kernel.ipynb');
    fs.writeFileSync(file, JSON.stringify({ cells, metadata: { language_info: { name: 'yaml' }, pipewise: { pipeline: 'p.pipeline.yaml' } }, nbformat: 4, nbformat_minor: 5 }, null, 1));
    notebook = await vscode.workspace.openNotebookDocument(vscode.Uri.file(file));
    assert.equal(notebook.notebookType, 'jupyter-notebook', 'VS Code opens .ipynb as a Jupyter notebook');
    await vscode.window.showNotebookDocument(notebook);
    await vscode.commands.executeCommand('notebook.selectKernel', { id: 'pipewise-kernel', extension: EXTENSION_ID });
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('cell languages survive the round trip through the ipynb serializer', () => {
    assert.deepEqual(
      notebook.getCells().map((c) => c.document.languageId),
      ['sql', 'yaml', 'javascript', 'javascript', 'yaml', 'yaml', 'javascript', 'sql', 'yaml'],
    );
  });

  test('a SQL cell shows the counts as an HTML table and JSON rows, matching a count of the CSV', async () => {
    await run(CELLS.sql);
    const cell = cellAt(CELLS.sql);
    assert.equal(cell.executionSummary?.success, true);
    assert.equal(cell.executionSummary?.executionOrder, 1);
    // The oracle: count the first column of the CSV's lines, no SQL involved.
    const expected: Record<string, number> = {};
    for (const line of fs.readFileSync(path.join(dir, 'penguins.csv'), 'utf8').trim().split('\n').slice(1)) {
      const species = line.split(',')[0] as string;
      expected[species] = (expected[species] ?? 0) + 1;
    }
    const table = json<{ rows: { species: string; n: number }[] }>(items(cell, 'application/json')[0]);
    assert.deepEqual(Object.fromEntries(table.rows.map((r) => [r.species, r.n])), expected);
    const html = text(items(cell, 'text/html')[0] as vscode.NotebookCellOutputItem);
    assert.match(html, /<th>species<\/th><th>n<\/th>/);
    const chart = json<{ mark: { type: string } }>(items(cell, VEGA_LITE)[0]);
    assert.equal(chart.mark.type, 'bar');
  });

  test('a SQL cell prints fractions rounded as pandas shows them (6 decimals), not 15 digits; its JSON keeps every digit', async () => {
    await run(CELLS.means);
    const cell = cellAt(CELLS.means);
    assert.equal(cell.executionSummary?.success, true);
    const table = json<{ rows: { species: string; n: number; mean_bill: number }[] }>(items(cell, 'application/json')[0]);
    const expected = Object.fromEntries(table.rows.map((r) => [r.species, r.n]));
    const html = text(items(cell, 'text/html')[0] as vscode.NotebookCellOutputItem);
    assert.match(html, /<th>species<\/th><th>n<\/th><th>mean_bill<\/th>/);
    // Fractions print rounded as pandas shows them (6 decimals), not with 15 digits. The oracle:
    // pandas' own means of the CSV, rounded by Python.
    const py = spawnSync(oraclePython(), ['-c', 'import sys, json, pandas as pd; d = pd.read_csv(sys.argv[1]); print(json.dumps({k: repr(round(float(v), 6)) for k, v in d.groupby("species").bill_length_mm.mean().items()}))', path.join(dir, 'penguins.csv')], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    const means = JSON.parse(py.stdout) as Record<string, string>;
    assert.deepEqual(Object.keys(means).sort(), Object.keys(expected).sort());
    for (const [species, mean] of Object.entries(means)) assert.ok(new RegExp(`<td>${species}</td><td[^>]*>${expected[species]}</td><td[^>]*>${mean.replace('.', '\\.')}</td>`).test(html), `${species}: mean ${mean} in ${html}`);
    for (const r of table.rows) if (String(r.mean_bill).replace(/^.*\./, '').length > 6) assert.ok(!html.includes(String(r.mean_bill)), `the ${String(r.mean_bill).length}-character float is not printed`);
    // The JSON beside keeps every digit (within the rounding of pandas' value shown).
    for (const r of table.rows) assert.ok(Math.abs(r.mean_bill - Number(means[r.species])) <= 5e-7, `${r.species}: ${r.mean_bill}`);
    assert.ok(table.rows.some((r) => String(r.mean_bill).replace(/^.*\./, '').length > 6), 'the JSON keeps more than 6 decimals');
  });

  test('a stage cell that trains updates its chart while it trains, then leaves a static spec', async () => {
    const train = cellAt(CELLS.train);
    // Every chart version the notebook saw while the cell ran, from VS Code's own change events.
    const versions: { live: boolean; rows: number }[] = [];
    const sub = vscode.workspace.onDidChangeNotebookDocument((e) => {
      if (e.notebook !== notebook) return;
      for (const c of e.cellChanges) {
        if (c.cell !== train || !c.outputs) continue;
        for (const item of c.outputs.flatMap((o) => o.items).filter((i) => i.mime === VEGA_LITE)) {
          const spec = json<{ data: { values: unknown[] }; usermeta?: { pipewise?: { live?: boolean } } }>(item);
          versions.push({ live: !!spec.usermeta?.pipewise?.live, rows: spec.data.values.length });
        }
      }
    });
    try {
      await run(CELLS.train);
    } finally {
      sub.dispose();
    }
    assert.equal(train.executionSummary?.success, true, JSON.stringify(train.outputs.map((o) => o.items.map((i) => `${i.mime}: ${text(i).slice(0, 300)}`))));
    const intermediate = new Set(versions.filter((v) => v.live).map((v) => v.rows));
    assert.ok(intermediate.size > 1, `more than one intermediate chart update (saw ${JSON.stringify(versions)})`);
    const finalChart = json<{ data: { values: { step: number }[] }; usermeta: { pipewise: { live: boolean } } }>(items(train, VEGA_LITE)[0]);
    assert.equal(finalChart.usermeta.pipewise.live, false);
    // 8 epochs × (loss, val_loss, accuracy).
    assert.equal(finalChart.data.values.length, 24);
    assert.equal(Math.max(...finalChart.data.values.map((v) => v.step)), 8);
    assert.equal(items(train, VEGA_LITE).length, 1, 'one chart, updated in place');
    const status = text(items(train, 'text/markdown')[0] as vscode.NotebookCellOutputItem);
    assert.match(status, /\*\*fit_live\*\* \(\.\/train_fake\.mjs\): succeeded/);
  });

  test('a stage cell that trains gradient-boosted trees streams YDF\'s progress lines while it trains, then shows the model', async function () {
    this.timeout(300_000);
    const cell = cellAt(CELLS.trees);
    // The cell's stdout as the notebook showed it at each change (VS Code's own change events), and
    // whether the cell was still running then.
    const seen: { stdout: string; running: boolean }[] = [];
    const started = cell.executionSummary?.timing?.endTime;
    const sub = vscode.workspace.onDidChangeNotebookDocument((e) => {
      if (e.notebook !== notebook) return;
      for (const c of e.cellChanges) {
        if (c.cell !== cell || !c.outputs) continue;
        const stdout = c.outputs.flatMap((o) => o.items).filter((i) => i.mime === 'application/vnd.code.notebook.stdout').map(text).join('');
        seen.push({ stdout, running: cell.executionSummary?.timing?.endTime === started });
      }
    });
    try {
      await run(CELLS.trees);
    } finally {
      sub.dispose();
    }
    assert.equal(cell.executionSummary?.success, true, JSON.stringify(cell.outputs.map((o) => o.items.map((i) => `${i.mime}: ${text(i).slice(0, 300)}`))));
    const stdout = items(cell, 'application/vnd.code.notebook.stdout').map(text).join('');
    // YDF's own progress lines (its loss on the rows it holds out, as trees are added), then the
    // Trainer's summary, whose tree count is the one YDF reported loading.
    const progress = stdout.match(/^\[trees\] YDF: num-trees:\d+ train-loss:[\d.]+ .*valid-loss:[\d.]+/gm) ?? [];
    assert.ok(progress.length >= 1, `YDF's progress lines in the cell's output:\n${stdout.slice(0, 3000)}`);
    const loaded = /^\[trees\] YDF: Model loaded with (\d+) root\(s\)/m.exec(stdout);
    const trained = /^\[trees\] trained gradient_boosted_trees \(Yggdrasil Decision Forests, its default hyperparameters\): (\d+) trees; /m.exec(stdout);
    assert.ok(loaded && trained, `YDF's model line and the Trainer's summary line in:\n${stdout.slice(-2000)}`);
    assert.equal(trained[1], loaded[1]);
    // The run line names the forest without a network's hidden layers (it once said "gradient_boosted_trees [64,32]").
    assert.match(stdout, /^\[trees\] multiclass on 'species' .*; gradient_boosted_trees$/m);
    // Live: the notebook showed the progress while the cell still ran, before the summary line.
    assert.ok(
      seen.some((s) => s.running && /^\[trees\] YDF: num-trees:/m.test(s.stdout) && !/^\[trees\] trained /m.test(s.stdout)),
      `a progress line shown before training ended (saw ${seen.length} output changes)`,
    );
    // The cell's result: the stage's status and its model artifact, a YDF model on disk.
    const markdown = items(cell, 'text/markdown').map(text).join('\n');
    assert.match(markdown, /\*\*trees\*\* \(Trainer\): succeeded in [\d.]+ s/);
    const model = /`trees\.model` \(Model\): `([^`]+)`/.exec(markdown);
    assert.ok(model, `the model artifact in:\n${markdown}`);
    const signature = JSON.parse(fs.readFileSync(path.join(model[1] as string, 'signature.json'), 'utf8')) as { modelFormat?: string; hyperparameters?: { model?: string } };
    assert.equal(signature.modelFormat, 'ydf');
    assert.equal(signature.hyperparameters?.model, 'gradient_boosted_trees');
    assert.ok(fs.existsSync(path.join(model[1] as string, 'model', 'ydf_model.zip')), 'the saved forest');
  });

  test('a code cell streams console output and shows a returned Vega-Lite spec', async () => {
    await run(CELLS.js);
    const cell = cellAt(CELLS.js);
    assert.equal(cell.executionSummary?.success, true);
    assert.equal(items(cell, 'application/vnd.code.notebook.stdout').map(text).join(''), 'hello from javascript\n');
    const spec = json<{ $schema: string; mark: string }>(items(cell, VEGA_LITE)[0]);
    assert.equal(spec.mark, 'point');
    assert.match(spec.$schema, /vega-lite\/v5\.json$/);
  });

  test('a code cell that throws shows the user stack as a notebook error', async () => {
    await run(CELLS.throws);
    const cell = cellAt(CELLS.throws);
    assert.equal(cell.executionSummary?.success, false);
    const err = json<{ name: string; message: string; stack: string }>(items(cell, 'application/vnd.code.notebook.error')[0]);
    assert.equal(err.name, 'TypeError');
    assert.equal(err.message, 'no such penguin');
    assert.match(err.stack, /at f \(Cell 4\.js:2:9\)\n\s+at Cell 4\.js:4:1$/);
  });

  test('a stage cell with a mistake gets a diagnostic at the right line', async () => {
    await run(CELLS.broken);
    const cell = cellAt(CELLS.broken);
    assert.equal(cell.executionSummary?.success, false);
    const diags = vscode.languages.getDiagnostics(cell.document.uri);
    assert.equal(diags.length, 1, JSON.stringify(diags));
    assert.equal(diags[0]?.range.start.line, 2);
    assert.match(diags[0]?.message ?? '', /paramz/);
  });

  test('interrupt stops a training cell', async () => {
    const cell = cellAt(CELLS.long);
    const started = vscode.commands.executeCommand('notebook.cell.execute', { ranges: [{ start: CELLS.long, end: CELLS.long + 1 }], document: notebook.uri });
    const endBefore = cell.executionSummary?.timing?.endTime;
    await waitFor('the first training points', () => {
      const ended = cell.executionSummary?.timing?.endTime;
      if (ended !== undefined && ended !== endBefore && items(cell, VEGA_LITE).length === 0) {
        throw new Error(`the cell ended before training: ${JSON.stringify(cell.outputs.map((o) => o.items.map((i) => text(i).slice(0, 300))))}`);
      }
      return items(cell, VEGA_LITE).length > 0;
    });
    await vscode.commands.executeCommand('notebook.cell.cancelExecution', { ranges: [{ start: CELLS.long, end: CELLS.long + 1 }], document: notebook.uri });
    await started;
    await waitFor('the interrupted cell to end', () => cell.executionSummary?.timing?.endTime !== undefined && cell.executionSummary.success !== true && items(cell, 'application/vnd.code.notebook.stderr').length > 0);
    assert.match(items(cell, 'application/vnd.code.notebook.stderr').map(text).join(''), /Interrupted/);
    const chart = json<{ data: { values: unknown[] }; usermeta: { pipewise: { live: boolean } } }>(items(cell, VEGA_LITE)[0]);
    assert.ok(chart.data.values.length < 3000, `stopped before its 1000 epochs (${chart.data.values.length / 3} ran)`);
    assert.equal(chart.usermeta.pipewise.live, false, 'the chart is frozen as it stood');
  });

  test('the saved notebook is valid nbformat 4 with charts under the Vega-Lite MIME type', async () => {
    assert.ok(await notebook.save(), 'saved');
    const saved = JSON.parse(fs.readFileSync(notebook.uri.fsPath, 'utf8')) as {
      nbformat: number;
      cells: { outputs?: { output_type: string; data?: Record<string, unknown> }[]; execution_count?: number | null }[];
      metadata: { pipewise?: { pipeline?: string } };
    };
    assert.equal(saved.nbformat, 4);
    assert.equal(saved.metadata.pipewise?.pipeline, 'p.pipeline.yaml');
    const chart = saved.cells[CELLS.train]?.outputs?.find((o) => o.data?.[VEGA_LITE]);
    assert.ok(chart, 'the training chart is saved');
    assert.equal(typeof chart.data?.[VEGA_LITE], 'object', 'saved as JSON, not a string');
    assert.equal(saved.cells[CELLS.throws]?.outputs?.[0]?.output_type, 'error');
    let python = '';
    try {
      python = execFileSync(oraclePython(), ['-c', 'import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4)); print("valid")', notebook.uri.fsPath], { encoding: 'utf8' });
    } catch (e) {
      const stderr = String((e as { stderr?: unknown }).stderr ?? '');
      // Without Debian's python3-nbformat, the JSON checks above stand alone.
      if (!/No module named|ENOENT/.test(stderr + String(e))) throw e;
    }
    if (python) assert.equal(python.trim(), 'valid');
  });

  test('restart gives a new worker with the notebook state cleared', async () => {
    const ctx = await ext.activate();
    await run(CELLS.probe);
    assert.equal(text(items(cellAt(CELLS.probe), 'text/plain')[0] as vscode.NotebookCellOutputItem), '7', '`kept` from the code cell above');
    const before = (await ctx.worker.process()).pid;
    await vscode.commands.executeCommand('pipewise.notebook.restartKernel');
    await run(CELLS.probe);
    assert.equal(text(items(cellAt(CELLS.probe), 'text/plain')[0] as vscode.NotebookCellOutputItem), 'gone');
    assert.equal(cellAt(CELLS.probe).executionSummary?.executionOrder, 1, 'execution numbers start again');
    assert.notEqual((await ctx.worker.process()).pid, before, 'a new worker process');
  });

  test('Open Pipeline as Notebook makes a markdown cell and one stage cell per stage', async () => {
    const editor = await vscode.commands.executeCommand<vscode.NotebookEditor>('pipewise.openPipelineAsNotebook', vscode.Uri.file(path.join(dir, 'p.pipeline.yaml')), { replace: true });
    assert.ok(editor, 'a notebook editor');
    const nb = editor.notebook;
    assert.equal(nb.uri.fsPath, path.join(dir, 'p.ipynb'));
    assert.deepEqual(
      nb.getCells().map((c) => [c.kind, c.document.languageId]),
      [
        [vscode.NotebookCellKind.Markup, 'markdown'],
        [vscode.NotebookCellKind.Code, 'yaml'],
      ],
    );
    assert.equal(nb.cellAt(1).document.getText(), 'fit:\n  component: ./train_fake.mjs\n  params: { epochs: 1, delay_ms: 1 }');
    assert.match(nb.cellAt(0).document.getText(), /# Pipeline `host_nb`/);
  });
});
