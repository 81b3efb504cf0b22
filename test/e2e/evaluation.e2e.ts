/**
 * A person judging a model: after two runs of the penguin pipeline (different epochs), the graph's
 * `evaluation` artifact opens the evaluation panel in the active group — verdict, checks with their
 * reasons, slices, confusion matrix and curves, and the feature-importance bars in
 * feature_importance.json's order with the partial dependence of the top three below them — and
 * the experiments table compares the runs.
 * Saves `test-results/screenshots/evaluation.png`, `importance.png`, `partial-dependence.png` and
 * `experiments.png` (shown in the README).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Workbench } from './workbench';
import { runCli } from './webPage';

let wb: Workbench;

before(async () => {
  wb = await Workbench.start({ workspace: 'examples/penguins' });
  // Two runs as a user makes them: the example, then with fewer epochs.
  const file = path.join(wb.workspace, 'penguins.pipeline.yaml');
  runCli(file);
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('epochs: 40', 'epochs: 10'));
  runCli(file);
});

after(async () => {
  await wb?.close();
});

test('the graph\'s evaluation artifact opens the evaluation panel with its verdict, checks, slices and charts', async () => {
  const panel = await wb.openOutputsFromGraph('penguins.pipeline.yaml', 'evaluate.evaluation', '.verdict');
  await panel.locator('figure[data-chart="calibration"] svg').first().waitFor({ timeout: 120_000 });
  const verdict = (await panel.locator('.verdict').innerText()).trim();
  const metrics = JSON.parse(
    fs.readFileSync(
      (() => {
        const dir = path.join(wb.workspace, '.pipewise', 'artifacts', 'evaluate');
        const newest = fs.readdirSync(dir).sort().reverse().find((d) => fs.existsSync(path.join(dir, d, 'evaluation', 'metrics.json')));
        return path.join(dir, newest ?? '', 'evaluation', 'metrics.json');
      })(),
      'utf8',
    ),
  ) as { blessed: boolean; slices: unknown[] };
  assert.equal(verdict, metrics.blessed ? 'BLESSED' : 'NOT BLESSED');
  assert.equal(await panel.locator('table.slices tbody tr').count(), metrics.slices.length);
  for (const c of ['confusion', 'roc', 'pr', 'calibration']) assert.equal(await panel.locator(`figure[data-chart="${c}"] svg`).count(), 1, `${c} drawn`);
  // Each overall metric reads as a pair: its name directly above its value, in the same column.
  const pairs = await panel.locator('dl.metricgrid dd[data-metric]').evaluateAll((dds) =>
    dds.map((dd) => {
      const dt = [...(dd.parentElement?.querySelectorAll('dt') ?? [])].find((t) => t.textContent === (dd as HTMLElement).dataset['metric']);
      const a = dt?.getBoundingClientRect();
      const b = dd.getBoundingClientRect();
      return { metric: (dd as HTMLElement).dataset['metric'], sameColumn: !!a && Math.abs(a.left - b.left) < 1, above: !!a && a.bottom <= b.top + 1 && b.top - a.bottom < 12 };
    }),
  );
  assert.ok(pairs.length >= 3, JSON.stringify(pairs));
  for (const p of pairs) assert.ok(p.sameColumn && p.above, `${p.metric}: its name is not right above its value (${JSON.stringify(p)})`);
  await wb.screenshot('evaluation');

  // Feature importance: one bar per feature, in feature_importance.json's order, with its error bar.
  const importance = JSON.parse(fs.readFileSync(path.join(path.dirname(newestMetrics()), 'feature_importance.json'), 'utf8')) as { features: { feature: string; mean: number }[] };
  const figure = panel.locator('section.importance figure[data-chart="importance"]');
  await figure.locator('svg').first().waitFor({ timeout: 60_000 });
  const drawn = await figure.locator('svg').evaluate((svg) => {
    const bars = [...svg.querySelectorAll('path[aria-roledescription="bar"]')].map((b) => b.getBoundingClientRect());
    const labels = [...svg.querySelectorAll('g.mark-text text, g.role-axis-label text')].map((t) => ({ text: t.textContent ?? '', y: t.getBoundingClientRect().top }));
    return { bars: bars.map((b) => ({ width: b.width, top: b.top })), rules: svg.querySelectorAll('g.mark-rule.role-mark line').length, labels, width: svg.getBoundingClientRect().width };
  });
  assert.equal(drawn.bars.length, importance.features.length, JSON.stringify(drawn));
  assert.equal(drawn.rules, importance.features.length, 'one error bar per feature');
  const axisOrder = drawn.labels.filter((l) => importance.features.some((f) => f.feature === l.text)).sort((a, b) => a.y - b.y).map((l) => l.text);
  assert.deepEqual(axisOrder, importance.features.map((f) => f.feature), 'bars top to bottom in the file\'s order (largest drop first)');
  // The longest bar is the first feature's (bars are drawn in data order, top to bottom).
  const byTop = [...drawn.bars].sort((a, b) => a.top - b.top);
  assert.ok((byTop[0]?.width ?? 0) >= Math.max(...byTop.map((b) => b.width)) - 0.5, JSON.stringify(byTop));
  await figure.scrollIntoViewIfNeeded();
  await wb.screenshot('importance');

  // Partial dependence of the top three features, below the bars: one small chart each, one line
  // per class, a point per grid value of feature_importance.json's partial_dependence.
  const partial = (JSON.parse(fs.readFileSync(path.join(path.dirname(newestMetrics()), 'feature_importance.json'), 'utf8')) as { partial_dependence?: { feature: string; grid: unknown[]; outputs: string[] }[] }).partial_dependence ?? [];
  assert.deepEqual(partial.map((p) => p.feature), importance.features.slice(0, 3).map((f) => f.feature));
  for (const [i, p] of partial.entries()) {
    const pdFigure = panel.locator(`section.importance figure[data-chart="partial-dependence-${i}"]`);
    await pdFigure.locator('svg').first().waitFor({ timeout: 60_000 });
    assert.equal(await pdFigure.locator('figcaption strong').innerText(), `Partial dependence: ${p.feature}`);
    const marks = await pdFigure.locator('svg').evaluate((svg) => ({
      lines: svg.querySelectorAll('path[aria-roledescription="line mark"]').length,
      points: svg.querySelectorAll('path[aria-roledescription="point"]').length,
    }));
    assert.deepEqual(marks, { lines: p.outputs.length, points: p.outputs.length * p.grid.length }, `${p.feature}: ${JSON.stringify(marks)}`);
    // Below the importance bars, not beside them.
    const [bars, curve] = await Promise.all([figure.boundingBox(), pdFigure.boundingBox()]);
    assert.ok(bars && curve && curve.y >= bars.y + bars.height - 1, `${p.feature}: ${JSON.stringify({ bars, curve })}`);
  }
  await panel.locator('section.importance figure[data-chart="partial-dependence-0"]').scrollIntoViewIfNeeded();
  await wb.screenshot('partial-dependence');
});

function newestMetrics(): string {
  const dir = path.join(wb.workspace, '.pipewise', 'artifacts', 'evaluate');
  const newest = fs.readdirSync(dir).sort().reverse().find((d) => fs.existsSync(path.join(dir, d, 'evaluation', 'metrics.json')));
  return path.join(dir, newest ?? '', 'evaluation', 'metrics.json');
}

test('the experiments table lists both runs with the changed epochs and plots accuracy across them', async () => {
  await wb.openFile('penguins.pipeline.yaml');
  await wb.runCommand('Pipewise: Show Experiments (Runs Compared)');
  const table = await wb.webview('table.experiments tbody tr', 60_000);
  assert.equal(await table.locator('table.experiments tbody tr').count(), 2);
  assert.equal(await table.locator('th[data-key="param:train.epochs"]').count(), 1);
  for (const box of await table.locator('table.experiments tbody input[type="checkbox"]').all()) await box.check();
  await table.locator('figure[data-chart="metric"] svg').first().waitFor({ timeout: 60_000 });
  await wb.screenshot('experiments');
});
