/**
 * The monitoring panel in a real VS Code, on a real request log: the penguins pipeline run by the
 * CLI, `pipewise serve --log-dir` on the pushed model, 200 requests drawn like the training data and
 * 200 shifted ones (island pinned, bill_length_mm +3σ). What the webview acknowledges having drawn
 * (read back from its page) must name exactly those two features as anomalous, with the numbers
 * `pipewise monitor --json` prints (the CLI is the independent check of the worker → panel path).
 * An empty folder shows a message, and the panel picks the log up by itself once it appears.
 */
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { PipewiseContext } from '../../../src/extension/context';
import type { MonitoringAck } from '../../../src/protocol/monitoring';
import type { MonitoringAckWanted } from '../../../src/extension/commands';
import { buildRequestLog, monitorJson, SHIFTED, type MonitorJsonOut } from '../../e2e/requestLog';

const EXTENSION_ID = 'pipewise.pipewise';

function ackOf(logDir: string, want: MonitoringAckWanted): Thenable<MonitoringAck> {
  return vscode.commands.executeCommand<MonitoringAck>('pipewise.test.monitoringAck', logDir, want);
}

suite('monitoring', () => {
  let cli = '';
  let pipelineFile = '';
  let logDir = '';
  let expected: MonitorJsonOut;

  suiteSetup(async function () {
    this.timeout(900_000);
    const ext = vscode.extensions.getExtension<PipewiseContext>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    await ext.activate();
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(root);
    cli = path.join(ext.extensionPath, 'bin', 'pipewise.js');
    pipelineFile = path.join(root, 'penguins', 'penguins.pipeline.yaml');
    logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-requests-'));
    await buildRequestLog(cli, pipelineFile, path.join(root, 'penguins', 'data', 'penguins.csv'), logDir);
    const m = await monitorJson(cli, pipelineFile, logDir);
    assert.equal(m.code, 1, 'the CLI flags the shifted traffic');
    expected = m.json;
  });

  teardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('the panel draws exactly the two shifted features as anomalous, with the numbers of `pipewise monitor --json`', async function () {
    this.timeout(180_000);
    await vscode.commands.executeCommand('pipewise.openMonitoring', vscode.Uri.file(pipelineFile), logDir);
    const ack = await ackOf(logDir, { requests: 400, timeoutMs: 150_000 });
    assert.equal(ack.requests, expected.requests);
    assert.equal(ack.from, expected.window.from);
    assert.equal(ack.to, expected.window.to);
    assert.deepEqual([...ack.highlighted].sort(), SHIFTED);
    assert.deepEqual(ack.rows.filter((r) => r.anomalous).map((r) => r.name).sort(), SHIFTED);
    // Anomalies first, then the rest.
    assert.deepEqual(ack.rows.slice(0, 2).map((r) => r.name).sort(), SHIFTED);
    const byName = (xs: readonly { name: string }[]) => [...xs].sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(byName(ack.rows), byName(expected.features));
    assert.deepEqual(ack.anomalies, expected.anomalies);
    assert.deepEqual([...new Set(ack.anomalies.map((a) => a.feature))].sort(), SHIFTED);
    // The chart over time has every feature; its windows are `--by hour`'s.
    const hourly = await monitorJson(cli, pipelineFile, logDir, ['--by', 'hour']);
    const rows = hourly.json as unknown as MonitorJsonOut[];
    assert.deepEqual(ack.chart, { by: 'hour', windows: rows.length, features: expected.features.map((f) => f.name).sort() });
    // The first row (an anomalous feature) is selected and its distributions overlaid.
    assert.ok(ack.overlay && SHIFTED.includes(ack.overlay), `overlay of ${ack.overlay}`);
  });

  test('the panel\'s anomalous verdict badges the pipeline\'s pushed model in the Models view', async function () {
    this.timeout(180_000);
    await vscode.commands.executeCommand('pipewise.openMonitoring', vscode.Uri.file(pipelineFile), logDir);
    await ackOf(logDir, { requests: 400, timeoutMs: 150_000 });
    const models = await vscode.commands.executeCommand<{ label: string; description: string }[]>('pipewise.test.modelsView');
    const penguins = models.find((m) => /penguins/.test(m.label));
    assert.ok(penguins, JSON.stringify(models));
    assert.match(penguins.description, /^anomalous · /, 'a warning on the model whose requests are anomalous');
  });

  test('an empty log folder shows a message, and the panel reads the log once requests arrive (auto-refresh)', async function () {
    this.timeout(180_000);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-requests-empty-'));
    await vscode.commands.executeCommand('pipewise.openMonitoring', vscode.Uri.file(pipelineFile), empty);
    const first = await ackOf(empty, { kind: 'empty', timeoutMs: 60_000 });
    assert.match(first.message ?? '', /empty: no request has been logged yet/);
    assert.deepEqual(first.rows, []);
    // The server starts logging: the visible panel picks the files up without Refresh.
    for (const f of fs.readdirSync(logDir)) fs.copyFileSync(path.join(logDir, f), path.join(empty, f));
    const later = await ackOf(empty, { requests: 400, timeoutMs: 90_000 });
    assert.deepEqual(later.rows.filter((r) => r.anomalous).map((r) => r.name).sort(), SHIFTED);
  });

  test('an unreadable log file is skipped with a notice naming it, and the rest is monitored', async function () {
    this.timeout(180_000);
    const planted = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-requests-planted-'));
    for (const f of fs.readdirSync(logDir)) fs.copyFileSync(path.join(logDir, f), path.join(planted, f));
    // Named as the server names a finished file, but not Parquet: what a truncated copy leaves.
    const bad = path.join(planted, 'requests-19990101T000000Z-broken.parquet');
    fs.writeFileSync(bad, 'not parquet');
    await vscode.commands.executeCommand('pipewise.openMonitoring', vscode.Uri.file(pipelineFile), planted);
    const ack = await ackOf(planted, { requests: 400, timeoutMs: 150_000 });
    assert.deepEqual(ack.rows.filter((r) => r.anomalous).map((r) => r.name).sort(), SHIFTED);
    const notices = ack.notices ?? [];
    assert.equal(notices.length, 1, JSON.stringify(notices));
    assert.match(notices[0] as string, /^skipped .*requests-19990101T000000Z-broken\.parquet: /);
  });

  test('a folder that does not exist is a message, not an error', async function () {
    this.timeout(60_000);
    const missing = path.join(os.tmpdir(), `pipewise-no-such-log-${process.pid}`);
    await vscode.commands.executeCommand('pipewise.openMonitoring', vscode.Uri.file(pipelineFile), missing);
    const ack = await ackOf(missing, { kind: 'empty', timeoutMs: 50_000 });
    assert.match(ack.message ?? '', /No request log at/);
  });
});
