/**
 * The Runs view's store clean-up in a real VS Code: after two forced runs of the penguin
 * pipeline, `pipewise.collectGarbage` keeping one run removes the first run's artifacts that no
 * blessed or pushed model needs, reports the bytes it freed, and leaves the last run whole.
 */
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { PipewiseContext } from '../../../src/extension/context';
import type { GcReport } from '../../../src/protocol/store';
import type { RunOutcome } from '../../../src/protocol/runEvents';

function du(p: string): number {
  const st = fs.statSync(p);
  return st.isDirectory() ? fs.readdirSync(p).reduce((n, f) => n + du(path.join(p, f)), 0) : st.size;
}

suite('store', () => {
  test('Clean Up Store keeps the last run and the pushed model, frees the rest, and says how much', async function () {
    this.timeout(600_000);
    const ext = vscode.extensions.getExtension<PipewiseContext>('pipewise.pipewise');
    assert.ok(ext);
    await ext.activate();
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(folder);
    const uri = vscode.Uri.file(path.join(folder, 'penguins', 'penguins.pipeline.yaml'));
    const outcomes: RunOutcome[] = [];
    for (let i = 0; i < 2; i++) outcomes.push(await vscode.commands.executeCommand<RunOutcome>('pipewise.runPipeline', uri, { force: true }));
    const last = outcomes[1];
    assert.ok(last && last.status === 'succeeded' && 'stages' in last, JSON.stringify(last));
    const lastFolders = last.stages.flatMap((s) => Object.values(s.artifacts));

    const report = await vscode.commands.executeCommand<GcReport>('pipewise.collectGarbage', uri, { keep: 1, confirm: false });
    assert.ok(report, 'the command returned its report');
    assert.ok(report.removed.length > 0, 'the first run left something to collect');
    assert.equal(report.dryRun, false);
    for (const r of report.removed) assert.equal(fs.existsSync(r.uri), false, `${r.id} is gone`);
    assert.ok(report.bytesFreed >= report.removed.reduce((n, r) => n + r.bytes, 0) && report.bytesFreed > 0);
    for (const f of lastFolders) assert.ok(fs.existsSync(f), `the last run's ${f} is kept`);
    assert.ok(report.kept.some((k) => /pushed by|blessed by/.test(k.why)), 'the pushed model is kept as such');
    assert.ok(du(path.join(folder, 'penguins', '.pipewise')) < report.storeBytesBefore);
    // Nothing left to collect: a second clean-up frees nothing.
    const again = await vscode.commands.executeCommand<GcReport>('pipewise.collectGarbage', uri, { keep: 1, confirm: false });
    assert.equal(again?.bytesFreed, 0);
  });
});
