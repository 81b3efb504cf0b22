/**
 * The Tuner's trials in the experiments table from a real search (issue 28: "a search of 30 trials
 * gives 30 rows"), not a hand-written trials.json: the penguin pipeline with a Tuner over three
 * learning rates, run by the CLI; the table built from the store's run record, execution records and
 * the Tuner's own trials.json (as the Experiments panel reads them) has one row per trial, each with
 * its learning rate from the grid the pipeline file names, beside the run's own row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildExperiments, type ExecutionInput, type RunInput, type TrialsInput } from '../../src/core/experiments';
import { penguinOpening, pipelineText, trainerStage } from '../pipelineText';

const root = path.resolve(__dirname, '../..');
const GRID = [0.001, 0.01, 0.1];

const PIPELINE = pipelineText(
  'tuned',
  penguinOpening({ label: 'species', style: 'block' }),
  trainerStage(`{ strategy: grid, space: { learning_rate: [${GRID.join(', ')}], hidden_units: [[8]] }, epochs: 3, objective: val_accuracy }`, 'block', { name: 'tune', component: 'Tuner' }),
);

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

test('a real Tuner search of three trials gives three trial rows, each with its grid point', { timeout: 600_000 }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-tuned-'));
  try {
    mkdirSync(path.join(dir, 'data'));
    copyFileSync(path.join(root, 'examples/penguins/data/penguins.csv'), path.join(dir, 'data/penguins.csv'));
    const file = path.join(dir, 'tuned.pipeline.yaml');
    writeFileSync(file, PIPELINE);
    const r = spawnSync(process.execPath, [path.join(root, 'bin/pipewise.js'), 'run', file, '--json'], { encoding: 'utf8', cwd: dir, timeout: 540_000 });
    assert.equal(r.status, 0, r.stderr);

    const store = path.join(dir, '.pipewise/metadata');
    const runs = readdirSync(path.join(store, 'runs')).map((f) => readJson<RunInput>(path.join(store, 'runs', f)));
    assert.equal(runs.length, 1);
    const executions = readdirSync(path.join(store, 'executions')).map((f) => readJson<ExecutionInput>(path.join(store, 'executions', f)));
    const tuned = runs[0]?.stages.find((s) => s.component === 'Tuner')?.artifacts['best_hyperparameters'];
    assert.ok(tuned, 'the run record names the Tuner\'s output');
    const trials = new Map([[tuned, readJson<TrialsInput>(path.join(tuned, 'trials.json'))]]);

    const view = buildExperiments('tuned', file, runs, executions, new Map(), new Map(), trials);
    const trialRows = view.rows.filter((row) => row.trial);
    assert.equal(trialRows.length, GRID.length, `one row per trial: ${view.rows.map((row) => row.runId).join(', ')}`);
    assert.equal(view.rows.length, GRID.length + 1, 'and the run\'s own row');
    assert.deepEqual(trialRows.map((row) => Number(row.params['tune.learning_rate'])).sort((a, b) => a - b), GRID, 'each grid point once');
    assert.deepEqual(trialRows.map((row) => row.trial?.of), GRID.map(() => GRID.length));
    for (const row of trialRows) {
      const accuracy = row.metrics['trial:val_accuracy'];
      assert.ok(accuracy !== undefined && accuracy >= 0 && accuracy <= 1, `trial ${row.trial?.number}: val_accuracy ${accuracy}`);
    }
    assert.ok(view.changedParams.includes('tune.learning_rate'), `the learning rate is a changed parameter: ${view.changedParams.join(', ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
