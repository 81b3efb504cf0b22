/**
 * Helpers of the monitoring tests: a pipeline with an Evaluator (run up to SchemaGen: monitoring
 * needs the training statistics and schema, not a model), and penguin rows as a client sends them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { pipewise, root } from './serve-helpers';

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
    `pipeline: quality
stages:
  examples: { component: ExampleGen, params: { input: data/penguins.csv } }
  statistics: { component: StatisticsGen, inputs: { examples: examples.examples } }
  schema: { component: SchemaGen, inputs: { statistics: statistics.statistics } }
  transform: { component: Transform, inputs: { examples: examples.examples, schema: schema.schema }, params: { label: species } }
  train: { component: Trainer, inputs: { examples: transform.transformed_examples, transform_graph: transform.transform_graph }, params: { model: dnn, hidden_units: [8], epochs: 3 } }
  evaluate: { component: Evaluator, inputs: { examples: examples.examples, model: train.model }, params: { thresholds: { accuracy: { lower_bound: 0.8 } } } }
  push: { component: Pusher, inputs: { model: train.model, blessing: evaluate.blessing }, params: { destination: serving/quality } }
`,
  );
  const r = await pipewise(['run', file, '--only', 'schema'], dir);
  assert.equal(r.code, 0, r.stderr);
  return file;
}
