/**
 * Two datasets' distributions of one feature, overlaid (Vega-Lite specs): numeric features as
 * density histograms — share per unit of the feature, so bins of different widths compare —
 * (overlaid and side by side), categorical ones as value shares.
 * Used by the compare view (webviews/panels/compare.ts) and the monitoring panel (training vs
 * serving).
 */
import type { TopLevelSpec } from 'vega-lite';
import { axisLabelExpr } from '../../src/core/format';
import { featureName, type DatasetFeatureStatistics, type FeatureNameStatistics } from '../../src/core/tfdv';

export function featureOf(d: DatasetFeatureStatistics, name: string): FeatureNameStatistics | undefined {
  return d.features.find((f) => featureName(f) === name);
}

/**
 * The side-by-side histograms' layout in `width` pixels (the box they are drawn in): two cells of
 * at most 180 px beside each other (one y axis, about 60 px, left of both; 20 px between), or,
 * where two cells would be under 110 px (a panel narrowed to 400 px), one above the other.
 */
function sideBySideLayout(width: number | undefined): { columns: 1 | 2; cellWidth: number } {
  const w = width && width > 0 ? width : 460;
  const two = Math.floor((w - 90) / 2);
  if (two >= 110) return { columns: 2, cellWidth: Math.min(180, two) };
  return { columns: 1, cellWidth: Math.max(80, Math.min(180, w - 80)) };
}

/** Titled specs overlaying `feature` of `left` and `right`, each labelled, for a box `width` pixels wide. */
export function distributionSpecs(
  feature: string,
  left: { label: string; stats: DatasetFeatureStatistics },
  right: { label: string; stats: DatasetFeatureStatistics },
  width?: number,
): [string, TopLevelSpec][] {
  const ln = left.label;
  const rn = right.label;
  const a = featureOf(left.stats, feature);
  const b = featureOf(right.stats, feature);
  const specs: [string, TopLevelSpec][] = [];
  if ((a?.numStats ?? b?.numStats) !== undefined) {
    const values: Record<string, unknown>[] = [];
    for (const [label, f] of [[ln, a], [rn, b]] as const) {
      const hist = f?.numStats?.histograms.find((x) => x.type === 'STANDARD');
      const total = hist?.buckets.reduce((s, x) => s + x.sampleCount, 0) ?? 0;
      // Density per unit of the feature (share ÷ bin width), not share per bin: the two datasets'
      // histograms have their own bin widths, and a bin twice as wide holds twice the share of the
      // same data. Each dataset's bars then cover an area of 1 and compare honestly.
      for (const x of hist?.buckets ?? []) {
        const width = x.highValue - x.lowValue;
        const share = total ? x.sampleCount / total : 0;
        values.push({ dataset: label, low: x.lowValue, high: x.highValue, share, density: width > 0 ? share / width : share });
      }
    }
    const base = {
      data: { values },
      encoding: {
        x: { field: 'low', type: 'quantitative', bin: { binned: true }, title: feature, axis: { labelExpr: axisLabelExpr } },
        x2: { field: 'high' },
        y: { field: 'density', type: 'quantitative', title: 'density (share per unit)', axis: { labelExpr: axisLabelExpr }, stack: null },
        color: { field: 'dataset', type: 'nominal', title: null, legend: { orient: 'bottom' } },
        tooltip: [{ field: 'dataset' }, { field: 'low', format: '.4~g' }, { field: 'high', format: '.4~g' }, { field: 'share', title: 'share of the bin', format: '.2%' }, { field: 'density', format: '.4~r' }],
      },
    };
    specs.push(['Overlaid', { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 'container', height: 160, mark: { type: 'bar', opacity: 0.55, binSpacing: 0 }, ...base } as TopLevelSpec]);
    const { columns, cellWidth } = sideBySideLayout(width);
    specs.push([
      columns === 2 ? 'Side by side' : 'One above the other',
      {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        ...base,
        facet: { field: 'dataset', type: 'nominal', title: null },
        columns,
        spec: { width: cellWidth, height: 110, mark: { type: 'bar', binSpacing: 1 }, encoding: base.encoding },
        data: base.data,
      } as unknown as TopLevelSpec,
    ]);
  } else {
    const counts = new Map<string, { [k: string]: number }>();
    const totals: number[] = [];
    [a, b].forEach((f, i) => {
      const tops = f?.stringStats?.rankHistogram?.buckets.map((x) => ({ value: x.label, frequency: x.sampleCount })) ?? f?.stringStats?.topValues ?? [];
      totals[i] = f?.stringStats?.commonStats.numNonMissing ?? tops.reduce((s, t) => s + t.frequency, 0);
      for (const t of tops) counts.set(t.value, { ...(counts.get(t.value) ?? {}), [i]: t.frequency });
    });
    const ranked = [...counts.entries()].sort((x, y) => (y[1][0] ?? 0) + (y[1][1] ?? 0) - ((x[1][0] ?? 0) + (x[1][1] ?? 0))).slice(0, 25);
    const values = ranked.flatMap(([value, c]) => [
      { value, dataset: ln, share: totals[0] ? (c[0] ?? 0) / totals[0] : 0 },
      { value, dataset: rn, share: totals[1] ? (c[1] ?? 0) / totals[1] : 0 },
    ]);
    specs.push([
      'Value shares, overlaid',
      {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        width: 'container',
        height: Math.max(80, ranked.length * 22),
        data: { values },
        mark: 'bar',
        encoding: {
          y: { field: 'value', type: 'nominal', sort: null, title: null },
          yOffset: { field: 'dataset' },
          x: { field: 'share', type: 'quantitative', axis: { format: '%' }, title: 'share of present values' },
          color: { field: 'dataset', type: 'nominal', title: null, legend: { orient: 'bottom' } },
          tooltip: [{ field: 'value' }, { field: 'dataset' }, { field: 'share', format: '.2%' }],
        },
      } as TopLevelSpec,
    ]);
  }
  return specs;
}
