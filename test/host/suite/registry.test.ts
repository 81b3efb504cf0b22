/**
 * The model registry in the editor, on a real run of the penguin pipeline (through the extension)
 * and a second version beside the pushed one: *Promote to Champion* on a version item moves the
 * alias (the file on disk says so, with the OS user), the view shows the aliases on each version,
 * a server started from the view answers with the champion rather than the newest version, a
 * promotion switches its answers, *Roll Back* moves the champion back (from the alias history) and
 * the server follows; a canary server started from the view shares requests between two versions
 * as its `pipewise-serve` task's split says.
 */
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { activePipewise, runAndPush, waitFor, type ViewSnapshot, lastCommandFailure } from '../pushedRun';
import type { ServerInfo } from '../../../src/protocol/models';

/** One penguin, as a client sends it. */
const PENGUIN = { island: 'Biscoe', bill_length_mm: 46.1, bill_depth_mm: 13.2, flipper_length_mm: 211, body_mass_g: 4500, sex: 'female', year: 2007 };

/** POST :predict with node:http; the version header is what the test reads. */
function predict(url: string, requestId?: string): Promise<{ status: number; version: string | undefined }> {
  const data = Buffer.from(JSON.stringify({ instances: [PENGUIN] }));
  const u = new URL(`${url}:predict`);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': data.length, ...(requestId ? { 'x-request-id': requestId } : {}) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, version: res.headers['x-model-version'] as string | undefined }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const view = async (): Promise<ViewSnapshot[number] | undefined> => ((await vscode.commands.executeCommand('pipewise.test.modelsView')) as ViewSnapshot).find((m) => m.label === 'penguins');

suite('registry', () => {
  let base = '';
  /** The pushed version, and a second one beside it (newer). */
  let older = 0;
  let newer = 0;
  let server: ServerInfo | undefined;

  suiteSetup(async function () {
    this.timeout(600_000);
    await activePipewise();
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    const run = await runAndPush(path.join(root, 'penguins', 'penguins.pipeline.yaml'));
    base = run.base;
    older = run.version;
    newer = older + 1;
    // A second version: the same model pushed again (the server tells versions apart by number).
    fs.cpSync(path.join(base, String(older)), path.join(base, String(newer)), { recursive: true });
    fs.rmSync(path.join(base, 'aliases.json'), { force: true });
  });

  suiteTeardown(async () => {
    if (server) await vscode.commands.executeCommand('pipewise.stopModelServer', base);
  });

  test('Promote to Champion from a version item: the alias on disk, on the item, and the server answers with the champion', async function () {
    this.timeout(300_000);
    // Other suites in this workspace may have pushed versions too: these two are the ones this suite made.
    const before = await waitFor('both versions in the view', async () => {
      const m = await view();
      return [older, newer].every((v) => m?.children.some((c) => c.label === `v${v}`)) ? m : undefined;
    }, 30_000);
    assert.ok(before.children.every((c) => c.contextValue.endsWith('.candidate')), 'no champion yet: every version can be promoted');

    // The view's item for the older version, as a click hands it to the command.
    const promoted = await vscode.commands.executeCommand('pipewise.promoteToChampion', { model: { base }, version: { version: older } });
    assert.equal(promoted, older);
    const file = JSON.parse(fs.readFileSync(path.join(base, 'aliases.json'), 'utf8')) as { aliases: Record<string, number>; history: { alias: string; version: number; previous: number | null; user: string }[] };
    assert.deepEqual(file.aliases, { champion: older });
    assert.deepEqual(file.history.map((h) => [h.alias, h.version, h.previous, h.user]), [['champion', older, null, os.userInfo().username]]);
    const shown = await waitFor('the champion on its version', async () => {
      const m = await view();
      return m?.children.find((c) => c.label === `v${older}`)?.description.startsWith('champion') ? m : undefined;
    }, 10_000);
    assert.match(shown.children.find((c) => c.label === `v${older}`)?.contextValue ?? '', /\.champion$/, 'the champion, with no earlier champion to roll back to');
    assert.match(shown.children.find((c) => c.label === `v${newer}`)?.contextValue ?? '', /\.candidate$/);

    server = (await vscode.commands.executeCommand('pipewise.startModelServer', base)) as ServerInfo | undefined;
    assert.ok(server, `the server started (${await lastCommandFailure()})`);
    assert.equal(server.version, String(older), 'the champion serves, not the newest version');
    const r = await predict(server.url);
    assert.equal(r.status, 200);
    assert.equal(r.version, String(older));

    // Started again while it serves (a second click, another command naming the model): the running
    // server answers for it. VS Code does not run a task that is already active, so no second start comes.
    const again = await Promise.race([
      vscode.commands.executeCommand('pipewise.startModelServer', base) as Thenable<ServerInfo | undefined>,
      new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), 15_000)),
    ]);
    assert.ok(again !== 'pending', 'a second start of a serving model settles (within 15 s)');
    assert.deepEqual(again, server, 'a second start of a serving model is the running server');
  });

  test('promoting the newer version switches the answers; Roll Back returns to the previous champion and the server follows', async function () {
    this.timeout(300_000);
    assert.ok(server, 'the previous test started a server');
    const url = server.url;
    const moved = Date.now();
    assert.equal(await vscode.commands.executeCommand('pipewise.promoteToChampion', { base, version: newer }), newer);
    await waitFor('answers from the new champion', async () => ((await predict(url)).version === String(newer) ? true : undefined), 5_000);
    assert.ok(Date.now() - moved < 5_000);
    const promoted = await waitFor('the view to show the new champion', async () => {
      const m = await view();
      return m?.children.find((c) => c.label === `v${newer}`)?.contextValue.endsWith('.champion.rollback') ? m : undefined;
    }, 10_000);
    assert.match(promoted.children.find((c) => c.label === `v${older}`)?.contextValue ?? '', /\.candidate$/);
    // The view follows the version the server answers with (its status poll): the play icon moves.
    await waitFor('the play icon on the new champion', async () => ((await view())?.children.find((c) => c.icon === 'play-circle')?.label === `v${newer}` ? true : undefined), 15_000);

    // Roll Back, as the champion item's button hands it its item.
    const back = await vscode.commands.executeCommand('pipewise.rollBackChampion', { model: { base }, version: { version: newer } });
    assert.equal(back, older);
    // The older version was unloaded once no alias named it: it loads again, the newer answering meanwhile, no request failing.
    const seen = new Set<string>();
    await waitFor('answers from the previous champion', async () => {
      const a = await predict(url);
      assert.equal(a.status, 200, 'no request fails while the champion moves back');
      seen.add(String(a.version));
      return a.version === String(older) ? true : undefined;
    }, 60_000);
    const file = JSON.parse(fs.readFileSync(path.join(base, 'aliases.json'), 'utf8')) as { aliases: Record<string, number>; history: { version: number; previous: number | null }[] };
    assert.deepEqual(file.aliases, { champion: older });
    assert.deepEqual(file.history.map((h) => [h.version, h.previous]), [[older, null], [newer, older], [older, newer]]);
    await waitFor('the view to show the champion back', async () => ((await view())?.children.find((c) => c.label === `v${older}`)?.description.startsWith('champion') ? true : undefined), 10_000);

    assert.equal(await vscode.commands.executeCommand('pipewise.stopModelServer', base), true);
    server = undefined;
  });

  test('a canary server from the view: its task carries the split, both versions answer in their shares', async function () {
    this.timeout(300_000);
    const split = `champion=70,${newer}=30`;
    server = (await vscode.commands.executeCommand('pipewise.startCanaryServer', base, { split })) as ServerInfo | undefined;
    assert.ok(server, 'the canary server started');
    assert.equal(server.split, split);
    const task = vscode.tasks.taskExecutions.find((e) => e.task.definition.type === 'pipewise-serve');
    assert.equal(task?.task.definition.split, split, 'the pipewise-serve task has the split, as tasks.json would');
    const counts = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const a = await predict(server.url, `host-canary-${i}`);
      assert.equal(a.status, 200);
      counts.set(String(a.version), (counts.get(String(a.version)) ?? 0) + 1);
    }
    const champion = counts.get(String(older)) ?? 0;
    const canary = counts.get(String(newer)) ?? 0;
    assert.equal(champion + canary, 200);
    assert.ok(Math.abs(champion - 140) <= 30, `champion answered ${champion} of 200, canary ${canary}`);
    const m = await waitFor('the view to show the canary', async () => {
      const v = await view();
      // Not startsWith: a model the monitoring suite left flagged reads "anomalous · canary on :…".
      return v?.description.includes('canary on :') ? v : undefined;
    }, 10_000);
    assert.deepEqual(m.children.filter((c) => c.icon === 'play-circle').map((c) => c.label).sort(), [`v${newer}`, `v${older}`].sort(), 'both versions of the split are marked as serving');
    assert.equal(await vscode.commands.executeCommand('pipewise.stopModelServer', base), true);
    server = undefined;
  });
});
