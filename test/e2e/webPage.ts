/**
 * What the web-push browser tests share (web.e2e.ts, web-trees.e2e.ts, onnx-web.e2e.ts): running a
 * pipeline through the CLI and reading its artifacts, `pipewise serve-web` on a free port, Debian's
 * Chromium opening a pushed folder's demo page, and predicting with the page's own
 * `pipewise-model.js`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { RunResult } from '../../src/protocol/runEvents';
import type { ModelSignature, Prediction } from '../../src/engine/model/signature';
import { CHROMIUM_ARGS, REPO_ROOT, testTools, waitFor } from './codeServer';

export const CLI = path.join(REPO_ROOT, 'bin', 'pipewise.js');
export const SCREENSHOTS = path.join(REPO_ROOT, 'test-results', 'screenshots');

/** A row of a Parquet file or an instance sent to a model, as plain JSON values. */
export type Row = Record<string, number | string | null>;

/** `pipewise run FILE --json` from the pipeline's folder; fails the test if the run fails. */
export function runCli(file: string): RunResult {
  const r = spawnSync(process.execPath, [CLI, 'run', file, '--json'], { encoding: 'utf8', cwd: path.dirname(file), timeout: 600_000 });
  assert.equal(r.status, 0, `pipewise run ${path.basename(file)} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as RunResult;
}

/** The folder of a stage's output in a run's result (it must exist). */
export function artifactOf(result: RunResult, stage: string, output: string): string {
  const uri = result.stages.find((s) => s.name === stage)?.artifacts[output];
  assert.ok(uri, `stage ${stage} has no ${output}`);
  return uri;
}

export function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** Every row a DuckDB query returns (in memory), as plain JSON values: BIGINT → number. */
export async function queryRows(sql: string): Promise<Row[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const reader = await conn.runAndReadAll(sql);
    return reader.getRowObjects().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : (v as number | string | null)])));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** Every row of a Parquet file (a BulkInferrer's predictions.parquet). */
export function readParquetRows(file: string): Promise<Row[]> {
  return queryRows(`SELECT * FROM read_parquet('${sqlString(file)}')`);
}

/** A path inside a SQL string literal. */
export function sqlString(text: string): string {
  return text.replace(/'/g, "''");
}

/** The raw features of a row, as a client sends them to the model. */
export function instanceOf(signature: ModelSignature, row: Row): Row {
  return Object.fromEntries(signature.inputs.map((i) => [i.name, row[i.name] ?? null]));
}

/** Imports the folder's pipewise-model.js in the page, loads the model and predicts `instances` there. */
export function predictInPage(page: Page, instances: readonly unknown[]): Promise<Prediction[]> {
  return page.evaluate(async (xs) => {
    const MODULE_URL: string = './pipewise-model.js';
    const m = (await import(MODULE_URL)) as { load: () => Promise<{ predict: (x: unknown[]) => Promise<Prediction[]> }> };
    return (await m.load()).predict(xs);
  }, instances as unknown[]);
}

/** A demo page with its model loaded, and what it did meanwhile. */
export interface DemoPage {
  readonly page: Page;
  /** Every URL the page requested. */
  readonly requests: string[];
  /** Uncaught page errors and HTTP responses ≥ 400 (but the browser's own /favicon.ico: a push has none). */
  readonly problems: string[];
  /** The page's console errors (reported when the model does not load). */
  readonly consoleErrors: string[];
}

/**
 * One Chromium and the `pipewise serve-web` servers of a test file; `close()` ends them all. Started
 * lazily: a file whose `before` only runs pipelines starts no browser.
 */
export class WebPages {
  private browserStarted: Promise<Browser> | undefined;
  private readonly servers: ChildProcess[] = [];

  /** Debian's Chromium, headless, started on first use. */
  browser(): Promise<Browser> {
    this.browserStarted ??= chromium.launch({ executablePath: testTools().chromium, headless: true, args: [...CHROMIUM_ARGS] });
    return this.browserStarted;
  }

  /** `pipewise serve-web FOLDER` on a free port; resolves to its URL (its first stdout line). */
  async serve(folder: string): Promise<string> {
    const proc = spawn(process.execPath, [CLI, 'serve-web', folder, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.servers.push(proc);
    let out = '';
    let err = '';
    proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    return waitFor(
      `pipewise serve-web ${folder}`,
      () => {
        if (proc.exitCode !== null) throw new Error(`serve-web exited ${proc.exitCode}: ${err}`);
        return /^(http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(out)?.[1];
      },
      60_000,
    );
  }

  /** The page at `url` (a pushed folder's index.html), once its script loaded the model (`body[data-ready]`). */
  async openDemo(url: string, timeoutMs = 60_000): Promise<DemoPage> {
    const page = await (await this.browser()).newPage({ viewport: { width: 1400, height: 900 } });
    const requests: string[] = [];
    const problems: string[] = [];
    const consoleErrors: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: timeoutMs }).catch(async (e: Error) => {
      throw new Error(`the demo page did not load its model: ${e.message}; status: ${await page.locator('#status').textContent()}; errors: ${[...problems, ...consoleErrors].join('; ')}`);
    });
    return { page, requests, problems, consoleErrors };
  }

  /** Saves a screenshot of `page` as test-results/screenshots/NAME.png. */
  async screenshot(page: Page, name: string): Promise<void> {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  }

  async close(): Promise<void> {
    if (this.browserStarted) await (await this.browserStarted).close();
    for (const s of this.servers) if (s.exitCode === null) s.kill('SIGTERM');
  }
}
