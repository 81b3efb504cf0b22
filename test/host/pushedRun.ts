/**
 * What the serving host suites share (models, trees, registry): the extension, a pipeline run through
 * `pipewise.runPipeline` that must succeed and push, its artifacts, a POST to a model server, a
 * polling wait, and a Parquet row read with DuckDB in the test itself (not through the worker).
 */
import * as assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as vscode from 'vscode';
import type { PipewiseContext } from '../../src/extension/context';

export const EXTENSION_ID = 'pipewise.pipewise';

/** A Models view node as the test command `pipewise.test.modelsView` returns it. */
export type ViewSnapshot = { label: string; description: string; contextValue: string; children: { label: string; description: string; icon: string; contextValue: string }[] }[];

/** The installed extension, activated. */
export async function activePipewise(): Promise<vscode.Extension<PipewiseContext>> {
  const ext = vscode.extensions.getExtension<PipewiseContext>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
  await ext.activate();
  return ext;
}

/** What a run that pushed wrote: its outcome's artifact folders and the Pusher's pushed.json. */
export interface PushedRun {
  readonly stages: readonly { readonly name: string; readonly artifacts: Readonly<Record<string, string>> }[];
  /** The pushed model's version and its serving base folder. */
  readonly version: number;
  readonly base: string;
  /** A stage's output folder ('' when the run has none). */
  artifact(stage: string, output: string): string;
}

/**
 * Runs `file` through the extension (forced, so this run pushes a version of its own; no graph) and
 * checks it succeeded and its `push` stage pushed.
 */
export async function runAndPush(file: string): Promise<PushedRun> {
  const outcome = (await vscode.commands.executeCommand('pipewise.runPipeline', vscode.Uri.file(file), { force: true, revealGraph: false })) as
    | { status: string; stages: { name: string; artifacts: Record<string, string> }[] }
    | undefined;
  assert.equal(outcome?.status, 'succeeded', JSON.stringify(outcome).slice(0, 500));
  const stages = outcome.stages;
  const artifact = (stage: string, output: string): string => stages.find((s) => s.name === stage)?.artifacts[output] ?? '';
  const pushed = JSON.parse(fs.readFileSync(path.join(artifact('push', 'pushed_model'), 'pushed.json'), 'utf8')) as { pushed: boolean; version: number; destination: string };
  assert.ok(pushed.pushed, `the run of ${path.basename(file)} pushed its model (it is blessed)`);
  return { stages, version: pushed.version, base: pushed.destination, artifact };
}

/** POSTs JSON with node:http; the answer's status and JSON body. */
export function post(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const data = Buffer.from(JSON.stringify(body));
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': data.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** Polls `probe` every `intervalMs` until it returns a value; fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The first row of a Parquet file, read with the extension's DuckDB here in the test (not through the worker). */
export async function firstParquetRow(extensionPath: string, file: string): Promise<Record<string, unknown>> {
  const duckdb = createRequire(path.join(extensionPath, 'package.json'))('@duckdb/node-api') as typeof import('@duckdb/node-api');
  const db = await duckdb.DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const rows = (await c.runAndReadAll(`SELECT * FROM read_parquet('${file.replace(/'/g, "''")}') LIMIT 1`)).getRowObjectsJson() as Record<string, unknown>[];
    assert.ok(rows[0], `a row in ${file}`);
    return rows[0];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/**
 * Why a command returned undefined, if its handler threw (`registerCommand` shows the message and
 * returns undefined): for the assertion messages of commands that must return a value.
 */
export async function lastCommandFailure(): Promise<string> {
  const f = await vscode.commands.executeCommand<{ command: string; message: string } | undefined>('pipewise.test.lastCommandFailure');
  return f ? `the last failed command: ${f.command}: ${f.message}` : 'no command failed';
}

