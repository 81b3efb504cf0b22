/**
 * The model registry and canary traffic on a real server on 127.0.0.1, with two versions trained
 * here that answer differently (2 and 40 epochs): the split shares requests 70/30 by request id and
 * `X-Model-Version` names the version whose answer came back (checked against each version asked
 * by number); an alias moved with `pipewise model alias` while a load generator runs fails no
 * request and switches the answers within a second; a damaged alias file is an error naming it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunResult } from '../../src/protocol/runEvents';
import { PENGUIN, penguinTrainPipeline, pipewise, root, startServe, versionsOf, waitFor } from './serve-helpers';

let dir = '';
/** The two trained models: version 1 and version 2 of every base path here. */
const models: string[] = [];

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-registry-'));
  cpSync(path.join(root, 'test/fixtures/penguins.csv'), path.join(dir, 'data/penguins.csv'));
  for (const epochs of [2, 40]) {
    writeFileSync(path.join(dir, 'p.pipeline.yaml'), penguinTrainPipeline('penguins_registry', epochs));
    const r = await pipewise(['run', path.join(dir, 'p.pipeline.yaml'), '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    models.push((JSON.parse(r.stdout) as RunResult).stages.find((s) => s.name === 'train')?.artifacts.model as string);
  }
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** A Pusher-style base path with the first model as version 1 and the second as version 2. */
function twoVersions(name: string): string {
  const b = path.join(dir, name, 'penguins');
  models.forEach((m, i) => cpSync(m, path.join(b, String(i + 1)), { recursive: true }));
  return b;
}

/** Twenty penguins that differ (the answers of the two versions differ on each). */
const INSTANCES = Array.from({ length: 20 }, (_, i) => ({ ...PENGUIN, body_mass_g: 3000 + i * 150, bill_length_mm: 35 + i * 0.8, island: ['Biscoe', 'Dream', 'Torgersen'][i % 3] }));

interface Answer {
  readonly status: number;
  readonly version: string | null;
  readonly requestId: string | null;
  readonly scores: number[] | undefined;
}

async function predict(url: string, instance: unknown, requestId?: string): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(requestId ? { 'x-request-id': requestId } : {}) }, body: JSON.stringify({ instances: [instance] }) });
  const body = (await res.json()) as { predictions?: { scores: number[] }[] };
  return { status: res.status, version: res.headers.get('x-model-version'), requestId: res.headers.get('x-request-id'), scores: body.predictions?.[0]?.scores };
}

test('a 70/30 split of 1,000 requests: 700 ± 50 and 300 ± 50, the version header names the answer, onServed records version and request id', { timeout: 600_000 }, async () => {
  const { startModelServer } = await import('../../src/engine/serving/server');
  const { ModelVersions } = await import('../../src/engine/serving/versions');
  const { LiveAliases, changeAlias } = await import('../../src/engine/serving/aliases');
  const { parseSplit } = await import('../../src/engine/serving/canary');
  const { loadServingModel } = await import('../../src/engine/model/servingModel');
  const { warmUp } = await import('../../src/cli/serve');
  type Served = import('../../src/engine/serving/server').ServedRequest;

  const base = twoVersions('split');
  await changeAlias(base, 'champion', 1, 'tester');
  await changeAlias(base, 'challenger', 2, 'tester');
  const aliases = new LiveAliases(base);
  await aliases.start();
  const versions = new ModelVersions({ name: 'penguins', base, load: loadServingModel, warmUp, aliases: () => aliases.aliases, split: parseSplit('champion=70,challenger=30') });
  const served: Served[] = [];
  const server = await startModelServer({ name: 'penguins', source: versions, onServed: (r) => served.push(r) });
  try {
    await versions.start();
    const m = `${server.url}/v1/models/penguins`;
    // Each version's own answer to each instance, asked by number: the oracle for the header.
    const own = new Map<string, number[]>();
    for (const [i, inst] of INSTANCES.entries()) {
      for (const v of ['1', '2']) {
        const a = await predict(`${m}/versions/${v}:predict`, inst);
        assert.equal(a.status, 200);
        assert.equal(a.version, v, 'a request by number is answered by that number');
        own.set(`${v}:${i}`, a.scores as number[]);
      }
      assert.notDeepEqual(own.get(`1:${i}`), own.get(`2:${i}`), `the two versions must answer instance ${i} differently for the header to be checked`);
    }
    served.length = 0;

    const counts = new Map<string, number>();
    const answers: { id: string; answer: Answer; instance: number }[] = [];
    let next = 0;
    // Eight clients at once, 1,000 requests in all.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 1000) {
          const n = next++;
          const id = `canary-${n}`;
          const answer = await predict(`${m}:predict`, INSTANCES[n % INSTANCES.length], id);
          answers.push({ id, answer, instance: n % INSTANCES.length });
        }
      }),
    );
    for (const { id, answer, instance } of answers) {
      assert.equal(answer.status, 200, id);
      assert.equal(answer.requestId, id, 'the request id is echoed');
      assert.ok(answer.version === '1' || answer.version === '2', `${id}: X-Model-Version ${answer.version}`);
      assert.deepEqual(answer.scores, own.get(`${answer.version}:${instance}`), `${id}: the answer is version ${answer.version}'s, as its header says`);
      counts.set(answer.version, (counts.get(answer.version) ?? 0) + 1);
    }
    const champion = counts.get('1') ?? 0;
    const challenger = counts.get('2') ?? 0;
    assert.ok(Math.abs(champion - 700) <= 50 && Math.abs(challenger - 300) <= 50, `champion ${champion}, challenger ${challenger}`);

    // What the server hands the request log: one record per request, with its id and the version that answered.
    assert.equal(served.length, 1000);
    const byId = new Map(served.map((r) => [r.requestId, r]));
    for (const { id, answer } of answers) assert.equal(String(byId.get(id)?.version), answer.version, `onServed's version of ${id}`);

    // The same request id meets the same version again (a stable hash, not a coin).
    for (const { id, answer, instance } of answers.slice(0, 30)) assert.equal((await predict(`${m}:predict`, INSTANCES[instance], id)).version, answer.version, id);

    // No X-Request-Id: one is generated, echoed, and recorded.
    served.length = 0;
    const anon = await predict(`${m}:predict`, PENGUIN);
    assert.equal(anon.status, 200);
    assert.match(anon.requestId ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(served[0]?.requestId, anon.requestId);
    // A request id that cannot be a header value or a log key is the client's error.
    const bad = await predict(`${m}:predict`, PENGUIN, 'two words');
    assert.equal(bad.status, 400);

    // The labels answer as TF Serving's /labels/ paths; the status of a label is its version's.
    assert.equal((await predict(`${m}/labels/challenger:predict`, PENGUIN)).version, '2');
    const st = (await (await fetch(`${m}/labels/champion`)).json()) as { model_version_status: { version: string }[] };
    assert.deepEqual(st.model_version_status.map((s) => s.version), ['1']);
    assert.equal((await predict(`${m}/labels/nope:predict`, PENGUIN)).status, 404);
  } finally {
    aliases.close();
    await server.close();
  }
});

