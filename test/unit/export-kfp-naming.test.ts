import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { findComponent } from '../../src/core/catalogue';
import { parsePipeline } from '../../src/core/parse';
import { k8sName, K8S_NAME_RE, parameterTypeOf, schemaTitleOf } from '../../src/engine/export/kfp/naming';
import { buildPipelineSpec, type StagePlan } from '../../src/engine/export/kfp/pipelineSpec';
import { executorOutput, parseExecutorInput, structValue } from '../../src/engine/export/kfp/executorIo';

test('Kubernetes names are made as the KFP SDK makes them', () => {
  // sdk/python/kfp/dsl/utils.py sanitize_k8s_name: lowercase, non [-0-9a-z] runs → '-', trimmed.
  assert.equal(k8sName('train'), 'train');
  assert.equal(k8sName('my_stage'), 'my-stage');
  assert.equal(k8sName('Eval Model__2'), 'eval-model-2');
  assert.equal(k8sName('_x_'), 'x');
  for (const n of ['my_stage', 'Eval Model__2', 'a1']) assert.match(k8sName(n), K8S_NAME_RE);
});

test('parameter types follow the declared zod type, else the value', () => {
  assert.equal(parameterTypeOf(1, z.number().positive().default(0.01)), 'NUMBER_DOUBLE');
  assert.equal(parameterTypeOf(40, z.number().int().positive().default(40)), 'NUMBER_INTEGER');
  assert.equal(parameterTypeOf('dnn', z.enum(['dnn', 'linear']).default('dnn')), 'STRING');
  assert.equal(parameterTypeOf([32, 16], z.array(z.number()).default([])), 'LIST');
  assert.equal(parameterTypeOf({ a: 1 }, z.record(z.string(), z.number())), 'STRUCT');
  assert.equal(parameterTypeOf('x.csv', z.union([z.string(), z.array(z.string())])), 'STRING');
  assert.equal(parameterTypeOf(['a.csv'], z.union([z.string(), z.array(z.string())])), 'LIST');
  assert.equal(parameterTypeOf(true), 'BOOLEAN');
  assert.throws(() => parameterTypeOf(null), /cannot be a Kubeflow Pipelines parameter/);
});

test('artifact types: system titles where KFP knows the kind, one pipewise namespace otherwise', () => {
  assert.equal(schemaTitleOf('Examples'), 'system.Dataset');
  assert.equal(schemaTitleOf('Model'), 'system.Model');
  assert.equal(schemaTitleOf('ModelEvaluation'), 'system.Metrics');
  assert.equal(schemaTitleOf('Schema'), 'pipewise.Schema');
});

function plans(yaml: string): StagePlan[] {
  const spec = parsePipeline(yaml, '/p/x.pipeline.yaml').spec!;
  return spec.stages.map((stage) => ({ stage, declaration: findComponent(stage.component)!, params: { ...stage.params } }));
}

test('stage names that clash as Kubernetes names, or a pipeline name KFP refuses, are errors naming them', () => {
  const opts = { pipelineName: 'p', pipelineFile: 'x.pipeline.yaml', image: 'i', enableCache: true, sdkVersion: 'pipewise-0' };
  const clash = plans('pipeline: p\nstages:\n  my_data:\n    component: ExampleGen\n    params: { input: a.csv }\n  my-data:\n    component: ExampleGen\n    params: { input: b.csv }\n');
  assert.throws(() => buildPipelineSpec(clash, opts), /stages 'my_data' and 'my-data' both become the Kubernetes name 'my-data'/);
  const one = plans('pipeline: p\nstages:\n  data:\n    component: ExampleGen\n    params: { input: a.csv }\n');
  assert.throws(() => buildPipelineSpec(one, { ...opts, pipelineName: '___' }), /Kubeflow Pipelines refuses/);
  const doc = buildPipelineSpec(one, opts) as any;
  assert.deepEqual(doc.root.inputDefinitions.parameters.data__input, { parameterType: 'STRING', defaultValue: 'a.csv' });
});

test('ExecutorInput is read with errors naming the value; ExecutorOutput metadata is Struct-clean', () => {
  assert.throws(() => parseExecutorInput('[1]'), /must be a JSON object/);
  assert.throws(() => parseExecutorInput('{"inputs":{"artifacts":{"x":{}}}}'), /inputs\.artifacts\.x must be \{"artifacts"/);
  const v = parseExecutorInput('{"inputs":{"parameterValues":{"a":1},"artifacts":{"x":{"artifacts":[{"uri":"gs://b/x","metadata":{"splits":["train"]}}]}}},"outputs":{"outputFile":"/tmp/o.json"}}');
  assert.deepEqual(v.inputArtifacts.x, { uri: 'gs://b/x', metadata: { splits: ['train'] } });
  assert.equal(v.outputFile, '/tmp/o.json');
  assert.deepEqual(structValue({ a: Number.NaN, b: [1, Infinity, 'x'], c: undefined, d: 2n }), { b: [1, 'x'], d: 2 });
  assert.deepEqual(executorOutput({ m: { accuracy: 0.9 } }), { artifacts: { m: { artifacts: [{ metadata: { accuracy: 0.9 } }] } } });
});
