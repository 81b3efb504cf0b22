/**
 * Quality from labels that arrive later, per model version (README, "Labels and alerts"): a request
 * log written by the real log writer (`RequestLog`, as `pipewise serve --log-dir` writes it) holds
 * two versions' answers — version 1 right about 92% of the time and drawn like the training data,
 * version 2 right about 55% of the time with `island` pinned to one value. A labels file arrives
 * later for most requests (plus labels of requests never logged). `pipewise monitor --labels` must
 * flag version 2 only — on quality against the Evaluator's `accuracy ≥ 0.8`, and on skew — with
 * metrics equal to scikit-learn's on the rows pandas joins itself, and count what did not join.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { noOraclePython, oraclePython } from '../python';
import { CLASSES, monitoredPipeline, writeTwoVersionLog, type Sent } from './monitor-helpers';
import { pipewise, root } from './serve-helpers';

const PER_VERSION = 200;
const START = Date.parse('2026-12-06T10:00:00Z');

let dir = '';
let file = '';
let logDir = '';

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-monitor-quality-'));
  cpSync(path.join(root, 'test/fixtures/penguins.csv'), path.join(dir, 'data/penguins.csv'));
  // Monitoring compares with the training statistics and schema: the stages up to SchemaGen are enough.
  file = await monitoredPipeline(dir);
});

after(() => rmSync(dir, { recursive: true, force: true }));

async function writeLog(): Promise<Sent[]> {
  logDir = path.join(dir, 'requests');
  return writeTwoVersionLog(logDir, START, PER_VERSION);
}

test('labels that arrive later flag the version whose accuracy dropped, with scikit-learn\'s metrics on the joined rows', { skip: noOraclePython(), timeout: 300_000 }, async () => {
  const sent = await writeLog();
  // Every 10th request never gets its label; four labels belong to requests never logged; one label comes twice.
  const labelled = sent.filter((_, i) => i % 10 !== 3);
  const lines = ['request_id,instance,species', ...labelled.map((s) => `${s.requestId},${s.requestId === 'batch-1' ? s.instance : ''},${s.species}`)];
  lines.push(`${labelled[0]?.requestId},,${labelled[0]?.species}`);
  for (let k = 0; k < 4; k++) lines.push(`ghost-${k},,Adelie`);
  const labelsFile = path.join(dir, 'labels.csv');
  writeFileSync(labelsFile, `${lines.join('\n')}\n`);

  const r = await pipewise(['monitor', file, '--log', logDir, '--labels', labelsFile, '--every', 'hour', '--json'], dir);
  assert.equal(r.code, 1, `anomalous → exit 1\n${r.stderr}`);
  const out = JSON.parse(r.stdout) as {
    versions: { version: number; requests: number; features: { name: string; anomalous: boolean }[] }[];
    quality: {
      labels: number;
      matched: number;
      unmatchedLabels: number;
      unlabelledRequests: number;
      evaluator: string;
      versions: { version: number; labelled: number; passed: boolean | null; metrics: Record<string, number>; series: { from: string; labelled: number }[] }[];
    };
  };
  const q = out.quality;
  assert.equal(q.evaluator, 'evaluate');
  assert.deepEqual(q.versions.map((v) => [v.version, v.passed]), [[1, true], [2, false]], 'only version 2 fails accuracy ≥ 0.8');
  assert.equal(q.labels, labelled.length + 4, 'distinct labels (the repeated one counts once)');
  assert.equal(q.matched, labelled.length);
  assert.equal(q.unmatchedLabels, 4);
  assert.equal(q.unlabelledRequests, sent.length - labelled.length);
  for (const v of q.versions) {
    assert.equal(v.series.reduce((a, b) => a + b.labelled, 0), v.labelled, 'the hours add up to the version');
    assert.deepEqual(v.series.map((b) => b.from), ['2026-12-06T10:00:00.000Z', '2026-12-06T11:00:00.000Z']);
  }
  // Skew per version: island is flagged for version 2 only.
  const island = (v: number): boolean | undefined => out.versions.find((x) => x.version === v)?.features.find((f) => f.name === 'island')?.anomalous;
  assert.equal(island(1), false);
  assert.equal(island(2), true);
  assert.deepEqual(out.versions.map((v) => v.requests), [PER_VERSION + 3, PER_VERSION]);

  // The oracle joins what the test sent with the labels file itself (pandas) and scores it (scikit-learn).
  const sentCsv = path.join(dir, 'sent.csv');
  writeFileSync(sentCsv, ['request_id,instance,version,p0,p1,p2', ...sent.map((s) => `${s.requestId},${s.instance},${s.version},${s.scores.join(',')}`)].join('\n'));
  const script = `
import json, sys
import numpy as np, pandas as pd
from sklearn.metrics import accuracy_score, log_loss, precision_score, recall_score
classes = ${JSON.stringify(CLASSES)}
sent = pd.read_csv(sys.argv[1], dtype={'request_id': str})
labels = pd.read_csv(sys.argv[2], dtype={'request_id': str}).drop_duplicates()
labels['instance'] = labels['instance'].fillna(0).astype(int)
joined = sent.merge(labels, on=['request_id', 'instance'], how='inner')
out = {}
for v, g in joined.groupby('version'):
    P = g[['p0', 'p1', 'p2']].to_numpy()
    pred = [classes[i] for i in P.argmax(axis=1)]
    m = {'example_count': len(g), 'accuracy': accuracy_score(g['species'], pred), 'log_loss': log_loss(g['species'], P, labels=classes)}
    for c, p, rc in zip(classes, precision_score(g['species'], pred, labels=classes, average=None, zero_division=0), recall_score(g['species'], pred, labels=classes, average=None, zero_division=0)):
        m['precision/' + c] = float(p); m['recall/' + c] = float(rc)
    out[str(v)] = m
print(json.dumps(out))
`;
  const oracle = JSON.parse(execFileSync(oraclePython(), ['-c', script, sentCsv, labelsFile], { encoding: 'utf8' })) as Record<string, Record<string, number>>;
  for (const v of q.versions) {
    const expected = oracle[String(v.version)] as Record<string, number>;
    assert.ok(expected, `the oracle scored version ${v.version}`);
    assert.equal(v.labelled, expected.example_count);
    for (const [name, value] of Object.entries(expected)) {
      const got = v.metrics[name];
      assert.ok(got !== undefined && Math.abs(got - value) <= 1e-9, `version ${v.version} ${name}: ${got} vs scikit-learn ${value}`);
    }
  }
  assert.ok((oracle['2']?.accuracy ?? 1) < 0.8 && (oracle['1']?.accuracy ?? 0) >= 0.8, 'the planted drop is there by scikit-learn too');

  // The text report names the failing version and the alert line.
  const text = await pipewise(['monitor', file, '--log', logDir, '--labels', labelsFile], dir);
  assert.equal(text.code, 1, text.stderr);
  assert.match(text.stdout, /✗ version 2: \d+ labelled, accuracy 0\.\d+ — accuracy = [\d.]+ fails ≥ 0\.8/);
  assert.match(text.stdout, /✓ version 1: /);
  assert.match(text.stdout, /alert line: Evaluator 'evaluate': accuracy ≥ 0\.8/);
});

test('a labels file without the expected columns, or with two labels for one request, is an error naming the file (exit 2)', { timeout: 120_000 }, async () => {
  if (!logDir) await writeLog();
  const noId = path.join(dir, 'no-id.csv');
  writeFileSync(noId, 'rid,species\nv1-req-0,Adelie\n');
  const a = await pipewise(['monitor', file, '--log', logDir, '--labels', noId], dir);
  assert.equal(a.code, 2, a.stderr);
  assert.match(a.stderr, /no-id\.csv: no request id column: expected 'request_id' or '__request_id'; the file has "rid", "species"/);
  const noLabel = path.join(dir, 'no-label.csv');
  writeFileSync(noLabel, 'request_id,truth\nv1-req-0,Adelie\n');
  const b = await pipewise(['monitor', file, '--log', logDir, '--labels', noLabel], dir);
  assert.equal(b.code, 2, b.stderr);
  assert.match(b.stderr, /no label column: expected 'species' \(the pipeline's label\) or 'label'/);
  const conflict = path.join(dir, 'conflict.csv');
  writeFileSync(conflict, 'request_id,label\nv1-req-0,Adelie\nv1-req-0,Gentoo\n');
  const c = await pipewise(['monitor', file, '--log', logDir, '--labels', conflict], dir);
  assert.equal(c.code, 2, c.stderr);
  assert.match(c.stderr, /request id "v1-req-0" has different labels: Adelie, Gentoo/);
});
