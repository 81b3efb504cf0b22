/**
 * Alerts of `pipewise monitor --notify URL | --notify-cmd CMD`: one message per CHANGE of state
 * (ok → anomalous, anomalous → ok), never one per run. The last state sent to each target is kept
 * beside the request log, in `monitor-state.json` (written atomically), keyed by a hash of the
 * pipeline file and the target — so a webhook URL with a secret in it is never written to disk,
 * and two monitors of one log with different targets keep their own state. With no state yet the
 * previous state counts as ok: the first anomalous run alerts, the first ok run does not.
 *
 * Delivery has a timeout per attempt and retries (network errors, timeouts, 408, 429 and 5xx); when
 * every attempt fails the state is NOT recorded, so the next run tries again. A failed delivery
 * never changes the monitoring verdict — the caller only reports it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { errorMessage, PipewiseError } from '../../core/errors';
import { writeFileAtomic } from '../store';
import { anomalousFeatures, isAnomalousWindow, type MonitorWindow } from './monitor';
import type { QualityReport } from './quality';

export const ALERT_STATE_FILE = 'monitor-state.json';

export type MonitorState = 'ok' | 'anomalous';

/** The JSON posted (or given on stdin); `text` is what Slack's incoming webhooks show. */
export interface AlertPayload {
  readonly text: string;
  readonly state: MonitorState;
  readonly previous: MonitorState;
  readonly pipeline: string;
  readonly logDir: string;
  readonly at: string;
  /** Features flagged over all the traffic (skew or schema anomalies). */
  readonly features: readonly string[];
  /** Versions flagged on their own share of the traffic. */
  readonly versions: readonly { readonly version: number; readonly features: readonly string[] }[];
  /** Versions whose quality from labels fails the Evaluator's thresholds, with the failed checks. */
  readonly quality: readonly { readonly version: number; readonly failed: readonly string[] }[];
}

/** What `monitor` concludes from its windows and quality: the state, and what made it so. */
export interface MonitorVerdict {
  readonly state: MonitorState;
  readonly features: readonly string[];
  readonly versions: readonly { readonly version: number; readonly features: readonly string[] }[];
  readonly quality: readonly { readonly version: number; readonly failed: readonly string[] }[];
  /** One line: what is anomalous (empty when ok). */
  readonly summary: string;
}

export function monitorVerdict(windows: readonly MonitorWindow[], quality: QualityReport | undefined): MonitorVerdict {
  const features = [...new Set(windows.flatMap((w) => anomalousFeatures(w)))].sort();
  const byVersion = new Map<number, Set<string>>();
  for (const w of windows) for (const v of w.versions) for (const f of anomalousFeatures(v)) byVersion.set(v.version, (byVersion.get(v.version) ?? new Set()).add(f));
  // A single version's share is the whole traffic: said once, as the features above.
  const versions = windows.some((w) => w.versions.length > 1) ? [...byVersion].map(([version, fs]) => ({ version, features: [...fs].sort() })) : [];
  const failed = (quality?.versions ?? []).filter((v) => v.passed === false).map((v) => ({ version: v.version, failed: v.checks.filter((c) => !c.passed).map((c) => c.message) }));
  const anomalous = windows.some(isAnomalousWindow) || failed.length > 0;
  const summary = anomalous
    ? [
        features.length ? `skew or anomalies in ${features.join(', ')}` : '',
        ...versions.map((v) => `version ${v.version}: ${v.features.join(', ')}`),
        ...failed.map((v) => `version ${v.version} quality: ${v.failed.join('; ')}`),
      ]
        .filter(Boolean)
        .join(' · ')
    : '';
  return { state: anomalous ? 'anomalous' : 'ok', features, versions, quality: failed, summary };
}

export type AlertTarget = { readonly url: string } | { readonly command: string };

export interface DeliveryOptions {
  /** Per attempt (default 10 s). */
  readonly timeoutMs?: number;
  /** Attempts in all (default 3). */
  readonly attempts?: number;
  /** Wait before the second attempt, doubled after each (default 500 ms). */
  readonly backoffMs?: number;
}

export interface AlertOutcome {
  readonly previous: MonitorState;
  readonly state: MonitorState;
  /** Whether the state changed (so a message was due). */
  readonly changed: boolean;
  /** Due and delivered. */
  readonly delivered: boolean;
  /** Why delivery failed, attempt by attempt (empty when it worked or was not due). */
  readonly failures: readonly string[];
  /** The state could not be recorded (the alert may repeat next run). */
  readonly stateError?: string;
}

