// The one test command (`npm test`): installs what the host and browser layers need (cached), then
// runs the unit, worker, host and browser layers in that order, even when an earlier one fails, and
// ends with one line `N passed, N failed, N skipped` summing every layer. Exits 1 if anything failed.
//
//   node test/run-all.mjs [--only unit,worker,host,package,browser] [--skip-setup]
//
// Every layer prints node:test's closing counts (`ℹ pass N` …); the host launcher prints the same.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { only: { type: 'string' }, 'skip-setup': { type: 'boolean', default: false } } });
const only = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : undefined;

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tsxNode = [process.execPath, '--import', 'tsx'];
/** @type {{ name: string, needsSetup: boolean, command: string[] }[]} */
const layers = [
  { name: 'unit', needsSetup: false, command: [npm, 'run', '--silent', 'test:unit'] },
  // Builds the bundles, which the host layer then uses.
  { name: 'worker', needsSetup: false, command: [npm, 'run', '--silent', 'test:worker'] },
  { name: 'host', needsSetup: true, command: [...tsxNode, 'test/host/launch.ts'] },
  // Every platform's VSIX and the CLI's npm package (needs `file` and `readelf` from the setup).
  { name: 'package', needsSetup: true, command: [npm, 'run', '--silent', 'test:package'] },
  // Packages the VSIX the browser tests install.
  { name: 'browser', needsSetup: true, command: [npm, 'run', '--silent', 'test:e2e'] },
].filter((l) => !only || only.has(l.name));

/** Runs a command with its output streamed through, and returns its exit code and output. */
function run(command) {
  return new Promise((resolve) => {
    const [cmd, ...args] = command;
    // Own process group, so an interrupted run can take the whole layer down with it.
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' }, detached: true });
    current = child;
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      output += d;
      process.stderr.write(d);
    });
    child.on('error', (e) => {
      output += String(e);
      resolve({ code: 1, output });
    });
    child.on('close', (code, signal) => {
      current = undefined;
      resolve({ code: code ?? (signal ? 1 : 0), output });
    });
  });
}

/** @type {import('node:child_process').ChildProcess | undefined} */
let current;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (current?.pid) {
      try {
        process.kill(-current.pid, 'SIGTERM');
      } catch {
        // gone already
      }
    }
    process.exit(130);
  });
}

/** The last `ℹ <key> N` of node:test's (or our host launcher's) closing lines. */
function count(output, key) {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const all = [...plain.matchAll(new RegExp(`^\\s*ℹ ${key} (\\d+)\\s*$`, 'gm'))];
  return all.length ? Number(all[all.length - 1][1]) : 0;
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const results = [];
const started = Date.now();

let setupOk = true;
if (!values['skip-setup'] && layers.some((l) => l.needsSetup)) {
  console.log('\n=== setup: Node 24, code-server, chromium (cached) ===');
  const t = Date.now();
  const { code } = await run(['bash', 'scripts/setup-test-env.sh']);
  setupOk = code === 0;
  results.push({ name: 'setup', passed: 0, failed: setupOk ? 0 : 1, skipped: 0, ms: Date.now() - t, note: setupOk ? 'ok' : `failed (exit ${code})` });
}

for (const layer of layers) {
  console.log(`\n=== ${layer.name} tests ===`);
  const t = Date.now();
  if (layer.needsSetup && !setupOk) {
    results.push({ name: layer.name, passed: 0, failed: 1, skipped: 0, ms: 0, note: 'not run: setup failed' });
    continue;
  }
  const { code, output } = await run(layer.command);
  const passed = count(output, 'pass');
  let failed = count(output, 'fail') + count(output, 'cancelled');
  const skipped = count(output, 'skipped') + count(output, 'todo');
  // A layer that crashed before its tests ran (build error, packaging error) still counts as a failure.
  const note = code !== 0 && failed === 0 ? `exited with code ${code} before reporting a failed test` : '';
  if (note) failed = 1;
  results.push({ name: layer.name, passed, failed, skipped, ms: Date.now() - t, note });
}

console.log('\n=== summary ===');
for (const r of results) {
  const counts = r.name === 'setup' ? r.note : `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped${r.note ? ` (${r.note})` : ''}`;
  console.log(`${r.name.padEnd(8)} ${seconds(r.ms).padStart(8)}  ${counts}`);
}
const total = (k) => results.reduce((s, r) => s + r[k], 0);
console.log(`total    ${seconds(Date.now() - started).padStart(8)}`);
console.log(`${total('passed')} passed, ${total('failed')} failed, ${total('skipped')} skipped`);
process.exit(total('failed') > 0 ? 1 : 0);
