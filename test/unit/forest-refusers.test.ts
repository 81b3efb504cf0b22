/**
 * forestRefusersOf (src/core/dag.ts): the stages that read a Trainer's model and cannot take a decision
 * forest, so `model: auto` leaves trees out for them (the web e2e pipelines failed at their web Pusher
 * when auto chose gradient-boosted trees, before the page could predict with YDF).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePipeline } from '../../src/core/parse';
import { forestRefusersOf } from '../../src/core/dag';

const pipeline = (pushers: string): string => `pipeline: p
stages:
  train:
    component: Trainer
    inputs: { examples: transform.examples, transform_graph: transform.transform_graph }
  evaluate:
    component: Evaluator
    inputs: { examples: transform.examples, model: train.model }
${pushers}`;

function refusers(text: string, stage = 'train'): string[] {
  const parsed = parsePipeline(text, '/p/p.pipeline.yaml');
  assert.ok(parsed.spec, JSON.stringify(parsed.diagnostics));
  return forestRefusersOf(parsed.spec, stage);
}

test('a quantizing Pusher or Evaluator reading the model refuses a forest; a server or web Pusher does not (the page predicts with YDF)', () => {
  assert.deepEqual(refusers(pipeline('  push:\n    component: Pusher\n    inputs: { model: train.model, blessing: evaluate.blessing }\n    params: { destination: serving }\n')), []);
  assert.deepEqual(refusers(pipeline('  web:\n    component: Pusher\n    inputs: { model: train.model, blessing: evaluate.blessing }\n    params: { destination: web, target: web }\n')), []);
  assert.deepEqual(
    refusers(pipeline('  web:\n    component: Pusher\n    inputs: { model: train.model, blessing: evaluate.blessing }\n    params: { destination: web, target: web, quantize: float16 }\n')),
    ['web'],
  );
  assert.deepEqual(
    refusers(pipeline('  small:\n    component: Pusher\n    inputs: { model: train.model, blessing: evaluate.blessing }\n    params: { destination: serving, quantize: uint8 }\n')),
    ['small'],
  );
  const quantizedEvaluation = pipeline('').replace('    inputs: { examples: transform.examples, model: train.model }\n', '    inputs: { examples: transform.examples, model: train.model }\n    params: { quantize: float16 }\n');
  assert.deepEqual(refusers(quantizedEvaluation), ['evaluate']);
});

test('only stages that read the stage itself count', () => {
  const text = pipeline('  small:\n    component: Pusher\n    inputs: { model: train.model, blessing: evaluate.blessing }\n    params: { destination: serving, quantize: uint8 }\n');
  assert.deepEqual(refusers(text, 'evaluate'), []);
});

test("a Tuner whose best hyperparameters feed a Trainer takes on that Trainer's refusers (issue 25: the Tuner respects them as auto does)", () => {
  const text = `pipeline: p
stages:
  tune:
    component: Tuner
    inputs: { examples: transform.examples, transform_graph: transform.transform_graph }
  train:
    component: Trainer
    inputs: { examples: transform.examples, transform_graph: transform.transform_graph, hyperparameters: tune.best_hyperparameters }
  other:
    component: Trainer
    inputs: { examples: transform.examples, transform_graph: transform.transform_graph }
  small:
    component: Pusher
    inputs: { model: train.model }
    params: { destination: serving, quantize: uint8 }
  half:
    component: Evaluator
    inputs: { examples: transform.examples, model: other.model }
    params: { quantize: float16 }
`;
  assert.deepEqual(refusers(text, 'tune'), ['small']);
  assert.deepEqual(refusers(text, 'train'), ['small']);
  assert.deepEqual(refusers(text.replace('hyperparameters: tune.best_hyperparameters ', ''), 'tune'), []);
});
