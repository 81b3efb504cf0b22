/**
 * `pipewise serve` against TensorFlow Serving's REST contract (tensorflow_serving/g3doc/api_rest.md)
 * with a model trained here on the penguins: every kind of bad request gets 400 and `{ "error" }`
 * naming what is wrong (and the server goes on serving), unknown models and versions 404, the row
 * and columnar formats agree, a version that fails to load shows its error while the previous one
 * keeps serving, and a server killed while logging leaves every earlier log file whole.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunResult } from '../../src/protocol/runEvents';
import { getJson, PENGUIN, penguinTrainPipeline, pipewise, postJson, root, startServe, versionsOf, waitFor, type Served } from './serve-helpers';

const PIPELINE = penguinTrainPipeline('penguins_api', 5);

const GOOD = PENGUIN;

let dir = '';
let modelDir = '';

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-serve-'));
  cpSync(path.join(root, 'test/fixtures/penguins.csv'), path.join(dir, 'data/penguins.csv'));
  writeFileSync(path.join(dir, 'p.pipeline.yaml'), PIPELINE);
  const r = await pipewise(['run', path.join(dir, 'p.pipeline.yaml'), '--json'], dir);
  assert.equal(r.code, 0, r.stderr);
  modelDir = (JSON.parse(r.stdout) as RunResult).stages.find((s) => s.name === 'train')?.artifacts.model as string;
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** A Pusher-style base path holding the trained model as `version`. */
function base(name: string, version = 1): string {
  const b = path.join(dir, name, 'penguins');
  cpSync(modelDir, path.join(b, String(version)), { recursive: true });
  return b;
}

async function available(s: Served, version: number): Promise<void> {
  await waitFor(`version ${version} AVAILABLE`, async () => ((await versionsOf(s.url, 'penguins')).some((v) => v.version === String(version) && v.state === 'AVAILABLE') ? true : undefined));
}

