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
import { formatDiagnostic, type SpecDiagnostic } from '../../src/core/spec';
import { stageDeclaration } from '../../src/core/catalogue';
import { localFiles } from '../../src/core/fileLookup';
import { loadPipeline } from '../../src/engine/orchestrator';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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

/** The raw penguins through a Transform, the TransformGraph an Importer with `feed: transform` needs. */
const TRANSFORMED = `${HEAD}  stats: { component: StatisticsGen, inputs: { examples: examples.examples } }
  schema: { component: SchemaGen, inputs: { statistics: stats.statistics } }
  transform: { component: Transform, inputs: { examples: examples.examples, schema: schema.schema }, params: { label: y } }
`;

test('feed: transform without a transform_graph input is refused at the `feed` key, naming the input to wire and the Transform that has it', () => {
  const ds = errors(`${TRANSFORMED}  scaled:
    component: Importer
    params:
      source: m.onnx
      label: y
      feed: transform
`);
  const d = ds.find((x) => x.code === 'missing-input');
  assert.ok(d, JSON.stringify(ds));
  assert.equal(ds.length, 1, JSON.stringify(ds));
  assert.equal(`${d.range.start.line}:${d.range.start.col}`, '12:7', 'the `feed` key');
  assert.match(d.message, /^stage 'scaled': feed: transform needs input 'transform_graph' \(TransformGraph\), which is not wired: add inputs: \{ transform_graph: transform\.transform_graph \}$/);
  // Flow style: the key's own column.
  const flow = errors(`${TRANSFORMED}  scaled: { component: Importer, params: { source: m.onnx, label: y, feed: transform } }
`);
  assert.deepEqual(flow.map((x) => `${x.range.start.line}:${x.range.start.col} ${x.code}`), ['7:70 missing-input']);
  // Wired, it is clean.
  assert.deepEqual(errors(`${TRANSFORMED}  scaled:
    component: Importer
    inputs: { transform_graph: transform.transform_graph }
    params: { source: m.onnx, label: y, feed: transform }
`), []);
});

test('a transform_graph wired to an Importer that does not feed the model from it is refused at the input', () => {
  const raw = errors(`${TRANSFORMED}  scaled:
    component: Importer
    inputs: { transform_graph: transform.transform_graph }
    params: { source: m.onnx, label: y }
`);
  assert.deepEqual(raw.map((x) => `${x.range.start.line}:${x.range.start.col} ${x.code}`), ['9:15 unused-input'], JSON.stringify(raw));
  assert.match(raw[0]?.message ?? '', /^stage 'scaled': input 'transform_graph' is wired, but 'feed' is raw \(the default\): set feed: transform for the Transform's features to feed the model, or drop the input$/);
  const schema = errors(`${TRANSFORMED}  imported:
    component: Importer
    inputs: { transform_graph: transform.transform_graph }
    params: { source: schema.json, artifact_type: Schema }
`);
  assert.deepEqual(schema.map((x) => `${x.range.start.line}:${x.range.start.col} ${x.code}`), ['9:15 unused-input'], JSON.stringify(schema));
  assert.match(schema[0]?.message ?? '', /input 'transform_graph' applies to an imported Model with feed: transform, not to Schema: drop the input/);
});

test('the CLI (`pipewise validate`, through loadPipeline) and the editor (validatePipeline with the disk lookup) report the same line for a feed: transform left unwired', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-feed-'));
  try {
    const file = path.join(dir, 'p.pipeline.yaml');
    const text = `${TRANSFORMED}  scaled: { component: Importer, params: { source: m.onnx, label: y, feed: transform } }\n`;
    writeFileSync(file, text);
    const expected = `${file}:7:70: error: stage 'scaled': feed: transform needs input 'transform_graph' (TransformGraph), which is not wired: add inputs: { transform_graph: transform.transform_graph }`;
    const cli = (await loadPipeline(file)).diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
    assert.deepEqual(cli, [expected]);
    // The editor's options (pipelineDocuments.ts): the disk lookup adds file warnings, never a different error.
    const editor = validatePipeline(parsePipeline(text, file), { files: localFiles }).filter((d) => d.severity === 'error').map(formatDiagnostic);
    assert.deepEqual(editor, [expected]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
