/**
 * A real request log for the monitoring panel's tests (host and browser): the pipeline is run with
 * the CLI, `pipewise serve` serves the model it pushed with `--log-dir`, and gets 200 requests drawn
 * like the training data (rows of the pipeline's CSV, with replacement) then 200 shifted ones
 * (`island` pinned to Torgersen, `bill_length_mm` moved by +3 σ); the server is stopped once all
 * 400 are on disk. As the worker-layer whole loop (test/worker/serve-loop.test.ts) does it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { mulberry32 } from '../../src/engine/model/random';
import { runCli, waitFor } from '../worker/serve-helpers';

export const SHIFTED = ['bill_length_mm', 'island'];

type Row = Record<string, string | number | null>;

/** `pipewise monitor FILE --log DIR --json` (exit 0 or 1) as parsed JSON. */
export async function monitorJson(cli: string, pipelineFile: string, logDir: string, extra: readonly string[] = []): Promise<{ code: number | null; json: MonitorJsonOut }> {
  const r = await runCli(cli, ['monitor', pipelineFile, '--log', logDir, '--json', ...extra], path.dirname(pipelineFile), 600_000);
  if (r.code !== 0 && r.code !== 1) throw new Error(`pipewise monitor exited ${r.code}: ${r.stderr}`);
  return { code: r.code, json: JSON.parse(r.stdout) as MonitorJsonOut };
}

export interface MonitorJsonOut {
  window: { from: string; to: string };
  requests: number;
  features: { name: string; metric: string | null; distance: number | null; threshold: number; anomalous: boolean }[];
  anomalies: { feature: string; type: string; description: string }[];
}

/**
 * Runs `pipelineFile` (penguins, with a Pusher to serving/penguins), serves the pushed model with
 * `--log-dir logDir`, sends the 400 requests and stops the server. `csv` is the training data.
 */
export async function buildRequestLog(cli: string, pipelineFile: string, csv: string, logDir: string, base = 'serving/penguins'): Promise<void> {
  const cwd = path.dirname(pipelineFile);
  const run = await runCli(cli, ['run', pipelineFile, '--json'], cwd, 600_000);
  if (run.code !== 0) throw new Error(`pipewise run failed:\n${run.stderr}`);
  const [head, ...lines] = readFileSync(csv, 'utf8').trim().split('\n');
  const header = (head as string).split(',');
  const features = header.filter((h) => h !== 'species');
  const rows: Row[] = lines.map((l) => {
    const cells = l.split(',');
    return Object.fromEntries(features.map((f) => {
      const c = cells[header.indexOf(f)] ?? '';
      return [f, c === 'NA' || c === '' ? null : /^-?\d+(\.\d+)?$/.test(c) ? Number(c) : c];
    }));
  });
  const bills = rows.map((r) => r.bill_length_mm).filter((v): v is number => typeof v === 'number');
  const mean = bills.reduce((a, b) => a + b, 0) / bills.length;
  const sd = Math.sqrt(bills.reduce((a, b) => a + (b - mean) ** 2, 0) / (bills.length - 1));

  const proc = spawn(process.execPath, [cli, 'serve', path.resolve(cwd, base), '--port', '0', '--log-dir', logDir], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  try {
    const url = await waitFor('pipewise serve to listen', async () => {
      if (proc.exitCode !== null) throw new Error(`pipewise serve exited ${proc.exitCode}: ${stderr}`);
      return /^(http:\/\/\S+)\n/.exec(stdout)?.[1];
    }, 120_000);
    const model = path.basename(base);
    await waitFor('a version AVAILABLE', async () => {
      const r = await fetch(`${url}/v1/models/${model}`);
      const body = (await r.json()) as { model_version_status?: { state: string }[] };
      return body.model_version_status?.some((v) => v.state === 'AVAILABLE') ? true : undefined;
    }, 120_000);
    const rand = mulberry32(11);
    const send = async (instance: Row): Promise<void> => {
      const r = await fetch(`${url}/v1/models/${model}:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [instance] }) });
      if (r.status !== 200) throw new Error(`predict answered ${r.status}: ${await r.text()}`);
    };
    for (let i = 0; i < 200; i++) await send(rows[Math.floor(rand() * rows.length)] as Row);
    for (let i = 0; i < 200; i++) {
      const src = rows[Math.floor(rand() * rows.length)] as Row;
      await send({ ...src, island: 'Torgersen', bill_length_mm: typeof src.bill_length_mm === 'number' ? src.bill_length_mm + 3 * sd : null });
    }
    await waitFor('400 logged requests', async () => ((await monitorJson(cli, pipelineFile, logDir)).json.requests === 400 ? true : undefined), 60_000);
  } finally {
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await exited;
  }
}
