/**
 * Where a cached re-run of the example spends its time beyond `pipewise validate` (issue 24: it was
 * validate + 96 ms, then + 227 ms). In one script, on a copy of examples/penguins run once:
 * - the CLI, as a user runs it: `pipewise validate` and a cached `pipewise run` (every stage from the
 *   cache), medians of RUNS each, and their ratio; and the same run through out/cli.js alone
 *   (unsupervised), to price the supervisor that catches native crashes;
 * - in this process, the store's steps a cached run takes, each timed alone on the same store:
 *   the lock (acquire + release), recovery (`examineStore` as `recover()` calls it) and the whole
 *   cached `runPipeline` (the remainder is planning and the cache-key fingerprints).
 *   node --import tsx bench/cached-rerun.ts [RUNS]
 */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { examineStore } from '../src/engine/doctor';
import { Lineage } from '../src/engine/lineage';
import { runPipeline } from '../src/engine/orchestrator';
import { ArtifactStore } from '../src/engine/store';
import { acquireStoreLock } from '../src/engine/storeLock';
import { median, msSince } from './lib';

const repoRoot = path.resolve(__dirname, '..');
const cli = path.join(repoRoot, 'bin', 'pipewise.js');
/** The CLI bundle alone: `run` unsupervised (bin/pipewise.js supervises it: src/cli/runSupervisor.ts), to price the supervisor. */
const bundle = path.join(repoRoot, 'out', 'cli.js');
const runs = Number(process.argv[2] ?? 5);

function timedCli(args: readonly string[], cwd: string, entry = cli): number {
  const t0 = process.hrtime.bigint();
  execFileSync(process.execPath, [entry, ...args], { cwd, stdio: 'pipe' });
  return msSince(t0);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return msSince(t0);
}

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pipewise-cached-rerun-'));
  try {
    await fs.cp(path.join(repoRoot, 'examples', 'penguins'), dir, { recursive: true });
    const file = 'penguins.pipeline.yaml';
    execFileSync(process.execPath, [cli, 'run', file], { cwd: dir, stdio: 'pipe' });
    const validate: number[] = [];
    const cached: number[] = [];
    const unsupervised: number[] = [];
    for (let r = 0; r < runs; r++) {
      validate.push(timedCli(['validate', file], dir));
      cached.push(timedCli(['run', file], dir));
      unsupervised.push(timedCli(['run', file], dir, bundle));
    }
    const v = median(validate);
    const c = median(cached);
    const u = median(unsupervised);
    process.stdout.write(`CLI: validate ${v.toFixed(0)} ms, cached run ${c.toFixed(0)} ms: run = validate + ${(c - v).toFixed(0)} ms (ratio ${(c / v).toFixed(2)})\n`);
    process.stdout.write(`CLI: the same run unsupervised (out/cli.js) ${u.toFixed(0)} ms: validate + ${(u - v).toFixed(0)} ms (ratio ${(u / v).toFixed(2)}); the supervisor costs ${(c - u).toFixed(0)} ms\n`);

    const store = ArtifactStore.dedicated(dir, path.join(dir, '.pipewise'), '.pipewise');
    const lineage = new Lineage(store.metadataDir);
    const lock: number[] = [];
    const recovery: number[] = [];
    const inProcess: number[] = [];
    for (let r = 0; r < runs; r++) {
      lock.push(await timed(async () => (await acquireStoreLock(store.root, { command: 'bench' })).release()));
      recovery.push(await timed(() => examineStore(store, lineage, { fix: true, verifyArtifacts: false, refuseLinks: true })));
      inProcess.push(
        await timed(async () => {
          const result = await runPipeline({ file: path.join(dir, file) });
          if (result.status !== 'succeeded' || result.stages.some((s) => s.status !== "cached")) throw new Error(`the re-run was not fully cached: ${result.status}`);
        }),
      );
    }
    const whole = median(inProcess);
    const share = (x: number): string => `${x.toFixed(1)} ms (${((100 * x) / whole).toFixed(0)}% of the in-process cached run)`;
    process.stdout.write(`in process: cached runPipeline ${whole.toFixed(1)} ms; lock ${share(median(lock))}; recovery ${share(median(recovery))}\n`);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
