import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPipeline, SpecError } from '../../src/engine/orchestrator';
import { ProgressGate } from '../../src/engine/progressGate';
import type { RunEvent } from '../../src/protocol/runEvents';
import type { ComponentExecutor } from '../../src/engine/component';
import { PipewiseError } from '../../src/core/errors';

function tmpPipeline(text: string): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-run-'));
  const file = path.join(dir, 'p.pipeline.yaml');
  writeFileSync(file, text);
  return { dir, file };
}

test('a built-in component without an executor fails naming it; its downstream is skipped', async () => {
  const { dir, file } = tmpPipeline('pipeline: p\nstages:\n  examples:\n    component: ExampleGen\n    params: { input: data.csv }\n  stats:\n    component: StatisticsGen\n    inputs: { examples: examples.examples }\n');
  try {
    const events: RunEvent[] = [];
    const result = await runPipeline({ file, loadExecutor: async () => undefined, onEvent: (e) => events.push(e) });
    assert.equal(result.status, 'failed');
    assert.deepEqual(result.stages.map((s) => [s.name, s.status]), [['examples', 'failed'], ['stats', 'skipped']]);
    assert.match(result.stages[0]?.error ?? '', /component ExampleGen has no executor/);
    assert.equal(events[0]?.kind, 'runStarted');
    assert.equal(events.at(-1)?.kind, 'runFinished');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('params reach the executor with defaults applied; a path param is confined through ctx.resolvePath', async () => {
  const { dir, file } = tmpPipeline('pipeline: p\nstages:\n  stats:\n    component: ExampleGen\n    params: { input: data.csv }\n');
  try {
    let seen: Record<string, unknown> | undefined;
    let escaped = '';
    const executor: ComponentExecutor = {
      name: 'ExampleGen',
      async run(ctx) {
        seen = ctx.params;
        assert.equal(ctx.resolvePath('data.csv', 'input'), path.join(dir, 'data.csv'));
        try {
          ctx.resolvePath('../elsewhere.csv', 'input');
        } catch (e) {
          escaped = (e as PipewiseError).message;
        }
        writeFileSync(path.join(ctx.outputs.examples as string, 'x.txt'), 'x');
      },
    };
    const result = await runPipeline({ file, loadExecutor: async () => executor as ComponentExecutor<never> });
    assert.equal(result.status, 'succeeded');
    assert.deepEqual(seen?.splits, { train: 2, eval: 1 });
    assert.equal(seen?.format, 'auto');
    assert.match(escaped, /parameter 'input': path "..\/elsewhere.csv" is refused/);
    assert.ok(existsSync(path.join(result.stages[0]?.artifacts.examples ?? '', 'x.txt')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an invalid file rejects with SpecError diagnostics; an unknown --only stage with a usage error', async () => {
  const { dir, file } = tmpPipeline('pipeline: p\nstages:\n  a:\n    component: Nope\n');
  try {
    await assert.rejects(runPipeline({ file }), (e: unknown) => e instanceof SpecError && e.diagnostics[0]?.code === 'unknown-component');
    writeFileSync(file, 'pipeline: p\nstages:\n  a:\n    component: ExampleGen\n    params: { input: x.csv }\n');
    await assert.rejects(runPipeline({ file, only: ['b'] }), (e: unknown) => e instanceof PipewiseError && e.details.code === 'usage');
    assert.equal(existsSync(path.join(dir, '.pipewise/metadata/runs')) ? readdirSync(path.join(dir, '.pipewise/metadata/runs')).length : 0, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('progress reports: per-epoch reports are thinned to one per interval; start, end and new messages always pass', () => {
  let now = 0;
  const gate = new ProgressGate(100, () => now);
  const passed: number[] = [];
  // 1000 epochs, one every 2 ms: two seconds of training.
  for (let epoch = 0; epoch <= 1000; epoch++) {
    now = epoch * 2;
    if (gate.pass(epoch / 1000, `epoch ${epoch}/1000`)) passed.push(epoch);
  }
  assert.equal(passed[0], 0, 'the first report passes');
  assert.equal(passed.at(-1), 1000, 'the last (fraction 1) passes');
  // One every 50 epochs (100 ms), plus the last.
  assert.ok(passed.length >= 20 && passed.length <= 22, `${passed.length} reports passed`);
  for (let i = 1; i < passed.length - 1; i++) assert.ok(passed[i]! - passed[i - 1]! >= 50);
  // A new phase is told at once, even inside the interval.
  now += 1;
  assert.equal(gate.pass(0.5, 'evaluating the baseline model'), true);
  now += 1;
  assert.equal(gate.pass(0.6, 'evaluating the baseline model'), false);
});
