/**
 * Property-based tests (fast-check) on the model server's request parsing, against a real
 * `pipewise serve` process holding a penguin model trained here: arbitrary text, arbitrary JSON
 * and mutated valid bodies in the row, columnar and examples formats. Every answer is 200 with
 * predictions or 400 with exactly `{ "error": "…" }` — never another status, never a dropped
 * connection — and for row-format bodies an independent judge (written from TF Serving's REST
 * contract and the model's own metadata, not from the server's code) says which of the two it must
 * be. The server keeps serving: a good request gives the same answer after every property.
 * Seeded, so a failure is reproducible; PIPEWISE_FUZZ_RUNS scales the cases (default 200 each).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { RunResult } from '../../src/protocol/runEvents';
import { getJson, PENGUIN, penguinTrainPipeline, pipewise, postJson, root, startServe, versionsOf, waitFor, type Served } from './serve-helpers';

const PIPELINE = penguinTrainPipeline('penguins_fuzz', 3);

const GOOD = PENGUIN;
const MAX_INSTANCES = 5;
const MAX_BODY = 4096;
const RUNS = Number(process.env.PIPEWISE_FUZZ_RUNS ?? 200);

let dir = '';
let served: Served | undefined;
let model = '';
/** Feature → 'number' | 'string', from the server's metadata (TF Serving's dtype). */
let types: Record<string, 'number' | 'string'> = {};
let goodAnswer: unknown;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-serve-fuzz-'));
  cpSync(path.join(root, 'test/fixtures/penguins.csv'), path.join(dir, 'data/penguins.csv'));
  writeFileSync(path.join(dir, 'p.pipeline.yaml'), PIPELINE);
  const r = await pipewise(['run', path.join(dir, 'p.pipeline.yaml'), '--json'], dir);
  assert.equal(r.code, 0, r.stderr);
  const modelDir = (JSON.parse(r.stdout) as RunResult).stages.find((s) => s.name === 'train')?.artifacts.model as string;
  const base = path.join(dir, 'serving', 'penguins');
  cpSync(modelDir, path.join(base, '1'), { recursive: true });
  served = await startServe(base, ['--max-instances', String(MAX_INSTANCES), '--max-body-bytes', String(MAX_BODY)]);
  const url = served.url;
  await waitFor('version 1 AVAILABLE', async () => ((await versionsOf(url, 'penguins')).some((v) => v.state === 'AVAILABLE') ? true : undefined));
  model = `${url}/v1/models/penguins`;
  const meta = await getJson(`${model}/metadata`);
  const inputs = ((meta.body.metadata as Record<string, Record<string, Record<string, unknown>>>).signature_def?.signature_def as unknown as Record<string, { inputs: Record<string, { dtype: string }> }>).serving_default?.inputs ?? {};
  types = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.dtype === 'DT_STRING' ? 'string' : 'number']));
  assert.deepEqual(Object.keys(types).sort(), Object.keys(GOOD).sort());
  const good = await postJson(`${model}:predict`, { instances: [GOOD] });
  assert.equal(good.status, 200, JSON.stringify(good.body));
  goodAnswer = good.body;
});

