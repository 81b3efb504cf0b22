/**
 * Alerts of `pipewise monitor --notify URL | --notify-cmd CMD` (README, "Labels and alerts"):
 * exactly one alert per change of state (ok → anomalous, anomalous → ok) and none while the state
 * stays; a receiver that hangs, or answers 500, costs retries and a warning, never the verdict
 * (exit 1 stays 1), and the state is not recorded, so the next run tries again. The receivers are
 * real HTTP servers on 127.0.0.1; the log is written by the real log writer.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mulberry32 } from '../../src/engine/model/random';
import { RequestLog } from '../../src/engine/serving/requestLog';
import { monitoredPipeline, penguins, SIGNATURE } from './monitor-helpers';
import { pipewise, root } from './serve-helpers';

let dir = '';
let file = '';
let logDir = '';
/** The first shifted request's time: `--until` it leaves only traffic drawn like training (ok). */
const SHIFT = Date.parse('2026-12-06T11:00:00Z');

interface Receiver {
  readonly url: string;
  /** Bodies received, parsed. */
  readonly bodies: Record<string, unknown>[];
  close(): Promise<void>;
}

/** A webhook receiver on 127.0.0.1 that answers `status`, or never answers (`hang`). */
async function receiver(behaviour: { status: number } | 'hang'): Promise<Receiver> {
  const bodies: Record<string, unknown>[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(text) as Record<string, unknown>);
      if (behaviour === 'hang') return;
      res.writeHead(behaviour.status, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    bodies,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-monitor-alerts-'));
  cpSync(path.join(root, 'test/fixtures/penguins.csv'), path.join(dir, 'data/penguins.csv'));
  file = await monitoredPipeline(dir);
  logDir = path.join(dir, 'requests');
  const log = await RequestLog.open({ dir: logDir, model: 'quality', signature: SIGNATURE });
  const data = penguins();
  const rand = mulberry32(5);
  const send = (time: number, shifted: boolean, i: number): void => {
    const { row } = data[Math.floor(rand() * data.length)] as (typeof data)[number];
    log.record({ time: new Date(time), verb: 'predict', version: 1, requestId: `r${i}`, rows: [shifted ? { ...row, island: 'Torgersen' } : row], predictions: [{ prediction: 'Adelie', scores: [0.8, 0.1, 0.1] }] });
  };
  for (let i = 0; i < 200; i++) send(SHIFT - 3_600_000 + i * 1000, false, i);
  for (let i = 0; i < 200; i++) send(SHIFT + i * 1000, true, 200 + i);
  await log.close();
});

after(() => rmSync(dir, { recursive: true, force: true }));

const OK = ['--until', new Date(SHIFT).toISOString()];

test('one alert per change of state, none while it stays, the state kept beside the log', { timeout: 300_000 }, async () => {
  const hook = await receiver({ status: 200 });
  try {
    const monitor = (extra: readonly string[]) => pipewise(['monitor', file, '--log', logDir, '--notify', hook.url, ...extra], dir);
    const steps: [readonly string[], number, number][] = [
      [OK, 0, 0], // ok, and no state yet (counts as ok): nothing to say
      [[], 1, 1], // ok → anomalous
      [[], 1, 1], // still anomalous
      [OK, 0, 2], // anomalous → ok
      [OK, 0, 2], // still ok
      [[], 1, 3], // ok → anomalous again
    ];
    for (const [extra, code, alerts] of steps) {
      const r = await monitor(extra);
      assert.equal(r.code, code, r.stderr);
      assert.equal(hook.bodies.length, alerts, `after monitor ${extra.join(' ')}: ${r.stderr}`);
    }
    const [first, second] = hook.bodies;
    assert.equal(first?.state, 'anomalous');
    assert.equal(first?.previous, 'ok');
    assert.deepEqual(first?.features, ['island']);
    assert.match(String(first?.text), /^Pipewise monitor: q is ANOMALOUS \(was ok\) — skew or anomalies in island/);
    assert.equal(second?.state, 'ok');
    assert.match(String(second?.text), /back to ok/);
    // The state file holds no URL (a webhook's secret stays out of the log folder).
    const state = readFileSync(path.join(logDir, 'monitor-state.json'), 'utf8');
    assert.ok(!state.includes('127.0.0.1'), state);
    assert.match(state, /"state": "anomalous"/);
  } finally {
    await hook.close();
  }
});

test('a receiver that hangs or answers 500: monitor retries, says so, exits with the verdict, and tries again next run', { timeout: 300_000 }, async () => {
  for (const behaviour of ['hang', { status: 500 }] as const) {
    const hook = await receiver(behaviour);
    try {
      const started = Date.now();
      const r = await pipewise(['monitor', file, '--log', logDir, '--notify', hook.url, '--notify-timeout', '0.5'], dir, 60_000);
      assert.equal(r.code, 1, `the verdict (anomalous), not the delivery: ${r.stderr}`);
      assert.equal(hook.bodies.length, 3, 'three attempts');
      const reason = behaviour === 'hang' ? /no answer within 500 ms/ : /HTTP 500/;
      assert.match(r.stderr, /warning: ok → anomalous: the alert to http:\/\/127\.0\.0\.1:\d+ failed \(attempt 1: /);
      assert.match(r.stderr, reason);
      assert.match(r.stderr, /tried again at the next run/);
      assert.ok(Date.now() - started < 45_000, 'bounded by the timeout and retries');
      // Not recorded as sent: the next run tries again.
      const again = await pipewise(['monitor', file, '--log', logDir, '--notify', hook.url, '--notify-timeout', '0.5'], dir, 60_000);
      assert.equal(again.code, 1, again.stderr);
      assert.equal(hook.bodies.length, 6);
    } finally {
      await hook.close();
    }
  }
});

test('--notify-cmd gets the JSON on stdin once per change; only http(s) URLs are taken', { timeout: 300_000 }, async () => {
  const out = path.join(dir, 'alert.json');
  const cmd = `cat > '${out}'`;
  const r = await pipewise(['monitor', file, '--log', logDir, '--notify-cmd', cmd], dir);
  assert.equal(r.code, 1, r.stderr);
  const payload = JSON.parse(readFileSync(out, 'utf8')) as { state: string; text: string };
  assert.equal(payload.state, 'anomalous');
  rmSync(out);
  const still = await pipewise(['monitor', file, '--log', logDir, '--notify-cmd', cmd], dir);
  assert.equal(still.code, 1, still.stderr);
  assert.ok(!existsSync(out), 'no change, no command');
  for (const bad of ['file:///etc/passwd', 'ftp://example.com/x', 'not a url']) {
    const b = await pipewise(['monitor', file, '--log', logDir, '--notify', bad], dir);
    assert.equal(b.code, 2, b.stderr);
    assert.match(b.stderr, /--notify takes an http:\/\/ or https:\/\/ URL/);
  }
});
