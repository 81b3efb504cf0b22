/**
 * A decision forest in the editor (issue 25): a penguin pipeline whose Trainer says
 * `model: gradient_boosted_trees` runs through the extension and pushes; the Models view lists the
 * tree model's version with its Evaluator accuracy; a server starts from the view's command, and the
 * Try panel's answer for its prefilled row equals the same request sent straight to the server
 * (whose tree predictions the worker tests hold to YDF's own predict).
 */
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { activePipewise, firstParquetRow, post, runAndPush, waitFor, type ViewSnapshot, lastCommandFailure } from '../pushedRun';
import type { ServerInfo } from '../../../src/protocol/models';
import type { TryRender } from '../../../src/protocol/tryModel';

suite('trees', () => {
  let extensionPath = '';
  let examples = '';
  let base = '';
  let version = 0;
  let evaluation = '';
  let model = '';
  let server: ServerInfo | undefined;

  suiteSetup(async function () {
    this.timeout(600_000);
    extensionPath = (await activePipewise()).extensionPath;
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    const penguins = fs.readFileSync(path.join(root, 'penguins', 'penguins.pipeline.yaml'), 'utf8');
    const trainer = 'params: { model: dnn, hidden_units: [32, 16], epochs: 40 }';
    assert.ok(penguins.includes(trainer) && penguins.includes('destination: serving/penguins }'), 'the example pipeline changed: update this suite');
    const file = path.join(root, 'penguins', 'trees.pipeline.yaml');
    fs.writeFileSync(
      file,
      penguins
        .replace('pipeline: penguins', 'pipeline: penguins_trees')
        .replace(trainer, 'params: { model: gradient_boosted_trees }')
        .replace('destination: serving/penguins }', 'destination: serving/penguins-trees }'),
    );
    const run = await runAndPush(file);
    version = run.version;
    base = run.base;
    evaluation = run.artifact('evaluate', 'evaluation');
    model = run.artifact('train', 'model');
    examples = run.artifact('examples', 'examples');
  });

  suiteTeardown(async () => {
    if (server) await vscode.commands.executeCommand('pipewise.stopModelServer', base);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('the Models view lists the tree model with its blessing accuracy', async function () {
    this.timeout(60_000);
    const signature = JSON.parse(fs.readFileSync(path.join(model, 'signature.json'), 'utf8')) as { modelFormat?: string };
    assert.equal(signature.modelFormat, 'ydf', 'the Trainer made a decision forest');
    const metrics = JSON.parse(fs.readFileSync(path.join(evaluation, 'metrics.json'), 'utf8')) as { slices: { slice: object; metrics: Record<string, number> }[] };
    const accuracy = metrics.slices.find((s) => Object.keys(s.slice).length === 0)?.metrics.accuracy as number;
    const view = await waitFor(
      `the Models view to list penguins-trees v${version}`,
      async () => {
        const v = (await vscode.commands.executeCommand('pipewise.test.modelsView')) as ViewSnapshot;
        return v.find((m) => m.label === 'penguins-trees')?.children.some((c) => c.label === `v${version}`) ? v : undefined;
      },
      30_000,
    );
    const item = view.find((m) => m.label === 'penguins-trees')?.children.find((c) => c.label === `v${version}`);
    const shown = /accuracy (\d\.\d+)/.exec(item?.description ?? '');
    assert.ok(shown, `accuracy in '${item?.description}'`);
    assert.ok(Math.abs(Number(shown[1]) - accuracy) < 5e-3, `shown ${shown[1]}, metrics.json ${accuracy}`);
  });

  test('a server starts from the view and the Try panel answers with the tree model as the server does', async function () {
    this.timeout(300_000);
    server = (await vscode.commands.executeCommand('pipewise.startModelServer', base)) as ServerInfo | undefined;
    assert.ok(server, `the server started (${await lastCommandFailure()})`);
    assert.equal(server.version, String(version));
    assert.equal(await vscode.commands.executeCommand('pipewise.tryModel', base), base);
    const form = (await vscode.commands.executeCommand('pipewise.test.tryRender', base, { kind: 'form', timeoutMs: 90_000 })) as TryRender;
    assert.deepEqual(form.fields, ['island', 'bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g', 'sex', 'year']);
    await vscode.commands.executeCommand('pipewise.test.tryMessage', base, 'submit');
    const answer = (await vscode.commands.executeCommand('pipewise.test.tryRender', base, { kind: 'answer', timeoutMs: 60_000 })) as TryRender;
    assert.equal(answer.version, server.version);
    // The oracle: the eval split's first row (the form's prefill; read here with DuckDB) sent straight to the server.
    const row = await firstParquetRow(extensionPath, path.join(examples, 'Split-eval', 'data.parquet'));
    const instance = Object.fromEntries(form.fields?.map((f) => [f, row[f] === null || row[f] === undefined ? null : typeof row[f] === 'string' && !/^(island|sex)$/.test(f) ? Number(row[f]) : row[f]]) ?? []);
    const direct = await post(`${server.url}:predict`, { instances: [instance] });
    assert.equal(direct.status, 200, JSON.stringify(direct.body));
    const p = (direct.body.predictions as { prediction: string; scores: number[]; classes: string[] }[])[0];
    assert.ok(p);
    assert.equal(answer.prediction, p.prediction);
    assert.deepEqual(answer.bars?.map((b) => b.name), p.classes);
    answer.bars?.forEach((b, i) => assert.ok(Math.abs(b.probability - (p.scores[i] as number)) < 1e-6, `${b.name}: ${b.probability} vs ${p.scores[i]}`));
    assert.equal(await vscode.commands.executeCommand('pipewise.stopModelServer', base), true);
    server = undefined;
  });
});
