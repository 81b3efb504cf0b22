/**
 * Issue 27 item 1, as the user met it: two pipelines in one folder share one store; the first runs
 * twice and pushes both times, the second runs last. The newest push is served and answers a
 * request. *Clean Up Store…* of the first pipeline keeping 1 run must leave everything the user
 * still relies on: monitoring of the served model (the training statistics it compares with), every
 * pushed version's evaluation (the Models view's metrics, the evaluation panel opened from it), and
 * the metrics of every run in Experiments.
 */
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as vscode from 'vscode';
import { lastCommandFailure } from '../pushedRun';
import type { PipewiseContext } from '../../../src/extension/context';
import type { EvaluationAck } from '../../../src/protocol/evaluation';
import type { ExperimentsAck } from '../../../src/protocol/experiments';
import type { MonitoringAck } from '../../../src/protocol/monitoring';
import type { ServerInfo } from '../../../src/protocol/models';
import type { RunOutcome } from '../../../src/protocol/runEvents';
import type { GcReport } from '../../../src/protocol/store';
import { loadExperiments } from '../../../src/extension/runs/experimentsPanel';

type ViewSnapshot = { label: string; description: string; contextValue: string; children: { label: string; description: string; icon: string }[] }[];

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    last = v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function post(url: string, body: unknown): Promise<number> {
  const data = Buffer.from(JSON.stringify(body));
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': data.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(data);
  });
}

function artifact(outcome: RunOutcome | undefined, stage: string, output: string): string {
  assert.ok(outcome && outcome.status === 'succeeded' && 'stages' in outcome, JSON.stringify(outcome).slice(0, 500));
  const uri = outcome.stages.find((s) => s.name === stage)?.artifacts[output];
  assert.ok(uri, `stage ${stage} has an output ${output}`);
  return uri;
}

suite('cleanup', () => {
  let base = '';
  let server: ServerInfo | undefined;

  suiteTeardown(async () => {
    if (server) await vscode.commands.executeCommand('pipewise.stopModelServer', base);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('after Clean Up (keep 1) of one of two pipelines in a folder, monitoring, the pushed versions\' evaluations and Experiments all work', async function () {
    this.timeout(1_200_000);
    const ext = vscode.extensions.getExtension<PipewiseContext>('pipewise.pipewise');
    assert.ok(ext);
    await ext.activate();
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    const dir = path.join(root, 'penguins');
    const first = vscode.Uri.file(path.join(dir, 'penguins.pipeline.yaml'));
    // A second pipeline in the same folder (so in the same store): the same stages, a model of its own.
    const yaml = fs.readFileSync(first.fsPath, 'utf8').replace(/^pipeline: penguins$/m, 'pipeline: penguins_small').replace('hidden_units: [32, 16], epochs: 40', 'hidden_units: [8], epochs: 10').replace('serving/penguins', 'serving/penguins_small');
    assert.match(yaml, /pipeline: penguins_small[\s\S]*serving\/penguins_small/);
    const second = vscode.Uri.file(path.join(dir, 'penguins_small.pipeline.yaml'));
    fs.writeFileSync(second.fsPath, yaml);

    const run = (uri: vscode.Uri): Thenable<RunOutcome | undefined> => vscode.commands.executeCommand<RunOutcome>('pipewise.runPipeline', uri, { force: true, revealGraph: false });
    const run1 = await run(first);
    const run2 = await run(first);
    const other = await run(second);
    const evaluations = [artifact(run1, 'evaluate', 'evaluation'), artifact(run2, 'evaluate', 'evaluation')];
    artifact(other, 'evaluate', 'evaluation');
    const pushed = JSON.parse(fs.readFileSync(path.join(artifact(run2, 'push', 'pushed_model'), 'pushed.json'), 'utf8')) as { pushed: boolean; destination: string; version: number };
    assert.ok(pushed.pushed, 'the second run pushed');
    base = pushed.destination;

    // The newest push is served and answers a request (what monitoring will compare).
    server = await vscode.commands.executeCommand<ServerInfo | undefined>('pipewise.startModelServer', base);
    assert.ok(server?.logDir, `the server started and logs its requests (${await lastCommandFailure()})`);
    const logDir = server.logDir;
    const instance = { island: 'Biscoe', bill_length_mm: 45.1, bill_depth_mm: 14.5, flipper_length_mm: 215, body_mass_g: 5000, sex: 'female', year: 2008 };
    assert.equal(await post(`${server.url}:predict`, { instances: [instance] }), 200);

    const report = await vscode.commands.executeCommand<GcReport>('pipewise.collectGarbage', first, { keep: 1, confirm: false });
    assert.ok(report && !report.dryRun, 'the clean-up ran');
    assert.ok(report.removed.length > 0, 'something was collected (the first run is not the last)');
    // Each thing the user relies on is checked on its own, so a failure report names every part that broke.
    const broken: string[] = [];
    const part = async (what: string, check: () => Promise<void>): Promise<void> => {
      try {
        await check();
      } catch (e) {
        broken.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    await part('the pushed versions\' evaluation folders', async () => {
      for (const e of evaluations) assert.ok(fs.existsSync(path.join(e, 'metrics.json')), `${e} is kept`);
    });

    await part('monitoring of the served model', async () => {
      await vscode.commands.executeCommand('pipewise.monitorModel', base);
      const ack = await vscode.commands.executeCommand<MonitoringAck>('pipewise.test.monitoringAck', logDir, { timeoutMs: 60_000 });
      assert.equal(ack?.kind, 'report', `monitoring draws its report, not ${JSON.stringify(ack).slice(0, 400)}`);
    });

    await part('the Models view', async () => {
      const view = await vscode.commands.executeCommand<ViewSnapshot>('pipewise.test.modelsView');
      const model = view?.find((m) => m.label === 'penguins');
      assert.ok(model && model.children.length >= 2, `the two pushed versions are listed: ${JSON.stringify(model)}`);
      for (const c of model.children) assert.doesNotMatch(c.description, /no evaluation recorded/, `${c.label}: ${c.description}`);
    });

    await part('the first pushed version\'s evaluation panel', async () => {
      await vscode.commands.executeCommand('pipewise.openEvaluation', vscode.Uri.file(evaluations[0] as string));
      const evaluation = await waitFor(
        'the evaluation panel to draw',
        async () => {
          const a = await vscode.commands.executeCommand<EvaluationAck | undefined>('pipewise.test.evaluationAck', vscode.Uri.file(evaluations[0] as string));
          return a && a.renders > 0 ? a : undefined;
        },
        60_000,
      );
      assert.deepEqual(evaluation.errors, []);
      assert.ok(evaluation.slices > 0, 'its slices are drawn');
    });

    await part('Experiments', async () => {
      await vscode.commands.executeCommand('pipewise.showExperiments', first);
      const table = await waitFor(
        'the experiments table to draw',
        async () => {
          const a = await vscode.commands.executeCommand<ExperimentsAck | undefined>('pipewise.test.experimentsAck', first);
          return a && a.rows.length >= 2 ? a : undefined;
        },
        60_000,
      );
      // What the table shows for each run (the panel's own view of the store): no metric gone to "—".
      const shown = await loadExperiments(first.fsPath, 500);
      assert.equal(shown.rows.length, table.rows.length);
      for (const r of shown.rows) assert.equal(typeof r.metrics.accuracy, 'number', `run ${r.runId} still has its accuracy: ${JSON.stringify(r.metrics)}`);
    });
    assert.deepEqual(broken, [], 'everything the user relies on works after the clean-up');
  });
});