/** Only http(s) URLs: a `file:` or other scheme is refused before anything is sent. */
export function checkAlertUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new PipewiseError(`--notify takes an http:// or https:// URL, got ${JSON.stringify(text)}`, { code: 'usage' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new PipewiseError(`--notify takes an http:// or https:// URL, not ${url.protocol}`, { code: 'usage' });
  return url.toString();
}

interface StateFile {
  readonly targets: Record<string, { readonly state: MonitorState; readonly since: string }>;
}

function stateKey(pipelineFile: string, target: AlertTarget): string {
  const what = 'url' in target ? `url ${target.url}` : `command ${target.command}`;
  return createHash('sha256').update(`${path.resolve(pipelineFile)}\n${what}`).digest('hex').slice(0, 16);
}

async function readState(file: string): Promise<StateFile> {
  if (!existsSync(file)) return { targets: {} };
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<StateFile>;
    return { targets: parsed.targets && typeof parsed.targets === 'object' ? parsed.targets : {} };
  } catch {
    // A damaged state file only costs a repeated alert: start again from "ok".
    return { targets: {} };
  }
}

function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** One POST with a timeout; throws a one-line reason. */
async function post(url: string, payload: AlertPayload, timeoutMs: number): Promise<{ ok: boolean; retry: boolean; reason: string }> {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload), signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    await res.arrayBuffer().catch(() => undefined);
    return { ok: res.ok, retry: retryable(res.status), reason: `HTTP ${res.status}` };
  } catch (e) {
    const timedOut = e instanceof DOMException && e.name === 'TimeoutError';
    return { ok: false, retry: true, reason: timedOut ? `no answer within ${timeoutMs} ms` : errorMessage(e) };
  }
}

/** The command with the payload on stdin, killed after the timeout; exit 0 is delivered. */
function runCommand(command: string, payload: AlertPayload, timeoutMs: number): Promise<{ ok: boolean; retry: boolean; reason: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, { shell: true, stdio: ['pipe', 'ignore', 'pipe'], detached: process.platform !== 'win32' });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-500)));
    const timer = setTimeout(() => {
      // The whole group: a shell's children too.
      try {
        if (child.pid !== undefined) process.kill(process.platform === 'win32' ? child.pid : -child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      resolve({ ok: false, retry: true, reason: `did not end within ${timeoutMs} ms` });
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, retry: false, reason: errorMessage(e) });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, retry: code !== 0, reason: code === 0 ? 'exit 0' : `exit ${code ?? signal}${stderr.trim() ? `: ${stderr.trim().split('\n').at(-1)}` : ''}` });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(JSON.stringify(payload));
  });
}

async function deliver(target: AlertTarget, payload: AlertPayload, options: DeliveryOptions): Promise<string[]> {
  const attempts = options.attempts ?? 3;
  const timeoutMs = options.timeoutMs ?? 10_000;
  let wait = options.backoffMs ?? 500;
  const failures: string[] = [];
  for (let i = 0; i < attempts; i++) {
    if (i > 0) {
      await new Promise((r) => setTimeout(r, wait));
      wait *= 2;
    }
    const r = 'url' in target ? await post(target.url, payload, timeoutMs) : await runCommand(target.command, payload, timeoutMs);
    if (r.ok) return [];
    failures.push(`attempt ${i + 1}: ${r.reason}`);
    if (!r.retry) break;
  }
  return failures;
}

/**
 * Sends `payload` (whose `previous` is filled from the state file) when the state differs from the
 * last one recorded for this pipeline and target, then records the new state.
 */
export async function alertOnChange(
  logDir: string,
  pipelineFile: string,
  target: AlertTarget,
  build: (previous: MonitorState) => AlertPayload,
  options: DeliveryOptions = {},
): Promise<AlertOutcome> {
  const file = path.join(logDir, ALERT_STATE_FILE);
  const key = stateKey(pipelineFile, target);
  const saved = await readState(file);
  const previous = saved.targets[key]?.state ?? 'ok';
  const payload = build(previous);
  const state = payload.state;
  if (state === previous) return { previous, state, changed: false, delivered: false, failures: [] };
  const failures = await deliver(target, payload, options);
  if (failures.length) return { previous, state, changed: true, delivered: false, failures };
  try {
    // Read again just before writing: another monitor of this log may have recorded its own target meanwhile.
    const now = await readState(file);
    await writeFileAtomic(file, `${JSON.stringify({ targets: { ...now.targets, [key]: { state, since: payload.at } } }, null, 1)}\n`);
    return { previous, state, changed: true, delivered: true, failures: [] };
  } catch (e) {
    return { previous, state, changed: true, delivered: true, failures: [], stateError: `cannot write ${file}: ${errorMessage(e)}` };
  }
}
