/**
 * Serving in the editor, on a real run: the penguin pipeline runs (through the extension, and it
 * pushes), the Models view lists the pushed version with its Evaluator metrics, a server starts
 * from the view's command, the Try panel's form comes from the server's metadata and the schema,
 * prefilled with the eval split's first row (read back here with DuckDB), its answer matches the
 * same request sent straight to the server with node:http, a bad value is refused naming the
 * feature, and stopping the server closes its port. The server runs as a `pipewise-serve` task
 * (terminating the task stops it) and logs its requests beside the pipeline; "Monitor Served
 * Requests" opens the monitoring panel on exactly the predictions sent. Nothing starts in an
 * untrusted workspace.
 */
import * as assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { PipewiseContext } from '../../../src/extension/context';
import { activePipewise, firstParquetRow, post, runAndPush, waitFor, type ViewSnapshot, lastCommandFailure } from '../pushedRun';
import type { ServerInfo } from '../../../src/protocol/models';
import type { TryRender } from '../../../src/protocol/tryModel';
import { buildOnnxModels, onnxImporterStage, onnxOracle } from '../../onnxFixture';
import { portOpen } from '../../ports';

/** The running `pipewise-serve` task of a base path, if one runs. */
function serveTask(base: string): vscode.TaskExecution | undefined {
  return vscode.tasks.taskExecutions.find((e) => {
    const d = e.task.definition as { type: string; base?: string };
    const root = typeof e.task.scope === 'object' ? e.task.scope.uri.fsPath : '';
    return d.type === 'pipewise-serve' && typeof d.base === 'string' && path.resolve(root, d.base) === path.resolve(base);
  });
}

