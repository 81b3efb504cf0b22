/**
 * The store checks and heals itself, on a copy of the penguin pipeline through the real CLI:
 * damaged cached artifacts (a truncated statistics.json, a deleted model file, a changed byte) are
 * caught when the cache would reuse them and the stage re-runs saying why; `pipewise doctor`
 * finds orphans, unreadable records and damaged artifacts (exit 1) and `--fix` heals them (exit 0
 * after); `pipewise gc` keeps what the last N runs, blessed and pushed models need.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunResult } from '../../src/protocol/runEvents';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'bin/pipewise.js');

function pipewise(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function run(file: string, extra: string[] = []): { result: RunResult; stderr: string; status: Record<string, string> } {
  const r = pipewise(['run', file, '--json', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout) as RunResult;
  return { result, stderr: r.stderr, status: Object.fromEntries(result.stages.map((s) => [s.name, s.status])) };
}

function penguins(epochs = 1): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-doctor-'));
  cpSync(path.join(root, 'examples/penguins'), dir, { recursive: true, filter: (src) => !/[\\/](\.pipewise|serving)([\\/]|$)/.test(src) });
  const file = path.join(dir, 'penguins.pipeline.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/epochs: \d+/, `epochs: ${epochs}`));
  return { dir, file };
}

/** Every artifact folder under the store: `stage/execution/output`. */
function artifactFolders(dir: string): string[] {
  const base = path.join(dir, '.pipewise/artifacts');
  const out: string[] = [];
  for (const s of existsSync(base) ? readdirSync(base) : []) for (const e of readdirSync(path.join(base, s))) for (const o of readdirSync(path.join(base, s, e))) out.push(`${s}/${e}/${o}`);
  return out.sort();
}

