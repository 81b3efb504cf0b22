/**
 * The first thing a user meets: the extension activates in a real VS Code and every command its
 * manifest contributes is registered. The command list is read from the manifest at run time, so
 * this suite keeps checking new commands as areas add them.
 */
import * as assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as vscode from 'vscode';
import type { PipewiseContext } from '../../../src/extension/context';
import { CommandStubs } from '../../../src/extension/commandStubs';

const EXTENSION_ID = 'pipewise.pipewise';

interface ContributedCommand {
  readonly command: string;
  readonly title: string;
}

function pipewise(): vscode.Extension<PipewiseContext> {
  const ext = vscode.extensions.getExtension<PipewiseContext>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this VS Code`);
  return ext;
}

suite('activation', () => {
  test('the extension activates without error', async () => {
    const ctx = await pipewise().activate();
    assert.equal(pipewise().isActive, true);
    assert.ok(ctx.log, 'activate() returns the Pipewise context with its log channel');
  });

  test('every command in the manifest is registered', async () => {
    const ext = pipewise();
    await ext.activate();
    const manifest = ext.packageJSON as { contributes?: { commands?: ContributedCommand[] } };
    const contributed = (manifest.contributes?.commands ?? []).map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `contributed in package.json but not registered: ${missing.join(', ')}`);
  });

  test('the native DuckDB module loads in this extension host', async () => {
    // Under code-server the extension host is plain Node 24, under VS Code it is Electron: the
    // Node-API binding must load in both.
    const requireFromExtension = createRequire(path.join(pipewise().extensionPath, 'package.json'));
    const duckdb = requireFromExtension('@duckdb/node-api') as typeof import('@duckdb/node-api');
    const instance = await duckdb.DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const reader = await connection.runAndReadAll('SELECT sum(i)::INTEGER AS s FROM range(1, 101) t(i)');
      assert.deepEqual(reader.getRowObjects(), [{ s: 5050 }]);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  test('the background worker starts and answers', async () => {
    const ctx = await pipewise().activate();
    const client = await ctx.worker.process();
    assert.ok(ctx.worker.isRunning, 'worker process is alive');
    assert.ok(ctx.worker.info && ctx.worker.info.pid > 0, `worker reported its pid: ${JSON.stringify(ctx.worker.info)}`);
    assert.notEqual(ctx.worker.info?.pid, process.pid, 'the worker is a separate process');
    assert.ok(client.isAlive);
  });

  // The entry registers each manifest command as a stub before the features load: a command run in
  // between (the one that activated the extension, a CodeLens clicked at once) waits for its handler.
  // Exercised here on stubs of ids of the test's own, in the real command registry.
  test('a command stub run before its handler is bound waits for the load, then runs the handler', async () => {
    const stubs = new CommandStubs(new Set(['pipewise.test.stubProbe.ok', 'pipewise.test.stubProbe.unbound']));
    try {
      assert.ok((await vscode.commands.getCommands(true)).includes('pipewise.test.stubProbe.ok'), 'the stub is registered at once');
      let settled = false;
      const pending = vscode.commands.executeCommand<number>('pipewise.test.stubProbe.ok', 20, 22).then((v) => {
        settled = true;
        return v;
      });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(settled, false, 'the command waits while the features are not loaded');
      stubs.bind('pipewise.test.stubProbe.ok', (...args: unknown[]) => (args[0] as number) + (args[1] as number));
      assert.equal(stubs.bind('pipewise.command.notInTheManifest', () => 0), undefined, 'an id without a stub is left to the caller');
      assert.deepEqual(stubs.unbound(), ['pipewise.test.stubProbe.unbound']);
      stubs.settle();
      assert.equal(await pending, 42, "the stub runs the bound handler with the command's arguments");
      await assert.rejects(Promise.resolve(vscode.commands.executeCommand('pipewise.test.stubProbe.unbound')), /no handler for the command pipewise\.test\.stubProbe\.unbound/);
    } finally {
      stubs.dispose();
    }
    assert.ok(!(await vscode.commands.getCommands(true)).includes('pipewise.test.stubProbe.ok'), 'disposing the stubs unregisters them');
  });

  test('when the features fail to load, every stub fails with that error', async () => {
    const stubs = new CommandStubs(new Set(['pipewise.test.stubProbe.failed']));
    try {
      const pending = Promise.resolve(vscode.commands.executeCommand('pipewise.test.stubProbe.failed'));
      stubs.settle(new Error('out/features.js: Unexpected token'));
      await assert.rejects(pending, /out\/features\.js: Unexpected token/);
    } finally {
      stubs.dispose();
    }
  });
});

/** What `pipewise.test.features` reports (src/extension/featureLoader.ts). */
interface FeaturesReport {
  readonly late: readonly { readonly name: string; readonly loaded: boolean; readonly commands: readonly string[]; readonly bound: readonly string[] }[];
  readonly unbound: readonly string[];
}

async function features(action?: { load?: readonly string[]; unload?: string }): Promise<FeaturesReport> {
  const report = await vscode.commands.executeCommand<FeaturesReport>('pipewise.test.features', action);
  assert.ok(report, 'pipewise.test.features answered');
  return report;
}

// The panels, notebooks and exports used less often load when first used (src/extension/features.ts).
suite('features loaded when first used', () => {
  test('after activation no late feature is loaded, and only their commands lack a handler', async () => {
    const { late, unbound } = await features();
    assert.ok(late.length >= 5, `late features: ${late.map((f) => f.name).join(', ')}`);
    assert.deepEqual(late.filter((f) => f.loaded).map((f) => f.name), [], 'nothing has used them yet');
    const manifest = new Set(((pipewise().packageJSON as { contributes?: { commands?: ContributedCommand[] } }).contributes?.commands ?? []).map((c) => c.command));
    const declared = late.flatMap((f) => f.commands).filter((id) => manifest.has(id));
    assert.deepEqual([...unbound].sort(), [...declared].sort(), 'the manifest commands without a handler are exactly those of the late features');
  });

  test("a late feature's first command loads it; disposing it unbinds its commands; the next run loads it again", async () => {
    const evaluation = async (): Promise<FeaturesReport['late'][number]> => {
      const f = (await features()).late.find((x) => x.name === 'evaluation');
      assert.ok(f, 'the evaluation feature is late');
      return f;
    };
    const nowhere = vscode.Uri.file(path.join(pipewise().extensionPath, 'no-such-evaluation.json'));
    assert.equal(await vscode.commands.executeCommand('pipewise.test.evaluationAck', nowhere), undefined, 'no panel shows that file');
    let state = await evaluation();
    assert.equal(state.loaded, true, 'running its test command loaded it');
    assert.deepEqual(state.bound, state.commands, 'it bound every command it declares');

    await features({ unload: 'evaluation' });
    state = await evaluation();
    assert.equal(state.loaded, false);
    assert.deepEqual(state.bound, [], 'disposing the feature released the handlers of its commands');
    assert.ok((await vscode.commands.getCommands(true)).includes('pipewise.openEvaluation'), 'the command stays registered (its stub)');

    assert.equal(await vscode.commands.executeCommand('pipewise.test.evaluationAck', nowhere), undefined);
    state = await evaluation();
    assert.equal(state.loaded, true, 'the next run loaded it again, without a clash of its commands');
    assert.deepEqual(state.bound, state.commands);
  });

  test('every late feature loads and binds exactly the commands it declares; then every manifest command has a handler', async () => {
    const { late } = await features();
    const report = await features({ load: late.map((f) => f.name) });
    for (const f of report.late) {
      assert.equal(f.loaded, true, f.name);
      assert.deepEqual(f.bound, f.commands, `${f.name}: declared in src/extension/features.ts and bound by its code`);
    }
    assert.deepEqual(report.unbound, [], 'no manifest command is left without a handler');
  });
});

