/**
 * *Export Report…* in a real VS Code: two CLI runs of a small penguin pipeline (a changed Trainer
 * seed), then the command as the Runs view calls it (`{ uri, run }`) and with a pipeline file,
 * writing through the worker. The files are checked against the runs' own metrics.json: the run,
 * the baseline, the verdict, the changed parameter; `.html` gives the self-contained page. An
 * unknown run writes nothing.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { PipewiseContext } from '../../../src/extension/context';
import type { ExportReportResult } from '../../../src/protocol/report';

const EXTENSION_ID = 'pipewise.pipewise';

interface RunJson {
  readonly runId: string;
  readonly stages: readonly { readonly name: string; readonly artifacts: Readonly<Record<string, string>> }[];
}

function pipeline(seed: number): string {
  return [
    'pipeline: report_host',
    'stages:',
    '  examples: { component: ExampleGen, params: { input: data/penguins.csv } }',
    '  statistics: { component: StatisticsGen, inputs: { examples: examples.examples } }',
    '  schema: { component: SchemaGen, inputs: { statistics: statistics.statistics } }',
    '  transform: { component: Transform, inputs: { examples: examples.examples, schema: schema.schema }, params: { label: species } }',
    `  train: { component: Trainer, inputs: { examples: transform.transformed_examples, transform_graph: transform.transform_graph }, params: { hidden_units: [8], epochs: 10, seed: ${seed} } }`,
    '  evaluate: { component: Evaluator, inputs: { examples: examples.examples, model: train.model }, params: { thresholds: { accuracy: { lower_bound: 0.5 } } } }',
    '',
  ].join('\n');
}

suite('report', () => {
  let dir = '';
  let file = '';
  let first: RunJson;
  let second: RunJson;

  suiteSetup(async function () {
    this.timeout(600_000);
    const ext = vscode.extensions.getExtension<PipewiseContext>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    await ext.activate();
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(root);
    dir = path.join(root, 'report-host');
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    fs.copyFileSync(path.join(root, 'penguins', 'data', 'penguins.csv'), path.join(dir, 'data', 'penguins.csv'));
    file = path.join(dir, 'report_host.pipeline.yaml');
    const run = (seed: number): RunJson => {
      fs.writeFileSync(file, pipeline(seed));
      const r = spawnSync(process.execPath, [path.join(ext.extensionPath, 'bin', 'pipewise.js'), 'run', file, '--json'], { encoding: 'utf8', cwd: dir, timeout: 280_000 });
      assert.equal(r.status, 0, `pipewise run failed:\n${r.stderr}`);
      return JSON.parse(r.stdout) as RunJson;
    };
    first = run(1);
    second = run(2);
  });

  test('from a run in the Runs view: the Markdown of that run names both runs, the verdict of its metrics.json and the changed seed', async function () {
    this.timeout(120_000);
    const out = path.join(dir, 'first.md');
    // As the Runs view's context menu passes a run item (the pipeline's uri and the run record); the
    // older run, so a command that ignored the item's run would report the newest instead.
    const result = await vscode.commands.executeCommand<ExportReportResult | undefined>('pipewise.exportReport', { uri: vscode.Uri.file(file), run: { id: first.runId } }, { out, against: second.runId });
    assert.ok(result, 'the command returned its result (see the Pipewise log if not)');
    assert.equal(result.out, out);
    assert.equal(result.format, 'md');
    assert.equal(result.runId, first.runId);
    const evaluation = first.stages.find((s) => s.name === 'evaluate')?.artifacts.evaluation ?? '';
    const metrics = JSON.parse(fs.readFileSync(path.join(evaluation, 'metrics.json'), 'utf8')) as { blessed: boolean };
    assert.equal(result.blessed, metrics.blessed);
    const md = fs.readFileSync(out, 'utf8');
    assert.ok(md.includes(`Run \`${first.runId}\``) && md.includes(`against \`${second.runId}\``), 'the report names the run and its baseline');
    assert.match(md, metrics.blessed ? /✅ \*\*BLESSED\*\*/ : /❌ \*\*NOT BLESSED\*\*/);
    assert.match(md, /\| train\.seed \| 1 \| 2 \|/);
    assert.equal(result.chars, md.length);
  });

  test('from a pipeline file with an .html name: the self-contained page of the newest run', async function () {
    this.timeout(120_000);
    const out = path.join(dir, 'newest.html');
    const result = await vscode.commands.executeCommand<ExportReportResult | undefined>('pipewise.exportReport', vscode.Uri.file(file), { out, against: first.runId });
    assert.ok(result);
    assert.equal(result.format, 'html');
    assert.equal(result.runId, second.runId, 'the newest run by default');
    const page = fs.readFileSync(out, 'utf8');
    assert.match(page, /^<!doctype html>/);
    assert.match(page, /content="default-src 'none'; style-src 'sha256-/);
    assert.match(page, /data-chart="roc"/);
  });

  test('an unknown run writes nothing and the command returns nothing', async function () {
    this.timeout(60_000);
    const out = path.join(dir, 'nothing.md');
    const result = await vscode.commands.executeCommand('pipewise.exportReport', { pipelineFile: file, runId: '20990101-000000-000-abcdef' }, { out });
    assert.equal(result, undefined);
    assert.ok(!fs.existsSync(out));
  });
});
