/**
 * Helpers for the serving tests: the CLI run as a user runs it (asynchronously, so requests can go
 * on meanwhile), a `pipewise serve` process and condition-based waits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { exampleGenStage, penguinOpening, pipelineText, schemaGenStage, statisticsGenStage, trainerStage, transformStage } from '../pipelineText';

export const root = path.resolve(__dirname, '../..');

/**
 * The penguin pipeline up to a trained classifier of species (no Evaluator or Pusher): a small DNN
 * trained `train` epochs, or the Trainer's params as written (`'{ epochs: 20000, early_stopping: null }'`).
 */
export function penguinTrainPipeline(name: string, train: number | string): string {
  return pipelineText(
    name,
    penguinOpening({ label: 'species', transformStyle: 'block' }),
    trainerStage(typeof train === 'number' ? `{ model: dnn, hidden_units: [8], epochs: ${train} }` : train),
  );
}

/**
 * The penguin pipeline trained on any label (rows without it dropped first: Transform refuses them),
 * evaluated and batch-inferred; `extra` adds stages (pushes, infra validation) at the end.
 */
export function labelledPenguinPipeline(name: string, label: string, options: { seed: number; evaluate: string; extra?: string }): string {
  return `${pipelineText(
    name,
    exampleGenStage('data/penguins.csv', 'flow', 'raw'),
    `  examples: { component: Sql, inputs: { examples: raw.examples }, params: { query: 'SELECT * FROM examples WHERE "${label}" IS NOT NULL' } }\n`,
    statisticsGenStage(),
    schemaGenStage(),
    transformStage(label),
    trainerStage(`{ hidden_units: [16], epochs: 25, seed: ${options.seed} }`),
  )}  evaluate: { component: Evaluator, inputs: { examples: examples.examples, model: train.model }, params: ${options.evaluate} }
  infer: { component: BulkInferrer, inputs: { examples: examples.examples, model: train.model } }
${options.extra ?? ''}`;
}

/** One penguin as a client sends it: every raw feature, as in penguins.csv. */
export const PENGUIN: Readonly<Record<string, unknown>> = { island: 'Biscoe', bill_length_mm: 46.1, bill_depth_mm: 13.2, flipper_length_mm: 211, body_mass_g: 4500, sex: 'female', year: 2007 };
export const cli = path.join(root, 'bin/pipewise.js');

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node bin/pipewise.js ARGS` to its end. */
export function pipewise(args: readonly string[], cwd?: string, timeoutMs = 240_000): Promise<Ran> {
  return runCli(cli, args, cwd, timeoutMs);
}

/** `node CLI ARGS` (the repository's CLI, or another build of it) to its end; killed after `timeoutMs`. */
export function runCli(cli: string, args: readonly string[], cwd?: string, timeoutMs = 240_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`pipewise ${args.join(' ')} did not end within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Waits until `check` returns a value (not undefined), polling; fails after `boundMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, boundMs = 120_000, everyMs = 100): Promise<T> {
  const end = Date.now() + boundMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface Served {
  readonly proc: ChildProcess;
  readonly url: string;
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

/** `pipewise serve BASE ARGS` on a free port; resolves once it listens (its first line on stdout is the URL). */
export async function startServe(base: string, args: readonly string[] = []): Promise<Served> {
  const proc = spawn(process.execPath, [cli, 'serve', base, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const url = await waitFor(`pipewise serve to listen (${stderr})`, () => {
    if (proc.exitCode !== null) throw new Error(`pipewise serve exited ${proc.exitCode}: ${stderr}`);
    return /^(http:\/\/\S+)\n/.exec(stdout)?.[1];
  });
  return {
    proc,
    url,
    stderr: () => stderr,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export interface VersionStatus {
  version: string;
  state: string;
  status: { error_code: string; error_message: string };
}

/** The model's status list (404 → empty). */
export async function versionsOf(url: string, model: string): Promise<VersionStatus[]> {
  const r = await getJson(`${url}/v1/models/${model}`);
  return r.status === 200 ? (r.body.model_version_status as VersionStatus[]) : [];
}
