/**
 * The registry's pure parts: the canary split's grammar and its share of a request id (stable,
 * proportional, a target that cannot answer gives its share to the others), the alias file's
 * checks, the previous champion from the history, and changes of aliases made at once by two
 * writers both landing in the history.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSplit, pickShare, splitPoint } from '../../src/engine/serving/canary';
import { aliasNameProblem, changeAlias, parseAliases, previousVersion, readAliases } from '../../src/engine/serving/aliases';

test('--split: targets are aliases or versions with whole percents adding up to 100; each mistake is named', () => {
  assert.deepEqual(parseSplit('champion=90,challenger=10'), [
    { target: 'champion', percent: 90 },
    { target: 'challenger', percent: 10 },
  ]);
  assert.deepEqual(parseSplit('3=50, 4=25,champion=25'), [
    { target: 3, percent: 50 },
    { target: 4, percent: 25 },
    { target: 'champion', percent: 25 },
  ]);
  const bad: [string, RegExp][] = [
    ['champion=100', /at least two targets/],
    ['champion=90,challenger=20', /add up to 100, got 110/],
    ['champion=90,champion=10', /names 'champion' twice/],
    ['champion=90.5,challenger=9.5', /whole percent/],
    ['champion=0,challenger=100', /from 1 to 100, got 0/],
    ['champion:90,challenger=10', /TARGET=PERCENT/],
    ['champ-ion=90,challenger=10', /not a valid name/],
  ];
  for (const [text, why] of bad) assert.throws(() => parseSplit(text), why, text);
});

test('a request id falls in the same share every time, the shares hold over many ids, and an unusable target gives its share away', () => {
  const shares = parseSplit('champion=70,challenger=30');
  assert.equal(splitPoint('order-1'), splitPoint('order-1'));
  let champion = 0;
  for (let i = 0; i < 20_000; i++) if (pickShare(shares, `id-${i}`)?.target === 'champion') champion++;
  // Binomial(20000, 0.7): sd ≈ 65; five of them either side.
  assert.ok(Math.abs(champion - 14_000) < 325, `${champion} of 20,000`);
  for (let i = 0; i < 200; i++) assert.equal(pickShare(shares, `id-${i}`, (s) => s.target !== 'challenger')?.target, 'champion');
  assert.equal(pickShare(shares, 'x', () => false), undefined);
});

test('alias names are TF Serving labels starting with a letter', () => {
  for (const ok of ['champion', 'challenger_2', 'B']) assert.equal(aliasNameProblem(ok), undefined, ok);
  for (const bad of ['', '2', '9lives', 'champ-ion', 'a.b', 'x'.repeat(65), 'champion ']) assert.ok(aliasNameProblem(bad), JSON.stringify(bad));
});

test('a damaged alias file is an error naming the file and the field', () => {
  const file = '/m/penguins/aliases.json';
  const cases: [string, RegExp][] = [
    ['{', /not valid JSON/],
    ['{"format": "other", "aliases": {}, "history": []}', /"format" must be "pipewise-aliases\/1"/],
    ['{"format": "pipewise-aliases/1", "aliases": {"champion": -1}, "history": []}', /"aliases"."champion" must be a version number, got -1/],
    ['{"format": "pipewise-aliases/1", "aliases": {"9x": 1}, "history": []}', /alias "9x" is not a valid name/],
    ['{"format": "pipewise-aliases/1", "aliases": {}, "history": {}}', /"history" must be a list/],
    ['{"format": "pipewise-aliases/1", "aliases": {}, "history": [{"alias": "champion", "version": 1, "previous": null, "user": "a", "at": "yesterday"}]}', /"history"\[0\].at must be an ISO date/],
  ];
  for (const [text, why] of cases) {
    assert.throws(() => parseAliases(text, file), (e: Error) => e.message.startsWith(`${file}: the model's alias file is damaged`) && why.test(e.message), text);
  }
});

test('the previous champion comes from the history; two writers at once both land in it', async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'pipewise-aliases-'));
  try {
    for (const v of [1, 2, 3]) mkdirSync(path.join(base, String(v)));
    assert.equal(previousVersion(await readAliases(base), 'champion'), undefined);
    await changeAlias(base, 'champion', 1, 'ana');
    assert.equal(previousVersion(await readAliases(base), 'champion'), undefined, 'set once: nothing to roll back to');
    await changeAlias(base, 'champion', 2, 'ben');
    assert.equal(previousVersion(await readAliases(base), 'champion'), 1);
    await changeAlias(base, 'champion', 1, 'ana');
    assert.equal(previousVersion(await readAliases(base), 'champion'), 2, 'rolling back twice returns to where it was');
    await assert.rejects(changeAlias(base, 'champion', 7, 'ana'), /has no version 7/);

    // Twenty changes from concurrent writers: none lost to a read-modify-write race.
    await Promise.all(Array.from({ length: 20 }, (_, i) => changeAlias(base, `a${i}`, 1 + (i % 3), `writer${i}`)));
    const after = await readAliases(base);
    assert.equal(Object.keys(after.aliases).length, 21);
    assert.equal(after.history.length, 23);
    assert.ok(JSON.parse(readFileSync(path.join(base, 'aliases.json'), 'utf8')));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
