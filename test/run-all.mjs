// The one test command (`npm test`): builds the bundles once, installs what the host, package and
// browser layers need (cached), then runs every layer and ends with one line
// `N passed, N failed, N skipped` summing them all. Exits 1 if anything failed; every layer runs even
// when another one failed.
//
//   node test/run-all.mjs [--only unit,worker,host,package,browser] [--skip-setup] [--skip-build] [--lanes 1|2]
//
// Two lanes run side by side (on a machine with two or more cores; `--lanes 1` runs everything in
// turn): one lane is mostly one busy process — a test file training a model, a workbench waiting on
// its extension host, vsce zipping — and leaves the other core idle much of the time.
//   lane 1: unit → worker → host → then browser files
//   lane 2: package → browser files
// The package layer builds every VSIX; the browser files install this machine's from it instead of
// packaging again (`npm run package` runs first only when the package layer is not part of the run or
// produced no VSIX). Packaging minifies into out/production/, so it never rewrites the bundles in
// out/ that the other lane's tests load. Browser files are one queue both lanes take from, one file
// at a time each, the largest file first (the longest runs start early and do not finish last alone).
//
// Every layer prints node:test's closing counts (`ℹ pass N` …); the host launcher prints the same.
// Output lines are prefixed with their layer (`[worker] …`) because two layers print at once. The
// summary gives each layer's wall time and the CPU time (user + system) of its processes, read by
// /usr/bin/time where it is installed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { hostTarget, vsixName } from '../scripts/vsix/targets.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    'skip-setup': { type: 'boolean', default: false },
    'skip-build': { type: 'boolean', default: false },
    lanes: { type: 'string' },
  },
});
const only = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : undefined;
const wanted = (name) => !only || only.has(name);
const lanes = values.lanes ? Number(values.lanes) : os.availableParallelism() >= 2 ? 2 : 1;
if (lanes !== 1 && lanes !== 2) throw new Error(`--lanes must be 1 or 2, not ${values.lanes}`);

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tsxNode = [process.execPath, '--import', 'tsx'];
const testFiles = (dir, suffix) =>
  fs
    .readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith(suffix))
    .sort()
    .map((f) => `${dir}/${f}`);
const timeBin = process.platform === 'linux' && fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** @typedef {{ code: number, output: string, ms: number, cpuMs: number | undefined }} JobResult */

/** The children running now, so an interrupted run takes each one's process group down. */
const running = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // gone already
      }
    }
    process.exit(130);
  });
}

/**
 * Runs a command with its output streamed through (each line prefixed with `label`); resolves to its
 * exit code, its output, its wall time and the CPU time of it and the descendants it waited for.
 * @returns {Promise<JobResult>}
 */
function run(label, command, env = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const cpuFile = timeBin ? path.join(os.tmpdir(), `pipewise-run-all-${process.pid}-${Math.random().toString(36).slice(2)}.cpu`) : undefined;
    const [cmd, ...args] = cpuFile ? [timeBin, '-f', '%U %S', '-o', cpuFile, ...command] : command;
    // Own process group, so an interrupted run can take the whole layer down with it.
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', ...env }, detached: true });
    running.add(child);
    let output = '';
    const prefix = `[${label}] `;
    const echo = (stream) => {
      let partial = '';
      return (d) => {
        output += d;
        const lines = (partial + d).split('\n');
        partial = lines.pop() ?? '';
        if (lines.length) stream.write(lines.map((l) => prefix + l).join('\n') + '\n');
      };
    };
    child.stdout.on('data', echo(process.stdout));
    child.stderr.on('data', echo(process.stderr));
    const finish = (code) => {
      running.delete(child);
      let cpuMs;
      if (cpuFile) {
        try {
          const [user, system] = fs.readFileSync(cpuFile, 'utf8').trim().split('\n').pop().split(/\s+/).map(Number);
          if (Number.isFinite(user) && Number.isFinite(system)) cpuMs = (user + system) * 1000;
        } catch {
          // /usr/bin/time wrote nothing (killed): no CPU figure for this job
        }
        fs.rmSync(cpuFile, { force: true });
      }
      resolve({ code, output, ms: Date.now() - started, cpuMs });
    };
    child.on('error', (e) => {
      output += String(e);
      finish(1);
    });
    child.on('close', (code, signal) => finish(code ?? (signal ? 1 : 0)));
  });
}

