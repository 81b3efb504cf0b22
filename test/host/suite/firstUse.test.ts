/**
 * What a new user met in the editor (issue 27), reproduced as they met it in a real VS Code:
 * - Export to Kubeflow Pipelines never overwrites a Dockerfile or .dockerignore Pipewise did not
 *   write, and two pipelines exported into one folder each get an image that copies their own files.
 * - The Models view, left showing, lists each newly pushed version without Refresh (two runs).
 * - The status bar names the pipeline that ran last (a failed run included) and opens its graph.
 * - Try the Model opens where `pipewise.panels.location` says (the active group by default).
 * The workspace is a throwaway copy of `examples/`; the pipelines here are small copies of penguins.
 */
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { PipewiseContext } from '../../../src/extension/context';

const EXTENSION_ID = 'pipewise.pipewise';

type ViewSnapshot = { label: string; description: string; contextValue: string; children: { label: string; description: string; icon: string }[] }[];

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function root(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the host tests need a workspace folder');
  return folder.uri.fsPath;
}

/** A small pipeline beside penguins' data: ExampleGen → … → Pusher, few epochs, no threshold (so every run pushes). */
function smallPipeline(name: string, destination: string): string {
  return [
    `pipeline: ${name}`,
    'stages:',
    '  examples:',
    '    component: ExampleGen',
    '    params: { input: data/penguins.csv }',
    '  statistics:',
    '    component: StatisticsGen',
    '    inputs: { examples: examples.examples }',
    '  schema:',
    '    component: SchemaGen',
    '    inputs: { statistics: statistics.statistics }',
    '  transform:',
    '    component: Transform',
    '    inputs: { examples: examples.examples, schema: schema.schema }',
    '    params: { label: species }',
    '  train:',
    '    component: Trainer',
    '    inputs: { examples: transform.transformed_examples, transform_graph: transform.transform_graph }',
    '    params: { model: linear, epochs: 3 }',
    '  evaluate:',
    '    component: Evaluator',
    '    inputs: { examples: examples.examples, model: train.model }',
    '    params: { label: species }',
    '  push:',
    '    component: Pusher',
    '    inputs: { model: train.model, blessing: evaluate.blessing }',
    `    params: { destination: ${destination} }`,
    '',
  ].join('\n');
}

/** A pipeline of one ExampleGen stage reading `input`: quick, and failing when the file is missing. */
function onlyExamples(name: string, input: string): string {
  return [`pipeline: ${name}`, 'stages:', '  examples:', '    component: ExampleGen', `    params: { input: ${input} }`, ''].join('\n');
}

async function run(file: string, options: { force?: boolean } = {}): Promise<{ status: string; stages: { name: string; artifacts: Record<string, string> }[] }> {
  return (await vscode.commands.executeCommand('pipewise.runPipeline', vscode.Uri.file(file), { ...options, revealGraph: false })) as {
    status: string;
    stages: { name: string; artifacts: Record<string, string> }[];
  };
}