test('moving champion under load fails no request and switches the answers within a second; rolling back too', { timeout: 600_000 }, async (t) => {
  const base = twoVersions('move');
  const set = await pipewise(['model', 'alias', base, '1', 'champion']);
  assert.equal(set.code, 0, set.stderr);
  const s = await startServe(base, ['--poll-ms', '200']);
  try {
    await waitFor('both versions AVAILABLE', async () => ((await versionsOf(s.url, 'penguins')).filter((v) => v.state === 'AVAILABLE').length === 2 ? true : undefined));
    const url = `${s.url}/v1/models/penguins:predict`;
    const log: { sent: number; answered: number; status: number; version: string | null }[] = [];
    let running = true;
    const clients = Array.from({ length: 4 }, async () => {
      while (running) {
        const sent = Date.now();
        const a = await predict(url, PENGUIN).catch(() => ({ status: 0, version: null }));
        log.push({ sent, answered: Date.now(), status: a.status, version: a.version });
      }
    });
    const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    /** Moves champion with the CLI and returns when it began and when it was done. */
    const move = async (version: string): Promise<{ begun: number; done: number }> => {
      const begun = Date.now();
      const r = await pipewise(['model', 'alias', base, version, 'champion']);
      assert.equal(r.code, 0, r.stderr);
      return { begun, done: Date.now() };
    };
    await wait(1500);
    const promoted = await move('2');
    await wait(2500);
    // Version 1 is unloaded once no alias names it; the roll back loads it again, version 2 answering meanwhile.
    const rolledBack = await move('1');
    await waitFor('answers from version 1 again', () => (log.some((l) => l.sent > rolledBack.done && l.version === '1') ? true : undefined), 60_000);
    await wait(1000);
    running = false;
    await Promise.all(clients);

    assert.ok(log.length > 100, `only ${log.length} requests were sent`);
    assert.deepEqual(log.filter((l) => l.status !== 200), [], 'every request answered 200');
    assert.deepEqual([...new Set(log.filter((l) => l.answered < promoted.begun).map((l) => l.version))], ['1'], 'before the move: version 1');
    const late = log.filter((l) => l.sent > promoted.done + 1000 && l.answered < rolledBack.begun);
    assert.ok(late.length > 20, `${late.length} requests a second after the move`);
    assert.deepEqual([...new Set(late.map((l) => l.version))], ['2'], 'a second after the move every answer is version 2');
    const first2 = log.filter((l) => l.version === '2').sort((a, b) => a.answered - b.answered)[0];
    assert.ok(first2 && first2.answered - promoted.done < 1000, `the first answer from version 2 came ${first2 ? first2.answered - promoted.done : '∞'} ms after the move`);
    const lastOld = log.filter((l) => l.version === '1' && l.answered < rolledBack.begun).sort((a, b) => b.sent - a.sent)[0];
    t.diagnostic(`${log.length} requests; the first answer from version 2 came ${first2.answered - promoted.done} ms after \`model alias\` exited (${first2.answered - promoted.begun} ms after it started); the last request answered by version 1 was sent ${lastOld ? lastOld.sent - promoted.done : '-'} ms after it exited`);
    assert.match(s.stderr(), /aliases now: champion → version 2/);

    // The alias file damaged while serving: the last good aliases go on answering, and the server says which file.
    writeFileSync(path.join(base, 'aliases.json'), '{ "format": "pipewise-aliases/1", "aliases": ');
    await waitFor('the server to report the damaged file', () => (s.stderr().includes(`${path.join(base, 'aliases.json')}: the model's alias file is damaged: not valid JSON`) ? true : undefined), 10_000);
    const still = await predict(url, PENGUIN);
    assert.equal(still.status, 200);
    assert.equal(still.version, '1');
    assert.equal(await s.stop('SIGTERM'), 0);
  } finally {
    await s.stop('SIGKILL');
  }
});

