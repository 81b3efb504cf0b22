/**
 * Training and serving histograms come with different bin widths; overlaid as "share per bin" a
 * serving bin twice as wide looks twice as tall for the same data (issue 27 item 10). The overlay
 * draws density per unit of the feature instead: the same distribution reads the same height
 * whatever its bins, and each dataset's bars cover an area of 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distributionSpecs } from '../../webviews/shared/distributionCharts';
import type { DatasetFeatureStatistics } from '../../src/core/tfdv';

/** A uniform feature on [0, 10) in `bins` equal bins of 100 examples in all. */
function uniform(name: string, bins: number): DatasetFeatureStatistics {
  const width = 10 / bins;
  const buckets = Array.from({ length: bins }, (_, i) => ({ lowValue: i * width, highValue: (i + 1) * width, sampleCount: 100 / bins }));
  return { name, numExamples: 100, features: [{ name: 'x', type: 'FLOAT', numStats: { commonStats: { numNonMissing: 100, numMissing: 0 }, mean: 5, stdDev: 2.9, min: 0, max: 10, median: 5, numZeros: 0, histograms: [{ type: 'STANDARD', buckets }] } }] } as unknown as DatasetFeatureStatistics;
}

test('the overlay of one distribution binned two ways draws both at the same height, each with area 1', () => {
  const [[, overlaid]] = distributionSpecs('x', { label: 'training', stats: uniform('train', 10) }, { label: 'serving', stats: uniform('serving', 5) }, 600) as unknown as [[string, { data: { values: Record<string, number | string>[] }; encoding: { y: { field: string; title: string } } }]];
  const y = overlaid.encoding.y.field;
  assert.match(overlaid.encoding.y.title, /density/i, 'the axis says what it shows');
  for (const dataset of ['training', 'serving']) {
    const rows = overlaid.data.values.filter((r) => r['dataset'] === dataset);
    const heights = new Set(rows.map((r) => Number(r[y]).toFixed(6)));
    assert.deepEqual([...heights], ['0.100000'], `${dataset}: a uniform on [0, 10) has density 0.1 everywhere`);
    const area = rows.reduce((s, r) => s + Number(r[y]) * (Number(r['high']) - Number(r['low'])), 0);
    assert.ok(Math.abs(area - 1) < 1e-9, `${dataset}: area ${area}`);
  }
});
