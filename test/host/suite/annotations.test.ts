/**
 * Issue 28, "Runs can be renamed, given a note and starred", as the user meets it: a run is renamed,
 * noted and starred through the commands the Runs view's menu gives; the Runs view shows the name
 * (with the star) as the label and the note in its description and tooltip, and `pipewise lineage`
 * prints the same from the store, and the experiments table's row carries them.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { PipewiseContext } from '../../../src/extension/context';
import type { RunOutcome } from '../../../src/protocol/runEvents';
import type { RunAnnotations } from '../../../src/core/runAnnotations';
import { loadExperiments } from '../../../src/extension/runs/experimentsPanel';

type RunItem = { runId: string; label: string; description: string; tooltip: string; contextValue: string };

suite('annotations', () => {
  test('Rename…, Edit Note… and Star/Unstar show in the Runs view and in pipewise lineage', async function () {
    this.timeout(300_000);
    const ext = vscode.extensions.getExtension<PipewiseContext>('pipewise.pipewise');
    assert.ok(ext);
    await ext.activate();
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    // A two-stage pipeline of plain JS components (test/fixtures/engine): no DuckDB or training needed.
    const dir = path.join(root, 'annotated');
    fs.mkdirSync(path.join(dir, 'components'), { recursive: true });
    for (const f of ['emit_numbers.js', 'scale_numbers.js']) fs.copyFileSync(path.join(ext.extensionPath, 'test', 'fixtures', 'engine', f), path.join(dir, 'components', f));
    const file = vscode.Uri.file(path.join(dir, 'tiny.pipeline.yaml'));
    fs.writeFileSync(
      file.fsPath,
      'pipeline: tiny\nstages:\n  numbers:\n    component: ./components/emit_numbers.js\n    params: { count: 4 }\n  scaled:\n    component: ./components/scale_numbers.js\n    inputs: { examples: numbers.examples }\n    params: { factor: 10 }\n',
    );
    const outcome = await vscode.commands.executeCommand<RunOutcome>('pipewise.runPipeline', file, { force: true, revealGraph: false });
    assert.ok(outcome && outcome.status === 'succeeded' && 'runId' in outcome, JSON.stringify(outcome).slice(0, 400));
    const runId = outcome.runId;
    // The argument the Runs view's menu passes: its run item.
    const item = { uri: file, run: { id: runId } };

    await vscode.commands.executeCommand<RunAnnotations>('pipewise.renameRun', item, 'wide hidden layer');
    await vscode.commands.executeCommand<RunAnnotations>('pipewise.editRunNote', item, 'best so far\nsecond line');
    const starred = await vscode.commands.executeCommand<RunAnnotations>('pipewise.toggleRunStar', { ...item, annotations: { name: 'wide hidden layer' } });
    assert.deepEqual(starred, { name: 'wide hidden layer', note: 'best so far\nsecond line', starred: true });

    const view = await vscode.commands.executeCommand<RunItem[]>('pipewise.test.runsView', file);
    const shown = view.find((r) => r.runId === runId);
    assert.ok(shown, `run ${runId} in the Runs view: ${JSON.stringify(view)}`);
    assert.equal(shown.label, '★ wide hidden layer');
    assert.equal(shown.contextValue, 'pipewise.run.starred', 'the menu offers Unstar');
    assert.match(shown.description, /· best so far$/);
    assert.match(shown.tooltip, /“wide hidden layer” \(starred/);
    assert.match(shown.tooltip, /best so far\nsecond line/);

    const cli = spawnSync(process.execPath, [path.join(ext.extensionPath, 'bin', 'pipewise.js'), 'lineage', file.fsPath], { encoding: 'utf8', cwd: dir, timeout: 120_000 });
    assert.equal(cli.status, 0, cli.stderr);
    const line = cli.stdout.split('\n').find((l) => l.includes(runId)) ?? '';
    assert.match(line, /^★ .*"wide hidden layer"$/);
    assert.match(cli.stdout, /note: best so far\n\s+note: second line/);

    // The experiments table reads the same annotations onto the run's row.
    const table = await loadExperiments(file.fsPath, 50);
    assert.deepEqual(table.rows.find((r) => r.runId === runId)?.annotations, starred);

    // Unstar (the item now carries its annotations, as the view gives them): the star goes, the name stays.
    const unstarred = await vscode.commands.executeCommand<RunAnnotations>('pipewise.toggleRunStar', { ...item, annotations: starred });
    assert.deepEqual(unstarred, { name: 'wide hidden layer', note: 'best so far\nsecond line' });
    const after = (await vscode.commands.executeCommand<RunItem[]>('pipewise.test.runsView', file)).find((r) => r.runId === runId);
    assert.equal(after?.label, 'wide hidden layer');
    assert.equal(after?.contextValue, 'pipewise.run', 'the menu offers Star');

    // The menu's Star and Unstar commands set the star whatever the item carries.
    assert.deepEqual(await vscode.commands.executeCommand<RunAnnotations>('pipewise.starRun', { ...item, annotations: { starred: true } }), { ...unstarred, starred: true });
    assert.deepEqual(await vscode.commands.executeCommand<RunAnnotations>('pipewise.unstarRun', item), unstarred);
  });
});
