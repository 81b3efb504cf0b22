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
});