test('alias history records who, when and from which version; a damaged file is an error naming it; usage errors exit 2', { timeout: 300_000 }, async () => {
  const base = twoVersions('cli');
  const ok = async (...args: string[]): Promise<string> => {
    const r = await pipewise(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  assert.match(await ok('model', 'alias', base, '1', 'champion'), /champion → version 1\n/);
  assert.match(await ok('model', 'alias', base, '2', 'champion'), /champion → version 2 \(was 1\)/);
  await ok('model', 'alias', base, '1', 'challenger');
  assert.match(await ok('model', 'alias', base, 'challenger', '--remove'), /challenger removed \(it named version 1\)/);
  const listed = JSON.parse(await ok('model', 'aliases', base, '--json')) as { aliases: Record<string, number>; history: { alias: string; version: number | null; previous: number | null; user: string; at: string }[] };
  assert.deepEqual(listed.aliases, { champion: 2 });
  assert.deepEqual(
    listed.history.map((h) => [h.alias, h.version, h.previous, h.user]),
    [
      ['champion', 1, null, os.userInfo().username],
      ['champion', 2, 1, os.userInfo().username],
      ['challenger', 1, null, os.userInfo().username],
      ['challenger', null, 1, os.userInfo().username],
    ],
  );
  assert.ok(listed.history.every((h) => Math.abs(Date.parse(h.at) - Date.now()) < 120_000), 'each change is dated now');
  assert.match(await ok('model', 'aliases', base), /champion\s+version 2\n[\s\S]*moved 1 → 2/);

  const usage: string[][] = [
    ['model'],
    ['model', 'rename', base],
    ['model', 'alias', base, '1'],
    ['model', 'alias', base, 'one', 'champion'],
    ['model', 'alias', base, '1', '9lives'],
    ['model', 'alias', base, '1', 'champ-ion'],
    ['model', 'alias', base, '7', 'champion'],
    ['model', 'alias', base, 'nobody', '--remove'],
    ['model', 'alias', base, '1', 'champion', '--remove'],
    ['model', 'alias', path.join(dir, 'nowhere'), '1', 'champion'],
    ['model', 'aliases', base, '--verbose'],
    ['serve', base, '--split', 'champion=90'],
    ['serve', base, '--split', 'champion=50,2=60'],
    ['serve', base, '--split', 'champion=90,challenger=10'],
    ['serve', base, '--split', 'champion=90,9=10'],
  ];
  for (const args of usage) {
    const r = await pipewise(args);
    assert.equal(r.code, 2, `${args.join(' ')} → ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, /^pipewise: error: /, args.join(' '));
  }
  // The ones whose fault is a value say which.
  assert.match((await pipewise(['model', 'alias', base, '1', '9lives'])).stderr, /alias "9lives" is not a valid name/);
  assert.match((await pipewise(['serve', base, '--split', 'champion=90,challenger=10'])).stderr, /--split names alias 'challenger', which .*aliases\.json does not define/);
  assert.match((await pipewise(['serve', base, '--split', 'champion=50,2=60'])).stderr, /must add up to 100, got 110/);

  // A damaged file: every reader stops with an error that names it.
  const file = path.join(base, 'aliases.json');
  const damaged: [string, RegExp][] = [
    ['{"format": "pipewise-aliases/1", "aliases": {', /not valid JSON/],
    ['{"format": "pipewise-aliases/1", "aliases": {"champion": "two"}, "history": []}', /"aliases"."champion" must be a version number, got "two"/],
    ['{"format": "pipewise-aliases/1", "aliases": {"champion": 2}, "history": [{"alias": "champion"}]}', /"history"\[0\].version must be a version number or null/],
    ['[]', /the top level must be an object/],
  ];
  for (const [text, why] of damaged) {
    writeFileSync(file, text);
    for (const args of [['model', 'aliases', base], ['model', 'alias', base, '1', 'champion'], ['serve', base, '--port', '0']]) {
      const r = await pipewise(args, undefined, 60_000);
      assert.equal(r.code, 1, `${args.join(' ')} on ${text}: ${r.stderr}`);
      assert.ok(r.stderr.includes(`${file}: the model's alias file is damaged`), r.stderr);
      assert.match(r.stderr, why);
    }
    assert.equal(readFileSync(file, 'utf8'), text, 'a damaged file is left as it was');
  }
});