/** The last `ℹ <key> N` of node:test's (or our host launcher's) closing lines. */
function count(output, key) {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const all = [...plain.matchAll(new RegExp(`^\\s*ℹ ${key} (\\d+)\\s*$`, 'gm'))];
  return all.length ? Number(all[all.length - 1][1]) : 0;
}

/** Per layer: counts, the span from its first job's start to its last job's end, and summed CPU time. */
const results = new Map();
/** Each failed test's layer, job and name, with the first lines of its error: printed last, beside the summary. */
const failures = [];
function noteFailures(layer, label, output) {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const lines = plain.split('\n');
  // node:test's spec reporter repeats each failure under "✖ failing tests:" with its error; the host
  // launcher prints "✖ title" and the error below it.
  const start = lines.findIndex((l) => /✖ failing tests:/.test(l));
  const from = start >= 0 ? start + 1 : 0;
  const seen = new Set();
  for (let i = from; i < lines.length; i++) {
    const m = /^\s*(?:\[[^\]]*\]\s*)?✖ (.+?)(?: \([\d.]+ ?ms\))?\s*$/.exec(lines[i]);
    if (!m || m[1] === 'failing tests:' || seen.has(m[1])) continue;
    seen.add(m[1]);
    const after = lines.slice(i + 1, i + 40);
    const next = after.findIndex((l) => /^\s*(?:\[[^\]]*\]\s*)?[✔✖ℹ] /.test(l));
    const detail = (next >= 0 ? after.slice(0, next) : after).map((l) => l.trim()).filter((l) => l && !/^at /.test(l)).slice(0, 4);
    failures.push({ layer, label, name: m[1], detail });
  }
}
function record(name, start, job, note = '') {
  const r = results.get(name) ?? { name, passed: 0, failed: 0, skipped: 0, start, end: start, cpuMs: 0, cpuKnown: true, notes: [] };
  if (job) {
    r.passed += count(job.output, 'pass');
    let failed = count(job.output, 'fail') + count(job.output, 'cancelled');
    // A job that crashed before its tests ran (build error, packaging error) still counts as a failure.
    if (job.code !== 0 && failed === 0) {
      failed = 1;
      r.notes.push(note || `exited with code ${job.code} before reporting a failed test`);
    }
    r.failed += failed;
    r.skipped += count(job.output, 'skipped') + count(job.output, 'todo');
    r.start = Math.min(r.start, start);
    r.end = Math.max(r.end, start + job.ms);
    if (job.cpuMs === undefined) r.cpuKnown = false;
    else r.cpuMs += job.cpuMs;
  } else {
    r.failed += 1;
    r.notes.push(note);
  }
  results.set(name, r);
}

/** Runs one job of a layer and records it. */
async function layerJob(layer, label, command, env) {
  console.log(`\n=== ${label} ===`);
  const start = Date.now();
  const job = await run(label, command, env);
  record(layer, start, job);
  noteFailures(layer, label, job.output);
  return job;
}

const started = Date.now();
const needsSetup = ['host', 'package', 'browser'].some(wanted);

// Setup (apt, Node 24, code-server: cached) runs beside the build and the unit and worker layers,
// which do not need it.
const setup = (async () => {
  if (values['skip-setup'] || !needsSetup) return true;
  console.log('\n=== setup: Node 24, code-server, chromium (cached) ===');
  const start = Date.now();
  const job = await run('setup', ['bash', 'scripts/setup-test-env.sh']);
  results.set('setup', { name: 'setup', passed: 0, failed: job.code === 0 ? 0 : 1, skipped: 0, start, end: start + job.ms, cpuMs: job.cpuMs ?? 0, cpuKnown: job.cpuMs !== undefined, notes: [job.code === 0 ? 'ok' : `failed (exit ${job.code})`] });
  return job.code === 0;
})();

// One development build (out/) for the worker, host and browser layers (the browser tests run the
// CLI from it), before any of them starts, and not again while they run.
if (!values['skip-build'] && ['worker', 'host', 'browser'].some(wanted)) {
  console.log('\n=== build ===');
  const start = Date.now();
  const job = await run('build', [npm, 'run', '--silent', 'build']);
  record('build', start, job, `npm run build failed (exit ${job.code})`);
}

