/**
 * Feature importance end to end through the real CLI on the penguins (ExampleGen → Transform →
 * Trainer on TF.js → Evaluator): a planted column — the body mass read off a noisy scale — must rank
 * first when predicting body mass, a column of pure noise must matter little, feature_importance.json
 * must describe the sample it used, and the run output must print the top features; the partial
 * dependence of the linear model on the planted column must be a straight line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { RunResult } from '../../src/protocol/runEvents';
import type { EvaluationFile } from '../../src/engine/components/evaluator';
import type { FeatureImportanceFile } from '../../src/protocol/evaluation';
import { FIXTURES, tempDir } from '../fixtures/evaluation/context';
import { seededRandom } from '../fixtures/evaluation/oracle';
import { penguinOpening, pipelineText, trainerStage } from '../pipelineText';

const CLI = path.resolve(__dirname, '..', '..', 'bin', 'pipewise.js');
const MAX_ROWS = 80;

/** The weighed penguins with `scale_g` (body mass plus N(0, 40 g) noise) and `noise` (uniform, unrelated). */
async function plantedPenguins(dir: string): Promise<string> {
  const rnd = seededRandom(11);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const [head, ...lines] = (await fs.readFile(path.join(FIXTURES, 'penguins.csv'), 'utf8')).trim().split('\n');
  const columns = (head as string).split(',');
  const mass = columns.indexOf('body_mass_g');
  const out = [`${head},scale_g,noise`];
  for (const line of lines) {
    const v = line.split(',')[mass];
    if (!v || v === 'NA') continue; // the two penguins never weighed have no label
    out.push(`${line},${(Number(v) + 40 * gauss()).toFixed(1)},${(rnd() * 100).toFixed(3)}`);
  }
  const file = path.join(dir, 'penguins-planted.csv');
  await fs.writeFile(file, out.join('\n') + '\n');
  return file;
}

