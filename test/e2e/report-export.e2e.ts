/**
 * *Export Report…* as a person reaches it in the workbench: after two CLI runs of the penguin
 * example (fewer epochs the second time), the evaluation panel's toolbar button opens VS Code's save
 * dialog, the answer `report.html` gets the self-contained page of that evaluation's run, the
 * experiments panel's button with both runs ticked writes `compare.md`, the newer run against the
 * older, and the Runs view's context menu on the older run exports that run. Saves
 * `test-results/screenshots/report-export-*.png`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { RunResult } from '../../src/protocol/runEvents';
import { Workbench } from './workbench';
import { runCli } from './webPage';

let wb: Workbench;
const runs: RunResult[] = [];

before(async () => {
  wb = await Workbench.start({ workspace: 'examples/penguins' });
  const file = path.join(wb.workspace, 'penguins.pipeline.yaml');
  runs.push(runCli(file));
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('epochs: 40', 'epochs: 10'));
  runs.push(runCli(file));
});

/**
 * Waits for the report file and the extension's log line that the worker wrote it (the
 * notification toast is not waited for: code-server may file it in the notification centre at once).
 */
async function written(file: string, what: string): Promise<string> {
  const deadline = Date.now() + 60_000;
  const line = new RegExp(`\\[report\\] wrote ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\((\\w+), run (\\S+), `);
  for (;;) {
    const m = line.exec(wb.extensionLog());
    if (m && fs.existsSync(file)) return m[2] as string;
    if (Date.now() > deadline) {
      await wb.screenshot(`report-export-${what}-failure`).catch(() => undefined);
      throw new Error(`no report at ${file} after 60 s\n--- extension log ---\n${wb.extensionLog().slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

after(async () => {
  await wb?.close();
});

test('the evaluation panel\'s Export Report… writes the HTML page of its run where the save dialog says', async () => {
  const panel = await wb.openOutputsFromGraph('penguins.pipeline.yaml', 'evaluate.evaluation', '.verdict');
  const button = panel.getByRole('button', { name: 'Export Report…' });
  await button.waitFor({ timeout: 60_000 });
  await button.click();
  const out = path.join(wb.workspace, 'report.html');
  await wb.answerFileDialog(out);
  const reported = await written(out, 'evaluation');
  const newest = runs[1] as RunResult;
  assert.equal(reported, newest.runId, 'the panel shows the newest run\'s evaluation, and reports that run');
  const page = fs.readFileSync(out, 'utf8');
  assert.match(page, /^<!doctype html>/);
  assert.ok(page.includes(`Run <code>${newest.runId}</code>`), 'the page reports the evaluation\'s run');
  assert.match(page, /data-chart="confusion"/);
  await wb.screenshot('report-export-evaluation');
});

test('the experiments panel\'s Export Report… with two runs ticked writes the newer against the older as Markdown', async () => {
  await wb.openFile('penguins.pipeline.yaml');
  await wb.runCommand('Pipewise: Show Experiments (Runs Compared)');
  const table = await wb.webview('table.experiments tbody tr', 60_000);
  for (const box of await table.locator('table.experiments tbody input[type="checkbox"]').all()) await box.check();
  await table.getByRole('button', { name: 'Export Report…' }).click();
  const out = path.join(wb.workspace, 'compare.md');
  await wb.answerFileDialog(out);
  await written(out, 'experiments');
  const md = fs.readFileSync(out, 'utf8');
  const [older, newer] = runs as [RunResult, RunResult];
  assert.ok(md.includes(`Run \`${newer.runId}\``) && md.includes(`against \`${older.runId}\``), md.slice(0, 400));
  assert.match(md, /\| train\.epochs \| 10 \| 40 \|/);
  await wb.screenshot('report-export-experiments');
});

test('a run\'s context menu in the Runs view exports that run (the older one here)', async () => {
  await wb.runCommand('Pipewise: Focus on Models View');
  const pane = wb.page.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: /Pipelines and Runs/i }) });
  const pipelineRow = pane.locator('.monaco-list-row', { has: wb.page.locator('.label-name', { hasText: /^penguins\.pipeline\.yaml$/ }) }).first();
  await pipelineRow.waitFor({ state: 'visible', timeout: 60_000 });
  // The row's own click opens the file; its twistie expands it.
  if ((await pipelineRow.getAttribute('aria-expanded')) !== 'true') await pipelineRow.locator('.monaco-tl-twistie').click();
  // Runs are listed newest first: the second run row is the first run.
  const runRows = pane.locator('.monaco-list-row', { has: wb.page.locator('.label-description', { hasText: /^succeeded · / }) });
  await runRows.nth(1).waitFor({ state: 'visible', timeout: 30_000 }).catch(async (e: unknown) => {
    await wb.screenshot('report-export-runs-view-failure');
    throw e;
  });
  await wb.contextMenu(runRows.nth(1), 'Export Report…');
  const out = path.join(wb.workspace, 'older.md');
  await wb.answerFileDialog(out);
  const reported = await written(out, 'runs-view');
  const older = runs[0] as RunResult;
  assert.equal(reported, older.runId);
  assert.ok(fs.readFileSync(out, 'utf8').includes(`Run \`${older.runId}\``));
  await wb.screenshot('report-export-runs-view');
});
