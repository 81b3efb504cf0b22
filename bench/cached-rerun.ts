/**
 * Where a cached re-run of the example spends its time beyond `pipewise validate` (issue 24: it was
 * validate + 96 ms, then + 227 ms; the goal is under + 100 ms). In one script, on a copy of
 * examples/penguins run once:
 * - the CLI, as a user runs it: `pipewise validate` and a cached `pipewise run` (every stage from the
 *   cache), interleaved, medians of RUNS each, and their ratio; wall time, and CPU time (user + system
 *   of the command and its children, from /usr/bin/time where it exists), which a loaded machine
 *   disturbs far less;
 * - with `--baseline DIR` (another checkout, built), the same cached run through DIR's bin/pipewise.js,
 *   interleaved with ours on the same store: a before/after in one process;
 * - with `--history N`, N cached runs first, so the store holds the records of a longer history;
 * - in this process, the store's steps a cached run takes, each timed alone on the same store:
 *   the lock (acquire + release), recovery (`examineStore` as `recover()` calls it) and the whole
 *   cached `runPipeline` (the remainder is planning and the cache-key fingerprints).
 *   node --import tsx bench/cached-rerun.ts [RUNS] [--baseline DIR] [--history N]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
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
const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const runs = Number(argv.find((a, i) => /^\d+$/.test(a) && !argv[i - 1]?.startsWith('--')) ?? 5);
const baselineDir = option('--baseline');
const baseline = baselineDir ? path.join(path.resolve(baselineDir), 'bin', 'pipewise.js') : undefined;
const history = Number(option('--history') ?? 0);
/** GNU time: the CPU time of a command and the children it waited for. */
const TIME = '/usr/bin/time';
const haveTime = existsSync(TIME);

interface Timing {
  readonly wallMs: number;
  /** Undefined without /usr/bin/time. */
  readonly cpuMs?: number;
}

function timedCli(args: readonly string[], cwd: string, entry = cli): Timing {
  const cpuFile = path.join(cwd, '.bench-cpu');
  const command = haveTime ? [TIME, ['-f', '%U %S', '-o', cpuFile, process.execPath, entry, ...args]] as const : [process.execPath, [entry, ...args]] as const;
  const t0 = process.hrtime.bigint();
  execFileSync(command[0], command[1], { cwd, stdio: 'pipe' });
  const wallMs = msSince(t0);
  if (!haveTime) return { wallMs };
  const [user, system] = readFileSync(cpuFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  return { wallMs, cpuMs: ((user ?? NaN) + (system ?? NaN)) * 1000 };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return msSince(t0);
}

/** "validate + X ms (ratio R)" for wall and CPU medians. */
function against(label: string, ts: readonly Timing[], v: readonly Timing[]): string {
  const part = (pick: (t: Timing) => number | undefined, what: string): string => {
    const x = ts.map(pick).filter((n): n is number => n !== undefined);
    const y = v.map(pick).filter((n): n is number => n !== undefined);
    if (!x.length || !y.length) return '';
    const a = median(x);
    const b = median(y);
    return `${what} ${a.toFixed(0)} ms = validate + ${(a - b).toFixed(0)} ms (ratio ${(a / b).toFixed(2)})`;
  };
  return `CLI: ${label}: ${[part((t) => t.wallMs, 'wall'), part((t) => t.cpuMs, 'CPU')].filter(Boolean).join('; ')}\n`;
}

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pipewise-cached-rerun-'));
  try {
    await fs.cp(path.join(repoRoot, 'examples', 'penguins'), dir, { recursive: true });
    const file = 'penguins.pipeline.yaml';
    execFileSync(process.execPath, [cli, 'run', file], { cwd: dir, stdio: 'pipe' });
    for (let h = 0; h < history; h++) execFileSync(process.execPath, [cli, 'run', file], { cwd: dir, stdio: 'pipe' });
    const validate: Timing[] = [];
    const cached: Timing[] = [];
    const before: Timing[] = [];
    for (let r = 0; r < runs; r++) {
      validate.push(timedCli(['validate', file], dir));
      cached.push(timedCli(['run', file], dir));
      if (baseline) before.push(timedCli(['run', file], dir, baseline));
    }
    const records = (await fs.readdir(path.join(dir, '.pipewise', 'metadata', 'executions'))).length;
    const v = (pick: (t: Timing) => number | undefined): string => {
      const x = validate.map(pick).filter((n): n is number => n !== undefined);
      return x.length ? `${median(x).toFixed(0)} ms` : 'n/a';
    };
    process.stdout.write(`CLI: validate wall ${v((t) => t.wallMs)}, CPU ${v((t) => t.cpuMs)} (${runs} runs each, ${records} execution records in the store at the end)\n`);
    process.stdout.write(against('cached run', cached, validate));
    if (baseline) process.stdout.write(against(`cached run of ${baselineDir}`, before, validate));

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
          if (result.status !== 'succeeded' || result.stages.some((s) => s.status !== 'cached')) throw new Error(`the re-run was not fully cached: ${result.status}`);
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