suite('first use', () => {
  suiteSetup(async function () {
    this.timeout(60_000);
    const ext = vscode.extensions.getExtension<PipewiseContext>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    await ext.activate();
  });

  suiteTeardown(async () => {
    await vscode.workspace.getConfiguration('pipewise').update('panels.location', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // The suites after this one share the workspace: leave penguins/ as the examples have it.
    const dir = path.join(root(), 'penguins');
    for (const f of ['gentoo', 'adelie', 'chinstrap', 'emperor', 'sexing', 'rockhopper', 'macaroni']) fs.rmSync(path.join(dir, `${f}.pipeline.yaml`), { force: true });
    for (const f of ['Dockerfile', '.dockerignore', 'data/sexed.csv']) fs.rmSync(path.join(dir, f), { force: true });
  });

  test('Against the baseline colours each delta by better or worse for its metric, and mean_prediction not at all', async function () {
    this.timeout(600_000);
    const dir = path.join(root(), 'penguins');
    const file = path.join(dir, 'sexing.pipeline.yaml');
    // The rows whose sex is known (the Transform refuses a missing label).
    const rows = fs.readFileSync(path.join(dir, 'data', 'penguins.csv'), 'utf8').split('\n');
    fs.writeFileSync(path.join(dir, 'data', 'sexed.csv'), [rows[0], ...rows.slice(1).filter((r) => /^([^,]*,){6}(male|female),/.test(r))].join('\n'));
    // Binary (sex), with a change threshold loose enough to always pass: the second run is compared with the first.
    const text = (epochs: number): string =>
      smallPipeline('sexing', 'serving/sexing')
        .replace('data/penguins.csv', 'data/sexed.csv')
        .replace('params: { label: species }', 'params: { label: sex }')
        .replace('params: { model: linear, epochs: 3 }', `params: { model: linear, epochs: ${epochs} }`)
        .replace('    params: { label: species }\n  push:', '    params: { label: sex, thresholds: { log_loss: { change: { direction: lower_is_better, absolute: 100 } } } }\n  push:');
    fs.writeFileSync(file, text(2));
    assert.equal((await run(file)).status, 'succeeded');
    fs.writeFileSync(file, text(6));
    const second = await run(file);
    assert.equal(second.status, 'succeeded');
    const evaluation = second.stages.find((s) => s.name === 'evaluate')?.artifacts.evaluation ?? '';
    const metrics = JSON.parse(fs.readFileSync(path.join(evaluation, 'metrics.json'), 'utf8')) as { baseline?: { metrics: Record<string, number> }; slices: { slice: object; metrics: Record<string, number> }[] };
    assert.ok(metrics.baseline, 'the second evaluation has a baseline');
    const overall = metrics.slices.find((s) => Object.keys(s.slice).length === 0)?.metrics ?? {};
    await vscode.commands.executeCommand('pipewise.openEvaluation', vscode.Uri.file(path.join(evaluation, 'metrics.json')));
    const ack = await waitFor(
      'the evaluation panel to draw its deltas',
      async () => {
        const a = (await vscode.commands.executeCommand('pipewise.test.evaluationAck', vscode.Uri.file(path.join(evaluation, 'metrics.json')))) as { deltas?: Record<string, string> } | undefined;
        return a?.deltas && Object.keys(a.deltas).length ? a.deltas : undefined;
      },
      60_000,
    );
    // What better means, per metric, as the issue states it.
    const expected = (metric: string, c: number, b: number): string => {
      if (c === b || metric === 'mean_prediction' || metric === 'mean_label') return '';
      if (metric === 'calibration') return Math.abs(c - 1) < Math.abs(b - 1) ? 'better' : 'worse';
      if (metric === 'log_loss') return c < b ? 'better' : 'worse';
      return c > b ? 'better' : 'worse';
    };
    for (const metric of ['log_loss', 'calibration', 'mean_prediction', 'accuracy', 'auc']) {
      const c: number | undefined = overall[metric];
      const b: number | undefined = metrics.baseline.metrics[metric];
      assert.ok(typeof c === 'number' && typeof b === 'number', `${metric} in metrics.json and its baseline`);
      assert.equal(ack[metric], expected(metric, c, b), `${metric}: candidate ${c}, baseline ${b}, drawn '${ack[metric]}'`);
    }
  });

  test('Kubeflow export leaves a Dockerfile it did not write alone, and two pipelines in one folder each get their own image', async function () {
    this.timeout(180_000);
    const dir = path.join(root(), 'penguins');
    const mine = '# my own image, not Pipewise\'s\nFROM python:3.12\nCOPY app.py .\n';
    const mineIgnore = 'secrets/\n';
    fs.writeFileSync(path.join(dir, 'Dockerfile'), mine);
    fs.writeFileSync(path.join(dir, '.dockerignore'), mineIgnore);
    const second = path.join(dir, 'gentoo.pipeline.yaml');
    fs.writeFileSync(second, onlyExamples('gentoo', 'data/penguins.csv'));
    type Result = { out: string; dockerfile: string; dockerignore: string; image: string };
    const exported: Record<string, Result> = {};
    for (const [file, image] of [
      [path.join(dir, 'penguins.pipeline.yaml'), 'registry.example/penguins:1'],
      [second, 'registry.example/gentoo:1'],
    ] as const) {
      const r = await vscode.commands.executeCommand<Result | undefined>('pipewise.exportKfp', vscode.Uri.file(file), { image });
      assert.ok(r, `the export of ${path.basename(file)} returned its result (see the Pipewise log if not)`);
      exported[path.basename(file)] = r;
    }
    assert.equal(fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8'), mine, 'the user\'s Dockerfile is untouched');
    assert.equal(fs.readFileSync(path.join(dir, '.dockerignore'), 'utf8'), mineIgnore, 'the user\'s .dockerignore is untouched');
    const penguins = exported['penguins.pipeline.yaml'] as Result;
    const gentoo = exported['gentoo.pipeline.yaml'] as Result;
    assert.notEqual(penguins.dockerfile, gentoo.dockerfile, 'each pipeline has its own Dockerfile');
    assert.notEqual(penguins.dockerignore, gentoo.dockerignore, 'each pipeline has its own .dockerignore');
    // Each image copies its own pipeline file (and not the other's), and its build context lets that file in.
    for (const [own, other, r] of [['penguins.pipeline.yaml', 'gentoo.pipeline.yaml', penguins], ['gentoo.pipeline.yaml', 'penguins.pipeline.yaml', gentoo]] as const) {
      const text = fs.readFileSync(r.dockerfile, 'utf8');
      assert.ok(text.includes(`COPY ["${own}","./${own}"]`), `${path.basename(r.dockerfile)} copies ${own}:\n${text}`);
      assert.ok(!text.includes(other), `${path.basename(r.dockerfile)} does not copy ${other}`);
      assert.match(fs.readFileSync(r.dockerignore, 'utf8'), new RegExp(`^!${own.replace(/\./g, '\\.')}$`, 'm'));
      // Docker reads a Dockerfile's own ignore file as `<Dockerfile>.dockerignore` beside it.
      if (path.basename(r.dockerfile) !== 'Dockerfile') assert.equal(r.dockerignore, `${r.dockerfile}.dockerignore`);
    }
    // Exporting again rewrites Pipewise's own files in place (no third name), still leaving the user's alone.
    const again = await vscode.commands.executeCommand<Result | undefined>('pipewise.exportKfp', vscode.Uri.file(path.join(dir, 'penguins.pipeline.yaml')), { image: 'registry.example/penguins:2' });
    assert.equal(again?.dockerfile, penguins.dockerfile);
    assert.equal(fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8'), mine);
  });

  test('an open evaluation panel says which run it shows, and that it is stale after a re-run; titles tell the runs apart', async function () {
    this.timeout(600_000);
    const dir = path.join(root(), 'penguins');
    const file = path.join(dir, 'rockhopper.pipeline.yaml');
    fs.writeFileSync(file, smallPipeline('rockhopper', 'serving/rockhopper'));
    const metricsOf = (o: Awaited<ReturnType<typeof run>>): vscode.Uri => vscode.Uri.file(path.join(o.stages.find((s) => s.name === 'evaluate')?.artifacts.evaluation ?? '', 'metrics.json'));
    type Ack = { renders: number; stale?: string; shows?: string };
    const ackOf = async (uri: vscode.Uri): Promise<Ack | undefined> => (await vscode.commands.executeCommand('pipewise.test.evaluationAck', uri)) as Ack | undefined;
    const first = await run(file, { force: true });
    assert.equal(first.status, 'succeeded');
    const firstRunId = (first as { runId?: string }).runId ?? '';
    await vscode.commands.executeCommand('pipewise.openEvaluation', metricsOf(first));
    const shown = await waitFor('the first evaluation drawn', async () => ((await ackOf(metricsOf(first)))?.renders ? ackOf(metricsOf(first)) : undefined), 60_000);
    assert.ok(shown?.shows?.includes(firstRunId), `the panel says it shows run ${firstRunId}: '${shown?.shows}'`);
    assert.equal(shown?.stale, undefined, 'not stale before a re-run');
    const second = await run(file, { force: true });
    assert.equal(second.status, 'succeeded');
    const secondRunId = (second as { runId?: string }).runId ?? '';
    const stale = await waitFor('the first panel to say it is stale', async () => (await ackOf(metricsOf(first)))?.stale, 30_000);
    assert.ok(stale.includes(secondRunId), `the notice names the newer run ${secondRunId}: '${stale}'`);
    await vscode.commands.executeCommand('pipewise.openEvaluation', metricsOf(second));
    await waitFor('the second evaluation drawn', async () => ((await ackOf(metricsOf(second)))?.renders ? true : undefined), 60_000);
    const all = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => /^Evaluation/.test(t.label)).map((t) => t.label);
    // The titles name the pipeline (the tab of another pipeline's evaluation may be open too).
    const titles = all.filter((t) => t.includes('rockhopper'));
    assert.equal(titles.length, 2, `both rockhopper evaluations are named so: ${JSON.stringify(all)}`);
    assert.notEqual(titles[0], titles[1], `two runs' evaluations have different titles: ${JSON.stringify(titles)}`);
  });

  test('a server push and a web push of one model are told apart in the Models view and Run Task, and log to different folders', async function () {
    this.timeout(600_000);
    const dir = path.join(root(), 'penguins');
    const file = path.join(dir, 'macaroni.pipeline.yaml');
    const text = `${smallPipeline('macaroni', 'serving/macaroni')}  push_web:\n    component: Pusher\n    inputs: { model: train.model, blessing: evaluate.blessing }\n    params: { destination: web/macaroni, target: web }\n`;
    fs.writeFileSync(file, text);
    const outcome = await run(file, { force: true });
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome).slice(0, 500));
    const view = (await vscode.commands.executeCommand('pipewise.test.modelsView')) as ViewSnapshot;
    const labels = view.filter((m) => m.label.startsWith('macaroni')).map((m) => m.label);
    assert.equal(labels.length, 2, JSON.stringify(labels));
    assert.notEqual(labels[0], labels[1], `the two pushes have different labels: ${JSON.stringify(labels)}`);
    const tasks = (await vscode.tasks.fetchTasks({ type: 'pipewise-serve' })).filter((t) => /macaroni/.test(t.name));
    assert.equal(tasks.length, 2, JSON.stringify(tasks.map((t) => t.name)));
    assert.notEqual(tasks[0]?.name, tasks[1]?.name, `Run Task tells them apart: ${JSON.stringify(tasks.map((t) => t.name))}`);
    const logDirs = tasks.map((t) => (t.definition as { logDir?: string }).logDir);
    assert.ok(logDirs.every((d) => typeof d === 'string'), `both log (the default): ${JSON.stringify(logDirs)}`);
    assert.notEqual(logDirs[0], logDirs[1], `their requests go to different folders: ${JSON.stringify(logDirs)}`);
  });

  test('the Models view, left showing, lists each newly pushed version without Refresh', async function () {
    this.timeout(600_000);
    const dir = path.join(root(), 'penguins');
    const file = path.join(dir, 'adelie.pipeline.yaml');
    fs.writeFileSync(file, smallPipeline('adelie', 'serving/adelie'));
    await vscode.commands.executeCommand('pipewise.models.focus');
    // Let the view show what is there before the runs (no version of adelie yet).
    await new Promise((r) => setTimeout(r, 3000));
    for (let i = 0; i < 2; i++) {
      const outcome = await run(file, { force: true });
      assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome).slice(0, 500));
      const pushed = JSON.parse(fs.readFileSync(path.join(outcome.stages.find((s) => s.name === 'push')?.artifacts.pushed_model ?? '', 'pushed.json'), 'utf8')) as { pushed: boolean; version: number };
      assert.ok(pushed.pushed, 'the run pushed');
      // What the view shows (not a fresh read): it must have redrawn by itself.
      await waitFor(
        `the Models view to show adelie v${pushed.version} after run ${i + 1}`,
        async () => {
          const shown = (await vscode.commands.executeCommand('pipewise.test.modelsViewShown')) as ViewSnapshot;
          return shown.find((m) => m.label === 'adelie')?.children.some((c) => c.label === `v${pushed.version}`) ? true : undefined;
        },
        15_000,
      );
    }
  });

  test('Try the Model opens in the active group by default, as the other panels do', async function () {
    this.timeout(300_000);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const dir = path.join(root(), 'penguins');
    const base = path.join(dir, 'serving', 'adelie');
    await vscode.window.showTextDocument(vscode.Uri.file(path.join(dir, 'adelie.pipeline.yaml')), { viewColumn: vscode.ViewColumn.One });
    const groups = vscode.window.tabGroups.all.length;
    try {
      await vscode.commands.executeCommand('pipewise.tryModel', base);
      const tab = await waitFor('the Try tab', () => vscode.window.tabGroups.all.flatMap((g) => g.tabs.filter((t) => /^Try/.test(t.label)).map(() => g.viewColumn))[0], 60_000);
      assert.equal(tab, vscode.ViewColumn.One, 'Try opened in the active group');
      assert.equal(vscode.window.tabGroups.all.length, groups, 'no new column');
    } finally {
      await vscode.commands.executeCommand('pipewise.stopModelServer', base);
    }
  });

  test('the status bar names the pipeline that ran last, a failed run included, and opens its graph', async function () {
    this.timeout(300_000);
    const dir = path.join(root(), 'penguins');
    const first = path.join(dir, 'chinstrap.pipeline.yaml');
    const second = path.join(dir, 'emperor.pipeline.yaml');
    fs.writeFileSync(first, onlyExamples('chinstrap', 'data/penguins.csv'));
    fs.writeFileSync(second, onlyExamples('emperor', 'data/penguins.csv'));
    type Status = { text: string; tooltip: string; file?: string };
    const status = async (): Promise<Status> => (await vscode.commands.executeCommand('pipewise.test.runStatus')) as Status;
    assert.equal((await run(first)).status, 'succeeded');
    assert.equal((await run(second)).status, 'succeeded');
    assert.match((await status()).text, /emperor/);
    // chinstrap again, failing: its data is gone.
    fs.writeFileSync(first, onlyExamples('chinstrap', 'data/no-such-file.csv'));
    assert.equal((await run(first)).status, 'failed');
    const s = await status();
    assert.match(s.text, /chinstrap/, `the status bar names the run that just failed: '${s.text}'`);
    assert.match(s.text, /\$\(error\)/, 'and shows it failed');
    assert.equal(s.file, first, 'clicking it opens chinstrap\'s graph');
  });
});
