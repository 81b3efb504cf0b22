/**
 * The CLI as a user runs it (`node bin/pipewise.js …`, built by `npm run test:worker`), on a tiny
 * pipeline of test-only user components in a temporary folder: the --json contract, exit codes,
 * caching, selection, failure, cancellation, a SIGKILL mid-stage, lineage, and the worker's
 * RunPipeline request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunEvent, RunResult } from '../../src/protocol/runEvents';
import { RunEventNotification, RunPipeline, ValidatePipeline } from '../../src/protocol/worker';
import { WorkerClient, CancellationTokenSource, WorkerExitedError, recordDeathOf } from '../../src/worker/client';
import { engineProject, pipewiseSync, startPipewise, TINY_PIPELINE } from './cli-helpers';
import { root } from './serve-helpers';

const PIPELINE = `${TINY_PIPELINE}  total:
    component: ./components/sum_numbers.ts
    inputs: { examples: scaled.examples }
`;

function project(pipeline = PIPELINE, numbers = '1 2 3 4'): { dir: string; file: string } {
  return engineProject('pipewise-engine-', pipeline, numbers);
}

function pipewise(args: string[], cwd?: string): { code: number | null; stdout: string; stderr: string } {
  return pipewiseSync(args, { cwd, timeoutMs: 60_000 });
}

function runJson(file: string, extra: string[] = []): { code: number | null; result: RunResult; stderr: string } {
  const r = pipewise(['run', file, '--json', ...extra]);
  let result: RunResult;
  try {
    result = JSON.parse(r.stdout) as RunResult;
  } catch {
    throw new Error(`stdout is not one JSON object (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
  return { code: r.code, result, stderr: r.stderr };
}

const statuses = (r: RunResult): Record<string, string> => Object.fromEntries(r.stages.map((s) => [s.name, s.status]));
const readJson = (p: string): unknown => JSON.parse(readFileSync(p, 'utf8'));

test('run --json: one RunResult on stdout, absolute artifact paths, real outputs; a second run is all cached', () => {
  const { dir, file } = project();
  try {
    const first = runJson(file);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.result.pipeline, 'tiny');
    assert.equal(first.result.status, 'succeeded');
    assert.match(first.result.runId, /^\d{8}-\d{6}-/);
    assert.deepEqual(statuses(first.result), { numbers: 'succeeded', scaled: 'succeeded', total: 'succeeded' });
    for (const s of first.result.stages) {
      assert.equal(typeof s.durationMs, 'number');
      assert.equal(s.component.startsWith('./components/'), true);
      for (const uri of Object.values(s.artifacts)) {
        assert.ok(path.isAbsolute(uri) && uri.startsWith(path.join(dir, '.pipewise')), uri);
        assert.ok(existsSync(uri), uri);
      }
    }
    const total = first.result.stages.find((s) => s.name === 'total');
    // (1 + 2 + 3 + 4) × 10, computed by hand.
    assert.deepEqual(readJson(path.join(total?.artifacts.statistics ?? '', 'sum.json')), { sum: 100 });
    assert.match(first.stderr, /numbers/); // progress goes to stderr
    assert.deepEqual(readdirSync(path.join(dir, '.pipewise/tmp')), [], 'no temporary folders left');

    const second = runJson(file);
    assert.equal(second.code, 0);
    assert.deepEqual(statuses(second.result), { numbers: 'cached', scaled: 'cached', total: 'cached' });
    assert.notEqual(second.result.runId, first.result.runId);
    assert.deepEqual(
      second.result.stages.map((s) => s.artifacts),
      first.result.stages.map((s) => s.artifacts),
      'cached stages reuse the same artifacts',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cache invalidation: a param re-runs its stage and downstream; a data file re-runs its reader; a user module edit re-runs its stage', () => {
  const { dir, file } = project();
  try {
    assert.equal(runJson(file).code, 0);
    writeFileSync(file, PIPELINE.replace('factor: 10', 'factor: 3'));
    const param = runJson(file);
    assert.deepEqual(statuses(param.result), { numbers: 'cached', scaled: 'succeeded', total: 'succeeded' });
    assert.deepEqual(readJson(path.join(param.result.stages[2]?.artifacts.statistics ?? '', 'sum.json')), { sum: 30 });

    writeFileSync(path.join(dir, 'data/numbers.txt'), '5 5');
    const data = runJson(file);
    assert.deepEqual(statuses(data.result), { numbers: 'succeeded', scaled: 'succeeded', total: 'succeeded' });
    assert.deepEqual(readJson(path.join(data.result.stages[2]?.artifacts.statistics ?? '', 'sum.json')), { sum: 30 });

    // Same content upstream → same fingerprint → downstream stays cached even though numbers re-ran.
    writeFileSync(path.join(dir, 'data/numbers.txt'), '5 5 ');
    const sameContent = runJson(file);
    assert.deepEqual(statuses(sameContent.result), { numbers: 'succeeded', scaled: 'cached', total: 'cached' });

    const ts = path.join(dir, 'components/sum_numbers.ts');
    writeFileSync(ts, readFileSync(ts, 'utf8').replace('JSON.stringify({ sum })', 'JSON.stringify({ sum, n: numbers.length })'));
    const edited = runJson(file);
    assert.deepEqual(statuses(edited.result), { numbers: 'cached', scaled: 'cached', total: 'succeeded' });
    assert.deepEqual(readJson(path.join(edited.result.stages[2]?.artifacts.statistics ?? '', 'sum.json')), { sum: 30, n: 2 });

    // A damaged cached artifact is not reused.
    const scaledDir = edited.result.stages[1]?.artifacts.examples ?? '';
    writeFileSync(path.join(scaledDir, 'numbers.json'), '[1]');
    const damaged = runJson(file);
    assert.equal(statuses(damaged.result).scaled, 'succeeded');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--only runs a stage with its upstream from cache; --from runs the downstream; --force ignores the cache', () => {
  const { dir, file } = project();
  try {
    const only = runJson(file, ['--only', 'scaled']);
    assert.equal(only.code, 0);
    assert.deepEqual(statuses(only.result), { numbers: 'succeeded', scaled: 'succeeded' }, 'absent upstream runs; downstream is not selected');
    const forced = runJson(file, ['--only', 'scaled', '--force']);
    assert.deepEqual(statuses(forced.result), { numbers: 'cached', scaled: 'succeeded' });
    const from = runJson(file, ['--from', 'scaled']);
    assert.deepEqual(statuses(from.result), { numbers: 'cached', scaled: 'cached', total: 'succeeded' });
    const fromForced = runJson(file, ['--from', 'scaled', '--force']);
    assert.deepEqual(statuses(fromForced.result), { numbers: 'cached', scaled: 'succeeded', total: 'succeeded' });
    const bad = pipewise(['run', file, '--only', 'nope']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--only nope: no such stage/);
    assert.equal(bad.stderr.trim().split('\n').length, 1, 'one line');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed stage: exit 1, its downstream skipped, the error named', () => {
  const { dir, file } = project(PIPELINE.replace('factor: 10', 'factor: 10, fail: true'));
  try {
    const r = runJson(file);
    assert.equal(r.code, 1);
    assert.equal(r.result.status, 'failed');
    assert.deepEqual(statuses(r.result), { numbers: 'succeeded', scaled: 'failed', total: 'skipped' });
    assert.match(r.result.stages[1]?.error ?? '', /asked to fail \(stage scaled\)/);
    assert.deepEqual(r.result.stages[1]?.artifacts, {});
    assert.deepEqual(readdirSync(path.join(dir, '.pipewise/tmp')), []);
    assert.equal(existsSync(path.join(dir, '.pipewise/artifacts/scaled')), false, 'no artifact of a failed stage');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('usage and spec errors exit 2 with one FILE:LINE:COL line per problem', () => {
  const { dir, file } = project(`pipeline: tiny
stages:
  numbers:
    component: ./components/emit_numbers.js
    params: { input: ../outside.txt }
  scaled:
    component: ./components/scale_numbers.js
    inputz: { examples: numbers.examples }
`);
  try {
    const v = pipewise(['validate', file]);
    assert.equal(v.code, 2);
    const lines = v.stdout.trim().split('\n');
    assert.equal(lines.length, 3, v.stdout);
    assert.equal(lines[0], `${file}:5:22: error: stage 'numbers': parameter 'input': path "../outside.txt" is refused: it leaves the pipeline's folder through ..`);
    assert.equal(lines[1], `${file}:6:3: error: stage 'scaled': ScaleNumbers needs input 'examples' (Examples): add it under inputs as <stage>.<output>`);
    assert.equal(lines[2], `${file}:8:5: error: stage 'scaled': unknown key 'inputz' (expected one of: component, description, inputs, params)`);
    const run = pipewise(['run', file, '--json']);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '', 'no JSON for a spec error');
    assert.equal(run.stderr.trim(), lines.join('\n'));

    writeFileSync(file, 'pipeline: tiny\nstages:\n  numbers: {component: ./components/emit_numbers.js\n');
    const syntax = pipewise(['validate', file]);
    assert.equal(syntax.code, 2);
    assert.match(syntax.stdout, /^.*tiny\.pipeline\.yaml:4:1: error: .+\n$/, 'one line for a syntax error');

    const missing = pipewise(['validate', path.join(dir, 'missing.pipeline.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^pipewise: error: .*missing\.pipeline\.yaml: cannot read the pipeline file: no such file\n$/);
    assert.equal(pipewise(['frobnicate']).code, 2);
    assert.equal(pipewise(['run']).code, 2);
    assert.equal(pipewise(['run', file, '--bogus']).code, 2);
    assert.equal(pipewise([]).code, 2);
    assert.equal(pipewise(['--help']).code, 0);
    assert.equal(pipewise(['validate', path.join(root, 'examples/penguins/penguins.pipeline.yaml')]).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a user component\'s zod params: defaults apply, unknown and mistyped params are spec errors at their position', () => {
  const { dir, file } = project(PIPELINE.replace('    inputs: { examples: scaled.examples }\n', '    inputs: { examples: scaled.examples }\n    params: { offset: 1 }\n'));
  try {
    const r = runJson(file);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readJson(path.join(r.result.stages[2]?.artifacts.statistics ?? '', 'sum.json')), { sum: 101 });
    writeFileSync(file, PIPELINE.replace('    inputs: { examples: scaled.examples }\n', '    inputs: { examples: scaled.examples }\n    params: { offset: one, ofset: 1 }\n'));
    const v = pipewise(['validate', file]);
    assert.equal(v.code, 2);
    const lines = v.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /:13:23: error: stage 'total': parameter 'offset': Invalid input: expected number, received string$/);
    assert.match(lines[1] ?? '', /:13:28: error: stage 'total': unknown parameter 'ofset' for SumNumbers \(known: offset\)$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a user module that is not a component is a spec error at its component: value', () => {
  const { dir, file } = project(`pipeline: x
stages:
  numbers:
    component: ./components/nothing.js
  other:
    component: ./components/missing.js
`);
  writeFileSync(path.join(dir, 'components/nothing.js'), 'exports.run = 1;\n');
  try {
    const v = pipewise(['validate', file]);
    assert.equal(v.code, 2);
    const lines = v.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /:4:16: error: component \.\/components\/nothing\.js: .*nothing\.js:1:1: no `export const declaration = \{ … \}`/);
    assert.match(lines[1] ?? '', /:6:16: error: component \.\/components\/missing\.js: component module \.\/components\/missing\.js not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Starts a run in the background and resolves once its first stage has written into its temporary folder. */