test('bad requests get 400 with TF Serving\'s error shape; unknown model or version 404; the server keeps serving', { timeout: 300_000 }, async () => {
  const s = await startServe(base('bad'), ['--max-instances', '5', '--max-body-bytes', '2048']);
  try {
    await available(s, 1);
    const m = `${s.url}/v1/models/penguins`;
    const cases: [string, string, unknown, number, RegExp][] = [
      ['malformed JSON', ':predict', '{"instances": [', 400, /JSON Parse error/],
      ['empty body', ':predict', '', 400, /document is empty/],
      ['not an object', ':predict', '[1, 2]', 400, /must be a JSON object/],
      ['neither instances nor inputs', ':predict', { rows: [GOOD] }, 400, /Missing "instances" or "inputs"/],
      ['both formats', ':predict', { instances: [GOOD], inputs: { island: ['Biscoe'] } }, 400, /not both/],
      ['missing feature', ':predict', { instances: [{ ...GOOD, sex: undefined }] }, 400, /instances\[0\]: missing feature 'sex'/],
      ['unknown feature', ':predict', { instances: [{ ...GOOD, wingspan: 3 }] }, 400, /instances\[0\]: unknown feature 'wingspan'/],
      ['string for a number', ':predict', { instances: [GOOD, { ...GOOD, body_mass_g: 'heavy' }] }, 400, /instances\[1\]: feature 'body_mass_g' must be a number, got "heavy"/],
      ['number for a string', ':predict', { instances: [{ ...GOOD, island: 3 }] }, 400, /feature 'island' must be a string, got 3/],
      ['a list of two values', ':predict', { instances: [{ ...GOOD, year: [2007, 2008] }] }, 400, /takes one value, got a list of 2/],
      ['too many instances', ':predict', { instances: Array(6).fill(GOOD) }, 400, /too many instances: 6 \(at most 5/],
      ['columnar lengths differ', ':predict', { inputs: { ...Object.fromEntries(Object.entries(GOOD).map(([k, v]) => [k, [v, v]])), year: [2007] } }, 400, /every input needs the same 0-th dimension/],
      ['classify without examples', ':classify', { instances: [GOOD] }, 400, /"examples" must be a list/],
      ['regress on a classifier', ':regress', { examples: [GOOD] }, 400, /regress needs a regression model/],
      ['body over the limit', ':predict', JSON.stringify({ instances: [{ ...GOOD, island: 'x'.repeat(4096) }] }), 400, /over the limit of 2048 bytes/],
    ];
    for (const [what, verb, body, status, message] of cases) {
      const r = await postJson(`${m}${verb}`, body);
      assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(Object.keys(r.body), ['error'], what);
      assert.match(String(r.body.error), message, what);
    }
    const notFound: [string, string | undefined][] = [
      [`${s.url}/v1/models/nope`, undefined],
      [`${s.url}/v1/models/nope:predict`, JSON.stringify({ instances: [GOOD] })],
      [`${m}/versions/7:predict`, JSON.stringify({ instances: [GOOD] })],
      [`${m}/versions/7`, undefined],
      [`${m}/labels/stable:predict`, JSON.stringify({ instances: [GOOD] })],
    ];
    for (const [url, body] of notFound) {
      const res = await fetch(url, body ? { method: 'POST', body } : {});
      assert.equal(res.status, 404, url);
      assert.ok(typeof ((await res.json()) as { error?: string }).error === 'string', url);
    }

    // Still serving; the row, columnar and classify formats give the same answer, classes named.
    const row = await postJson(`${m}:predict`, { instances: [GOOD, { ...GOOD, island: 'Torgersen', sex: null }] });
    assert.equal(row.status, 200);
    const preds = row.body.predictions as { scores: number[]; classes: string[]; prediction: string }[];
    assert.deepEqual(preds[0]?.classes, ['Adelie', 'Chinstrap', 'Gentoo']);
    const col = await postJson(`${m}/versions/1:predict`, { inputs: Object.fromEntries(Object.keys(GOOD).map((k) => [k, [GOOD[k as keyof typeof GOOD], k === 'island' ? 'Torgersen' : k === 'sex' ? null : GOOD[k as keyof typeof GOOD]]])) });
    assert.equal(col.status, 200);
    const outputs = col.body.outputs as { scores: number[][]; prediction: string[] };
    assert.deepEqual(outputs.scores, preds.map((p) => p.scores));
    assert.deepEqual(outputs.prediction, preds.map((p) => p.prediction));
    const cls = await postJson(`${m}:classify`, { context: { year: 2007 }, examples: [{ ...GOOD, year: undefined }] });
    assert.equal(cls.status, 200, JSON.stringify(cls.body));
    const pairs = (cls.body.results as [string, number][][])[0] as [string, number][];
    assert.deepEqual(pairs.map((p) => p[0]), ['Adelie', 'Chinstrap', 'Gentoo']);
    assert.deepEqual(pairs.map((p) => p[1]), preds[0]?.scores);
    const meta = await getJson(`${m}/metadata`);
    const sig = (meta.body.metadata as { signature_def: { signature_def: Record<string, { inputs: Record<string, { dtype: string }>; method_name: string }> } }).signature_def.signature_def;
    assert.deepEqual(Object.keys(sig.serving_default?.inputs ?? {}).sort(), Object.keys(GOOD).sort());
    assert.equal(sig.serving_default?.inputs.island?.dtype, 'DT_STRING');
    assert.equal(sig.classification?.method_name, 'tensorflow/serving/classify');
    assert.equal(await s.stop('SIGINT'), 0);
  } finally {
    await s.stop('SIGKILL');
  }
});

test('a version that fails to load shows its error in the status; the previous version keeps serving', { timeout: 300_000 }, async () => {
  const b = base('broken', 1);
  const s = await startServe(b, ['--poll-ms', '200']);
  try {
    await available(s, 1);
    // Version 2 arrives broken: its weights manifest names a file that is not there.
    const staging = path.join(b, '.staging');
    cpSync(modelDir, staging, { recursive: true });
    const manifest = path.join(staging, 'model/model.json');
    const json = JSON.parse(readFileSync(manifest, 'utf8')) as { weightsManifest: { paths: string[] }[] };
    (json.weightsManifest[0] as { paths: string[] }).paths = ['missing.bin'];
    writeFileSync(manifest, JSON.stringify(json));
    const { renameSync } = await import('node:fs');
    renameSync(staging, path.join(b, '2'));
    const status = await waitFor('version 2 to end with an error', async () => {
      const vs = await versionsOf(s.url, 'penguins');
      return vs.find((v) => v.version === '2' && v.state === 'END') ? vs : undefined;
    });
    const v2 = status.find((v) => v.version === '2');
    assert.equal(v2?.status.error_code, 'UNKNOWN');
    assert.match(v2?.status.error_message ?? '', /cannot load the model/);
    assert.equal(status.find((v) => v.version === '1')?.state, 'AVAILABLE');
    const one = await getJson(`${s.url}/v1/models/penguins/versions/2`);
    assert.equal((one.body.model_version_status as { state: string }[])[0]?.state, 'END');
    const r = await postJson(`${s.url}/v1/models/penguins:predict`, { instances: [GOOD] });
    assert.equal(r.status, 200);
    assert.equal((await getJson(`${s.url}/v1/models/penguins/metadata`)).body.model_spec && ((await getJson(`${s.url}/v1/models/penguins/metadata`)).body.model_spec as { version: string }).version, '1');
    assert.equal((await postJson(`${s.url}/v1/models/penguins/versions/2:predict`, { instances: [GOOD] })).status, 404);
  } finally {
    await s.stop('SIGKILL');
  }
});

test('a server killed while logging leaves every earlier log file whole and readable', { timeout: 300_000 }, async () => {
  const logDir = path.join(dir, 'killed-log');
  const s = await startServe(base('killed'), ['--log-dir', logDir, '--log-rotate-rows', '40']);
  let sent = 0;
  try {
    await available(s, 1);
    const predict = `${s.url}/v1/models/penguins:predict`;
    // Each request carries its number in body_mass_g, so every logged row can be traced to one.
    const send = async (): Promise<void> => {
      sent++;
      const r = await postJson(predict, { instances: [{ ...GOOD, body_mass_g: sent }] });
      assert.equal(r.status, 200);
    };
    const finished = (): string[] => readdirSync(logDir).filter((f) => /^requests-.*\.parquet$/.test(f));
    await waitFor('three log files (two rotated)', async () => {
      await send();
      return finished().length >= 3 ? true : undefined;
    }, 180_000, 0);
    // Traffic goes on while the server is killed.
    const killed = (async () => {
      for (let i = 0; i < 30; i++) await send().catch(() => undefined);
    })();
    await new Promise((r) => setTimeout(r, 150));
    s.proc.kill('SIGKILL');
    await killed;
    await s.exited;
  } finally {
    await s.stop('SIGKILL');
  }
  const files = readdirSync(logDir).filter((f) => /^requests-.*\.parquet$/.test(f)).sort();
  assert.ok(files.length >= 3);
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const seen: number[] = [];
    for (const [i, f] of files.entries()) {
      const rows = (await conn.runAndReadAll(`SELECT body_mass_g AS n, island, __model_version AS v FROM read_parquet('${path.join(logDir, f)}')`)).getRowObjectsJS();
      if (i < files.length - 1) assert.ok(rows.length >= 40, `rotated file ${f} has its ${rows.length} rows`);
      for (const r of rows) {
        assert.equal(r.island, 'Biscoe');
        assert.equal(Number(r.v), 1);
        seen.push(Number(r.n));
      }
    }
    assert.equal(new Set(seen).size, seen.length, 'no row logged twice');
    assert.ok(seen.every((n) => Number.isInteger(n) && n >= 1 && n <= sent), 'every logged row is a request that was sent');
    assert.ok(seen.length >= 80, `rows of the rotated files are all there (${seen.length} of ${sent})`);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
  assert.ok(existsSync(path.join(logDir, 'log.json')));
});

test('the Monitor component checks a request log inside a pipeline, as `pipewise monitor` does, with lineage', { timeout: 300_000 }, async () => {
  const logDir = path.join(dir, 'killed-log');
  assert.ok(existsSync(path.join(logDir, 'log.json')), 'runs after the logging test');
  const file = path.join(dir, 'p.pipeline.yaml');
  writeFileSync(file, `${PIPELINE}  monitor:
    component: Monitor
    inputs: { schema: schema.schema, statistics: statistics.statistics }
    params: { log_dir: killed-log }
  monitor_nothing:
    component: Monitor
    inputs: { schema: schema.schema, statistics: statistics.statistics }
    params: { log_dir: no-such-log }
`);
  const r = await pipewise(['run', file, '--json'], dir);
  assert.equal(r.code, 0, r.stderr);
  const run = JSON.parse(r.stdout) as RunResult;
  const stage = run.stages.find((s) => s.name === 'monitor');
  assert.equal(stage?.status, 'succeeded');
  assert.equal(run.stages.find((s) => s.name === 'train')?.status, 'cached');
  const anomalies = JSON.parse(readFileSync(path.join(stage?.artifacts.anomalies as string, 'anomalies.json'), 'utf8')) as { anomalyInfo: Record<string, { reason: { type: string }[] }> };
  const stats = JSON.parse(readFileSync(path.join(stage?.artifacts.statistics as string, 'statistics.json'), 'utf8')) as { datasets: { name: string; numExamples: number }[] };
  // Every logged request had island Biscoe and body_mass_g = its sequence number.
  const cli = await pipewise(['monitor', file, '--log', logDir, '--json'], dir);
  assert.equal(cli.code, 1, cli.stderr);
  const json = JSON.parse(cli.stdout) as { requests: number; features: { name: string; anomalous: boolean }[] };
  assert.equal(stats.datasets[0]?.numExamples, json.requests);
  assert.deepEqual(Object.keys(anomalies.anomalyInfo).sort(), json.features.filter((f) => f.anomalous).map((f) => f.name).sort());
  assert.ok(anomalies.anomalyInfo.island?.reason.some((x) => x.type === 'COMPARATOR_L_INFTY_HIGH'));
  assert.ok(anomalies.anomalyInfo.body_mass_g?.reason.some((x) => x.type === 'COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH'));
  const execs = readdirSync(path.join(dir, '.pipewise/metadata/executions')).map((f) => JSON.parse(readFileSync(path.join(dir, '.pipewise/metadata/executions', f), 'utf8')) as { stage: string; runId: string; inputs: { input: string }[] });
  const e = execs.find((x) => x.stage === 'monitor' && x.runId === run.runId);
  assert.deepEqual(e?.inputs.map((i) => i.input).sort(), ['schema', 'statistics']);
  const nothing = run.stages.find((s) => s.name === 'monitor_nothing');
  assert.equal(nothing?.status, 'succeeded', 'no log yet: nothing to monitor, not a failure');
});
