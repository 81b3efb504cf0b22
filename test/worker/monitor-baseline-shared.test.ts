/**
 * Two pipelines in one folder share one store (issue 27): monitoring a model of the first must
 * compare requests with the first pipeline's training statistics, even when the second ran last.
 * The second pipeline keeps only Biscoe penguins, so its training split is visibly smaller; the
 * oracle is each run's own StatisticsGen output as `pipewise run --json` reports it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { latestTrainingBaseline } from '../../src/engine/monitoring/trainingBaseline';
import type { RunResult } from '../../src/protocol/runEvents';
import { cli, root } from './serve-helpers';

const pipeline = (name: string, query: string): string => `pipeline: ${name}
stages:
  raw: { component: ExampleGen, params: { input: data/penguins.csv } }
  examples: { component: Sql, inputs: { examples: raw.examples }, params: { query: '${query}' } }
  statistics: { component: StatisticsGen, inputs: { examples: examples.examples } }
  schema: { component: SchemaGen, inputs: { statistics: statistics.statistics } }
`;

function run(file: string): RunResult {
  const r = spawnSync(process.execPath, [cli, 'run', file, '--json'], { encoding: 'utf8', cwd: path.dirname(file), timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as RunResult;
}

test('the training baseline of a pipeline is its own latest run, not the latest run of another pipeline sharing the store', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-baseline-shared-'));
  try {
    fs.mkdirSync(path.join(dir, 'data'));
    fs.copyFileSync(path.join(root, 'test', 'fixtures', 'penguins.csv'), path.join(dir, 'data', 'penguins.csv'));
    const all = path.join(dir, 'all.pipeline.yaml');
    const biscoe = path.join(dir, 'biscoe.pipeline.yaml');
    fs.writeFileSync(all, pipeline('all', 'SELECT * FROM examples'));
    fs.writeFileSync(biscoe, pipeline('biscoe', `SELECT * FROM examples WHERE island = ''Biscoe''`));
    const mine = run(all);
    run(biscoe); // the other pipeline runs last
    const baseline = await latestTrainingBaseline(all);
    assert.equal(baseline.runId, mine.runId, 'the baseline comes from all.pipeline.yaml\'s run');
    assert.equal(baseline.statisticsUri, mine.stages.find((s) => s.name === 'statistics')?.artifacts.statistics);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
