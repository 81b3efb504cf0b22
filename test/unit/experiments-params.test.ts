/**
 * The experiments table prints parameters as the pipeline file writes them (issue 27 item 10):
 * `dnn`, not `"dnn"`; numbers and lists as YAML would read them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flattenParams } from '../../src/core/experiments';

test('parameters print as the pipeline file writes them: no JSON quotes, lists in YAML flow style', () => {
  const out = flattenParams('train', { model: 'dnn', epochs: 40, hidden_units: [32, 16], shuffle: true, optimizer: { name: 'adam', learning_rate: 0.001 }, slices: [[], ['island', 'sex']] });
  assert.deepEqual(out, {
    'train.model': 'dnn',
    'train.epochs': '40',
    'train.hidden_units': '[32, 16]',
    'train.slices': '[[], [island, sex]]',
    'train.shuffle': 'true',
    'train.optimizer.name': 'adam',
    'train.optimizer.learning_rate': '0.001',
  });
});
