/**
 * `pipewise stats` prints a note under the numeric table exactly when the median and quantiles
 * came from the sketch (the computation says so through onQuantiles).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatStatistics } from '../../src/cli/stats';
import type { DatasetFeatureStatistics } from '../../src/core/tfdv';

const common = { numNonMissing: 3, numMissing: 0, minNumValues: 1, maxNumValues: 1, avgNumValues: 1, totNumValues: 3 };
const stats: DatasetFeatureStatistics = {
  name: 'big.parquet',
  numExamples: 3,
  features: [{ name: 'x', type: 'FLOAT', numStats: { commonStats: common, mean: 2, stdDev: 0.8165, numZeros: 0, min: 1, median: 2, max: 3, histograms: [] } }],
};

test('the stats table says when its median is the sketch\'s, and only then', () => {
  const exact = formatStatistics(stats);
  const sketched = formatStatistics(stats, { approximateQuantiles: true });
  assert.doesNotMatch(exact, /sketch/);
  assert.match(sketched, /median and quantiles from a T-Digest sketch, within 1% of rank/);
  // The same table otherwise.
  assert.equal(sketched.replace(/\n\(median and quantiles[^\n]*/, ''), exact);
});