async function startSlowRun(dir: string, file: string): Promise<{ child: ChildProcess; stdout: () => string; exit: Promise<number | null> }> {
  const { child, stdout, exit } = startPipewise(['run', file, '--json']);
  const tmp = path.join(dir, '.pipewise/tmp');
  for (let i = 0; i < 400; i++) {
    const partial = existsSync(tmp) && readdirSync(tmp).some((id) => existsSync(path.join(tmp, id, 'examples/partial.txt')));
    if (partial) return { child, stdout, exit };
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill('SIGKILL');
  throw new Error('the slow stage never started');
}

test('SIGKILL mid-stage: nothing is trusted, the next run marks it abandoned and succeeds', async () => {
  const { dir, file } = project(PIPELINE.replace('data/numbers.txt', 'data/numbers.txt, sleep_ms: 600'));
  try {
    const run = await startSlowRun(dir, file);
    run.child.kill('SIGKILL');
    await run.exit;
    const execDir = path.join(dir, '.pipewise/metadata/executions');
    const records = readdirSync(execDir).map((f) => readJson(path.join(execDir, f)) as { state: string; stage: string; id: string });
    assert.deepEqual(records.map((r) => [r.stage, r.state]), [['numbers', 'running']]);
    const killedId = records[0]?.id ?? '';
    assert.ok(existsSync(path.join(dir, '.pipewise/tmp', killedId)), 'the half output is still in tmp/');

    const next = runJson(file);
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(statuses(next.result), { numbers: 'succeeded', scaled: 'succeeded', total: 'succeeded' });
    assert.notEqual(next.result.stages[0]?.executionId, killedId);
    const killed = readJson(path.join(execDir, `${killedId}.json`)) as { state: string; error: string };
    assert.equal(killed.state, 'failed');
    assert.match(killed.error, /abandoned/);
    assert.equal(existsSync(path.join(dir, '.pipewise/tmp', killedId)), false, 'its temporary folder is removed');
    const runsDir = path.join(dir, '.pipewise/metadata/runs');
    const runStates = readdirSync(runsDir).map((f) => (readJson(path.join(runsDir, f)) as { status: string }).status).sort();
    assert.deepEqual(runStates, ['failed', 'succeeded']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a native crash mid-stage (SIGSEGV) is the stage\'s failure with the signal, in the message, the exit code, lineage and the run record; the lock is released', async () => {
  const { dir, file } = project(PIPELINE.replace('data/numbers.txt', 'data/numbers.txt, crash_signal: SIGSEGV'));
  try {
    const crashed = pipewise(['run', file]);
    assert.equal(crashed.code, 1, `exit code 1 (failed), not a signal death or 0: ${crashed.stderr}`);
    assert.match(crashed.stderr, /stage 'numbers'.*SIGSEGV/, crashed.stderr);
    const execDir = path.join(dir, '.pipewise/metadata/executions');
    const records = readdirSync(execDir).map((f) => readJson(path.join(execDir, f)) as { state: string; stage: string; id: string; error?: string });
    assert.deepEqual(records.map((r) => [r.stage, r.state]), [['numbers', 'failed']], 'the crashed stage is recorded failed, not left running');
    assert.match(records[0]?.error ?? '', /SIGSEGV/);
    assert.equal(existsSync(path.join(dir, '.pipewise/tmp', records[0]?.id ?? '')), false, 'its half output is removed');
    const runsDir = path.join(dir, '.pipewise/metadata/runs');
    const [run] = readdirSync(runsDir).map((f) => readJson(path.join(runsDir, f)) as { status: string; stages: { name: string; status: string; error?: string }[] });
    assert.equal(run?.status, 'failed');
    const stage = run?.stages.find((s) => s.name === 'numbers');
    assert.equal(stage?.status, 'failed');
    assert.match(stage?.error ?? '', /SIGSEGV/);
    assert.equal(existsSync(path.join(dir, '.pipewise/lock')), false, 'the dead run\'s lock is released');
    const lineage = pipewise(['lineage', file]);
    assert.match(lineage.stdout, /failed/);
    assert.doesNotMatch(lineage.stdout, /interrupted|running/);
    // The store is clean and the next run (without the crash) succeeds.
    const doctor = pipewise(['doctor', file]);
    assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
    writeFileSync(file, PIPELINE);
    const next = runJson(file);
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(statuses(next.result), { numbers: 'succeeded', scaled: 'succeeded', total: 'succeeded' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the CLI bundle loaded by another entry (the npm package\'s lib/cli.js, a script that requires it) supervises run too: a native crash is the stage\'s failure', () => {
  const { dir, file } = project(PIPELINE.replace('data/numbers.txt', 'data/numbers.txt, crash_signal: SIGSEGV'));
  try {
    // A script of the user's that loads the bundle, as bin/pipewise.js of the npm package loads lib/cli.js.
    const entry = path.join(dir, 'my-entry.js');
    writeFileSync(entry, `require(${JSON.stringify(path.join(root, 'out', 'cli.js'))});\n`);
    const r = spawnSync(process.execPath, [entry, 'run', file], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.signal, null, `the process the user started does not die of the signal: ${r.stderr}`);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /stage 'numbers'.*SIGSEGV/);
    const runsDir = path.join(dir, '.pipewise/metadata/runs');
    const [run] = readdirSync(runsDir).map((f) => readJson(path.join(runsDir, f)) as { status: string; stages: { name: string; error?: string }[] });
    assert.equal(run?.status, 'failed');
    assert.match(run?.stages.find((s) => s.name === 'numbers')?.error ?? '', /SIGSEGV/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the editor's worker: a native crash mid-stage (SIGSEGV) is the stage's failure with the signal in the store's lineage, recorded through the next worker", async () => {
  const { dir, file } = project(PIPELINE.replace('data/numbers.txt', 'data/numbers.txt, crash_signal: SIGSEGV'));
  const worker = new WorkerClient({ workerPath: path.join(root, 'out/worker.js') });
  let next: WorkerClient | undefined;
  try {
    // The user component kills the worker with a real SIGSEGV mid-stage, as a fault in native code would.
    const dead = await worker.request(RunPipeline, { file }).then(
      () => assert.fail('the run answered: the worker should have died'),
      (e: unknown) => e,
    );
    assert.ok(dead instanceof WorkerExitedError, String(dead));
    assert.equal(dead.signal, 'SIGSEGV');
    assert.match(dead.message, /SIGSEGV.*stage 'numbers'/, 'the client names the signal and the stage it was running');
    // What src/extension/workerPort.ts does on such an exit: a fresh worker records the dead one's runs.
    next = new WorkerClient({ workerPath: path.join(root, 'out/worker.js') });
    assert.equal(await recordDeathOf(dead, next), true);

    const execDir = path.join(dir, '.pipewise/metadata/executions');
    const records = readdirSync(execDir).map((f) => readJson(path.join(execDir, f)) as { state: string; stage: string; id: string; error?: string });
    assert.deepEqual(records.map((r) => [r.stage, r.state]), [['numbers', 'failed']], 'the crashed stage is recorded failed, not left running');
    assert.match(records[0]?.error ?? '', /SIGSEGV/);
    assert.equal(existsSync(path.join(dir, '.pipewise/tmp', records[0]?.id ?? '')), false, 'its half output is removed');
    const runsDir = path.join(dir, '.pipewise/metadata/runs');
    const [run] = readdirSync(runsDir).map((f) => readJson(path.join(runsDir, f)) as { status: string; stages: { name: string; status: string; error?: string }[] });
    assert.equal(run?.status, 'failed');
    assert.match(run?.stages.find((s) => s.name === 'numbers')?.error ?? '', /SIGSEGV/);
    assert.equal(existsSync(path.join(dir, '.pipewise/lock')), false, "the dead worker's lock is released");
    const lineage = pipewise(['lineage', file]);
    assert.match(lineage.stdout, /failed/);
    assert.doesNotMatch(lineage.stdout, /interrupted|running/);
    // The store is clean and the next worker runs the pipeline (without the crash).
    writeFileSync(file, PIPELINE);
    const again = await next.request(RunPipeline, { file });
    assert.deepEqual(statuses(again), { numbers: 'succeeded', scaled: 'succeeded', total: 'succeeded' });
  } finally {
    await worker.shutdown();
    await next?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Ctrl-C (SIGINT) cancels cleanly: stage cancelled, downstream skipped, exit 1, next run resumes', async () => {
  const { dir, file } = project(PIPELINE.replace('data/numbers.txt', 'data/numbers.txt, sleep_ms: 5000'));
  try {
    const run = await startSlowRun(dir, file);
    run.child.kill('SIGINT');
    const code = await run.exit;
    assert.equal(code, 1);
    const result = JSON.parse(run.stdout()) as RunResult;
    assert.equal(result.status, 'cancelled');
    assert.deepEqual(statuses(result), { numbers: 'cancelled', scaled: 'skipped', total: 'skipped' });
    assert.deepEqual(readdirSync(path.join(dir, '.pipewise/tmp')), []);
    writeFileSync(file, PIPELINE);
    const next = runJson(file);
    assert.equal(next.code, 0);
    assert.deepEqual(statuses(next.result), { numbers: 'succeeded', scaled: 'succeeded', total: 'succeeded' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lineage: what made an artifact (upstream with params) and what it fed (downstream)', () => {
  const { dir, file } = project();
  try {
    const first = runJson(file);
    runJson(file); // a cached run also consumes
    const total = first.result.stages[2]?.artifacts.statistics ?? '';
    const up = pipewise(['lineage', file, path.join(total, 'sum.json'), '--json']);
    assert.equal(up.code, 0, up.stderr);
    const made = JSON.parse(up.stdout) as {
      producer: { execution: { stage: string; params: unknown }; inputs: { input: string; execution: { stage: string; params: unknown }; inputs: { execution: { stage: string; params: unknown } }[] }[] };
    };
    assert.equal(made.producer.execution.stage, 'total');
    assert.equal(made.producer.inputs[0]?.execution.stage, 'scaled');
    assert.deepEqual(made.producer.inputs[0]?.execution.params, { factor: 10 });
    assert.equal(made.producer.inputs[0]?.inputs[0]?.execution.stage, 'numbers');
    assert.deepEqual(made.producer.inputs[0]?.inputs[0]?.execution.params, { input: 'data/numbers.txt' });

    const down = pipewise(['lineage', file, 'numbers.examples', '--json']);
    const fed = JSON.parse(down.stdout) as { consumers: { execution: { stage: string; state: string }; outputs: { artifact: { id: string }; consumers: { execution: { stage: string } }[] }[] }[] };
    const direct = fed.consumers.map((c) => `${c.execution.stage}:${c.execution.state}`).sort();
    assert.deepEqual(direct, ['scaled:cached', 'scaled:complete']);
    const complete = fed.consumers.find((c) => c.execution.state === 'complete');
    assert.deepEqual(complete?.outputs[0]?.consumers.map((c) => c.execution.stage), ['total', 'total']);

    const text = pipewise(['lineage', file, 'total.statistics']);
    assert.match(text.stdout, /made from:\n {2}stage total[\s\S]*stage scaled[\s\S]*params: \{"factor":10\}[\s\S]*stage numbers/);
    const runs = pipewise(['lineage', file]);
    assert.equal(runs.stdout.trim().split('\n').length, 2);
    assert.match(runs.stdout, /succeeded .* 3 cached/);
    assert.equal(pipewise(['lineage', file, 'nope.examples']).code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the worker runs a pipeline, streams events, and cancels through the request token', async () => {
  const { dir, file } = project();
  const worker = new WorkerClient({ workerPath: path.join(root, 'out/worker.js') });
  try {
    const events: RunEvent[] = [];
    worker.onNotification(RunEventNotification, (e) => events.push(e));
    const result = await worker.request(RunPipeline, { file });
    assert.equal(result.status, 'succeeded');
    assert.deepEqual(
      events.map((e) => e.kind),
      ['runStarted', 'stageStarted', 'stageFinished', 'stageStarted', 'stageFinished', 'stageStarted', 'stageFinished', 'runFinished'],
    );

    writeFileSync(file, PIPELINE.replace('data/numbers.txt', 'data/numbers.txt, sleep_ms: 10000'));
    const source = new CancellationTokenSource();
    events.length = 0;
    const cancelled = worker.request(RunPipeline, { file }, source.token);
    while (!events.some((e) => e.kind === 'stageStarted')) await new Promise((r) => setTimeout(r, 20));
    source.cancel();
    const r = await cancelled;
    assert.equal(r.status, 'cancelled');
    assert.deepEqual(statuses(r), { numbers: 'cancelled', scaled: 'skipped', total: 'skipped' });
    assert.deepEqual(readdirSync(path.join(dir, '.pipewise/tmp')), []);

    // Unsaved editor text is validated with positions; running it rejects with the diagnostics.
    const text = PIPELINE.replace('  total:\n', '  total:\n    inputz: {}\n');
    const diagnostics = await worker.request(ValidatePipeline, { file, text });
    assert.deepEqual(diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.col]), [['unknown-key', 11, 5]]);
    await assert.rejects(worker.request(RunPipeline, { file, text }), (e: unknown) => {
      const err = e as { code?: number; data?: { diagnostics?: unknown[] } };
      return err.code === 1001 && err.data?.diagnostics?.length === 1;
    });
  } finally {
    await worker.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
});
