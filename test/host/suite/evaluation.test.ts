/**
 * The model-evaluation panel in a real VS Code, on an evaluation the real CLI produced for the
 * penguins: it opens in the active editor group (not a new column), once per artifact, draws the
 * verdict, the overall numbers of metrics.json, every slice and the classifier's charts (read back
 * from what the webview reports it drew).
 */
import * as assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { PipewiseContext } from '../../../src/extension/context';
import type { EvaluationAck } from '../../../src/protocol/evaluation';

const EXTENSION_ID = 'pipewise.pipewise';

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    last = v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Metrics {
  blessed: boolean;
  slices: { slice: Record<string, unknown>; metrics: Record<string, number> }[];
}

suite('evaluation', () => {
  let evaluation = '';
  let pipelineFile = '';

  suiteSetup(async function () {
    this.timeout(600_000);
    const ext = vscode.extensions.getExtension<PipewiseContext>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    await ext.activate();
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(root);
    pipelineFile = path.join(root, 'penguins', 'penguins.pipeline.yaml');
    // The evaluation the CLI writes, as a user's earlier run would have left it.
    const r = spawnSync(process.execPath, [path.join(ext.extensionPath, 'bin', 'pipewise.js'), 'run', pipelineFile, '--json'], {
      encoding: 'utf8',
      cwd: path.dirname(pipelineFile),
      timeout: 540_000,
    });
    assert.equal(r.status, 0, `pipewise run failed:\n${r.stderr}`);
    const result = JSON.parse(r.stdout) as { stages: { name: string; artifacts: Record<string, string> }[] };
    evaluation = result.stages.find((s) => s.name === 'evaluate')?.artifacts.evaluation ?? '';
    assert.ok(fs.existsSync(path.join(evaluation, 'metrics.json')), `metrics.json in ${evaluation}`);
  });

  teardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('opens in the active group, once per artifact, showing the verdict, metrics.json\'s numbers, every slice and the charts', async function () {
    this.timeout(120_000);
    await vscode.window.showTextDocument(vscode.Uri.file(pipelineFile), { viewColumn: vscode.ViewColumn.One });
    const groupsBefore = vscode.window.tabGroups.all.length;
    await vscode.commands.executeCommand('pipewise.openEvaluation', vscode.Uri.file(evaluation));
    const ack = await waitFor(
      'the evaluation panel to draw',
      async () => {
        const a = await vscode.commands.executeCommand<EvaluationAck | undefined>('pipewise.test.evaluationAck', vscode.Uri.file(evaluation));
        return a && a.renders > 0 ? a : undefined;
      },
      90_000,
    );
    assert.deepEqual(ack.errors, []);
    const metrics = JSON.parse(fs.readFileSync(path.join(evaluation, 'metrics.json'), 'utf8')) as Metrics;
    assert.equal(ack.verdict, metrics.blessed ? 'BLESSED' : 'NOT BLESSED');
    assert.equal(ack.slices, metrics.slices.length);
    for (const c of ['confusion', 'roc', 'pr', 'calibration']) assert.ok(ack.charts.includes(c), `chart ${c} drawn: ${ack.charts.join(', ')}`);
    const overall = metrics.slices.find((s) => Object.keys(s.slice).length === 0)?.metrics ?? {};
    for (const name of ['accuracy', 'log_loss', 'precision_macro']) {
      const shown = Number(ack.overall[name]);
      const value = overall[name] as number;
      assert.ok(Math.abs(shown - value) <= 5e-4 * Math.max(1, Math.abs(value)), `${name}: shown ${ack.overall[name]}, metrics.json ${value}`);
    }
    // In the active group (the pipeline file's), as a tab: no new column.
    assert.equal(vscode.window.tabGroups.all.length, groupsBefore, 'no new editor column');
    assert.equal(ack.viewColumn, vscode.ViewColumn.One);
    // Asked again: the same panel, revealed, not a second one.
    await vscode.commands.executeCommand('pipewise.openEvaluation', vscode.Uri.file(path.join(evaluation, 'metrics.json')));
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && /^Evaluation/.test(t.label));
    assert.equal(tabs.length, 1, tabs.map((t) => t.label).join(', '));
  });
});

