/**
 * The store owns only what it made, through the real CLI (`node bin/pipewise.js`, built first) on a
 * tiny pipeline of test-only user components: a symbolic link inside `.pipewise` is refused by
 * `run`'s recovery, `doctor` and `gc` (never followed, never deleted through; `doctor --fix`
 * removes the link itself), lineage records naming paths outside are quarantined and never become
 * deletion paths, a `store:` that is not a dedicated folder is refused at its line, recovery leaves
 * entries the store did not make, a user component without outputs runs, and the store's lock
 * tells a reused pid from its holder and prints the holder's command escaped. A sentinel tree
 * outside every store is hashed before and after each case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashTree, tinyPipeline, writeTinyProject } from './store-helpers';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'bin/pipewise.js');

const PIPELINE = tinyPipeline;

function project(pipeline = PIPELINE()): { dir: string; file: string; store: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-confine-'));
  return { dir, file: writeTinyProject(dir, pipeline), store: path.join(dir, '.pipewise') };
}

function pipewise(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A tree outside every store that looks like store leftovers: nothing may ever change it. */
function sentinel(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-sentinel-'));
  const put = (rel: string, text: string): void => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  };
  put('thesis.docx', 'four years of work');
  put('20200101-000000-000-abcdef/examples/numbers.json', '[1,2,3]');
  put('numbers/20200101-000000-000-abcdef/examples/numbers.json', '[4,5,6]');
  put('20200101-000000-000-abcdef.json', '{ not a lineage record');
  put('20200101-000000-000-abcdef.json.4242.abcd.tmp', 'half');
  mkdirSync(path.join(dir, 'empty-20200101-000000-000-abcdef'));
  return dir;
}

const gone = (p: string): boolean => {
  try {
    lstatSync(p);
    return false;
  } catch {
    return true;
  }
};