test('feature_importance.json ranks a planted strong feature first on the penguins, says it sampled, and the CLI prints the top features', async () => {
  const dir = await tempDir('importance');
  await plantedPenguins(dir);
  const pipeline = path.join(dir, 'mass.pipeline.yaml');
  await fs.writeFile(
    pipeline,
    `${pipelineText('mass', penguinOpening({ label: 'body_mass_g', input: 'penguins-planted.csv', style: 'block' }), trainerStage('{ model: linear, epochs: 80 }'))}  evaluate:
    component: Evaluator
    inputs: { examples: examples.examples, model: train.model }
    params: { feature_importance: { max_rows: ${MAX_ROWS}, seed: 3 } }
`,
  );
  const r = spawnSync(process.execPath, [CLI, 'run', pipeline, '--json'], { encoding: 'utf8', cwd: dir, timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as RunResult;
  const evaluation = result.stages.find((s) => s.name === 'evaluate')?.artifacts['evaluation'];
  assert.ok(evaluation, 'no evaluation artifact');
  const importance = JSON.parse(await fs.readFile(path.join(evaluation, 'feature_importance.json'), 'utf8')) as FeatureImportanceFile;
  const metrics = JSON.parse(await fs.readFile(path.join(evaluation, 'metrics.json'), 'utf8')) as EvaluationFile;
  const signature = JSON.parse(await fs.readFile(path.join(metrics.model, 'signature.json'), 'utf8')) as { inputs: { name: string }[] };

  // Every raw input the model reads is measured, once.
  assert.deepEqual(importance.features.map((f) => f.feature).sort(), signature.inputs.map((i) => i.name).sort());
  assert.equal(importance.metric, 'r2');
  assert.equal(importance.repeats, 5);
  assert.equal(importance.seed, 3);
  // The eval split has more usable rows than max_rows, so a sample was used and said so.
  assert.equal(importance.usable_rows, metrics.slices[0]?.metrics['example_count']);
  assert.ok(importance.usable_rows > MAX_ROWS, `only ${importance.usable_rows} eval rows`);
  assert.deepEqual([importance.rows, importance.sampled, importance.max_rows], [MAX_ROWS, true, MAX_ROWS]);

  const [first, second] = importance.features;
  assert.equal(first?.feature, 'scale_g', JSON.stringify(importance.features.map((f) => [f.feature, f.mean, f.std])));
  // Clearly first: ahead of the runner-up by more than both spreads, and far above the noise column.
  assert.ok((first?.mean as number) - (second?.mean as number) > (first?.std as number) + (second?.std as number), JSON.stringify([first, second]));
  const noise = importance.features.find((f) => f.feature === 'noise');
  assert.ok(Math.abs(noise?.mean as number) < (first?.mean as number) / 10, JSON.stringify(noise));
  for (const f of importance.features) {
    assert.equal(f.drops.length, 5);
    assert.ok(f.std >= 0 && Number.isFinite(f.mean));
  }

  // The run output names the top features after evaluating, with the sample behind them.
  const line = r.stderr.split('\n').find((l) => l.includes('feature importance'));
  assert.ok(line, r.stderr);
  assert.match(line, new RegExp(`drop of r2 .* 5 repeats on ${MAX_ROWS} of ${importance.usable_rows} eval rows`));
  assert.ok(line.indexOf('scale_g') >= 0 && line.indexOf('scale_g') < line.indexOf(importance.features[1]?.feature as string), line);

  // `pipewise importance` on the evaluation folder: the same features in the same order, with their numbers.
  const shown = spawnSync(process.execPath, [CLI, 'importance', evaluation], { encoding: 'utf8' });
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`drop of r2 \\(${importance.baseline.toFixed(4)} unshuffled\\), 5 repeats, seed 3, on ${MAX_ROWS} of ${importance.usable_rows} eval rows`));
  const table = shown.stdout.split('\n').filter((l) => importance.features.some((f) => l.startsWith(`${f.feature} `)));
  assert.deepEqual(table.map((l) => l.split(/\s+/)[0]), importance.features.map((f) => f.feature));
  assert.deepEqual(table.map((l) => Number(l.split(/\s+/)[1])), importance.features.map((f) => Number(f.mean.toFixed(4))));
  // Partial dependence of the top three, on the same 80 rows. The model is linear in every raw
  // number (z-scored, weighted, summed), so the mean prediction is a straight line in scale_g: each
  // step between grid values rises by the same amount (to float32 precision of ~4,000 g predictions).
  const partial = importance.partial_dependence ?? [];
  assert.deepEqual(partial.map((p) => p.feature), importance.features.slice(0, 3).map((f) => f.feature));
  const scale = partial[0];
  assert.ok(scale && scale.kind === 'numeric' && scale.grid.length === 20, JSON.stringify(scale));
  assert.deepEqual(scale.outputs, ['prediction']);
  const line0 = scale.average[0] as number[];
  const grid = scale.grid as number[];
  const slope = ((line0[19] as number) - (line0[0] as number)) / ((grid[19] as number) - (grid[0] as number));
  assert.ok(slope > 0.3, `the mean prediction rises with the scale's reading (slope ${slope})`);
  line0.forEach((v, g) => assert.ok(Math.abs(v - ((line0[0] as number) + slope * ((grid[g] as number) - (grid[0] as number)))) < 0.05, `not on the line at ${grid[g]}: ${v}`));
  // … and the CLI prints it under its heading, a row per grid value.
  const heading = shown.stdout.indexOf(`Partial dependence on scale_g: mean prediction over the ${MAX_ROWS} rows`);
  assert.ok(heading >= 0, shown.stdout);
  const rowsShown = shown.stdout.slice(heading).split('\n').slice(2, 22).map((l) => l.trim().split(/\s+/).map(Number));
  assert.deepEqual(rowsShown.map((r) => r[1]), line0.map((v) => Number(v.toFixed(4))));
  const asJson = spawnSync(process.execPath, [CLI, 'importance', path.join(evaluation, 'metrics.json'), '--json'], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(asJson.stdout), importance);
  const missing = spawnSync(process.execPath, [CLI, 'importance', path.join(dir, 'nowhere')], { encoding: 'utf8' });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no such file or folder: .*nowhere/);
});
