/**
 * The import-boundary lint (scripts/check-boundaries.mjs, the rooms of docs/ARCHITECTURE.md): the
 * repository has no import that crosses a boundary the wrong way, and the lint does catch each kind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
// @ts-expect-error: a plain ES module script without type declarations
import { checkFile, checkRepository, checkSources, KNOWN_DEBT, splitDebt } from '../../scripts/check-boundaries.mjs';

const check = checkFile as (rel: string, text: string) => string[];
const checkAll = (sources: Record<string, string>): string[] => (checkSources as (s: Map<string, string>) => string[])(new Map(Object.entries(sources)));

test('no import in src/ or webviews/ crosses a room boundary the wrong way, and the known debt is still owed', () => {
  const all = (checkRepository as (root: string) => string[])(path.resolve(import.meta.dirname, '..', '..'));
  const { failures } = (splitDebt as (p: string[]) => { failures: string[] })(all);
  assert.deepEqual(failures, []);
  for (const d of KNOWN_DEBT as { match: string }[]) {
    assert.ok(all.some((p) => p.startsWith(d.match)), `KNOWN_DEBT lists ${d.match}, which no longer violates anything: remove it from the list`);
  }
});

test('the lint catches vscode, native modules and other rooms where they do not belong', () => {
  assert.match(check('src/core/x.ts', "import * as vscode from 'vscode';").join(), /src\/core must not import 'vscode'/);
  assert.match(check('src/protocol/x.ts', "import { DuckDBInstance } from '@duckdb/node-api';").join(), /native module/);
  assert.match(check('src/core/x.ts', "import { runPipeline } from '../engine/orchestrator';").join(), /src\/core must not import from src\/engine/);
  assert.match(check('webviews/graph/x.ts', "import { WorkerPort } from '../../src/extension/workerPort';").join(), /must not import from src\/extension/);
  assert.match(check('webviews/panels/x.ts', "import fs from 'node:fs';").join(), /Node module node:fs/);
  assert.match(check('webviews/panels/x.ts', "import { x } from '../graph/index';").join(), /must not import from webviews\/graph/);
  assert.match(check('src/extension/x.ts', "import { runPipeline } from '../engine/orchestrator';").join(), /may import only .* from src\/engine, not src\/engine\/orchestrator/);
  assert.match(check('src/extension/x.ts', "import { registerDataHandlers } from '../worker/handlers/data';").join(), /only src\/worker\/client.ts/);
});

test('the lint lets through what the rooms allow', () => {
  assert.deepEqual(check('webviews/panels/x.ts', "import type { ToWebview } from '../../src/protocol/data';\nimport { h } from '../shared/dom';"), []);
  assert.deepEqual(check('src/extension/workerPort.ts', "import type { RunRecord } from '../engine/lineage';\nimport { WorkerClient } from '../worker/client';"), []);
  assert.deepEqual(check('src/protocol/x.ts', "import { RequestType } from 'vscode-jsonrpc';\nimport type { Schema } from '../core/tfdv';"), []);
});

test('the lint sees import cycles, type-only ones included, and names their files', () => {
  const problems = checkAll({
    'src/engine/a.ts': "import { b } from './b';\nexport const a = 1;",
    'src/engine/b.ts': "import type { C } from './c';\nexport const b = 2;",
    'src/engine/c.ts': "import { a } from './a';\nexport type C = number;",
    'src/engine/d.ts': "import { a } from './a';",
  });
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0]!, /import cycle among 3 file\(s\): src\/engine\/a\.ts → src\/engine\/b\.ts → src\/engine\/c\.ts/);
  assert.deepEqual(checkAll({ 'src/engine/a.ts': "import { b } from './b';", 'src/engine/b.ts': 'export const b = 1;' }), []);
});

test('the lint sees a native module imported by the extension host or reached through a module it imports', () => {
  assert.match(check('src/extension/x.ts', "import { DuckDBInstance } from '@duckdb/node-api';").join(), /must not import the native module @duckdb\/node-api/);
  assert.match(check('src/extension/x.ts', "import * as ydf from 'ydf-training';").join(), /native module ydf-training/);
  const reached = checkAll({
    'src/extension/panel.ts': "import { listVersions } from '../engine/serving/modelVersions';",
    'src/engine/serving/modelVersions.ts': "import { openDuckDb } from '../duckdb';",
    'src/engine/duckdb.ts': "import { DuckDBInstance } from '@duckdb/node-api';",
  });
  assert.match(reached.join('\n'), /src\/extension\/panel\.ts: reaches the native module @duckdb\/node-api through src\/extension\/panel\.ts → src\/engine\/serving\/modelVersions\.ts → src\/engine\/duckdb\.ts/);
  assert.match(check('webviews/graph/x.ts', "import * as tf from '@tensorflow/tfjs-node';").join(), /native module/);
});

test('the lint keeps the worker client inside the worker port and notifications on the port', () => {
  assert.match(check('src/extension/runs/x.ts', "import { WorkerClient } from '../../worker/client';").join(), /only src\/extension\/workerPort\.ts holds the worker client/);
  assert.match(check('src/extension/x.ts', 'client.onNotification(RunEventNotification, (e) => seen.push(e));').join(), /WorkerPort\.on\(\), never onNotification/);
  assert.deepEqual(check('src/extension/workerPort.ts', "import { WorkerClient } from '../worker/client';"), []);
  assert.match(check('src/extension/panels/x.ts', "const p = vscode.window.createWebviewPanel('pipewise.x', 'X', 1, {});").join(), /opened and restored by a PanelRegistry/);
  assert.match(check('src/extension/panels/x.ts', 'vscode.window.registerWebviewPanelSerializer(VIEW, s);').join(), /PanelRegistry/);
  assert.match(check('src/extension/x.ts', "await vscode.commands.executeCommand('pipewise.openEvaluation', uri);").join(), /pipewise\.openEvaluation named raw/);
  assert.match(check('src/extension/x.ts', "item.command = { command: 'pipewise.tryModel', title: 'Try' };").join(), /pipewise\.tryModel named raw/);
  assert.deepEqual(check('src/extension/x.ts', "await vscode.commands.executeCommand('workbench.action.closeAllEditors');\nawait executeCommand('pipewise.runPipeline', uri);"), []);
  assert.deepEqual(check('src/extension/panelRegistry.ts', "vscode.window.createWebviewPanel(kind.viewType, 'X', 1, {});"), []);
  assert.deepEqual(check('src/extension/x.ts', "import type { WorkerClient } from '../worker/client';"), []);
});

test('the lint keeps acquireVsCodeApi in webviews/shared/host.ts, Node I/O out of src/core, and error text to errorMessage()', () => {
  assert.match(check('webviews/experiments/index.ts', 'const api = acquireVsCodeApi();').join(), /only webviews\/shared\/host\.ts calls acquireVsCodeApi/);
  assert.deepEqual(check('webviews/shared/host.ts', 'api ??= acquireVsCodeApi<unknown>();'), []);
  assert.match(check('src/core/x.ts', "import fs from 'node:fs';").join(), /src\/core must not import the Node module node:fs/);
  assert.match(check('src/core/x.ts', "import { spawn } from 'child_process';").join(), /Node module child_process/);
  assert.deepEqual(check('src/core/x.ts', "import path from 'node:path';\nimport { createHash } from 'node:crypto';"), []);
  assert.match(check('src/engine/x.ts', 'catch (e) { log((e as Error).message); }').join(), /errorMessage\(\)/);
  assert.match(check('webviews/graph/x.ts', 'catch (err) { show(( err  as  Error ).message); }').join(), /errorMessage\(\)/);
});