test('a symbolic link inside the store is refused by run, doctor and gc, never followed or deleted through; doctor --fix removes only the link', () => {
  for (const place of ['tmp', 'artifacts', 'metadata/executions', 'artifacts/numbers', 'metadata']) {
    const { dir, file, store } = project();
    const outside = sentinel();
    try {
      assert.equal(pipewise(['run', file]).code, 0);
      const link = path.join(store, place);
      rmSync(link, { recursive: true, force: true });
      mkdirSync(path.dirname(link), { recursive: true });
      symlinkSync(outside, link);
      const before = hashTree(outside);

      const run = pipewise(['run', file]);
      assert.notEqual(run.code, 0, `${place}: run must refuse\n${run.stderr}`);
      assert.ok(run.stderr.includes(link), `${place}: the refusal names the link:\n${run.stderr}`);
      assert.match(run.stderr, /symbolic link/);
      assert.deepEqual(hashTree(outside), before, `${place}: run changed the tree the link points to`);

      const doctor = pipewise(['doctor', file, '--json']);
      assert.equal(doctor.code, 1, doctor.stderr);
      const problems = (JSON.parse(doctor.stdout) as { problems: { kind: string; path: string }[] }).problems;
      assert.ok(problems.some((p) => p.kind === 'symbolic-link' && p.path === link), `${place}: ${doctor.stdout}`);
      assert.deepEqual(hashTree(outside), before, `${place}: doctor changed the tree the link points to`);

      const gc = pipewise(['gc', file, '--keep', '1']);
      assert.notEqual(gc.code, 0, `${place}: gc must refuse\n${gc.stdout}`);
      assert.ok(gc.stderr.includes(link), `${place}: ${gc.stderr}`);
      assert.deepEqual(hashTree(outside), before, `${place}: gc changed the tree the link points to`);

      const fix = pipewise(['doctor', file, '--fix']);
      assert.match(fix.stdout, /symbolic-link: .* — removed the link \(not what it points to\)/);
      assert.ok(gone(link), `${place}: --fix removes the link`);
      assert.deepEqual(hashTree(outside), before, `${place}: doctor --fix changed the tree the link points to`);
      const again = pipewise(['run', file]);
      assert.equal(again.code, 0, `${place}: ${again.stderr}`);
      assert.deepEqual(hashTree(outside), before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  }
});

test('lineage records whose fields would make paths outside the store are quarantined by doctor --fix and never deleted through by gc or recovery', () => {
  const { dir, file, store } = project();
  const outside = sentinel();
  try {
    assert.equal(pipewise(['run', file]).code, 0);
    // The execution folder gc would build from the stage: an empty folder and a plain file outside.
    const plant = (id: string, stage: string): string => {
      const record = {
        id,
        pipeline: 'tiny',
        pipelineFile: file,
        runId: '20200101-000000-000-000000',
        stage,
        component: './components/emit_numbers.js',
        componentVersion: '1',
        state: 'complete',
        cacheKey: 'planted',
        params: {},
        inputs: [],
        outputs: [{ id: `${stage}/${id}/examples`, type: 'Examples', uri: path.join(store, 'artifacts', stage, id, 'examples'), stage, output: 'examples', executionId: id, fingerprint: 'x', properties: {}, files: {} }],
        startedAt: '2020-01-01T00:00:00.000Z',
        pid: 1,
      };
      const p = path.join(store, 'metadata/executions', `${id}.json`);
      writeFileSync(p, JSON.stringify(record));
      return p;
    };
    const toOutside = path.relative(path.join(store, 'artifacts'), outside);
    mkdirSync(path.join(outside, 'victim'));
    writeFileSync(path.join(outside, 'victim', '20200101-000000-000-bbbbbb'), 'a plain file gc must not delete');
    const recordA = plant('empty-20200101-000000-000-abcdef', toOutside);
    const recordB = plant('20200101-000000-000-bbbbbb', path.join(toOutside, 'victim'));
    const recordC = plant('20200101-000000-000-cccccc', '..');
    const before = hashTree(outside);

    const doctor = pipewise(['doctor', file, '--json']);
    assert.equal(doctor.code, 1, doctor.stderr);
    const problems = (JSON.parse(doctor.stdout) as { problems: { kind: string; path: string; message: string }[] }).problems;
    for (const r of [recordA, recordB, recordC]) assert.ok(problems.some((p) => p.kind === 'unsafe-record' && p.path === r), `${r} is reported:\n${doctor.stdout}`);
    assert.match(doctor.stdout, /names the stage \\"\.\.\/\.\.\//);
    assert.deepEqual(hashTree(outside), before);

    // gc heals the store first, as doctor --fix would: the records are moved aside, nothing outside is touched.
    const gc = pipewise(['gc', file, '--keep', '1']);
    assert.equal(gc.code, 0, gc.stderr);
    assert.deepEqual(hashTree(outside), before, `gc deleted outside the store:\n${gc.stdout}${gc.stderr}`);
    for (const r of [recordA, recordB, recordC]) {
      assert.equal(existsSync(r), false);
      assert.ok(existsSync(path.join(store, 'metadata/quarantine', `executions-${path.basename(r)}`)), `${r} moved aside inside the store`);
    }
    assert.equal(pipewise(['doctor', file]).code, 0);

    const recordE = plant('20200101-000000-000-eeeeee', path.join(toOutside, 'victim'));
    const fix = pipewise(['doctor', file, '--fix']);
    assert.equal(fix.code, 1);
    assert.match(fix.stdout, /unsafe-record: .* — moved to .*quarantine/);
    assert.ok(existsSync(path.join(store, 'metadata/quarantine', `executions-${path.basename(recordE)}`)));
    assert.deepEqual(hashTree(outside), before);
    assert.equal(pipewise(['doctor', file]).code, 0);

    // Planted again, the first run's recovery quarantines it too, and the run goes on.
    plant('20200101-000000-000-dddddd', path.join(toOutside, 'victim'));
    writeFileSync(path.join(outside, 'victim', '20200101-000000-000-dddddd'), 'another plain file');
    const before2 = hashTree(outside);
    const run = pipewise(['run', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(hashTree(outside), before2);
    assert.equal(pipewise(['gc', file, '--keep', '1']).code, 0);
    assert.deepEqual(hashTree(outside), before2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test('the store is a dedicated folder: store: . and a folder of the user\'s are refused at the store: line; a store made before the marker is accepted and marked', () => {
  // store: . — the pipeline's own folder, with files that look like leftovers.
  const own = project(PIPELINE('.'));
  try {
    mkdirSync(path.join(own.dir, 'tmp/drafts'), { recursive: true });
    writeFileSync(path.join(own.dir, 'tmp/drafts/chapter1.md'), 'text');
    mkdirSync(path.join(own.dir, 'metadata'));
    writeFileSync(path.join(own.dir, 'metadata/notes.txt'), 'mine');
    const before = hashTree(own.dir);
    const validate = pipewise(['validate', own.file]);
    assert.equal(validate.code, 2, validate.stdout + validate.stderr);
    assert.match(validate.stdout + validate.stderr, new RegExp(`tiny\\.pipeline\\.yaml:2:8: error: store "\\." is refused: it is the pipeline's own folder`));
    const run = pipewise(['run', own.file]);
    assert.equal(run.code, 2, run.stderr);
    assert.deepEqual(hashTree(own.dir), before, 'run touched the pipeline folder');
    assert.equal(pipewise(['doctor', own.file, '--fix']).code, 2);
    assert.equal(pipewise(['gc', own.file]).code, 2);
    assert.deepEqual(hashTree(own.dir), before);
  } finally {
    rmSync(own.dir, { recursive: true, force: true });
  }

  // store: data — a folder of the user's, with content and no store marker.
  const data = project(PIPELINE('data'));
  try {
    mkdirSync(path.join(data.dir, 'data/tmp'), { recursive: true });
    writeFileSync(path.join(data.dir, 'data/tmp/raw.csv'), 'a,b\n1,2\n');
    const before = hashTree(data.dir);
    const validate = pipewise(['validate', data.file]);
    assert.equal(validate.code, 2);
    assert.match(validate.stdout + validate.stderr, /tiny\.pipeline\.yaml:2:8: error: store "data" is refused: .*has content but no Pipewise store marker/);
    assert.equal(pipewise(['run', data.file]).code, 2);
    assert.deepEqual(hashTree(data.dir), before);
  } finally {
    rmSync(data.dir, { recursive: true, force: true });
  }

  // A store made by an older Pipewise (no marker) is recognised by its layout and marked.
  const old = project();
  try {
    assert.equal(pipewise(['run', old.file]).code, 0);
    const marker = path.join(old.store, 'pipewise-store.json');
    assert.ok(existsSync(marker), 'a new store gets its marker');
    rmSync(marker);
    assert.equal(pipewise(['validate', old.file]).code, 0);
    const again = pipewise(['run', old.file, '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(existsSync(marker), 'a store made before the marker gets it');
    assert.deepEqual((JSON.parse(again.stdout) as { stages: { status: string }[] }).stages.map((s) => s.status), ['cached', 'cached']);
  } finally {
    rmSync(old.dir, { recursive: true, force: true });
  }
});

test('recovery, doctor --fix and gc leave entries the store did not make; doctor reports them', () => {
  const { dir, file, store } = project();
  try {
    assert.equal(pipewise(['run', file]).code, 0);
    const foreign = ['tmp/notes.txt', 'tmp/my-folder/a.txt', 'artifacts/README.md', 'artifacts/numbers/keep-me/a.txt', 'metadata/executions/notes.txt', 'metadata/runs/todo.md', 'metadata/mine/x.txt'];
    for (const rel of foreign) {
      mkdirSync(path.dirname(path.join(store, rel)), { recursive: true });
      writeFileSync(path.join(store, rel), rel);
    }
    assert.equal(pipewise(['run', file]).code, 0);
    for (const rel of foreign) assert.ok(existsSync(path.join(store, rel)), `run's recovery removed ${rel}`);
    const doctor = pipewise(['doctor', file, '--json']);
    assert.equal(doctor.code, 1);
    const reported = (JSON.parse(doctor.stdout) as { problems: { kind: string; path: string }[] }).problems.filter((p) => p.kind === 'foreign-entry').map((p) => p.path);
    for (const p of ['tmp/notes.txt', 'tmp/my-folder', 'artifacts/README.md', 'artifacts/numbers/keep-me', 'metadata/executions/notes.txt', 'metadata/runs/todo.md']) {
      assert.ok(reported.includes(path.join(store, p)), `doctor reports ${p}: ${reported.join(', ')}`);
    }
    assert.equal(pipewise(['doctor', file, '--fix']).code, 1);
    assert.equal(pipewise(['gc', file, '--keep', '1']).code, 0);
    for (const rel of foreign) assert.ok(existsSync(path.join(store, rel)), `doctor --fix or gc removed ${rel}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a user component with outputs: {} runs', () => {
  const { dir, file } = project(`pipeline: tiny
stages:
  numbers:
    component: ./components/emit_numbers.js
    params: { count: 4 }
  notify:
    component: ./components/notify.js
    inputs: { examples: numbers.examples }
`);
  try {
    writeFileSync(
      path.join(dir, 'components/notify.js'),
      `'use strict';
const fs = require('node:fs');
const path = require('node:path');
exports.declaration = { name: 'Notify', version: '1', inputs: { examples: { type: 'Examples' } }, outputs: {} };
exports.run = async (ctx) => {
  const n = JSON.parse(fs.readFileSync(path.join(ctx.inputs.examples.uri, 'numbers.json'), 'utf8')).length;
  fs.writeFileSync(path.join(ctx.pipelineDir, 'notified.txt'), String(n));
};
`,
    );
    const r = pipewise(['run', file, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(path.join(dir, 'notified.txt'), 'utf8'), '4');
    assert.equal(pipewise(['doctor', file]).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the store lock: a live process given the holder\'s pid later is not the holder; the holder\'s command is printed escaped', async () => {
  const { dir, file, store } = project();
  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    const pid = sleeper.pid as number;
    mkdirSync(store, { recursive: true });
    const command = 'pipewise run x\n\u001b[2J\u001b[31mfake prompt$ ';
    // A lock of the live pid but recorded with another start time: the pid was reused, the lock is stale.
    writeFileSync(path.join(store, 'lock'), JSON.stringify({ pid, since: '2020-01-01T00:00:00.000Z', command, token: 'stale', processStart: 1_000 }));
    const taken = pipewise(['run', file]);
    assert.equal(taken.code, 0, taken.stderr);

    // The same pid with its real start time: the holder is alive, and the refusal escapes its command.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    writeFileSync(path.join(store, 'lock'), JSON.stringify({ pid, since: '2020-01-01T00:00:00.000Z', command, token: 'live', processStart: btime * 1000 + ticks * 10 }));
    const refused = pipewise(['run', file]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.ok(refused.stderr.includes(JSON.stringify(command)), refused.stderr);
    assert.equal(refused.stderr.includes('\u001b'), false, 'no raw escape sequence reaches the terminal');
    const gc = pipewise(['gc', file]);
    assert.equal(gc.code, 1);
    assert.ok(gc.stderr.includes(JSON.stringify(command)), gc.stderr);
  } finally {
    sleeper.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('gc counts "the last N runs" per pipeline and collects only its own pipeline\'s artifacts when two pipelines share a store', () => {
  const { dir, file: a } = project();
  const b = path.join(dir, 'other.pipeline.yaml');
  writeFileSync(b, PIPELINE().replace('pipeline: tiny', 'pipeline: other').replace('count: 4', 'count: 7'));
  const artifacts = (r: { stdout: string }): string[] =>
    (JSON.parse(r.stdout) as { stages: { artifacts: Record<string, string> }[] }).stages.flatMap((s) => Object.values(s.artifacts));
  try {
    const a1 = pipewise(['run', a, '--json']);
    assert.equal(a1.code, 0, a1.stderr);
    writeFileSync(a, PIPELINE().replace('factor: 10', 'factor: 3'));
    const a2 = pipewise(['run', a, '--json']);
    assert.equal(a2.code, 0, a2.stderr);
    const b1 = pipewise(['run', b, '--json']);
    assert.equal(b1.code, 0, b1.stderr);
    const scaled1 = artifacts(a1).find((u) => u.includes(`${path.sep}scaled${path.sep}`)) as string;
    const gc = pipewise(['gc', a, '--keep', '1', '--json']);
    assert.equal(gc.code, 0, gc.stderr);
    const report = JSON.parse(gc.stdout) as { keptRuns: number; removed: { uri: string }[] };
    assert.equal(report.keptRuns, 1);
    // tiny's own last run stays although other's run is newer; other's artifacts are not tiny's to collect.
    assert.deepEqual(report.removed.map((r) => r.uri), [scaled1]);
    for (const u of [...artifacts(a2), ...artifacts(b1)]) assert.ok(existsSync(u), `${u} was collected`);
    assert.equal(existsSync(scaled1), false);
    const again = pipewise(['run', a, '--json']);
    assert.deepEqual((JSON.parse(again.stdout) as { stages: { status: string }[] }).stages.map((s) => s.status), ['cached', 'cached']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
