/**
 * The import-boundary lint (scripts/check-boundaries.mjs, the rooms of docs/ARCHITECTURE.md): the
 * repository has no import that crosses a boundary the wrong way, and the lint does catch each kind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
// @ts-expect-error: a plain ES module script without type declarations
import { checkFile, checkRepository } from '../../scripts/check-boundaries.mjs';

const check = checkFile as (rel: string, text: string) => string[];

test('no import in src/ or webviews/ crosses a room boundary the wrong way', () => {
  const problems = (checkRepository as (root: string) => string[])(path.resolve(import.meta.dirname, '..', '..'));
  assert.deepEqual(problems, []);
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
  assert.deepEqual(check('src/extension/x.ts', "import type { RunRecord } from '../engine/lineage';\nimport { WorkerClient } from '../worker/client';"), []);
  assert.deepEqual(check('src/protocol/x.ts', "import { RequestType } from 'vscode-jsonrpc';\nimport type { Schema } from '../core/tfdv';"), []);
});
