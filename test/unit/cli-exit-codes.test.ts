/**
 * Exit codes when the reader of the CLI's output goes away: `pipewise run … 2>&1 | head -1` under
 * `set -o pipefail` must read the run's real outcome (a failed run exits 1), never 0 from the
 * EPIPE that the progress lines meet once `head` has left. The CLI runs from source (tsx), so no
 * build is needed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { superviseCommand } from '../../src/cli/supervise';

const root = path.resolve(__dirname, '../..');
const main = path.join(root, 'src/cli/main.ts');

/** A pipeline whose first stage sleeps (so `head` has left before anything else is printed), then a stage that fails, crashes or succeeds. */
function project(fails: boolean): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-exit-'));
  mkdirSync(path.join(dir, 'components'));
  cpSync(path.join(root, 'test/fixtures/engine/emit_numbers.js'), path.join(dir, 'components/emit_numbers.js'));
  writeFileSync(
    path.join(dir, 'components/last.js'),
    `exports.declaration = { name: 'Last', version: '1', description: 'fails or not', inputs: { examples: { type: 'Examples' } }, outputs: { done: { type: 'Examples', description: 'x' } } };
exports.run = async (ctx) => { ${fails ? "throw new Error('this stage fails');" : "require('node:fs').writeFileSync(require('node:path').join(ctx.outputs.done, 'x.txt'), 'ok');"} };
`,
  );
  const file = path.join(dir, 'p.pipeline.yaml');
  writeFileSync(
    file,
    `pipeline: exits
stages:
  numbers:
    component: ./components/emit_numbers.js
    params: { count: 3, sleep_ms: 1500 }
  last:
    component: ./components/last.js
    inputs: { examples: numbers.examples }
`,
  );
  return { dir, file };
}

function runThroughHead(file: string): { code: number | null; shown: string } {
  const cmd = `set -o pipefail; ${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(main)} run ${JSON.stringify(file)} 2>&1 | head -1`;
  const r = spawnSync('bash', ['-c', cmd], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, shown: r.stdout };
}

function runStatuses(dir: string): string[] {
  const runs = path.join(dir, '.pipewise/metadata/runs');
  return readdirSync(runs).map((f) => (JSON.parse(readFileSync(path.join(runs, f), 'utf8')) as { status: string }).status);
}

test('a failed run piped into `head -1` exits 1, not 0, and its record says failed', () => {
  const { dir, file } = project(true);
  try {
    const r = runThroughHead(file);
    assert.match(r.shown, /^pipewise: running/);
    assert.equal(r.code, 1, 'pipefail reads the run\'s failure');
    assert.deepEqual(runStatuses(dir), ['failed']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a successful run piped into `head -1` exits 0 and finishes', () => {
  const { dir, file } = project(false);
  try {
    const r = runThroughHead(file);
    assert.equal(r.code, 0);
    assert.deepEqual(runStatuses(dir), ['succeeded']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a supervised command that dies of SIGFPE is reported with its stage and the signal, exit 1', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-crash-'));
  const script = path.join(dir, 'crash.js');
  // What a native fault looks like from outside: the child says where it is, then dies of the signal.
  writeFileSync(script, `process.send({ pipewiseStage: 'statistics' }, () => process.kill(process.pid, 'SIGFPE'));\n`);
  const writes: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (writes.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await superviseCommand(script, [], 'the statistics of x.csv');
    assert.equal(code, 1);
    assert.match(writes.join(''), /pipewise: error: stage 'statistics' crashed: the process died of SIGFPE/);
    // Without a stage said, the work the command named.
    writeFileSync(script, `process.kill(process.pid, 'SIGSEGV');\n`);
    writes.length = 0;
    assert.equal(await superviseCommand(script, [], 'the statistics of x.csv'), 1);
    assert.match(writes.join(''), /pipewise: error: the statistics of x\.csv crashed: the process died of SIGSEGV/);
    // An ordinary exit passes through.
    writeFileSync(script, `process.exitCode = 2;\n`);
    assert.equal(await superviseCommand(script, [], 'x'), 2);
  } finally {
    process.stderr.write = write;
    rmSync(dir, { recursive: true, force: true });
  }
});
