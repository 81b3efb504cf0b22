import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parsePipeline } from '../../src/core/parse';
import { validatePipeline } from '../../src/core/validate';
import { formatDiagnostic, type SpecDiagnostic } from '../../src/core/spec';
import { pipelineJsonSchema } from '../../src/core/jsonSchema';
import { CATALOGUE } from '../../src/core/catalogue';

const FILE = '/work/p/test.pipeline.yaml';

function check(text: string): SpecDiagnostic[] {
  return validatePipeline(parsePipeline(text, FILE)).filter((d) => d.severity === 'error');
}

/** The one error with this code, and its `line:col`. */
function only(text: string, code: string): { at: string; message: string } {
  const ds = check(text);
  const hits = ds.filter((d) => d.code === code);
  assert.equal(hits.length, 1, `expected one ${code}, got: ${ds.map(formatDiagnostic).join(' | ')}`);
  const d = hits[0] as SpecDiagnostic;
  return { at: `${d.range.start.line}:${d.range.start.col}`, message: d.message };
}

const HEAD = 'pipeline: p\nstages:\n  examples:\n    component: ExampleGen\n    params: { input: data/x.csv }\n';

test('the penguin example parses and validates clean, stages in file order with positions', () => {
  const file = path.resolve(__dirname, '../../examples/penguins/penguins.pipeline.yaml');
  const parsed = parsePipeline(readFileSync(file, 'utf8'), file);
  assert.deepEqual(validatePipeline(parsed), []);
  assert.equal(parsed.spec?.name, 'penguins');
  assert.deepEqual(parsed.spec?.stages.map((s) => s.name), ['examples', 'statistics', 'schema', 'validate', 'transform', 'train', 'evaluate', 'push']);
  const train = parsed.spec?.stages.find((s) => s.name === 'train');
  assert.deepEqual(train?.params, { model: 'dnn', hidden_units: [32, 16], epochs: 40 });
  assert.equal(train?.range.start.line, 19);
  assert.equal(train?.inputs.examples?.stage, 'transform');
  assert.equal(train?.inputs.examples?.output, 'transformed_examples');
  assert.equal(parsed.spec?.stages[0]?.paramRanges.input?.start.line, 5);
});

test('YAML syntax error: position of the fault', () => {
  const r = only('pipeline: p\nstages:\n  a: [1, 2\n', 'yaml-syntax');
  assert.equal(r.at, '4:1');
});

test('duplicate key: position of the second key, named', () => {
  const r = only(`${HEAD}  examples:\n    component: ExampleGen\n`, 'duplicate-key');
  assert.equal(r.at, '6:3');
  assert.match(r.message, /duplicate key 'examples'/);
  const top = only('pipeline: p\npipeline: q\nstages: {}\n', 'duplicate-key');
  assert.equal(top.at, '2:1');
});

test('unknown component: position of the value, with a suggestion', () => {
  const r = only('pipeline: p\nstages:\n  s:\n    component: StatisticGen\n', 'unknown-component');
  assert.equal(r.at, '4:16');
  assert.match(r.message, /did you mean 'StatisticsGen'/);
});