after(async () => {
  await served?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** POSTs raw text; the status and the parsed answer (a non-JSON answer fails the property). */
async function post(verb: string, text: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${model}:${verb}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
  const raw = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    assert.fail(`:${verb} answered ${res.status} with a body that is not JSON: ${raw.slice(0, 200)}`);
  }
  assert.ok(body !== null && typeof body === 'object' && !Array.isArray(body), `:${verb} answered ${raw.slice(0, 200)}`);
  return { status: res.status, body: body as Record<string, unknown> };
}

/** 200 with an answer of the verb's shape, or 400 with exactly `{ error }`. */
function checkAnswer(verb: string, text: string, r: { status: number; body: Record<string, unknown> }): void {
  const where = `:${verb} ${text.slice(0, 300)} → ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`;
  assert.ok(r.status === 200 || r.status === 400, `status ${where}`);
  if (r.status === 400) {
    assert.deepEqual(Object.keys(r.body), ['error'], where);
    assert.ok(typeof r.body.error === 'string' && r.body.error.length > 0, where);
    return;
  }
  const key = verb === 'predict' ? (Array.isArray(r.body.predictions) ? 'predictions' : 'outputs') : 'results';
  assert.ok(r.body[key] !== undefined, where);
  // JSON has no NaN: a non-finite answer would arrive as null.
  assert.ok(!JSON.stringify(r.body[key]).includes('null'), `an answer with null (NaN) in it: ${where}`);
}

/** The inputs are DT_FLOAT: a number beyond float32's range is refused. */
const FLOAT32_MAX = 3.4028234663852886e38;
/** Below this the penguin transform keeps every value finite; between it and FLOAT32_MAX either answer may come. */
const SAFE = 1e30;

/**
 * Must this row-format body be answered (true) or refused (false)? From the REST contract alone;
 * undefined when it may go either way (a huge number that the transform may push past float32).
 */
function rowBodyIsValid(body: unknown, text: string): boolean | undefined {
  if (Buffer.byteLength(text) > MAX_BODY) return false;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return false;
  const b = body as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(b, 'inputs')) return false;
  const sn = b.signature_name;
  if (typeof sn === 'string' && sn !== '' && sn !== 'serving_default') return false;
  const instances = b.instances;
  if (!Array.isArray(instances) || instances.length === 0 || instances.length > MAX_INSTANCES) return false;
  let huge = false;
  const ok = instances.every((x) => {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
    const keys = Object.keys(x as object);
    if (keys.length !== Object.keys(types).length || !keys.every((k) => Object.prototype.hasOwnProperty.call(types, k))) return false;
    return keys.every((k) => {
      let v = (x as Record<string, unknown>)[k];
      if (Array.isArray(v)) {
        if (v.length > 1) return false;
        v = v[0];
      }
      if (typeof v === 'number' && types[k] === 'number') {
        if (Math.abs(v) > FLOAT32_MAX) return false;
        if (Math.abs(v) > SAFE) huge = true;
      }
      return v === null || v === undefined || typeof v === types[k];
    });
  });
  return ok ? (huge ? undefined : true) : false;
}

const anyJson = fc.jsonValue({ maxDepth: 2 });
const keyName = fc.oneof(fc.constantFrom(...Object.keys(GOOD), 'wingspan', '__proto__', 'constructor', ''), fc.string({ maxLength: 12 }));

/** A feature value: often right for its type, sometimes anything. */
function valueFor(name: string): fc.Arbitrary<unknown> {
  const right: fc.Arbitrary<unknown> = name === 'island' || name === 'sex' ? fc.string({ maxLength: 20 }) : fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
  return fc.oneof(
    { weight: 4, arbitrary: right },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.array(right, { maxLength: 2 }) },
    { weight: 2, arbitrary: anyJson },
  );
}

/** An instance: GOOD with some features replaced, dropped, or unknown ones added. */
const instance: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.record(
          Object.fromEntries(
            Object.keys(GOOD).map((k) => [
              k,
              fc.oneof(
                { weight: 4, arbitrary: fc.constant({ kind: 'keep' as const }) },
                { weight: 1, arbitrary: fc.constant({ kind: 'drop' as const }) },
                { weight: 4, arbitrary: valueFor(k).map((v) => ({ kind: 'set' as const, v })) },
              ),
            ]),
          ),
        ),
        fc.oneof({ weight: 4, arbitrary: fc.constant([] as [string, unknown][]) }, { weight: 1, arbitrary: fc.array(fc.tuple(keyName, anyJson), { minLength: 1, maxLength: 1 }) }),
      )
      .map(([choices, extra]) => {
        const row: Record<string, unknown> = {};
        for (const k of Object.keys(GOOD)) {
          const c = choices[k] as { kind: 'keep' } | { kind: 'drop' } | { kind: 'set'; v: unknown };
          if (c.kind === 'keep') row[k] = GOOD[k];
          else if (c.kind === 'set') row[k] = c.v;
        }
        for (const [k, v] of extra) Object.defineProperty(row, k, { value: v, enumerable: true, writable: true, configurable: true });
        return row;
      }),
  },
  { weight: 1, arbitrary: anyJson },
);

/** Present rarely (`weight` in 1 + weight), else absent. */
function sometimes<T>(arb: fc.Arbitrary<T>, absentWeight: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: absentWeight, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
}

const rowBody = fc
  .tuple(
    fc.oneof({ weight: 8, arbitrary: fc.array(instance, { maxLength: MAX_INSTANCES + 2 }) }, { weight: 1, arbitrary: anyJson }),
    sometimes(fc.oneof(fc.constantFrom('serving_default', '', 'classification', 'nope'), anyJson), 3),
    sometimes(anyJson, 8), // `inputs` beside `instances`: always refused
    sometimes(fc.tuple(keyName, anyJson), 3), // any other top-level key
  )
  .map(([instances, signatureName, inputs, extra]) => {
    const body: Record<string, unknown> = {};
    if (extra) Object.defineProperty(body, extra[0], { value: extra[1], enumerable: true, writable: true, configurable: true });
    body.instances = instances;
    if (signatureName !== undefined) body.signature_name = signatureName;
    if (inputs !== undefined) body.inputs = inputs;
    return body;
  });

