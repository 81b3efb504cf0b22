/**
 * The editor in a real VS Code: activation and commands, diagnostics at the exact place, the graph
 * webview drawing the pipeline and following a run (read back from what the webview itself reports
 * it drew), cancel, a second run refused, worker death, and the workspace-trust gate.
 *
 * The workspace is a throwaway copy of `examples/` (the launcher makes it), so runs may write.
 */
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { PipewiseContext } from '../../../src/extension/context';
import type { GraphAck } from '../../../src/protocol/graph';
import type { RunOutcome } from '../../../src/protocol/runEvents';

const EXTENSION_ID = 'pipewise.pipewise';

async function context(): Promise<PipewiseContext> {
  const ext = vscode.extensions.getExtension<PipewiseContext>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed`);
  return ext.activate();
}

function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the host tests need a workspace folder');
  return folder.uri.fsPath;
}

function penguins(): vscode.Uri {
  const file = path.join(workspaceRoot(), 'penguins', 'penguins.pipeline.yaml');
  assert.ok(fs.existsSync(file), `${file} exists in the test workspace`);
  return vscode.Uri.file(file);
}

/** Polls `probe` until it returns a value; the error names what was awaited and what was last seen. */
/** Polls `probe` until it gives a value; on timeout the error shows `state()` (what was seen instead). */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, state?: () => unknown): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    last = v;
    if (Date.now() > deadline) {
      const seen = state ? await state() : last;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(seen)})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function graphAck(uri: vscode.Uri): Promise<GraphAck | undefined> {
  return vscode.commands.executeCommand<GraphAck | undefined>('pipewise.test.graphAck', uri);
}

/** The stage names of a pipeline file, read with a regex (an oracle independent of the parser). */
/**
 * A pipeline whose training runs long enough (thousands of epochs, no early stopping) to be
 * cancelled or to lose its worker while it runs, whatever the machine's speed.
 */
function slowPipeline(): vscode.Uri {
  const file = path.join(workspaceRoot(), 'penguins', 'slow.pipeline.yaml');
  fs.writeFileSync(
    file,
    [
      'pipeline: slow',
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
      '    params: { epochs: 20000, early_stopping: null }',
      '',
    ].join('\n'),
  );
  return vscode.Uri.file(file);
}

/** Every editor group's tabs, the active one marked: what the user would see, for failure messages. */
function tabsShown(): string[][] {
  return vscode.window.tabGroups.all.map((g) => g.tabs.map((t) => `${t.isActive ? '*' : ''}${t.label}${g.isActive ? ' (group active)' : ''}`));
}

function stageNamesOf(text: string): string[] {
  return [...text.matchAll(/^ {2}([a-z_][a-z0-9_]*):\s*$/gm)].map((m) => m[1] as string);
}

function stageStatuses(ack: GraphAck | undefined, stages: readonly string[]): Record<string, string> {
  return Object.fromEntries(stages.map((s) => [s, ack?.nodes.find((n) => n.id === s)?.status ?? 'absent']));
}

suite('editor', () => {
  suiteSetup(async function () {
    this.timeout(60_000);
    await context();
  });

  teardown(async () => {
    await vscode.commands.executeCommand('pipewise.test.setTrusted', undefined);
  });

  test('the editor commands are registered', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const c of [
      'pipewise.showGraph',
      'pipewise.runPipeline',
      'pipewise.runStage',
      'pipewise.runFromStage',
      'pipewise.cancelRun',
      'pipewise.newPipeline',
      'pipewise.openExample',
      'pipewise.openLatestStatistics',
      'pipewise.showLog',
      'pipewise.refreshRuns',
    ]) {
      assert.ok(registered.has(c), `${c} is registered`);
    }
  });

  test('diagnostics appear at the line and column of the mistake and follow edits', async function () {
    this.timeout(30_000);
    const text = [
      'pipeline: broken',
      'stages:',
      '  examples:',
      '    component: ExampleGen',
      '    params: { input: data.csv }',
      '  stats:',
      '    component: StatsGen',
      '    inputs: { examples: examples.examples }',
      '  schema:',
      '    component: SchemaGen',
      '    inputs: { statistics: statz.statistics }',
      '',
    ].join('\n');
    const file = path.join(workspaceRoot(), 'broken.pipeline.yaml');
    fs.writeFileSync(file, text);
    const uri = vscode.Uri.file(file);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const diagnostics = await waitFor('pipewise diagnostics for broken.pipeline.yaml', () => {
      const ds = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'pipewise');
      return ds.length >= 2 ? ds : undefined;
    });
    // Where the mistakes are, found by searching the text (not by our parser).
    const expectAt = (needle: string, code: string): void => {
      const at = doc.positionAt(text.indexOf(needle));
      const d = diagnostics.find((x) => x.code === code);
      assert.ok(d, `a ${code} diagnostic among ${JSON.stringify(diagnostics.map((x) => x.code))}`);
      assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
      assert.deepEqual([d.range.start.line, d.range.start.character], [at.line, at.character], `${code} at ${needle}`);
    };
    expectAt('StatsGen', 'unknown-component');
    expectAt('statz.statistics', 'missing-stage');
    assert.deepEqual([doc.positionAt(text.indexOf('StatsGen')).line + 1, doc.positionAt(text.indexOf('StatsGen')).character + 1], [7, 16]);

    // Fixing the component as a person would (an edit, unsaved) removes that diagnostic.
    const edit = new vscode.WorkspaceEdit();
    const start = doc.positionAt(text.indexOf('StatsGen'));
    edit.replace(uri, new vscode.Range(start, start.translate(0, 'StatsGen'.length)), 'StatisticsGen');
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitFor('the unknown-component diagnostic to go away after the edit', () => {
      const ds = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'pipewise');
      return !ds.some((d) => d.code === 'unknown-component') && ds.some((d) => d.code === 'missing-stage') ? true : undefined;
    });
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('completion offers components, parameters from the declarations, and <stage>.<output> references', async () => {
    const text = 'pipeline: p\nstages:\n  examples:\n    component: ExampleGen\n    params: { input: data.csv }\n  train:\n    component: Trainer\n    params:\n      epo\n    inputs:\n      examples: \n';
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(workspaceRoot(), 'complete.pipeline.yaml')).with({ scheme: 'untitled' }));
    const editor = await vscode.window.showTextDocument(doc);
    await editor.edit((b) => b.insert(new vscode.Position(0, 0), text));
    const labels = async (line: number, col: number): Promise<string[]> => {
      const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(line, col));
      return list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    };
    assert.ok((await labels(8, 9)).includes('epochs'), 'Trainer parameter epochs');
    assert.ok((await labels(6, 18)).includes('Trainer'), 'component names');
    assert.ok((await labels(10, 16)).includes('examples.examples'), 'stage.output references');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('the graph webview draws every stage and artifact of the pipeline', async function () {
    this.timeout(60_000);
    const uri = penguins();
    await vscode.window.showTextDocument(uri);
    await vscode.commands.executeCommand('pipewise.showGraph', uri);
    const stages = stageNamesOf(fs.readFileSync(uri.fsPath, 'utf8'));
    assert.equal(stages.length, 8);
    const ack = await waitFor('the graph webview to acknowledge drawing the penguin pipeline', async () => {
      const a = await graphAck(uri);
      return a && a.ready && stages.every((s) => a.nodes.some((n) => n.id === s)) ? a : undefined;
    });
    // 8 stages and the 10 artifacts they declare (ExampleGen 1, StatisticsGen 1, SchemaGen 1,
    // ExampleValidator 1, Transform 2, Trainer 1, Evaluator 2, Pusher 1).
    assert.equal(ack.nodes.length, 18, JSON.stringify(ack.nodes.map((n) => n.id)));
    assert.deepEqual(ack.errors, []);
  });

  test('the graph follows unsaved edits: a stage typed into the file appears as a node', async function () {
    this.timeout(30_000);
    const uri = penguins();
    const editor = await vscode.window.showTextDocument(uri);
    await vscode.commands.executeCommand('pipewise.showGraph', uri);
    await waitFor('the graph drawn', async () => ((await graphAck(uri))?.nodes.length ?? 0) > 0 || undefined);
    const end = editor.document.lineAt(editor.document.lineCount - 1).range.end;
    const tail = editor.document.getText().endsWith('\n') ? '' : '\n';
    await editor.edit((b) => b.insert(end, `${tail}  more_stats:\n    component: StatisticsGen\n    inputs: { examples: examples.examples }\n`));
    const ack = await waitFor('the graph to draw the typed stage and its artifact', async () => {
      const a = await graphAck(uri);
      return a?.nodes.some((n) => n.id === 'more_stats') && a.nodes.some((n) => n.id === 'more_stats.statistics') ? a : undefined;
    });
    assert.equal(ack.nodes.length, 20);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await waitFor('the graph to drop the stage after the revert', async () => ((await graphAck(uri))?.nodes.some((n) => n.id === 'more_stats') ? undefined : true));
  });

  test('CodeLens offers Run pipeline on the file and Run stage / Run from here on every stage; hover documents components', async () => {
    const uri = penguins();
    const stages = stageNamesOf(fs.readFileSync(uri.fsPath, 'utf8'));
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100);
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.ok(titles.some((t) => t.includes('Run pipeline')), JSON.stringify(titles));
    assert.equal(titles.filter((t) => t === 'Run stage').length, stages.length);
    assert.equal(titles.filter((t) => t === 'Run from here').length, stages.length);
    const doc = await vscode.workspace.openTextDocument(uri);
    const at = doc.positionAt(doc.getText().indexOf('Trainer') + 2);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, at);
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /\*\*Trainer\*\*/);
    assert.match(text, /epochs/);
  });

  test('a run shows in the graph: statuses change while it goes and every stage ends succeeded or cached', async function () {
    this.timeout(180_000);
    const uri = penguins();
    await vscode.commands.executeCommand('pipewise.showGraph', uri);
    const stages = stageNamesOf(fs.readFileSync(uri.fsPath, 'utf8'));
    await waitFor('the graph to be drawn', async () => ((await graphAck(uri))?.nodes.length ?? 0) > 0 || undefined);
    const seen = new Set<string>();
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const a = await graphAck(uri);
        for (const s of stages) seen.add(a?.nodes.find((n) => n.id === s)?.status ?? 'absent');
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const outcome = await vscode.commands.executeCommand<RunOutcome>('pipewise.runPipeline', uri, { force: true });
    assert.ok(outcome && outcome.status !== 'refused', JSON.stringify(outcome));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
    const final = await waitFor('the graph to show the finished run', async () => {
      const a = await graphAck(uri);
      const st = stageStatuses(a, stages);
      return a?.runId === outcome.runId && Object.values(st).every((s) => s === 'succeeded' || s === 'cached') ? st : undefined;
    });
    polling = false;
    await poll;
    assert.deepEqual(Object.keys(final), stages);
    // With force, stages really ran, and the webview drew them running (or pending) on the way.
    assert.ok(seen.has('running') || seen.has('pending'), `statuses seen during the run: ${[...seen].join(', ')}`);
    assert.ok(Object.values(final).includes('succeeded'));
  });

  test('the statistics of the last run open in the data panel (the walkthrough\'s last step)', async function () {
    this.timeout(60_000);
    const uri = penguins();
    assert.equal(await vscode.commands.executeCommand('pipewise.openLatestStatistics', uri), true);
    const tab = await waitFor('a Statistics tab', () =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && /^Statistics/.test(t.label)),
    );
    assert.match(tab.label, /statistics/i);
  });

  test('a second run of the same pipeline is refused while one runs, and cancel stops the first', async function () {
    this.timeout(240_000);
    const uri = slowPipeline();
    await vscode.commands.executeCommand('pipewise.showGraph', uri);
    const stages = stageNamesOf(fs.readFileSync(uri.fsPath, 'utf8'));
    const first = vscode.commands.executeCommand<RunOutcome>('pipewise.runPipeline', uri, { force: true });
    try {
      await waitFor('the train stage to be drawn running', async () => stageStatuses(await graphAck(uri), stages).train === 'running' || undefined, 60_000, async () => ({ ack: await graphAck(uri), tabs: tabsShown() }));
      // Closing the graph mid-run leaves the run going: reopened, it shows train still running.
      const graphTab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === 'Graph: slow');
      assert.ok(graphTab, 'the graph tab is open');
      await vscode.window.tabGroups.close(graphTab);
      await vscode.commands.executeCommand('pipewise.showGraph', uri);
      await waitFor('the reopened graph to draw train running', async () => stageStatuses(await graphAck(uri), stages).train === 'running' || undefined, 90_000, async () => ({ ack: await graphAck(uri), tabs: tabsShown() }));
      const second = await vscode.commands.executeCommand<RunOutcome>('pipewise.runPipeline', uri);
      assert.equal(second.status, 'refused');
      assert.equal(second.status === 'refused' && second.reason, 'busy');
      assert.equal(await vscode.commands.executeCommand('pipewise.cancelRun', uri), true);
      const outcome = await first;
      assert.equal(outcome.status, 'cancelled', JSON.stringify(outcome));
      const st = await waitFor('no stage drawn running after the cancel', async () => {
        const s = stageStatuses(await graphAck(uri), stages);
        return Object.values(s).some((x) => x === 'running' || x === 'pending') ? undefined : s;
      });
      assert.equal(st.train, 'cancelled', JSON.stringify(st));
    } finally {
      // A failed assertion must not leave the slow run going under the next tests.
      await vscode.commands.executeCommand('pipewise.cancelRun', uri);
      await first.then(undefined, () => undefined);
    }
  });

  test('when the worker dies mid-run the stage fails with the reason and the next run starts a new worker', async function () {
    this.timeout(180_000);
    const ctx = await context();
    const uri = slowPipeline();
    await vscode.commands.executeCommand('pipewise.showGraph', uri);
    const stages = stageNamesOf(fs.readFileSync(uri.fsPath, 'utf8'));
    const running = vscode.commands.executeCommand<RunOutcome>('pipewise.runPipeline', uri, { force: true });
    try {
      await waitFor('the train stage to be drawn running', async () => stageStatuses(await graphAck(uri), stages).train === 'running' || undefined, 60_000, async () => ({ ack: await graphAck(uri), tabs: tabsShown() }));
      const client = await ctx.worker.process();
      const deadPid = client.pid;
      client.kill('SIGKILL');
      const outcome = await running;
      assert.equal(outcome.status, 'failed', JSON.stringify(outcome));
      const failed = outcome.stages.find((s) => s.status === 'failed');
      assert.equal(failed?.name, 'train', `the running stage failed: ${JSON.stringify(outcome.stages)}`);
      assert.match(failed?.error ?? '', /worker stopped.*SIGKILL/);
      const drawn = await waitFor('the graph to draw train failed', async () => (stageStatuses(await graphAck(uri), stages).train === 'failed' ? true : undefined));
      assert.ok(drawn);
      const again = await vscode.commands.executeCommand<RunOutcome>('pipewise.runPipeline', penguins());
      assert.equal(again.status, 'succeeded', JSON.stringify(again));
      assert.notEqual(ctx.worker.info?.pid, deadPid, 'a new worker process ran the next run');
      // The store's lineage says it too, with the signal (recorded by the next worker, before the run it was asked for).
      assert.ok(outcome.runId, 'the dead run had started');
      const record = JSON.parse(fs.readFileSync(path.join(path.dirname(penguins().fsPath), '.pipewise', 'metadata', 'runs', `${outcome.runId}.json`), 'utf8')) as {
        status: string;
        stages: { name: string; status: string; error?: string }[];
      };
      assert.equal(record.status, 'failed', JSON.stringify(record));
      const train = record.stages.find((s) => s.name === 'train');
      assert.equal(train?.status, 'failed');
      assert.match(train?.error ?? '', /SIGKILL/);
    } finally {
      await vscode.commands.executeCommand('pipewise.cancelRun', uri);
      await running.then(undefined, () => undefined);
    }
  });

  test('the pipewise task type offers a run task for each pipeline in the workspace', async () => {
    const tasks = await vscode.tasks.fetchTasks({ type: 'pipewise' });
    const pipelines = tasks.map((t) => String((t.definition as { pipeline?: unknown }).pipeline)).sort();
    assert.ok(pipelines.includes('penguins/penguins.pipeline.yaml'), JSON.stringify(pipelines));
    assert.ok(tasks.every((t) => t.execution instanceof vscode.CustomExecution));
  });

  test('an untrusted workspace refuses to run but still shows the graph', async function () {
    this.timeout(60_000);
    const uri = penguins();
    await vscode.commands.executeCommand('pipewise.test.setTrusted', false);
    const before = (await graphAck(uri))?.runId;
    for (const [command, ...args] of [
      ['pipewise.runPipeline', uri],
      ['pipewise.runStage', uri, 'statistics'],
      ['pipewise.runFromStage', uri, 'schema'],
    ] as const) {
      const outcome = await vscode.commands.executeCommand<RunOutcome>(command, ...args);
      assert.equal(outcome.status, 'refused', `${command}: ${JSON.stringify(outcome)}`);
      assert.equal(outcome.status === 'refused' && outcome.reason, 'untrusted');
      assert.match(outcome.status === 'refused' ? outcome.message : '', /untrusted workspace/);
    }
    await vscode.commands.executeCommand('pipewise.showGraph', uri);
    const ack = await waitFor('the graph drawn in the untrusted workspace', async () => {
      const a = await graphAck(uri);
      return a && a.nodes.length > 0 ? a : undefined;
    });
    assert.equal(ack.runId, before, 'no run happened');
  });
});
