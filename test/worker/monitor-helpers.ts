/**
 * Helpers of the monitoring tests: a pipeline with an Evaluator (run up to SchemaGen: monitoring
 * needs the training statistics and schema, not a model), and penguin rows as a client sends them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../src/engine/model/random';
import { RequestLog } from '../../src/engine/serving/requestLog';
import { pipewise, root } from './serve-helpers';
import { penguinOpening, pipelineText, trainerStage } from '../pipelineText';

export const CLASSES = ['Adelie', 'Chinstrap', 'Gentoo'] as const;
export const INPUTS = [
  { name: 'island', type: 'string' },
  { name: 'bill_length_mm', type: 'number' },
  { name: 'bill_depth_mm', type: 'number' },
  { name: 'flipper_length_mm', type: 'number' },
  { name: 'body_mass_g', type: 'number' },
  { name: 'sex', type: 'string' },
  { name: 'year', type: 'number' },
] as const;

/** The signature the log writer needs (what a multiclass penguin model's signature.json says). */
export const SIGNATURE = { task: 'multiclass', label: 'species', classes: [...CLASSES], backend: 'cpu', hyperparameters: {}, inputs: INPUTS.map((i) => ({ ...i })) } as const;

export type Row = Record<string, string | number | null>;

/** The penguins of test/fixtures as raw request rows, with their species. */
export function penguins(): { row: Row; species: string }[] {
  const [head, ...lines] = readFileSync(path.join(root, 'test/fixtures/penguins.csv'), 'utf8').trim().split('\n');
  const header = (head as string).split(',');
  return lines.map((l) => {
    const cells = l.split(',');
    const row: Row = {};
    for (const input of INPUTS) {
      const c = cells[header.indexOf(input.name)] ?? '';
      row[input.name] = c === 'NA' || c === '' ? null : input.type === 'number' ? Number(c) : c;
    }
    return { row, species: cells[header.indexOf('species')] as string };
  });
}

/** Writes `q.pipeline.yaml` (penguins, an Evaluator with accuracy ≥ 0.8, a Pusher) in `dir` and runs it up to SchemaGen. */
export async function monitoredPipeline(dir: string): Promise<string> {
  const file = path.join(dir, 'q.pipeline.yaml');
  writeFileSync(
    file,
    `${pipelineText('quality', penguinOpening({ label: 'species' }), trainerStage('{ model: dnn, hidden_units: [8], epochs: 3 }', 'flow'))}  evaluate: { component: Evaluator, inputs: { examples: examples.examples, model: train.model }, params: { thresholds: { accuracy: { lower_bound: 0.8 } } } }
  push: { component: Pusher, inputs: { model: train.model, blessing: evaluate.blessing }, params: { destination: serving/quality } }
`,
  );
  const r = await pipewise(['run', file, '--only', 'schema'], dir);
  assert.equal(r.code, 0, r.stderr);
  return file;
}

/** What the test sent and the model answered, kept by the test itself: the oracle's side of the join. */
export interface Sent {
  readonly requestId: string;
  readonly instance: number;
  readonly version: number;
  readonly scores: readonly number[];
  readonly species: string;
}

/**
 * Writes two versions' answers through the real log writer: version 1 right about 92% of the time
 * on requests drawn like the training data, version 2 right about 55% of the time with `island`
 * pinned to Torgersen; plus one request of three instances (version 1). Returns what was sent.
 */
export async function writeTwoVersionLog(logDir: string, start: number, perVersion: number, spacingMs = 30_000): Promise<Sent[]> {
  const log = await RequestLog.open({ dir: logDir, model: 'quality', signature: SIGNATURE, rotateRows: 150 });
  const data = penguins();
  const rand = mulberry32(29);
  const sent: Sent[] = [];
  const answer = (species: string, rightRate: number): number[] => {
    const truth = CLASSES.indexOf(species as (typeof CLASSES)[number]);
    const predicted = rand() < rightRate ? truth : (truth + 1 + Math.floor(rand() * 2)) % 3;
    const raw = CLASSES.map((_, c) => rand() + (c === predicted ? 2 : 0));
    const sum = raw.reduce((a, b) => a + b, 0);
    return raw.map((x) => x / sum);
  };
  for (const [version, rightRate] of [[1, 0.92], [2, 0.55]] as const) {
    for (let i = 0; i < perVersion; i++) {
      const { row, species } = data[Math.floor(rand() * data.length)] as { row: Row; species: string };
      const scores = answer(species, rightRate);
      const requestId = `v${version}-req-${i}`;
      // Version 2 sees only one island: skew on its own share of the traffic.
      const rows = [version === 2 ? { ...row, island: 'Torgersen' } : row];
      log.record({ time: new Date(start + i * spacingMs), verb: 'predict', version, requestId, rows, predictions: [{ prediction: CLASSES[scores.indexOf(Math.max(...scores))] as string, scores }] });
      sent.push({ requestId, instance: 0, version, scores, species });
    }
  }
  // One request of three instances: labels reach each row by its place in the request.
  const batch = [0, 1, 2].map(() => data[Math.floor(rand() * data.length)] as { row: Row; species: string });
  const batchScores = batch.map((b) => answer(b.species, 0.92));
  log.record({ time: new Date(start + 60_000), verb: 'predict', version: 1, requestId: 'batch-1', rows: batch.map((b) => b.row), predictions: batchScores.map((s) => ({ prediction: 'x', scores: s })) });
  batch.forEach((b, k) => sent.push({ requestId: 'batch-1', instance: k, version: 1, scores: batchScores[k] as number[], species: b.species }));
  await log.close();
  return sent;
}