suite('models', () => {
  let ext: vscode.Extension<PipewiseContext>;
  let pipelineFile = '';
  let base = '';
  let version = 0;
  let evaluation = '';
  let examples = '';
  let server: ServerInfo | undefined;
  let logDir = '';

  suiteSetup(async function () {
    this.timeout(600_000);
    ext = await activePipewise();
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    pipelineFile = path.join(root, 'penguins', 'penguins.pipeline.yaml');
    // A real run through the extension; forced, so this run pushes a version of its own.
    const run = await runAndPush(pipelineFile);
    version = run.version;
    base = run.base;
    evaluation = run.artifact('evaluate', 'evaluation');
    examples = run.artifact('examples', 'examples');
    // Where the view's servers log (the `pipewise.serving.logRequests` default): start empty.
    logDir = path.join(path.dirname(pipelineFile), 'requests', 'penguins');
    fs.rmSync(logDir, { recursive: true, force: true });
  });

  suiteTeardown(async () => {
    if (server) await vscode.commands.executeCommand('pipewise.stopModelServer', base);
    await vscode.commands.executeCommand('pipewise.test.setTrusted', undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('the Models view lists the pushed version with its blessing metrics', async function () {
    this.timeout(60_000);
    const metrics = JSON.parse(fs.readFileSync(path.join(evaluation, 'metrics.json'), 'utf8')) as { slices: { slice: object; metrics: Record<string, number> }[] };
    const accuracy = metrics.slices.find((s) => Object.keys(s.slice).length === 0)?.metrics.accuracy;
    assert.equal(typeof accuracy, 'number');
    const view = await waitFor(
      `the Models view to list version ${version}`,
      async () => {
        const v = (await vscode.commands.executeCommand('pipewise.test.modelsView')) as ViewSnapshot;
        return v.find((m) => m.label === 'penguins')?.children.some((c) => c.label === `v${version}`) ? v : undefined;
      },
      30_000,
    );
    const model = view.find((m) => m.label === 'penguins');
    assert.equal(model?.contextValue, 'pipewise.model', 'no request log yet, no server');
    const item = model?.children.find((c) => c.label === `v${version}`);
    const shown = /accuracy (\d\.\d+)/.exec(item?.description ?? '');
    assert.ok(shown, `accuracy in '${item?.description}'`);
    assert.ok(Math.abs(Number(shown[1]) - (accuracy as number)) < 5e-3, `shown ${shown[1]}, metrics.json ${accuracy}`);
    // Newest first: every version folder on disk, in order.
    const onDisk = fs.readdirSync(base).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => b - a);
    assert.deepEqual(model?.children.map((c) => c.label), onDisk.map((v) => `v${v}`));
  });

  test('Run Task offers a serve task per pushed model, logging as the settings in its scope ask', async function () {
    this.timeout(60_000);
    const config = vscode.workspace.getConfiguration('pipewise', vscode.Uri.file(pipelineFile));
    await config.update('serving.logSample', 0.25, vscode.ConfigurationTarget.Workspace);
    try {
      const tasks = await vscode.tasks.fetchTasks({ type: 'pipewise-serve' });
      const task = tasks.find((t) => path.resolve(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '', String(t.definition.base)) === base);
      assert.ok(task, `a pipewise-serve task for ${base} among ${tasks.map((t) => t.name).join(', ')}`);
      assert.equal(task.definition.logSample, 0.25, 'the task samples requests as pipewise.serving.logSample says');
      assert.equal(path.resolve(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '', String(task.definition.logDir)), logDir, 'and logs them beside the pipeline');
    } finally {
      await config.update('serving.logSample', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  test('nothing starts in an untrusted workspace', async function () {
    this.timeout(30_000);
    await vscode.commands.executeCommand('pipewise.test.setTrusted', false);
    try {
      const r = await vscode.commands.executeCommand('pipewise.startModelServer', base);
      assert.equal(r, undefined);
      const v = (await vscode.commands.executeCommand('pipewise.test.modelsView')) as ViewSnapshot;
      assert.equal(v.find((m) => m.label === 'penguins')?.contextValue, 'pipewise.model', 'no server runs');
    } finally {
      await vscode.commands.executeCommand('pipewise.test.setTrusted', undefined);
    }
  });

  test('a server starts from the view, the Try panel answers as the server does, and stopping closes the port', async function () {
    this.timeout(300_000);
    // The model's base path, as the view's item names it.
    server = (await vscode.commands.executeCommand('pipewise.startModelServer', base)) as ServerInfo | undefined;
    assert.ok(server, `the server started (${await lastCommandFailure()})`);
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/v1\/models\/penguins$/);
    assert.equal(server.version, String(Math.max(...fs.readdirSync(base).filter((n) => /^\d+$/.test(n)).map(Number))), 'the newest version serves');
    assert.ok(await portOpen(server.port));
    assert.ok(serveTask(base), 'the server runs as a pipewise-serve task');
    assert.equal(server.logDir, logDir, 'it logs its requests beside the pipeline');
    const view = (await vscode.commands.executeCommand('pipewise.test.modelsView')) as ViewSnapshot;
    const model = view.find((m) => m.label === 'penguins');
    assert.equal(model?.contextValue, 'pipewise.model.serving.logged');
    assert.match(model?.description ?? '', new RegExp(`serving on :${server.port}$`));
    assert.deepEqual(model?.children.filter((c) => c.icon === 'play-circle').map((c) => c.label), [`v${server.version}`], 'the served version is marked');

    const opened = await vscode.commands.executeCommand('pipewise.tryModel', base);
    assert.equal(opened, base);
    const form = (await vscode.commands.executeCommand('pipewise.test.tryRender', base, { kind: 'form', timeoutMs: 90_000 })) as TryRender;
    assert.deepEqual(form.fields, ['island', 'bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g', 'sex', 'year']);

    // Predict, as a click would: the webview sends its prefilled row.
    await vscode.commands.executeCommand('pipewise.test.tryMessage', base, 'submit');
    const answer = (await vscode.commands.executeCommand('pipewise.test.tryRender', base, { kind: 'answer', timeoutMs: 60_000 })) as TryRender;
    assert.equal(answer.version, server.version);

    // The oracle: the eval split's first row (read here with DuckDB) sent straight to the server.
    const row = await firstParquetRow(ext.extensionPath, path.join(examples, 'Split-eval', 'data.parquet'));
    const instance = Object.fromEntries(form.fields?.map((f) => [f, row[f] === null || row[f] === undefined ? null : typeof row[f] === 'string' && !/^(island|sex)$/.test(f) ? Number(row[f]) : row[f]]) ?? []);
    const direct = await post(`${server.url}:predict`, { instances: [instance] });
    assert.equal(direct.status, 200, JSON.stringify(direct.body));
    const p = (direct.body.predictions as { prediction: string; scores: number[]; classes: string[] }[])[0];
    assert.ok(p);
    assert.equal(answer.prediction, p.prediction, 'the panel shows the class the server predicts for that row');
    assert.deepEqual(answer.bars?.map((b) => b.name), p.classes);
    answer.bars?.forEach((b, i) => assert.ok(Math.abs(b.probability - (p.scores[i] as number)) < 1e-6, `${b.name}: ${b.probability} vs ${p.scores[i]}`));

    // A bad value: the server's error, shown naming the feature.
    await vscode.commands.executeCommand('pipewise.test.tryMessage', base, { type: 'predict', instance: { ...instance, bill_length_mm: 'long' } });
    const failure = (await vscode.commands.executeCommand('pipewise.test.tryRender', base, { kind: 'failure', timeoutMs: 30_000 })) as TryRender;
    assert.equal(failure.feature, 'bill_length_mm');
    assert.match(failure.message ?? '', /must be a number/);

    // Two predictions were answered (the panel's and the direct one; the refused one is not a
    // prediction): the monitoring panel opened from the model counts exactly those.
    const monitored = await vscode.commands.executeCommand('pipewise.monitorModel', base);
    assert.equal(monitored, logDir);
    const ack = (await vscode.commands.executeCommand('pipewise.test.monitoringAck', logDir, { requests: 2, timeoutMs: 120_000 })) as { kind: string; requests?: number; rows: { name: string }[] };
    assert.equal(ack.kind, 'report');
    assert.deepEqual(ack.rows.map((r) => r.name).sort(), [...(form.fields ?? [])].sort(), 'every raw feature is compared with training');

    const stopped = await vscode.commands.executeCommand('pipewise.stopModelServer', base);
    assert.equal(stopped, true);
    assert.equal(await portOpen(server.port), false, 'the port is closed');
    await waitFor('the serve task to end', () => (serveTask(base) ? undefined : true), 30_000);
    const after = (await vscode.commands.executeCommand('pipewise.test.modelsView')) as ViewSnapshot;
    assert.equal(after.find((m) => m.label === 'penguins')?.contextValue, 'pipewise.model.logged', 'stopped; its request log stays monitorable');
    server = undefined;
  });

  test('terminating the serve task stops the server', async function () {
    this.timeout(300_000);
    server = (await vscode.commands.executeCommand('pipewise.startModelServer', base)) as ServerInfo | undefined;
    assert.ok(server, `the server started (${await lastCommandFailure()})`);
    const port = server.port;
    const task = serveTask(base);
    assert.ok(task, 'a pipewise-serve task runs');
    task.terminate();
    await waitFor('the port to close', async () => ((await portOpen(port)) ? undefined : true), 30_000);
    const view = await waitFor(
      'the view to drop the server',
      async () => {
        const v = (await vscode.commands.executeCommand('pipewise.test.modelsView')) as ViewSnapshot;
        return v.find((m) => m.label === 'penguins')?.contextValue === 'pipewise.model.logged' ? v : undefined;
      },
      30_000,
    );
    assert.ok(view);
    server = undefined;
  });
});

/**
 * An imported ONNX model on the same path (issue 30): the LinearClassifier of
 * test/worker/onnx_models.py (built with onnx.helper) is imported, evaluated and pushed twice by a
 * pipeline run through the extension; the Models view lists both versions with the Evaluator's
 * accuracy, a server starts from the view, and the Try panel's form is the model's four inputs and
 * its answer for the prefilled row is the server's and NumPy's (onnx_models.py predict, 1e-5).
 */
suite('models: an imported ONNX model', () => {
  let extensionPath = '';
  let folder = '';
  let base = '';
  let versions: number[] = [];
  let evaluation = '';
  let examples = '';
  let server: ServerInfo | undefined;

  suiteSetup(async function () {
    this.timeout(600_000);
    extensionPath = (await activePipewise()).extensionPath;
    folder = path.join(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '', 'penguins');
    fs.mkdirSync(path.join(folder, 'models'), { recursive: true });
    buildOnnxModels(extensionPath, path.join(folder, 'models'), path.join(folder, 'data', 'penguins.csv'));
    const file = path.join(folder, 'onnx.pipeline.yaml');
    fs.writeFileSync(
      file,
      `pipeline: penguins_onnx
stages:
  raw: { component: ExampleGen, params: { input: data/penguins.csv } }
  examples:
    component: Sql
    inputs: { examples: raw.examples }
    params: { query: "SELECT * FROM examples WHERE bill_length_mm IS NOT NULL AND bill_depth_mm IS NOT NULL AND flipper_length_mm IS NOT NULL AND body_mass_g IS NOT NULL" }
${onnxImporterStage('linear')}  evaluate: { component: Evaluator, inputs: { examples: examples.examples, model: linear.result }, params: { thresholds: { accuracy: { lower_bound: 0.9 } } } }
  push: { component: Pusher, inputs: { model: linear.result, blessing: evaluate.blessing }, params: { destination: serving/penguins-onnx } }
`,
    );
    // Two forced runs: two pushed versions of the imported model.
    for (let run = 0; run < 2; run++) {
      const outcome = (await vscode.commands.executeCommand('pipewise.runPipeline', vscode.Uri.file(file), { force: true, revealGraph: false })) as {
        status: string;
        stages: { name: string; artifacts: Record<string, string> }[];
      };
      assert.equal(outcome?.status, 'succeeded', JSON.stringify(outcome).slice(0, 500));
      const pushed = JSON.parse(fs.readFileSync(path.join(outcome.stages.find((s) => s.name === 'push')?.artifacts.pushed_model ?? '', 'pushed.json'), 'utf8')) as { pushed: boolean; version: number; destination: string };
      assert.ok(pushed.pushed, 'the run pushed the imported model (it is blessed)');
      versions.push(pushed.version);
      base = pushed.destination;
      evaluation = outcome.stages.find((s) => s.name === 'evaluate')?.artifacts.evaluation ?? '';
      examples = outcome.stages.find((s) => s.name === 'examples')?.artifacts.examples ?? '';
    }
    versions = versions.sort((a, b) => b - a);
  });

  suiteTeardown(async () => {
    if (server) await vscode.commands.executeCommand('pipewise.stopModelServer', base);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('the Models view lists both pushed versions of the ONNX model, newest first, with the Evaluator\'s accuracy', async function () {
    this.timeout(60_000);
    assert.equal((JSON.parse(fs.readFileSync(path.join(base, String(versions[0]), 'signature.json'), 'utf8')) as { modelFormat?: string }).modelFormat, 'onnx');
    const metrics = JSON.parse(fs.readFileSync(path.join(evaluation, 'metrics.json'), 'utf8')) as { slices: { slice: object; metrics: Record<string, number> }[] };
    const accuracy = metrics.slices.find((s) => Object.keys(s.slice).length === 0)?.metrics.accuracy as number;
    const view = await waitFor(
      'the Models view to list both penguins-onnx versions',
      async () => {
        const v = (await vscode.commands.executeCommand('pipewise.test.modelsView')) as ViewSnapshot;
        const m = v.find((x) => x.label === 'penguins-onnx');
        return m && versions.every((n) => m.children.some((c) => c.label === `v${n}`)) ? m : undefined;
      },
      30_000,
    );
    assert.deepEqual(view.children.map((c) => c.label), versions.map((v) => `v${v}`));
    for (const item of view.children) {
      const shown = /accuracy (\d\.\d+)/.exec(item.description);
      assert.ok(shown, `accuracy in '${item.description}'`);
      assert.ok(Math.abs(Number(shown[1]) - accuracy) < 5e-3, `shown ${shown[1]}, metrics.json ${accuracy}`);
    }
  });

  test('a server starts from the view and the Try panel answers with the ONNX model as the server and NumPy do', async function () {
    this.timeout(300_000);
    server = (await vscode.commands.executeCommand('pipewise.startModelServer', base)) as ServerInfo | undefined;
    assert.ok(server, `the server started (${await lastCommandFailure()})`);
    assert.equal(server.version, String(versions[0]), 'the newest version serves');
    assert.equal(await vscode.commands.executeCommand('pipewise.tryModel', base), base);
    const form = (await vscode.commands.executeCommand('pipewise.test.tryRender', base, { kind: 'form', timeoutMs: 90_000 })) as TryRender;
    assert.deepEqual(form.fields, ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g'], 'the form is the columns the model reads');
    await vscode.commands.executeCommand('pipewise.test.tryMessage', base, 'submit');
    const answer = (await vscode.commands.executeCommand('pipewise.test.tryRender', base, { kind: 'answer', timeoutMs: 60_000 })) as TryRender;
    assert.equal(answer.version, server.version);
    // The oracles: the eval split's first row (the form's prefill; read here with DuckDB) sent straight to the server, and NumPy.
    const row = await firstParquetRow(extensionPath, path.join(examples, 'Split-eval', 'data.parquet'));
    const instance = Object.fromEntries((form.fields ?? []).map((f) => [f, Number(row[f])]));
    const direct = await post(`${server.url}:predict`, { instances: [instance] });
    assert.equal(direct.status, 200, JSON.stringify(direct.body));
    const p = (direct.body.predictions as { prediction: string; scores: number[]; classes: string[] }[])[0];
    assert.ok(p);
    const numpy = onnxOracle(extensionPath, path.join(folder, 'models'), 'linear', [instance]).probabilities?.[0] ?? [];
    assert.equal(answer.prediction, p.prediction, 'the panel shows the class the server predicts for that row');
    assert.deepEqual(answer.bars?.map((b) => b.name), ['Adelie', 'Chinstrap', 'Gentoo']);
    answer.bars?.forEach((b, i) => {
      assert.ok(Math.abs(b.probability - (p.scores[i] as number)) < 1e-6, `${b.name}: ${b.probability} vs the server's ${p.scores[i]}`);
      assert.ok(Math.abs(b.probability - (numpy[i] as number)) < 1e-5, `${b.name}: ${b.probability} vs NumPy's ${numpy[i]}`);
    });
    assert.equal(await vscode.commands.executeCommand('pipewise.stopModelServer', base), true);
    server = undefined;
  });
});