suite('experiments', () => {
  test('the experiments table lists every run with the changed parameter and the metrics; selected runs are plotted', async function () {
    this.timeout(600_000);
    const ext = vscode.extensions.getExtension<PipewiseContext>(EXTENSION_ID);
    assert.ok(ext);
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    const dir = path.join(root, `experiments-${process.pid}`);
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    fs.copyFileSync(path.join(root, 'penguins', 'data', 'penguins.csv'), path.join(dir, 'data', 'penguins.csv'));
    const file = path.join(dir, 'exp.pipeline.yaml');
    const yaml = (epochs: number) =>
      `pipeline: exp\nstages:\n  examples: { component: ExampleGen, params: { input: data/penguins.csv } }\n  statistics: { component: StatisticsGen, inputs: { examples: examples.examples } }\n  schema: { component: SchemaGen, inputs: { statistics: statistics.statistics } }\n  transform: { component: Transform, inputs: { examples: examples.examples, schema: schema.schema }, params: { label: species } }\n  train: { component: Trainer, inputs: { examples: transform.transformed_examples, transform_graph: transform.transform_graph }, params: { hidden_units: [8], epochs: ${epochs} } }\n  evaluate: { component: Evaluator, inputs: { examples: examples.examples, model: train.model }, params: { label: species } }\n`;
    const metricsOf: Record<number, number> = {};
    for (const epochs of [3, 6]) {
      fs.writeFileSync(file, yaml(epochs));
      const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [path.join(ext.extensionPath, 'bin', 'pipewise.js'), 'run', file, '--json'], { encoding: 'utf8', cwd: dir, timeout: 280_000 });
      assert.equal(r.status, 0, r.stderr);
      const result = JSON.parse(r.stdout) as { stages: { name: string; artifacts: Record<string, string> }[] };
      const ev = result.stages.find((s) => s.name === 'evaluate')?.artifacts.evaluation ?? '';
      metricsOf[epochs] = (JSON.parse(fs.readFileSync(path.join(ev, 'metrics.json'), 'utf8')) as Metrics).slices[0]?.metrics.accuracy ?? NaN;
    }
    const uri = vscode.Uri.file(file);
    await vscode.commands.executeCommand('pipewise.showExperiments', uri);
    const ack = await waitFor(
      'the experiments table to draw',
      async () => {
        const a = await vscode.commands.executeCommand<{ rows: string[]; columns: string[]; renders: number } | undefined>('pipewise.test.experimentsAck', uri);
        return a && a.rows.length >= 2 ? a : undefined;
      },
      90_000,
    );
    assert.equal(ack.rows.length, 2, 'one row per run');
    assert.ok(ack.columns.includes('param:train.epochs'), `the changed parameter is a column: ${ack.columns.join(', ')}`);
    assert.ok(!ack.columns.includes('param:examples.input'), 'an unchanged parameter is not');
    assert.ok(ack.columns.includes('accuracy'));
    await vscode.commands.executeCommand('pipewise.test.experimentsPost', uri, { type: 'select', runs: ack.rows, metric: 'accuracy' });
    const plotted = await waitFor(
      'the metric plotted across the selected runs',
      async () => {
        const a = await vscode.commands.executeCommand<{ chart?: { metric: string; runs: string[] } } | undefined>('pipewise.test.experimentsAck', uri);
        return a?.chart?.runs.length === 2 ? a.chart : undefined;
      },
      60_000,
    );
    assert.equal(plotted.metric, 'accuracy');
    assert.ok(Number.isFinite(metricsOf[3]) && Number.isFinite(metricsOf[6]));
  });
});
