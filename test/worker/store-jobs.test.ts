/**
 * `pipewise run --jobs N`: independent stages overlap, and every artifact is identical to a
 * sequential run's (same fingerprints; the pushed model's files too). The penguin pipeline gets a
 * second StatisticsGen on the transformed examples, independent of the Trainer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Lineage, type ExecutionRecord } from '../../src/engine/lineage';
import { fingerprintArtifact } from '../../src/engine/store';
import type { RunResult } from '../../src/protocol/runEvents';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'bin/pipewise.js');

function project(): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-jobs-'));
  cpSync(path.join(root, 'examples/penguins'), dir, { recursive: true, filter: (src) => !/[\\/](\.pipewise|serving)([\\/]|$)/.test(src) });
  const file = path.join(dir, 'penguins.pipeline.yaml');
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, `${text.trimEnd()}\n  transformed_statistics:\n    component: StatisticsGen\n    inputs: { examples: transform.transformed_examples }\n`);
  return { dir, file };
}

async function runWith(jobs: number): Promise<{ dir: string; result: RunResult; executions: ExecutionRecord[] }> {
  const { dir, file } = project();
  const r = spawnSync(process.execPath, [cli, 'run', file, '--json', '--jobs', String(jobs)], { encoding: 'utf8', timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr);
  const executions = await new Lineage(path.join(dir, '.pipewise/metadata')).executions();
  return { dir, result: JSON.parse(r.stdout) as RunResult, executions };
}

/** sha256 over every file, with this run's folder and execution ids in text files replaced by placeholders. */
function normalizedDigest(dir: string, projectDir: string): string {
  const h = createHash('sha256');
  for (const rel of filesUnder(dir)) {
    const buf = readFileSync(path.join(dir, rel));
    const isText = /\.(json|txt|yaml|csv)$/.test(rel);
    const body = isText ? buf.toString('utf8').split(projectDir).join('<project>').replace(/\d{8}-\d{6}-\d{3}-[0-9a-f]{6}/g, '<id>') : buf;
    h.update(`${rel}\0`).update(body);
  }
  return h.digest('hex');
}

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .sort((x, y) => (x.name < y.name ? -1 : 1))
    .flatMap((e) => (e.isDirectory() ? filesUnder(dir, path.join(prefix, e.name)) : [path.join(prefix, e.name)]));
}

/** The text of every JSON file in an artifact (to tell whether it names paths). */
function readFileSyncSafe(dir: string): string {
  return filesUnder(dir).filter((f) => f.endsWith('.json')).map((f) => readFileSync(path.join(dir, f), 'utf8')).join('\n');
}

test('--jobs 4 overlaps independent stages and gives the artifacts of a sequential run', async () => {
  const seq = await runWith(1);
  const par = await runWith(4);
  try {
    assert.equal(par.result.status, 'succeeded');
    const byStage = (xs: ExecutionRecord[]): Map<string, ExecutionRecord> => new Map(xs.filter((e) => e.state === 'complete').map((e) => [e.stage, e]));
    const s = byStage(seq.executions);
    const p = byStage(par.executions);
    assert.deepEqual([...p.keys()].sort(), [...s.keys()].sort());
    for (const [stage, e] of s) {
      for (const a of e.outputs) {
        const b = p.get(stage)?.outputs.find((o) => o.output === a.output);
        assert.ok(b, `${stage}.${a.output} missing in the parallel run`);
        if (a.type === 'PushedModel') {
          // pushed.json names its own destination and version: compare the pushed model's files instead.
          const pa = JSON.parse(readFileSync(path.join(a.uri, 'pushed.json'), 'utf8')) as { uri: string };
          const pb = JSON.parse(readFileSync(path.join(b.uri, 'pushed.json'), 'utf8')) as { uri: string };
          assert.equal((await fingerprintArtifact(pb.uri)).fingerprint, (await fingerprintArtifact(pa.uri)).fingerprint, 'pushed model files');
          continue;
        }
        // Same content, once the paths that name each run's own folder are set aside (metrics.json names its model's path).
        assert.equal(normalizedDigest(b.uri, par.dir), normalizedDigest(a.uri, seq.dir), `${stage}.${a.output}: the parallel run made different content`);
        assert.equal((await fingerprintArtifact(b.uri)).fingerprint, b.fingerprint, `${stage}.${a.output} on disk`);
        if (!JSON.stringify(readFileSyncSafe(a.uri)).includes(seq.dir)) assert.equal(b.fingerprint, a.fingerprint, `${stage}.${a.output}: fingerprints`);
      }
    }
    // The sequential run never overlaps; the parallel one does (train and transformed_statistics are independent).
    const overlaps = (m: Map<string, ExecutionRecord>): string[] => {
      const xs = [...m.values()];
      const out: string[] = [];
      for (const x of xs) for (const y of xs) if (x.stage < y.stage && x.startedAt < (y.finishedAt ?? '') && y.startedAt < (x.finishedAt ?? '')) out.push(`${x.stage}+${y.stage}`);
      return out;
    };
    assert.deepEqual(overlaps(s), []);
    assert.ok(overlaps(p).includes('train+transformed_statistics'), `overlapping: ${overlaps(p).join(', ')}`);
  } finally {
    rmSync(seq.dir, { recursive: true, force: true });
    rmSync(par.dir, { recursive: true, force: true });
  }
});
