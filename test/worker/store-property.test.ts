/**
 * The store's promise as a property (fast-check, seeded, a bounded number of cases): whatever
 * symbolic links (to a sentinel tree outside the store, or dangling), lineage records (with stage,
 * id and output fields that are names, `..`, separators or absolute paths) and folders and files
 * are planted inside `.pipewise`, then `pipewise run`, `pipewise doctor --fix` and `pipewise gc`
 * (the real CLI) never change a file outside the store, and each ends with an exit code of its
 * contract and a message, never a crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { hashTree, writeTinyProject } from './store-helpers';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'bin/pipewise.js');
const RUNS = Number(process.env.PIPEWISE_STORE_PROPERTY_RUNS ?? 10);


function pipewise(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ID = '20200101-000000-000-abcdef';
/** Where a plant goes, relative to the store (folders that exist after one run, and new names). */
const PLACES = ['', 'tmp', 'artifacts', 'artifacts/numbers', 'artifacts/scaled', 'metadata', 'metadata/executions', 'metadata/runs', `tmp/${ID}`, `artifacts/numbers/${ID}`, 'artifacts/newstage'] as const;
/** What a link points at, relative to the sentinel ('' is the sentinel itself; `missing` does not exist). */
const TARGETS = ['', 'victim', `victim/${ID}`, 'thesis.docx', 'missing', `numbers/${ID}`] as const;
const NAMES = ['tmp', 'artifacts', 'metadata', 'executions', 'runs', 'numbers', ID, `${ID}.json`, 'examples', 'lock', 'pipewise-store.json', 'notes.txt', 'x'] as const;
/** Field values of planted records: names, `..`, separators, absolute paths (outside is filled in per case). */
const FIELDS = ['numbers', 'scaled', '..', '../..', 'a/b', 'OUTSIDE', 'OUTSIDE/victim', 'RELATIVE_OUTSIDE', 'RELATIVE_OUTSIDE/victim', ID, ''] as const;

const link = fc.record({ kind: fc.constant('link' as const), place: fc.constantFrom(...PLACES), name: fc.constantFrom(...NAMES), target: fc.constantFrom(...TARGETS), replace: fc.boolean() });
const entry = fc.record({ kind: fc.constant('entry' as const), place: fc.constantFrom(...PLACES), name: fc.constantFrom(...NAMES), folder: fc.boolean() });
const record = fc.record({
  kind: fc.constant('record' as const),
  sub: fc.constantFrom('executions', 'runs'),
  id: fc.constantFrom(ID, '20200101-000000-000-bbbbbb', '..', 'RELATIVE_OUTSIDE', 'x'),
  stage: fc.constantFrom(...FIELDS),
  output: fc.constantFrom('examples', '..', 'a/b', 'OUTSIDE'),
  executionId: fc.constantFrom(ID, '..', 'RELATIVE_OUTSIDE/victim', 'x'),
  state: fc.constantFrom('complete', 'running', 'failed'),
});
const plan = fc.array(fc.oneof(link, entry, record), { minLength: 1, maxLength: 6 });
type Plant = typeof link extends fc.Arbitrary<infer L> ? L | (typeof entry extends fc.Arbitrary<infer E> ? E : never) | (typeof record extends fc.Arbitrary<infer R> ? R : never) : never;

