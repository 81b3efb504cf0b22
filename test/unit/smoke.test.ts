import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CATALOGUE } from '../../src/core/catalogue';

test('the catalogue declares every TFX component', () => {
  for (const n of ['ExampleGen', 'StatisticsGen', 'SchemaGen', 'ExampleValidator', 'Transform', 'Trainer', 'Tuner', 'Evaluator', 'InfraValidator', 'Pusher', 'BulkInferrer', 'Sql']) {
    assert.ok(CATALOGUE[n], n);
  }
});
