/**
 * The CLI as a user runs it, for the engine tests: a project of the test-only user components
 * (test/fixtures/engine) in a temporary folder, `node bin/pipewise.js` run to its end, or started in
 * the background with its output gathered as it comes. Built by `npm run test:worker`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunResult } from '../../src/protocol/runEvents';
import { cli, root, type Ran } from './serve-helpers';

const fixtures = path.join(root, 'test/fixtures/engine');

/** The fixture components' smallest pipeline: numbers read from data/numbers.txt, then scaled by 10. */
export const TINY_PIPELINE = `pipeline: tiny
stages:
  numbers:
    component: ./components/emit_numbers.js
    params: { input: data/numbers.txt }
  scaled:
    component: ./components/scale_numbers.js
    inputs: { examples: numbers.examples }
    params: { factor: 10 }
`;

/** A temporary folder (`prefix` + random) with the fixture components in components/, data/numbers.txt and `pipeline` as tiny.pipeline.yaml. */
export function engineProject(prefix: string, pipeline: string, numbers = '1 2 3 4'): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  mkdirSync(path.join(dir, 'components'));
  mkdirSync(path.join(dir, 'data'));
  for (const f of readdirSync(fixtures)) cpSync(path.join(fixtures, f), path.join(dir, 'components', f));
  writeFileSync(path.join(dir, 'data/numbers.txt'), numbers);
  const file = path.join(dir, 'tiny.pipeline.yaml');
  writeFileSync(file, pipeline);
  return { dir, file };
}

/** `node bin/pipewise.js ARGS` to its end, synchronously; killed after `timeoutMs`. */
export function pipewiseSync(args: readonly string[], options: { readonly cwd?: string; readonly timeoutMs: number }): Ran {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: options.cwd, encoding: 'utf8', timeout: options.timeoutMs });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A CLI process started in the background: its output so far and its exit code. */
export interface StartedCli {
  readonly child: ChildProcess;
  readonly exit: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

/** `node bin/pipewise.js ARGS` started in the background, both outputs gathered. */
export function startPipewise(args: readonly string[]): StartedCli {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exit, stdout: () => stdout, stderr: () => stderr };
}

/** The RunResults a `--json` run printed so far, one a line (`run --watch` prints one per run). */
export function jsonRuns(stdout: string): RunResult[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as RunResult);
}
