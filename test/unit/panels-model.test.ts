import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNumber, formatPercent, overview, sortRows } from '../../webviews/panels/model';
import { applyQuickFix, parseSchema, quickFixesFor, serializeSchema } from '../../src/extension/panels/schemaFile';
import { caretOffset } from '../../src/worker/handlers/dataSql';
import type { DatasetFeatureStatistics, Schema } from '../../src/core/tfdv';

const stats: DatasetFeatureStatistics = {
  name: 'd',
  numExamples: 10,
  features: [
    {
      name: 'age',
      type: 'INT',
      numStats: {
        commonStats: { numNonMissing: 8, numMissing: 2 },
        mean: 30,
        stdDev: 5,
        numZeros: 1,
        min: 0,
        median: 31,
        max: 70,
        histograms: [
          { type: 'QUANTILES', buckets: [{ lowValue: 0, highValue: 70, sampleCount: 8 }] },
          { type: 'STANDARD', buckets: [{ lowValue: 0, highValue: 35, sampleCount: 5 }, { lowValue: 35, highValue: 70, sampleCount: 3 }] },
        ],
      },
    },
    { name: 'city', type: 'STRING', stringStats: { commonStats: { numNonMissing: 10, numMissing: 0 }, unique: 3, avgLength: 5, topValues: [{ value: 'Oslo', frequency: 6 }, { value: 'Bergen', frequency: 3 }, { value: 'Ås', frequency: 1 }] } },
    { name: 'b', type: 'FLOAT', numStats: { commonStats: { numNonMissing: 0, numMissing: 10 }, mean: 0, stdDev: 0, numZeros: 0, min: 0, median: 0, max: 0, histograms: [] } },
  ],
};

test('overview puts numeric and categorical features apart, with the missing share and the STANDARD histogram', () => {
  const o = overview(stats);
  assert.deepEqual(o.numeric.map((r) => r.feature), ['age', 'b']);
  assert.deepEqual(o.categorical.map((r) => r.feature), ['city']);
  const age = o.numeric[0]!;
  assert.equal(age.missingShare, 0.2);
  assert.deepEqual(age.histogram, [5, 3]);
  assert.equal(o.numeric[1]!.missingShare, 1);
  assert.equal(o.categorical[0]!.top, 'Oslo');
  assert.equal(o.categorical[0]!.topCount, 6);
});

test('sortRows sorts by a column either way, keeps nulls last, and filters by name', () => {
  const rows = [{ feature: 'x', v: 2 as number | null }, { feature: 'y', v: null }, { feature: 'z', v: 1 }];
  assert.deepEqual(sortRows(rows, 'v', 1).map((r) => r.feature), ['z', 'x', 'y']);
  assert.deepEqual(sortRows(rows, 'v', -1).map((r) => r.feature), ['x', 'z', 'y']);
  assert.deepEqual(sortRows(rows, 'feature', 1, 'Y').map((r) => r.feature), ['y']);
});

test('numbers and shares print for people', () => {
  assert.equal(formatNumber(1234567), '1,234,567');
  assert.equal(formatNumber(3.14159265), '3.142');
  assert.equal(formatNumber(2008.0290697), '2008.03');
  assert.equal(formatNumber(null), '—');
  assert.equal(formatNumber(0.00001234), '1.234e-5');
  assert.equal(formatPercent(0.0005), '<0.1 %');
  assert.equal(formatPercent(0.25), '25 %');
});

const schema: Schema = {
  feature: [
    { name: 'city', type: 'BYTES', domain: 'city', presence: { minFraction: 1 } },
    { name: 'age', type: 'INT', intDomain: { min: 10, max: 60 }, presence: { minFraction: 1, minCount: 1 } },
  ],
  stringDomain: [{ name: 'city', value: ['Oslo', 'Bergen'] }],
};

test('quick fixes from TFDV reason types: add the unseen values, widen the range, mark optional, set a drift threshold', () => {
  const fixes = quickFixesFor(
    {
      anomalyInfo: {
        city: { severity: 'ERROR', description: '', shortDescription: '', reason: [{ type: 'ENUM_TYPE_UNEXPECTED_STRING_VALUES', shortDescription: '', description: '' }, { type: 'COMPARATOR_L_INFTY_HIGH', shortDescription: '', description: 'The Linfty distance between current and previous is 0.0808613 (up to six significant digits), above the threshold 0.01.' }] },
        age: { severity: 'ERROR', description: '', shortDescription: '', reason: [{ type: 'INT_TYPE_SMALL_INT', shortDescription: '', description: '' }, { type: 'INT_TYPE_BIG_INT', shortDescription: '', description: '' }, { type: 'FEATURE_TYPE_LOW_FRACTION_PRESENT', shortDescription: '', description: '' }] },
      },
    },
    schema,
    stats,
  );
  assert.deepEqual(fixes.city?.map((f) => f.fix), [
    { kind: 'addDomainValues', feature: 'city', values: ['Ås'] },
    { kind: 'setDriftThreshold', feature: 'city', threshold: 0.08500, measure: 'L_infty' },
  ]);
  assert.deepEqual(fixes.age?.map((f) => f.fix.kind), ['widenRange', 'markOptional']);
  let s = schema;
  for (const f of [...fixes.city!, ...fixes.age!]) s = applyQuickFix(s, f.fix);
  assert.deepEqual(s.stringDomain?.[0]?.value, ['Oslo', 'Bergen', 'Ås']);
  const age = s.feature.find((f) => f.name === 'age')!;
  assert.deepEqual(age.intDomain, { min: 0, max: 70 });
  assert.deepEqual(age.presence, { minFraction: 0 });
  assert.deepEqual(s.feature.find((f) => f.name === 'city')?.driftComparator, { infinityNorm: { threshold: 0.085 } });
  // The input is not changed, and the file round-trips in both formats.
  assert.deepEqual(schema.stringDomain?.[0]?.value, ['Oslo', 'Bergen']);
  assert.deepEqual(parseSchema(serializeSchema(s, 'yaml'), 'schema.yaml'), s);
  assert.deepEqual(parseSchema(serializeSchema(s, 'json'), 'schema.json'), s);
});

test('a bad schema file names the file and position; a bad edit names the value', () => {
  assert.throws(() => parseSchema('feature: [a, b\n', 'x/schema.yaml'), /x\/schema\.yaml:\d+:\d+/);
  assert.throws(() => parseSchema('{"feature": 3}', 'schema.json'), /"feature" must be a list/);
  assert.throws(() => applyQuickFix(schema, { kind: 'setField', feature: 'age', field: 'minFraction', value: '2' }), /minFraction must lie in \[0, 1\], not 2/);
});

test('DuckDB\'s caret context gives the error offset, also on later lines and cut contexts', () => {
  // Messages as DuckDB 1.5 writes them.
  const sql = 'SELECT 1,\n  nosuch FROM range(3) t';
  const msg = 'Binder Error: Referenced column "nosuch" not found in FROM clause!\nCandidate bindings: "range"\n\nLINE 2:   nosuch FROM range(3) t\n          ^';
  assert.equal(caretOffset(sql, msg), sql.indexOf('nosuch'));
  const long = `SELECT ${'range, '.repeat(40)}nosuch FROM range(3)`;
  const cut = 'Binder Error: Referenced column "nosuch" not found in FROM clause!\nCandidate bindings: "range"\n\nLINE 1: ..., range, range, range, range, range, range, range, range, nosuch FROM range(3)\n                                                                     ^';
  assert.equal(caretOffset(long, cut), long.indexOf('nosuch'));
});
