/** The bench's pure helpers: median, the "vs baseline" ratio and its formatting, the table. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advantage, figureRows, formatAdvantage, formatTable, formatValue, median, peakRssMiB } from '../../bench/lib';

test('median of odd and even counts, unsorted input untouched', () => {
  const xs = [5, 1, 3];
  assert.equal(median(xs), 3);
  assert.deepEqual(xs, [5, 1, 3]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
  assert.ok(Number.isNaN(median([])));
});

test('advantage reads the same way for durations, rates and memory', () => {
  // Faster (less time) and higher throughput are both > 1; more memory is < 1.
  assert.equal(advantage('ms', 50, 200), 4);
  assert.equal(advantage('rows/s', 1000, 4000), 0.25);
  assert.equal(advantage('samples/s', 300, 100), 3);
  assert.equal(advantage('MiB', 400, 100), 0.25);
  assert.ok(Number.isNaN(advantage('ms', 0, 10)));
  assert.ok(Number.isNaN(advantage('ms', 10, Number.NaN)));
});

test('formatAdvantage marks worse-than-baseline and keeps two significant digits', () => {
  assert.equal(formatAdvantage(0.3456), '0.35× (worse)');
  assert.equal(formatAdvantage(2.44), '2.4×');
  assert.equal(formatAdvantage(11.6), '12×');
  assert.equal(formatAdvantage(0.997), '1.0×');
  assert.equal(formatAdvantage(0.99), '0.99× (worse)');
  assert.equal(formatAdvantage(Number.NaN), '—');
});

test('formatValue uses thousands separators and a decimal only for short durations', () => {
  assert.equal(formatValue('rows/s', 1234567.8), '1,234,568 rows/s');
  assert.equal(formatValue('ms', 3.14159), '3.1 ms');
  assert.equal(formatValue('ms', 1500.4), '1,500 ms');
  assert.equal(formatValue('MiB', undefined), '—');
});

test('a skipped baseline is shown as skipped, not as a ratio', () => {
  const [row] = figureRows([
    { section: 'training', name: 'x', unit: 'samples/s', value: 10, runs: 3, baselineName: 'sklearn', skipped: 'scikit-learn not installed' },
  ]);
  assert.deepEqual(row, ['training: x', '10 samples/s', 'sklearn', 'skipped', '', 'n=3; scikit-learn not installed']);
});

test('formatTable pads every column to its widest cell', () => {
  const t = formatTable(['a', 'bb', 'c', 'd', 'e', 'f'], [['long name', '1', 'x', '22', '3', 'note']]).split('\n');
  assert.equal(t.length, 3);
  assert.equal(t[0]?.indexOf('bb'), t[2]?.indexOf(' 1') ?? -1);
  assert.match(t[1] ?? '', /^-{9} {2}-{2} /);
});

test('peakRssMiB reads VmHWM of this process', { skip: process.platform !== 'linux' }, () => {
  const mib = peakRssMiB('self');
  assert.ok(mib !== undefined && mib > 10 && mib < 100_000, String(mib));
  assert.equal(peakRssMiB(2 ** 30), undefined);
});
