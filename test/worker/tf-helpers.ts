/**
 * Helpers for the TF.js component tests: Examples artifacts made with DuckDB straight from a
 * fixture CSV (a deterministic 2:1 split, as ExampleGen's default), and a hand-built
 * ComponentContext that records logs and metrics.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ArtifactRef, ArtifactType } from '../../src/core/artifacts';
import { confinePath } from '../../src/core/paths';
import type { ComponentContext } from '../../src/engine/component';
import type { MetricsPoint } from '../../src/protocol/runEvents';

export const FIXTURES = path.resolve(__dirname, '../fixtures');

export function tempDir(prefix = 'pw-tf-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function artifact(uri: string, type: ArtifactType, output = 'out'): ArtifactRef {
  return { id: `test/${output}`, type, uri, stage: 'test', output, executionId: 'test', fingerprint: uri, properties: {} };
}

/**
 * Writes Split-train / Split-eval Parquet files from a CSV: rows whose `hash(row number) % 3` is 0
 * go to eval. `select` may reshape the rows (a SQL SELECT list over the CSV).
 */
export async function makeExamples(csv: string, dir: string, select = '*', where = 'TRUE'): Promise<string> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await conn.run(`CREATE TABLE src AS SELECT ${select}, row_number() OVER () AS pw_row FROM read_csv('${csv}', nullstr=['NA', '']) WHERE ${where}`);
    for (const [split, cond] of [
      ['train', 'hash(pw_row) % 3 <> 0'],
      ['eval', 'hash(pw_row) % 3 = 0'],
    ] as const) {
      mkdirSync(path.join(dir, `Split-${split}`), { recursive: true });
      await conn.run(`COPY (SELECT * EXCLUDE (pw_row) FROM src WHERE ${cond} ORDER BY pw_row) TO '${path.join(dir, `Split-${split}`, 'data.parquet')}' (FORMAT parquet)`);
    }
  } finally {
    conn.closeSync();
    db.closeSync();
  }
  return dir;
}

export interface RecordedContext<P> extends ComponentContext<P> {
  readonly logs: { level: string; message: string }[];
  readonly points: MetricsPoint[];
  readonly properties: Record<string, Record<string, unknown>>;
  readonly abort: AbortController;
}

export function makeContext<P>(o: {
  params: P;
  inputs: Record<string, ArtifactRef | undefined>;
  outputs: readonly string[];
  root: string;
  pipelineDir?: string;
}): RecordedContext<P> {
  const abort = new AbortController();
  const logs: { level: string; message: string }[] = [];
  const points: MetricsPoint[] = [];
  const properties: Record<string, Record<string, unknown>> = {};
  const outputs: Record<string, string> = {};
  for (const name of o.outputs) {
    outputs[name] = path.join(o.root, 'tmp', name);
    mkdirSync(outputs[name], { recursive: true });
  }
  const pipelineDir = o.pipelineDir ?? o.root;
  return {
    stage: 'test',
    runId: 'run',
    executionId: 'exec',
    params: o.params,
    inputs: o.inputs,
    outputs,
    pipelineDir,
    storeDir: path.join(o.root, '.pipewise'),
    resolvePath: (p, param) => confinePath(pipelineDir, p, param),
    signal: abort.signal,
    log: (level, message) => logs.push({ level, message }),
    progress: () => undefined,
    metrics: (point) => points.push(point),
    setProperties: (output, props) => (properties[output] = { ...properties[output], ...props }),
    logs,
    points,
    properties,
    abort,
  };
}

/**
 * One split of an Examples artifact written as a CSV file, so a Python oracle reads the very rows
 * Pipewise trained and evaluated on (synchronously, in a child Node: callers build an oracle's
 * command line with it).
 */
export function splitCsv(examples: string, split: string, out: string): string {
  execFileSync(process.execPath, ['-e', `
const { DuckDBInstance } = require('@duckdb/node-api');
(async () => { const c = await (await DuckDBInstance.create(':memory:')).connect();
await c.run("COPY (SELECT * FROM read_parquet('${path.join(examples, `Split-${split}`, 'data.parquet')}')) TO '${out}' (HEADER)"); })();
`], { cwd: path.resolve(__dirname, '../..') });
  return out;
}