const opts = (seed: number): fc.Parameters<unknown> => ({ numRuns: RUNS, seed });

async function stillServing(): Promise<void> {
  assert.equal(served?.proc.exitCode, null, `the server exited: ${served?.stderr()}`);
  const r = await postJson(`${model}:predict`, { instances: [GOOD] });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, goodAnswer);
}

test('mutated row-format bodies: 200 exactly when the REST contract says so, else 400 with { error }', { timeout: 600_000 }, async () => {
  let answered = 0;
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(rowBody, async (body) => {
      const text = JSON.stringify(body);
      const r = await post('predict', text);
      checkAnswer('predict', text, r);
      const valid = rowBodyIsValid(JSON.parse(text), text);
      if (valid !== undefined) assert.equal(r.status, valid ? 200 : 400, `the contract says ${valid ? 200 : 400}: ${text.slice(0, 400)} → ${JSON.stringify(r.body).slice(0, 300)}`);
      if (r.status === 200) {
        const predictions = r.body.predictions as { scores: number[]; prediction: string; classes: string[] }[];
        assert.equal(predictions.length, (JSON.parse(text) as { instances: unknown[] }).instances.length);
        for (const p of predictions) {
          assert.ok(p.classes.includes(p.prediction), JSON.stringify(p));
          assert.ok(p.scores.every((x) => typeof x === 'number' && Number.isFinite(x)), JSON.stringify(p));
          assert.ok(Math.abs(p.scores.reduce((a, x) => a + x, 0) - 1) < 1e-4, JSON.stringify(p));
        }
        answered++;
      } else refused++;
    }),
    opts(12),
  );
  // Both outcomes were exercised (the generator is not all-bad or all-good).
  assert.ok(answered > 0 && refused > 0, `answered ${answered}, refused ${refused}`);
  await stillServing();
});

test('arbitrary and truncated text on every verb: 400 with { error }, and the server keeps serving', { timeout: 600_000 }, async () => {
  const validTexts = [{ instances: [GOOD] }, { inputs: Object.fromEntries(Object.entries(GOOD).map(([k, v]) => [k, [v]])) }, { examples: [GOOD] }].map((b) => JSON.stringify(b));
  const truncated = fc.tuple(fc.constantFrom(...validTexts), fc.nat()).map(([t, n]) => t.slice(0, n % t.length));
  const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), truncated, anyJson.map((v) => JSON.stringify(v) ?? ''), fc.constant(''));
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('predict', 'classify', 'regress'), text, async (verb, t) => {
      const r = await post(verb, t);
      checkAnswer(verb, t, r);
      assert.equal(r.status, 400, `:${verb} ${t.slice(0, 200)} → ${JSON.stringify(r.body).slice(0, 200)}`);
    }),
    opts(13),
  );
  await stillServing();
});

test('mutated columnar and examples bodies: 200 with the answer or 400 with { error }', { timeout: 600_000 }, async () => {
  const column = (k: string): fc.Arbitrary<unknown> => fc.oneof({ weight: 4, arbitrary: fc.array(valueFor(k), { minLength: 1, maxLength: 3 }) }, { weight: 1, arbitrary: anyJson });
  const columnar = fc.record(Object.fromEntries(Object.keys(GOOD).map((k) => [k, column(k)])), { requiredKeys: [] }).map((inputs) => ({ inputs }));
  const examples = fc.record({ examples: fc.oneof(fc.array(instance, { maxLength: 4 }), anyJson), context: fc.dictionary(keyName, anyJson, { maxKeys: 2 }) }, { requiredKeys: ['examples'] });
  await fc.assert(
    fc.asyncProperty(fc.oneof(columnar.map((b) => ['predict', b] as const), examples.map((b) => ['classify', b] as const), examples.map((b) => ['regress', b] as const)), async ([verb, body]) => {
      const text = JSON.stringify(body);
      const r = await post(verb, text);
      checkAnswer(verb, text, r);
      // This model classifies: :regress is always refused.
      if (verb === 'regress') assert.equal(r.status, 400);
    }),
    opts(14),
  );
  await stillServing();
});
