/**
 * The Importer in a pipeline file: its parameters checked at their YAML line from its declaration
 * (a Model needs its label; the model keys mean nothing for a Schema), and its `result` typed by
 * `artifact_type`, so a Schema import wired into an Evaluator's model input is refused where the
 * reference is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePipeline } from '../../src/core/parse';
import { validatePipeline } from '../../src/core/validate';
import type { SpecDiagnostic } from '../../src/core/spec';
import { stageDeclaration } from '../../src/core/catalogue';

const FILE = '/work/p/test.pipeline.yaml';
const errors = (text: string): SpecDiagnostic[] => validatePipeline(parsePipeline(text, FILE)).filter((d) => d.severity === 'error');

const HEAD = `pipeline: imported
stages:
  examples: { component: ExampleGen, params: { input: data.csv } }
`;

test('an imported Model without its label is an error at the stage\'s params', () => {
  const ds = errors(`${HEAD}  model:
    component: Importer
    params:
      source: m.onnx
`);
  const d = ds.find((x) => /label/.test(x.message));
  assert.ok(d, JSON.stringify(ds));
  assert.match(d.message, /stage 'model': missing required parameter 'label' for Importer/);
  assert.equal(d.range.start.line, 7, 'the params block (its first line)');
});

test('model keys on a Schema import are errors at their own line; unknown keys are named with the known ones', () => {
  const ds = errors(`${HEAD}  schema:
    component: Importer
    params:
      source: schema.json
      artifact_type: Schema
      classes: [a, b]
      sourse: x
`);
  const classes = ds.find((x) => /'classes' applies to an imported Model only, not to Schema/.test(x.message));
  assert.ok(classes, JSON.stringify(ds));
  assert.equal(classes.range.start.line, 9);
  const unknown = ds.find((x) => x.code === 'unknown-param');
  assert.ok(unknown && /artifact_type/.test(unknown.message) && unknown.range.start.line === 10, JSON.stringify(ds));
});

test('the result has the type artifact_type names: a Schema import cannot feed an Evaluator\'s model', () => {
  const ok = errors(`${HEAD}  model: { component: Importer, params: { source: m.onnx, label: y } }
  evaluate: { component: Evaluator, inputs: { examples: examples.examples, model: model.result } }
`);
  assert.deepEqual(ok, []);
  const ds = errors(`${HEAD}  model: { component: Importer, params: { source: s.json, artifact_type: Schema } }
  evaluate: { component: Evaluator, inputs: { examples: examples.examples, model: model.result } }
`);
  const d = ds.find((x) => x.code === 'wrong-artifact-type');
  assert.ok(d, JSON.stringify(ds));
  assert.match(d.message, /input 'model' expects Model, but model\.result is Schema/);
  assert.equal(d.range.start.line, 5);
  assert.equal(stageDeclaration('Importer', { artifact_type: 'Examples' })?.outputs.result?.type, 'Examples');
  assert.equal(stageDeclaration('Importer', {})?.outputs.result?.type, 'Model');
});

test('a source outside the pipeline\'s folder is refused at its line', () => {
  const ds = errors(`${HEAD}  model: { component: Importer, params: { source: ../elsewhere/m.onnx, label: y } }
`);
  const d = ds.find((x) => x.code === 'path-escape');
  assert.ok(d, JSON.stringify(ds));
  assert.match(d.message, /parameter 'source'.*leaves the pipeline's folder/);
  assert.equal(d.range.start.line, 4);
});

test('feed: transform is for an imported Model only, and its transform_graph input must be a TransformGraph', () => {
  const ds = errors(`${HEAD}  schema:
    component: Importer
    params:
      source: schema.json
      artifact_type: Schema
      feed: transform
  model:
    component: Importer
    inputs: { transform_graph: examples.examples }
    params: { source: m.onnx, label: y, feed: transform }
`);
  const feed = ds.find((x) => /'feed' applies to an imported Model only, not to Schema/.test(x.message));
  assert.ok(feed, JSON.stringify(ds));
  assert.equal(feed.range.start.line, 9);
  const wired = ds.find((x) => x.code === 'wrong-artifact-type');
  assert.ok(wired && /input 'transform_graph' expects TransformGraph, but examples\.examples is Examples/.test(wired.message), JSON.stringify(ds));
});
