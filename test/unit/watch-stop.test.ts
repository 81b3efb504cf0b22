/**
 * `pipewise run --watch` ends on Ctrl-C with nothing left open. A CI run once hung after the watched
 * run's child had printed its result: the SIGINT was handled, yet the process stayed alive holding an
 * inotify descriptor. The cause: a run that ended after the stop re-armed the file watchers (its
 * "the pipeline file may now name other data"), and those kept the process alive.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { watchPipeline } from '../../src/cli/watch';

/** The file watchers this process holds (fs.watch handles). */
const watchers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length;

test('a SIGINT while a run finishes: the watch ends with no file watcher left open', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewise-watch-stop-'));
  try {
    // A data folder (watched recursively) besides the pipeline's own folder.
    mkdirSync(path.join(dir, 'data'));
    writeFileSync(path.join(dir, 'data', 'a.csv'), 'x\n1\n');
    const file = path.join(dir, 'w.pipeline.yaml');
    writeFileSync(file, 'pipeline: w\nstages:\n  examples:\n    component: ExampleGen\n    params: { input: data/a.csv }\n');
    const before = watchers();
    const listening = new Set(process.listeners('SIGINT'));
    let runStarted!: () => void;
    const started = new Promise<void>((r) => (runStarted = r));
    const watching = watchPipeline({
      file,
      storeDir: path.join(dir, '.pipewise'),
      say: () => undefined,
      // As a supervised child does: the cancel reaches it, and it exits a moment later.
      run: (signal) =>
        new Promise<void>((resolve) => {
          runStarted();
          signal.addEventListener('abort', () => setTimeout(resolve, 20), { once: true });
        }),
    });
    await started;
    assert.ok(watchers() > before, 'the watch watches the pipeline folder and its data while the run goes on');
    const onSigint = process.listeners('SIGINT').filter((l) => !listening.has(l));
    assert.equal(onSigint.length, 1, 'the watch listens for Ctrl-C');
    (onSigint[0] as (signal: NodeJS.Signals) => void)('SIGINT');
    await watching;
    // A closed watcher's handle goes on the next turn of the loop.
    await new Promise((r) => setImmediate(r));
    assert.equal(watchers(), before, 'every file watcher is closed once the watch has ended');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