/** Runs a layer that needs the setup, or records that it could not run. */
async function afterSetup(layer, body) {
  if (await setup) return body();
  record(layer, Date.now(), undefined, 'not run: setup failed');
  return undefined;
}

// The VSIX the browser tests install: the package layer's, or one packaged for them.
let vsixFromPackageLayer = Promise.resolve(false);
const browserFiles = wanted('browser')
  ? testFiles('test/e2e', '.e2e.ts').sort((a, b) => fs.statSync(path.join(root, b)).size - fs.statSync(path.join(root, a)).size)
  : [];
const ownVsix = path.join(root, vsixName(hostTarget()));
let vsixReady;
function browserVsix() {
  vsixReady ??= (async () => {
    const packageStart = Date.now();
    if (await vsixFromPackageLayer) return true;
    console.log(`\n=== browser: npm run package (${path.basename(ownVsix)}) ===`);
    const job = await run('browser', [npm, 'run', '--silent', 'package']);
    if (job.code !== 0) {
      record('browser', packageStart, job, `npm run package failed (exit ${job.code})`);
      return false;
    }
    record('browser', packageStart, { ...job, output: '' });
    return true;
  })();
  return vsixReady;
}

/** Takes browser files from the shared queue until it is empty. */
async function browserWorker() {
  if (!browserFiles.length) return;
  await afterSetup('browser', async () => {
    if (!(await browserVsix())) return;
    for (let file = browserFiles.shift(); file; file = browserFiles.shift()) {
      await layerJob('browser', `browser ${path.basename(file, '.e2e.ts')}`, [...tsxNode, '--test', '--test-reporter=spec', file], { PIPEWISE_VSIX: ownVsix });
    }
  });
}

const lane1 = async () => {
  if (wanted('unit')) await layerJob('unit', 'unit', [npm, 'run', '--silent', 'test:unit']);
  // The build above made the bundles the worker tests fork (npm run test:worker would build again).
  if (wanted('worker')) await layerJob('worker', 'worker', [...tsxNode, '--test', '--test-reporter=spec', '--test-concurrency=1', ...testFiles('test/worker', '.test.ts')]);
  if (wanted('host')) await afterSetup('host', () => layerJob('host', 'host', [...tsxNode, 'test/host/launch.ts']));
};
const lane2 = async () => {
  if (wanted('package')) {
    // Every platform's VSIX and the CLI's npm package (needs `file` and `readelf` from the setup).
    const packaged = afterSetup('package', async () => {
      const start = Date.now();
      await layerJob('package', 'package', [npm, 'run', '--silent', 'test:package']);
      return fs.existsSync(ownVsix) && fs.statSync(ownVsix).mtimeMs >= start;
    });
    vsixFromPackageLayer = packaged.then((fresh) => fresh === true);
    await packaged;
  }
};

if (lanes === 2) {
  await Promise.all([lane1().then(browserWorker), lane2().then(browserWorker)]);
} else {
  await lane1();
  await lane2();
  await browserWorker();
}
await setup;

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const order = ['setup', 'build', 'unit', 'worker', 'host', 'package', 'browser'];
const rows = [...results.values()].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
console.log(`\n=== summary (${lanes} lane${lanes > 1 ? 's' : ''}) ===`);
console.log(`${'layer'.padEnd(8)} ${'wall'.padStart(8)} ${'CPU'.padStart(8)}`);
for (const r of rows) {
  const counts = r.name === 'setup' ? r.notes.join('; ') : `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped${r.notes.length ? ` (${r.notes.join('; ')})` : ''}`;
  console.log(`${r.name.padEnd(8)} ${seconds(r.end - r.start).padStart(8)} ${(r.cpuKnown ? seconds(r.cpuMs) : '?').padStart(8)}  ${counts}`);
}
if (failures.length) {
  console.log(`\n=== failed tests (${failures.length}) ===`);
  for (const f of failures.slice(0, 20)) {
    console.log(`${f.label}: ✖ ${f.name}`);
    for (const d of f.detail) console.log(`    ${d.slice(0, 200)}`);
  }
}
const total = (k) => rows.reduce((s, r) => s + r[k], 0);
console.log(`total    ${seconds(Date.now() - started).padStart(8)}`);
console.log(`${total('passed')} passed, ${total('failed')} failed, ${total('skipped')} skipped`);
process.exit(total('failed') > 0 ? 1 : 0);
