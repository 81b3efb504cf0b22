/**
 * The worker port's notification fan-out (src/extension/workerPortFanout.ts) with a fake connection
 * that, like a JSON-RPC connection, keeps one handler per method: every subscriber hears every
 * notification, each method is wired once per connection, subscriptions survive a new worker, and a
 * disposed or throwing subscriber does not stop the others.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotificationType } from 'vscode-jsonrpc';
import { NotificationFanout, type NotificationSource } from '../../src/extension/workerPortFanout';

/** A connection with one handler per method; a second registration replaces the first, as vscode-jsonrpc's does. */
class FakeConnection implements NotificationSource {
  readonly handlers = new Map<string, (p: unknown) => void>();
  registrations = 0;
  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): void {
    this.registrations++;
    this.handlers.set(type.method, handler as (p: unknown) => void);
  }
  send(method: string, params: unknown): void {
    this.handlers.get(method)?.(params);
  }
}

const Progress = new NotificationType<{ n: number }>('pipewise/progress');
const Log = new NotificationType<string>('pipewise/log');

test('every subscriber of a method hears each notification, through one registration per method', () => {
  const fanout = new NotificationFanout(() => assert.fail('no subscriber throws here'));
  const conn = new FakeConnection();
  fanout.attach(conn);
  const a: number[] = [];
  const b: number[] = [];
  const logs: string[] = [];
  fanout.subscribe(Progress, (p) => a.push(p.n));
  fanout.subscribe(Progress, (p) => b.push(p.n));
  fanout.subscribe(Log, (s) => logs.push(s));
  conn.send('pipewise/progress', { n: 1 });
  conn.send('pipewise/progress', { n: 2 });
  conn.send('pipewise/log', 'hello');
  assert.deepEqual(a, [1, 2]);
  assert.deepEqual(b, [1, 2]);
  assert.deepEqual(logs, ['hello']);
  assert.equal(conn.registrations, 2, 'one onNotification per method, not per subscriber');
});

test('subscriptions made before any worker, or before a restart, are wired to the next connection', () => {
  const fanout = new NotificationFanout(() => undefined);
  const seen: number[] = [];
  fanout.subscribe(Progress, (p) => seen.push(p.n));
  const first = new FakeConnection();
  fanout.attach(first);
  first.send('pipewise/progress', { n: 1 });
  const second = new FakeConnection();
  fanout.attach(second);
  second.send('pipewise/progress', { n: 2 });
  assert.deepEqual(seen, [1, 2]);
  assert.equal(second.registrations, 1);
});

test('a removed subscriber hears nothing more; a throwing one is reported and the others still hear', () => {
  const errors: string[] = [];
  const fanout = new NotificationFanout((method, e) => errors.push(`${method}: ${String(e)}`));
  const conn = new FakeConnection();
  fanout.attach(conn);
  const kept: number[] = [];
  const removed: number[] = [];
  fanout.subscribe(Progress, () => {
    throw new Error('boom');
  });
  const remove = fanout.subscribe(Progress, (p) => removed.push(p.n));
  fanout.subscribe(Progress, (p) => kept.push(p.n));
  conn.send('pipewise/progress', { n: 1 });
  remove();
  conn.send('pipewise/progress', { n: 2 });
  assert.deepEqual(kept, [1, 2]);
  assert.deepEqual(removed, [1]);
  assert.deepEqual(errors, ['pipewise/progress: Error: boom', 'pipewise/progress: Error: boom']);
  fanout.clear();
  conn.send('pipewise/progress', { n: 3 });
  assert.deepEqual(kept, [1, 2], 'cleared with the port');
});
