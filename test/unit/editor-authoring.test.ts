import { test } from 'node:test';
import assert from 'node:assert/strict';
import { componentOfStage, yamlContextAt } from '../../src/extension/authoring/yamlContext';
import { paramDocs } from '../../src/extension/authoring/catalogueDocs';
import { applyRunEvent, applyRunResult, failRunView, startingRunView } from '../../src/extension/runs/runView';
import type { RunResult } from '../../src/protocol/runEvents';

/** The context at the `|` in `text`. */
function at(text: string): ReturnType<typeof yamlContextAt> {
  const i = text.indexOf('|');
  return yamlContextAt(text.replace('|', ''), i);
}

const FILE = ['pipeline: p', 'stages:', '  train:', '    component: Trainer', '    params:', '      epo|', ''].join('\n');

test('cursor context: a parameter key inside a stage\'s params', () => {
  assert.deepEqual(at(FILE), { path: ['stages', 'train', 'params'], position: 'key', prefix: 'epo' });
});

test('cursor context: after `component:`, in a flow map of inputs, at the top level', () => {
  assert.deepEqual(at('pipeline: p\nstages:\n  a:\n    component: Exa|'), { path: ['stages', 'a'], position: 'value', key: 'component', prefix: 'Exa' });
  assert.deepEqual(at('pipeline: p\nstages:\n  s:\n    inputs: { examples: ex|'), {
    path: ['stages', 's', 'inputs'],
    position: 'value',
    key: 'examples',
    prefix: 'ex',
  });
  assert.deepEqual(at('pipeline: p\nstages:\n  s:\n    inputs: { examples: a.b, sch|'), { path: ['stages', 's', 'inputs'], position: 'key', prefix: 'sch' });
  assert.deepEqual(at('pipeline: p\n|'), { path: [], position: 'key', prefix: '' });
  // Comments and blank lines between a key and the cursor do not break the path.
  assert.deepEqual(at('stages:\n  a:\n    # note\n\n    params:\n      x: 1\n      |'), { path: ['stages', 'a', 'params'], position: 'key', prefix: '' });
});

test('the component of a stage is found by text, block or flow style, while the file does not parse', () => {
  const text = 'pipeline: p\nstages:\n  a:\n    component: ExampleGen\n  b: { component: Trainer, params: {\n  c:\n    inputs: {}\n';
  assert.equal(componentOfStage(text, 'a'), 'ExampleGen');
  assert.equal(componentOfStage(text, 'b'), 'Trainer');
  assert.equal(componentOfStage(text, 'c'), undefined);
  assert.equal(componentOfStage(text, 'zzz'), undefined);
});

test('parameter docs come from the zod declarations: names, defaults, enums, required', () => {
  const trainer = new Map(paramDocs('Trainer').map((p) => [p.name, p]));
  assert.equal(trainer.get('epochs')?.default, '50');
  assert.equal(trainer.get('epochs')?.required, false);
  assert.deepEqual(trainer.get('model')?.values, ['auto', 'linear', 'dnn', 'wide_and_deep', 'gradient_boosted_trees', 'random_forest']);
  assert.equal(trainer.get('hidden_units')?.type, 'integer[]');
  const transform = new Map(paramDocs('Transform').map((p) => [p.name, p]));
  assert.equal(transform.get('label')?.required, true);
  assert.match(transform.get('label')?.description ?? '', /label column/);
  assert.deepEqual(paramDocs('NoSuchComponent'), []);
});

test('run events fold into the view the graph shows', () => {
  let v = startingRunView(['a', 'b', 'c']);
  v = applyRunEvent(v, {
    kind: 'runStarted',
    runId: 'r1',
    pipeline: 'p',
    file: '/w/p.pipeline.yaml',
    stages: [
      { name: 'a', component: 'ExampleGen', planned: true },
      { name: 'b', component: 'StatisticsGen', planned: true },
      { name: 'c', component: 'SchemaGen', planned: true },
    ],
  });
  assert.equal(v.runId, 'r1');
  v = applyRunEvent(v, { kind: 'stageStarted', runId: 'r1', stage: 'a', executionId: 'e1' });
  v = applyRunEvent(v, { kind: 'stageProgress', runId: 'r1', stage: 'a', fraction: 0.5 });
  assert.deepEqual(v.stages.a, { status: 'running', fraction: 0.5 });
  v = applyRunEvent(v, {
    kind: 'stageFinished',
    runId: 'r1',
    stage: { name: 'a', component: 'ExampleGen', status: 'cached', durationMs: 12, artifacts: { examples: '/x' } },
  });
  assert.equal(v.stages.a?.status, 'cached');
  v = applyRunEvent(v, { kind: 'stageStarted', runId: 'r1', stage: 'b', executionId: 'e2' });
  // The worker dies: the running stage fails with the reason, the pending one is skipped.
  const dead = failRunView(v, 'The Pipewise worker stopped (killed by SIGKILL)');
  assert.deepEqual(
    Object.fromEntries(Object.entries(dead.stages).map(([k, s]) => [k, s.status])),
    { a: 'cached', b: 'failed', c: 'skipped' },
  );
  assert.match(dead.stages.b?.error ?? '', /SIGKILL/);
  assert.equal(dead.running, false);
  const result: RunResult = {
    runId: 'r1',
    pipeline: 'p',
    file: '/w/p.pipeline.yaml',
    status: 'succeeded',
    durationMs: 100,
    stages: [
      { name: 'a', component: 'ExampleGen', status: 'cached', durationMs: 12, artifacts: {} },
      { name: 'b', component: 'StatisticsGen', status: 'succeeded', durationMs: 50, artifacts: {} },
      { name: 'c', component: 'SchemaGen', status: 'succeeded', durationMs: 30, artifacts: {} },
    ],
  };
  const done = applyRunResult(v, result);
  assert.equal(done.running, false);
  assert.deepEqual(Object.values(done.stages).map((s) => s.status), ['cached', 'succeeded', 'succeeded']);
});
