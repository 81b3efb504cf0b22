/**
 * The Evaluator's default baseline (the last blessed model of the pipeline) is an input the file
 * does not name, so it must join the cache key: an unchanged pipeline stays cached, and a new
 * candidate is compared with the model blessed before it, never with itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunResult } from '../../src/protocol/runEvents';
import { tempDir } from './tf-helpers';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'bin/pipewise.js');

function pipeline(seed: number): string {
  return [
    'pipeline: baseline_check',
    'stages:',
    '  examples: { component: ExampleGen, params: { input: data/penguins.csv } }',
    '  statistics: { component: StatisticsGen, inputs: { examples: examples.examples } }',
    '  schema: { component: SchemaGen, inputs: { statistics: statistics.statistics } }',
    '  transform: { component: Transform, inputs: { examples: examples.examples, schema: schema.schema }, params: { label: species } }',
    `  train: { component: Trainer, inputs: { examples: transform.transformed_examples, transform_graph: transform.transform_graph }, params: { hidden_units: [8], epochs: 15, seed: ${seed} } }`,
    '  evaluate:',
    '    component: Evaluator',
    '    inputs: { examples: examples.examples, model: train.model }',
    '    params: { thresholds: { accuracy: { lower_bound: 0.5, change: { direction: higher_is_better, absolute: -0.5 } } } }',
    '',
  ].join('\n');
}

function run(file: string): RunResult {
  const r = spawnSync(process.execPath, [cli, 'run', file, '--json'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as RunResult;
}

test('the last blessed model is part of the Evaluator cache key, and never the candidate itself', () => {
  const dir = tempDir('pw-baseline-');
  mkdirSync(path.join(dir, 'data'));
  copyFileSync(path.join(root, 'test/fixtures/penguins.csv'), path.join(dir, 'data/penguins.csv'));
  const file = path.join(dir, 'p.pipeline.yaml');
  const stage = (r: RunResult, name: string) => r.stages.find((s) => s.name === name);
  const metrics = (r: RunResult) =>
    JSON.parse(readFileSync(path.join(stage(r, 'evaluate')?.artifacts.evaluation as string, 'metrics.json'), 'utf8')) as { blessed: boolean; baseline: { model: string } | null };

  writeFileSync(file, pipeline(1));
  const first = run(file);
  assert.equal(metrics(first).blessed, true);
  assert.equal(metrics(first).baseline, null, 'no blessed model before the first run');

  const again = run(file);
  assert.deepEqual(again.stages.map((s) => s.status), again.stages.map(() => 'cached'), 'an unchanged pipeline is cached, the Evaluator too');

  writeFileSync(file, pipeline(2));
  const second = run(file);
  assert.equal(stage(second, 'train')?.status, 'succeeded');
  assert.equal(stage(second, 'evaluate')?.status, 'succeeded');
  const model1 = stage(first, 'train')?.artifacts.model;
  assert.equal(metrics(second).baseline?.model, model1, 'the new candidate is compared with the model blessed before it');

  const third = run(file);
  assert.equal(stage(third, 'evaluate')?.status, 'cached', 'the same candidate and the same baseline: cached');

  // Back to the first model: its training is cached, but a newer blessed model now exists, so the
  // cached verdict of the first run (made with no baseline) must not be reused.
  writeFileSync(file, pipeline(1));
  const back = run(file);
  assert.equal(stage(back, 'train')?.status, 'cached');
  assert.equal(stage(back, 'train')?.artifacts.model, model1);
  assert.equal(stage(back, 'evaluate')?.status, 'succeeded', 'a newer blessed model makes the cached evaluation stale');
  assert.equal(metrics(back).baseline?.model, stage(second, 'train')?.artifacts.model);
});
