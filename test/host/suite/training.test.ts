/**
 * The `pipewise.training.wasmThreads` setting in a real VS Code: the extension hands it to the
 * worker it forks, whose TF.js then trains on the threaded wasm build, and the run's result (what
 * the graph's header and the Runs view show) names the threads.
 */
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { PipewiseContext } from '../../../src/extension/context';
import type { RunOutcome } from '../../../src/protocol/runEvents';
import { penguinTrainPipeline } from '../../worker/serve-helpers';

const PIPELINE = penguinTrainPipeline('penguins_threads', 3);

suite('training', () => {
  let ctx: PipewiseContext;

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension<PipewiseContext>('pipewise.pipewise');
    assert.ok(ext);
    ctx = await ext.activate();
  });

  suiteTeardown(async () => {
    await vscode.workspace.getConfiguration('pipewise').update('training.wasmThreads', undefined, vscode.ConfigurationTarget.Workspace);
    await ctx.worker.restart(); // the next suites get a single-threaded worker again
  });

  test('wasmThreads = 2: the worker trains on "wasm (SIMD, 2 threads)" and the run says so', async function () {
    this.timeout(600_000);
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(root, 'the host tests need a workspace folder');
    const dir = path.join(root, 'threads');
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    fs.copyFileSync(path.join(root, 'penguins', 'data', 'penguins.csv'), path.join(dir, 'data', 'penguins.csv'));
    const file = path.join(dir, 'threads.pipeline.yaml');
    fs.writeFileSync(file, PIPELINE);
    await vscode.workspace.getConfiguration('pipewise').update('training.wasmThreads', 2, vscode.ConfigurationTarget.Workspace);
    await ctx.worker.restart(); // TF.js picks its backend once per process: the setting applies to a new worker
    const outcome = await vscode.commands.executeCommand<RunOutcome>('pipewise.runPipeline', vscode.Uri.file(file), { force: true, revealGraph: false });
    assert.ok(outcome && outcome.status === 'succeeded', JSON.stringify(outcome).slice(0, 500));
    assert.equal(outcome.backend, 'wasm (SIMD, 2 threads)');
  });
});