test('unknown param: position of the key, known ones listed', () => {
  const r = only('pipeline: p\nstages:\n  examples:\n    component: ExampleGen\n    params:\n      input: x.csv\n      fromat: csv\n', 'unknown-param');
  assert.equal(r.at, '7:7');
  assert.match(r.message, /unknown parameter 'fromat' for ExampleGen \(known: input, format/);
});

test('nested unknown param and mistyped param: positions of the nested value', () => {
  const nested = only(`${HEAD}    \n  train:\n    component: Trainer\n    inputs: { examples: t.transformed_examples, transform_graph: t.transform_graph }\n    params:\n      early_stopping: { patience: 2, bogus: 1 }\n  t:\n    component: Transform\n    inputs: { examples: examples.examples, schema: s.schema }\n    params: { label: y }\n  s:\n    component: SchemaGen\n    inputs: { statistics: st.statistics }\n  st:\n    component: StatisticsGen\n    inputs: { examples: examples.examples }\n`, 'unknown-param');
  assert.equal(nested.at, '11:38');
  assert.match(nested.message, /early_stopping\.bogus/);
  const typed = only(`${HEAD}  stats:\n    component: StatisticsGen\n    inputs: { examples: examples.examples }\n    params:\n      num_top_values: many\n`, 'invalid-param');
  assert.equal(typed.at, '10:23');
  assert.match(typed.message, /parameter 'num_top_values'.*expected number/);
  const inList = only(`${HEAD}  train:\n    component: Trainer\n    inputs: { examples: examples.examples, transform_graph: examples.examples }\n    params: { hidden_units: [32, -1] }\n`, 'invalid-param');
  assert.equal(inList.at, '9:34');
  assert.match(inList.message, /hidden_units\.1/);
});

test('missing required param is reported on the stage', () => {
  const r = only('pipeline: p\nstages:\n  examples:\n    component: ExampleGen\n', 'missing-param');
  assert.equal(r.at, '4:5');
  assert.match(r.message, /missing required parameter 'input'/);
});

test('input naming a missing stage, a missing output, the wrong artifact type', () => {
  const stage = only(`${HEAD}  stats:\n    component: StatisticsGen\n    inputs: { examples: exmples.examples }\n`, 'missing-stage');
  assert.equal(stage.at, '8:25');
  assert.match(stage.message, /stage 'exmples', which does not exist \(did you mean 'examples'\?\)/);
  const output = only(`${HEAD}  stats:\n    component: StatisticsGen\n    inputs: { examples: examples.rows }\n`, 'missing-output');
  assert.equal(output.at, '8:25');
  assert.match(output.message, /output 'rows'.*ExampleGen has outputs: examples/);
  const type = only(`${HEAD}  schema:\n    component: SchemaGen\n    inputs:\n      statistics: examples.examples\n`, 'wrong-artifact-type');
  assert.equal(type.at, '9:19');
  assert.match(type.message, /expects ExampleStatistics, but examples\.examples is Examples/);
});

test('missing required input and unknown input', () => {
  const missing = only(`${HEAD}  stats:\n    component: StatisticsGen\n`, 'missing-input');
  assert.equal(missing.at, '6:3');
  const unknown = only(`${HEAD}  stats:\n    component: StatisticsGen\n    inputs: { examples: examples.examples, extra: examples.examples }\n`, 'unknown-input');
  assert.equal(unknown.at, '8:44');
});

test('a change threshold with no baseline to compare with (compare_with_last_blessed: false, no baseline_model input) is refused at its `change` key', () => {
  const evaluate = (inputs: string, compare: string): string => `${HEAD}  model: { component: Importer, params: { source: m.onnx, label: y } }
  evaluate:
    component: Evaluator
    inputs: { examples: examples.examples, model: model.result${inputs} }
    params:
      ${compare}
      thresholds:
        accuracy: { lower_bound: 0.5, change: { direction: higher_is_better } }
`;
  const r = only(evaluate('', 'compare_with_last_blessed: false'), 'missing-input');
  assert.equal(r.at, '13:39', 'the `change` key');
  // The only Model here is the candidate itself, so no stage is offered as the baseline.
  assert.equal(r.message, "stage 'evaluate': the change threshold of 'accuracy' (with compare_with_last_blessed: false) needs input 'baseline_model' (Model), which is not wired: add inputs: { baseline_model: <stage>.<output> }, or drop compare_with_last_blessed: false to compare with the last blessed model");
  // Other stages that make a Model are offered, one by name, several as a choice.
  const one = evaluate('', 'compare_with_last_blessed: false').replace('  evaluate:\n', '  old: { component: Importer, params: { source: old.onnx, label: y } }\n  evaluate:\n');
  assert.match(only(one, 'missing-input').message, /add inputs: \{ baseline_model: old\.result \}, or drop/);
  const two = one.replace('  evaluate:\n', '  older: { component: Importer, params: { source: older.onnx, label: y } }\n  evaluate:\n');
  assert.match(only(two, 'missing-input').message, /add inputs: \{ baseline_model: <stage>\.<output> \} \(old\.result or older\.result\), or drop/);
  // The last blessed model, or a wired baseline, is a baseline.
  assert.deepEqual(check(evaluate('', 'compare_with_last_blessed: true')), []);
  assert.deepEqual(check(evaluate(', baseline_model: model.result', 'compare_with_last_blessed: false')), []);
});

test('a cycle is named, at the input that closes it', () => {
  const text = 'pipeline: p\nstages:\n  a:\n    component: Sql\n    inputs: { examples: c.examples }\n    params: { query: select 1 }\n  b:\n    component: Sql\n    inputs: { examples: a.examples }\n    params: { query: select 1 }\n  c:\n    component: Sql\n    inputs: { examples: b.examples }\n    params: { query: select 1 }\n';
  const r = only(text, 'cycle');
  assert.match(r.message, /cycle: a → b → c → a/);
  assert.equal(r.at, '9:25');
});

test('stage names must be snake_case; paths may not leave the folder', () => {
  const name = only('pipeline: p\nstages:\n  myExamples:\n    component: ExampleGen\n    params: { input: x.csv }\n', 'naming');
  assert.equal(name.at, '3:3');
  const escape = only('pipeline: p\nstages:\n  examples:\n    component: ExampleGen\n    params: { input: ../../etc/passwd }\n', 'path-escape');
  assert.equal(escape.at, '5:22');
  assert.match(escape.message, /parameter 'input': path "..\/..\/etc\/passwd" is refused/);
  const abs = only('pipeline: p\nstages:\n  examples:\n    component: ExampleGen\n    params: { input: /etc/passwd }\n', 'path-escape');
  assert.match(abs.message, /absolute path outside/);
});

test('shape errors: unknown keys, inputs not written stage.output', () => {
  const top = only('pipeline: p\nstagse: {}\n', 'unknown-key');
  assert.equal(top.at, '2:1');
  const key = only(`${HEAD}    param: {}\n`, 'unknown-key');
  assert.equal(key.at, '6:5');
  const ref = only(`${HEAD}  stats:\n    component: StatisticsGen\n    inputs: { examples: examples }\n`, 'invalid-input');
  assert.equal(ref.at, '8:25');
});

test('FILE:LINE:COL: error: MESSAGE format', () => {
  const ds = check('pipeline: p\nstages:\n  s:\n    component: Nope\n');
  assert.match(formatDiagnostic(ds[0] as SpecDiagnostic), /^\/work\/p\/test\.pipeline\.yaml:4:16: error: unknown component 'Nope'/);
});

test('the JSON Schema covers every component, its params and its required inputs', () => {
  const schema = pipelineJsonSchema() as { properties: { stages: { additionalProperties: { allOf: { if: { properties: { component: { const: string } } }; then: { properties: { params: { required?: string[]; properties: Record<string, unknown> }; inputs: { required: string[] } } } }[] } } } };
  const rules = schema.properties.stages.additionalProperties.allOf;
  assert.deepEqual(rules.map((r) => r.if.properties.component.const).sort(), Object.keys(CATALOGUE).sort());
  const eg = rules.find((r) => r.if.properties.component.const === 'ExampleGen');
  assert.deepEqual(eg?.then.properties.params.required, ['input']);
  assert.ok(eg?.then.properties.params.properties.splits);
  const ev = rules.find((r) => r.if.properties.component.const === 'ExampleValidator');
  assert.deepEqual(ev?.then.properties.inputs.required, ['statistics', 'schema']);
});