function sentinel(dir: string): void {
  const put = (rel: string, text: string): void => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  };
  put('thesis.docx', 'four years of work');
  put(`victim/${ID}/examples/numbers.json`, '[1,2,3]');
  put(`victim/${ID}.json`, '{ "id": "not a record" }');
  put(`numbers/${ID}/examples/numbers.json`, '[4,5,6]');
  put(`${ID}.json.4242.abcd.tmp`, 'half');
  mkdirSync(path.join(dir, `victim/20200101-000000-000-bbbbbb`), { recursive: true });
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function plantAll(store: string, outside: string, plants: readonly Plant[]): void {
  const fill = (v: string): string =>
    v.replace('RELATIVE_OUTSIDE', path.relative(path.join(store, 'artifacts'), outside)).replace('OUTSIDE', outside);
  for (const p of plants) {
    const parent = path.join(store, p.kind === 'record' ? `metadata/${p.sub}` : p.place);
    // Only inside folders that are real folders of the store (a link planted earlier is not walked into).
    if (path.relative(store, parent).split(path.sep).some((_, i, parts) => exists(path.join(store, ...parts.slice(0, i + 1))) && lstatSync(path.join(store, ...parts.slice(0, i + 1))).isSymbolicLink())) continue;
    mkdirSync(parent, { recursive: true });
    if (p.kind === 'link') {
      const at = p.replace && p.place ? parent : path.join(parent, p.name);
      rmSync(at, { recursive: true, force: true });
      mkdirSync(path.dirname(at), { recursive: true });
      symlinkSync(path.join(outside, p.target), at);
    } else if (p.kind === 'entry') {
      const at = path.join(parent, p.name);
      if (exists(at)) continue;
      if (p.folder) {
        mkdirSync(at);
        writeFileSync(path.join(at, 'inside.txt'), 'planted');
      } else writeFileSync(at, 'planted');
    } else {
      const id = fill(p.id);
      const stage = fill(p.stage);
      const execution = fill(p.executionId);
      const output = fill(p.output);
      const artifact = { id: `${stage}/${execution}/${output}`, type: 'Examples', uri: path.join(store, 'artifacts', stage, execution, output), stage, output, executionId: execution, fingerprint: 'x', properties: {}, files: {} };
      const value =
        p.sub === 'executions'
          ? { id, pipeline: 'tiny', pipelineFile: 'x', runId: ID, stage, component: 'x', componentVersion: '1', state: p.state, cacheKey: 'k', params: {}, inputs: [], outputs: [artifact], startedAt: '2020-01-01T00:00:00Z', pid: 1 }
          : { id, pipeline: 'tiny', file: 'x', status: 'succeeded', startedAt: '2020-01-01T00:00:00Z', pid: 1, selection: {}, stages: [{ name: stage, component: 'x', status: 'succeeded', durationMs: 1, artifacts: { examples: artifact.uri }, executionId: execution }] };
      const file = path.join(parent, `${path.basename(id) || 'x'}.json`);
      if (exists(file) && lstatSync(file).isSymbolicLink()) continue;
      writeFileSync(file, JSON.stringify(value));
    }
  }
}

test(`planted links, records and folders inside .pipewise: run, doctor --fix and gc never change a file outside the store (${RUNS} seeded cases)`, () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'pipewise-property-'));
  try {
    // One real store to copy for each case (the records' recorded paths are rebased on read).
    const template = path.join(base, 'template');
    writeTinyProject(template);
    const first = pipewise(['run', path.join(template, 'tiny.pipeline.yaml')]);
    assert.equal(first.code, 0, first.stderr);
    let n = 0;
    fc.assert(
      fc.property(plan, (plants) => {
        const dir = path.join(base, `case-${n}`);
        const outside = path.join(base, `outside-${n++}`);
        cpSync(template, dir, { recursive: true });
        sentinel(outside);
        const file = path.join(dir, 'tiny.pipeline.yaml');
        const store = path.join(dir, '.pipewise');
        plantAll(store, outside, plants);
        const before = hashTree(outside);
        const outcomes: string[] = [];
        for (const args of [['run', file], ['doctor', file, '--fix'], ['gc', file, '--keep', '1'], ['run', file], ['gc', file, '--keep', '0']]) {
          const r = pipewise(args);
          outcomes.push(`${args.join(' ')} → ${r.code}: ${r.stderr.split('\n').filter(Boolean).slice(-1)[0] ?? ''}`);
          assert.ok(r.code === 0 || r.code === 1 || r.code === 2, `${args[0]} exited ${r.code}\n${r.stderr}`);
          assert.doesNotMatch(r.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, `${args[0]} crashed:\n${r.stderr}`);
          assert.deepEqual(hashTree(outside), before, `${args.join(' ')} changed the tree outside the store; plants: ${JSON.stringify(plants)}\n${outcomes.join('\n')}`);
        }
        // After doctor --fix every link is gone, so the store is usable again: the second run succeeded.
        assert.ok(/run .* → 0/.test(outcomes[3] ?? ''), `${JSON.stringify(plants)}\n${outcomes.join('\n')}`);
        rmSync(dir, { recursive: true, force: true });
        rmSync(outside, { recursive: true, force: true });
      }),
      { seed: Number(process.env.PIPEWISE_STORE_PROPERTY_SEED ?? 2424), numRuns: RUNS, endOnFailure: true, includeErrorInReport: true },
    );
    assert.equal(existsSync(path.join(base, 'outside-0')), false);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
