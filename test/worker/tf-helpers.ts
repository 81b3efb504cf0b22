/**
 * Helpers for the TF.js component tests: Examples artifacts made with DuckDB straight from a
 * fixture CSV (a deterministic 2:1 split, as ExampleGen's default), and a hand-built
 * ComponentContext that records logs and metrics.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ArtifactRef, ArtifactType } from '../../src/core/artifacts';
import { confinePath } from '../../src/core/paths';
import type { ComponentContext } from '../../src/engine/component';
import type { MetricsPoint, RunResult } from '../../src/protocol/runEvents';
import type { ModelSignature } from '../../src/engine/model/signature';
import { oraclePython } from '../python';

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
  /** Stages downstream that cannot take a decision forest (the engine passes forestRefusersOf). */
  forestRefusers?: readonly string[];
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
    ...(o.forestRefusers ? { forestRefusers: o.forestRefusers } : {}),
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

/** A public table the oracle tests run: its CSV (already written as `<name>.csv` in `dir`), label and task. */
export interface OracleTable {
  readonly name: string;
  readonly label: string;
  readonly task: 'binary' | 'multiclass' | 'regression';
}

/** What a table scored: Pipewise's overall eval metrics, the oracle script's JSON, the model's signature, the metric compared. */
export interface OracleScores {
  readonly overall: Readonly<Record<string, number>>;
  readonly oracle: Readonly<Record<string, number>>;
  readonly signature: ModelSignature;
  readonly metric: 'auc' | 'accuracy' | 'r2';
}

/**
 * Runs ExampleGen → StatisticsGen → SchemaGen → Transform → Trainer → Evaluator on `dir/<name>.csv` with
 * the CLI (naming only the label), then the Python `oracleScript` on the very train and eval rows
 * Pipewise split (argv: train.csv, eval.csv, label, task; it prints JSON with `n` and its scores).
 */
export function scoreAgainstOracle(t: OracleTable, dir: string, oracleScript: string, o: { trainerParams?: string; timeoutMs?: number } = {}): OracleScores {
  const yaml = path.join(dir, 'p.pipeline.yaml');
  writeFileSync(
    yaml,
    [
      `pipeline: ${t.name.toLowerCase()}`,
      'stages:',
      `  examples: { component: ExampleGen, params: { input: ${t.name}.csv } }`,
      '  statistics: { component: StatisticsGen, inputs: { examples: examples.examples } }',
      '  schema: { component: SchemaGen, inputs: { statistics: statistics.statistics } }',
      `  transform: { component: Transform, inputs: { examples: examples.examples, schema: schema.schema }, params: { label: ${t.label} } }`,
      `  train: { component: Trainer, inputs: { examples: transform.transformed_examples, transform_graph: transform.transform_graph }${o.trainerParams ? `, params: { ${o.trainerParams} }` : ''} }`,
      '  evaluate: { component: Evaluator, inputs: { examples: examples.examples, model: train.model } }',
      '',
    ].join('\n'),
  );
  const cli = path.resolve(__dirname, '../../bin/pipewise.js');
  const r = spawnSync(process.execPath, [cli, 'run', yaml, '--json'], { encoding: 'utf8', timeout: o.timeoutMs ?? 600_000 });
  assert.equal(r.status, 0, `${t.name}: ${r.stderr.slice(-2000)}`);
  const result = JSON.parse(r.stdout) as RunResult;
  const art = (stage: string, out: string): string => {
    const a = result.stages.find((s) => s.name === stage)?.artifacts[out];
    assert.ok(a, `${stage}.${out}`);
    return a;
  };
  const metrics = JSON.parse(readFileSync(path.join(art('evaluate', 'evaluation'), 'metrics.json'), 'utf8')) as { slices: { slice: object; metrics: Record<string, number> }[] };
  const overall = metrics.slices.find((s) => Object.keys(s.slice).length === 0)?.metrics;
  assert.ok(overall, 'the overall slice');
  const signature = JSON.parse(readFileSync(path.join(art('train', 'model'), 'signature.json'), 'utf8')) as ModelSignature;
  const examples = art('examples', 'examples');
  const oracle = JSON.parse(
    execFileSync(oraclePython(), ['-c', oracleScript, splitCsv(examples, 'train', path.join(dir, 'train.csv')), splitCsv(examples, 'eval', path.join(dir, 'eval.csv')), t.label, t.task], { encoding: 'utf8' }),
  ) as Record<string, number>;
  const metric = t.task === 'binary' ? 'auc' : t.task === 'multiclass' ? 'accuracy' : 'r2';
  assert.equal(overall['example_count'], oracle['n'], 'Pipewise and the oracle score the same eval rows');
  return { overall, oracle, signature, metric };
}