test('damaged cached artifacts are caught when reused and their stage re-runs saying why; doctor finds and fixes the rest', async () => {
  const { dir, file } = penguins();
  try {
    const first = run(file);
    const stats = path.join(first.result.stages.find((s) => s.name === 'statistics')?.artifacts.statistics ?? '', 'statistics.json');
    const modelDir = first.result.stages.find((s) => s.name === 'train')?.artifacts.model ?? '';
    const modelJson = path.join(modelDir, 'model', 'model.json');
    assert.ok(existsSync(stats) && existsSync(modelJson));
    assert.equal(pipewise(['doctor', file]).code, 0);

    // A truncated statistics.json: statistics re-runs (same content again, so schema stays cached).
    const size = statSync(stats).size;
    truncateSync(stats, Math.floor(size / 2));
    const second = run(file);
    assert.equal(second.status.statistics, 'succeeded');
    assert.equal(second.status.schema, 'cached');
    assert.ok(second.stderr.includes(`statistics.json is ${Math.floor(size / 2)} bytes, ${size} when it was made; running the stage again`), second.stderr);

    // A deleted model file: train re-runs, saying which file is missing.
    unlinkSync(modelJson);
    const third = run(file);
    assert.equal(third.status.train, 'succeeded');
    assert.ok(third.stderr.includes("the cached output 'model'"), third.stderr);
    assert.ok(third.stderr.includes('model/model.json is missing; running the stage again'), third.stderr);
    // Marked broken, which doctor accepts as known (files kept for inspection).
    const clean = pipewise(['doctor', file]);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);

    // A byte changed in place (same size): the cache's content check catches it too.
    const schemaFile = path.join(third.result.stages.find((s) => s.name === 'schema')?.artifacts.schema ?? '', 'schema.json');
    const text = readFileSync(schemaFile, 'utf8');
    writeFileSync(schemaFile, text.replace('"feature"', '"featurX"'));
    const doctor = pipewise(['doctor', file]);
    assert.equal(doctor.code, 1);
    assert.match(doctor.stdout, /broken-artifact: artifact schema\/.*\/schema: its content changed since it was made/);

    // Orphans and an unreadable record.
    const store = path.join(dir, '.pipewise');
    mkdirSync(path.join(store, 'artifacts/statistics/20200101-000000-000-abcdef/statistics'), { recursive: true });
    writeFileSync(path.join(store, 'artifacts/statistics/20200101-000000-000-abcdef/statistics/statistics.json'), '{}');
    mkdirSync(path.join(store, 'tmp/20200101-000000-000-123456/examples'), { recursive: true });
    writeFileSync(path.join(store, 'metadata/executions/20200101-000000-000-777777.json.4242.abcd.tmp'), '{"half');
    writeFileSync(path.join(store, 'metadata/runs/20200101-000000-000-888888.json'), '{ not json');
    const found = pipewise(['doctor', file, '--json']);
    assert.equal(found.code, 1);
    const kinds = (JSON.parse(found.stdout) as { problems: { kind: string }[] }).problems.map((p) => p.kind).sort();
    assert.deepEqual(kinds, ['broken-artifact', 'orphan-folder', 'orphan-folder', 'stray-temp-file', 'unreadable-record']);

    const fixed = pipewise(['doctor', file, '--fix']);
    assert.equal(fixed.code, 1, 'it reports what it found');
    assert.match(fixed.stdout, /marked broken/);
    assert.equal(existsSync(path.join(store, 'artifacts/statistics/20200101-000000-000-abcdef')), false);
    assert.equal(existsSync(path.join(store, 'tmp/20200101-000000-000-123456')), false);
    assert.ok(existsSync(path.join(store, 'metadata/unreadable/runs-20200101-000000-000-888888.json')));
    const after = pipewise(['doctor', file]);
    assert.equal(after.code, 0, after.stdout + after.stderr);

    // The next run re-makes the schema marked broken, saying so.
    const fourth = run(file);
    assert.equal(fourth.status.schema, 'succeeded');
    assert.match(fourth.stderr, /schema: warn: the cached output 'schema' of execution .* is damaged: it was marked broken: its content changed/);
    assert.equal(pipewise(['doctor', file]).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('gc keeps the last N runs and every blessed and pushed model with its lineage (its evaluation, what it was made from), reports the space freed and why it keeps, and --dry-run removes nothing', async () => {
  const { dir, file } = penguins(10);
  try {
    const one = run(file);
    assert.equal(one.status.push, 'succeeded');
    const pushed1 = JSON.parse(readFileSync(path.join(one.result.stages.find((s) => s.name === 'push')?.artifacts.pushed_model ?? '', 'pushed.json'), 'utf8')) as { pushed: boolean };
    assert.equal(pushed1.pushed, true, 'the first model was blessed and pushed');
    // A second run with other training parameters (new artifacts downstream of train) and another
    // validation (the first run's anomalies are no model's lineage: collectable).
    writeFileSync(
      file,
      readFileSync(file, 'utf8')
        .replace('hidden_units: [32, 16]', 'hidden_units: [8]')
        .replace('inputs: { statistics: statistics.statistics, schema: schema.schema }', 'inputs: { statistics: statistics.statistics, schema: schema.schema }\n    params: { splits: [train] }'),
    );
    const two = run(file);
    assert.equal(two.status.train, 'succeeded');
    const before = artifactFolders(dir);
    const rel = (uri: string): string => path.relative(path.join(dir, '.pipewise/artifacts'), uri).split(path.sep).join('/');
    const inRun = (r: RunResult): string[] => r.stages.flatMap((s) => Object.values(s.artifacts)).map(rel);
    const model1 = rel(one.result.stages.find((s) => s.name === 'train')?.artifacts.model ?? '');
    const blessing1 = rel(one.result.stages.find((s) => s.name === 'evaluate')?.artifacts.blessing ?? '');
    const push1 = rel(one.result.stages.find((s) => s.name === 'push')?.artifacts.pushed_model ?? '');
    // The pushed model's evaluation stays with it (the Models view and the report read it).
    const evaluation1 = rel(one.result.stages.find((s) => s.name === 'evaluate')?.artifacts.evaluation ?? '');
    const anomalies1 = rel(one.result.stages.find((s) => s.name === 'validate')?.artifacts.anomalies ?? '');
    const expected = [...new Set([...inRun(two.result), model1, blessing1, push1, evaluation1])].sort();
    const gone = before.filter((a) => !expected.includes(a));
    assert.deepEqual(gone, [anomalies1], 'only the first run\'s anomalies are no kept run\'s or model\'s');

    const dry = pipewise(['gc', file, '--keep', '1', '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    const dryReport = JSON.parse(dry.stdout) as { removed: { id: string; bytes: number }[]; bytesFreed: number; kept: { id: string; why: string }[] };
    assert.deepEqual(dryReport.removed.map((r) => r.id).sort(), gone);
    assert.match(dryReport.kept.find((k) => k.id === evaluation1)?.why ?? '', /^judges model .* \((blessed|pushed) by execution/);
    const preview = pipewise(['gc', file, '--keep', '1', '--dry-run']);
    assert.ok(preview.stdout.includes(`would keep ${evaluation1}: judges model ${model1}`), preview.stdout);
    assert.deepEqual(artifactFolders(dir), before, '--dry-run removed nothing');
    const bytes = gone.reduce((n, a) => n + du(path.join(dir, '.pipewise/artifacts', a)), 0);
    assert.equal(dryReport.bytesFreed, bytes);

    const real = pipewise(['gc', file, '--keep', '1']);
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stdout, /^freed \d+(\.\d)? (B|KiB|MiB) of /m);
    assert.deepEqual(artifactFolders(dir), expected);
    assert.equal(pipewise(['doctor', file]).code, 0);
    assert.deepEqual(run(file).result.stages.map((s) => s.status), two.result.stages.map(() => 'cached'));
    // Going back to the first parameters: its model and its evaluation were kept (pushed), so
    // train and evaluate are cached; its anomalies were collected, so validate runs again, quietly
    // (collected is not damage).
    writeFileSync(
      file,
      readFileSync(file, 'utf8')
        .replace('hidden_units: [8]', 'hidden_units: [32, 16]')
        .replace('\n    params: { splits: [train] }', ''),
    );
    const back = run(file);
    assert.equal(back.status.train, 'cached');
    assert.equal(back.status.evaluate, 'cached');
    assert.equal(back.status.validate, 'succeeded');
    assert.doesNotMatch(back.stderr, /damaged/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function du(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((n, f) => n + du(path.join(p, f)), 0);
}
