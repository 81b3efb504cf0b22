/**
 * One writer per store: a run (and `doctor --fix`, `gc`) holds `.pipewise/lock` while it changes
 * the store, so two runs of the same pipeline (two CLIs, or the CLI and the editor) never
 * interleave their writes or mistake each other's work for a crash's leftovers.
 *
 * The lock is a file created with O_EXCL holding `{ pid, processStart, worker?, since, command, token }`
 * (`worker`: the child doing a supervised `pipewise run`'s work for `pid`; held while either lives). A
 * second taker either waits (polling) or is refused with a message naming the holder (its command
 * escaped: the lock is a file anyone could have written). A lock whose process is gone (killed,
 * crashed), or whose pid now belongs to a process started at another time, is taken over; taking over is itself serialised by `lock.takeover`, so two
 * waiters never both decide the lock is stale and both take it.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CancelledError, PipewiseError } from '../core/errors';
import { processStartMs, runOwner, orphanedWorker, runProcessAlive, type ProcessRef } from './lineage';
import { ownedPath, StoreLinkError } from './store';

export interface LockHolder {
  readonly pid: number;
  /** When the holder's process started (ms since the epoch): a later process given the same pid is not the holder. */
  readonly processStart?: number;
  /** The child doing the work when `pid` is a supervised `pipewise run`: the lock is held while either lives. */
  readonly worker?: ProcessRef;
  /** ISO time the lock was taken. */
  readonly since: string;
  /** What holds it, e.g. `pipewise run penguins.pipeline.yaml`. */
  readonly command: string;
  readonly token: string;
}

export interface LockOptions {
  /** What the holder is doing, shown to whoever is refused. */
  readonly command: string;
  /** Wait for the lock (up to this many ms; Infinity for no bound) instead of being refused. */
  readonly waitMs?: number;
  /** Called once when the lock is held by someone else and we start waiting. */
  readonly onWait?: (holder: LockHolder) => void;
  readonly signal?: AbortSignal;
  /** Poll interval while waiting. */
  readonly pollMs?: number;
  /**
   * A symbolic link where the lock goes: remove the link itself (`doctor --fix`) instead of refusing
   * the store with StoreLinkError. The links removed are in `StoreLock.removedLinks`.
   */
  readonly removeLinks?: boolean;
}

export interface StoreLock {
  readonly holder: LockHolder;
  /** Links found where the lock goes and removed (only with `removeLinks`). */
  readonly removedLinks: readonly { readonly link: string; readonly target: string }[];
  release(): Promise<void>;
}

/** The store is in use by a live process: the message names it (pid, since when, what). */
export class StoreLockedError extends PipewiseError {
  constructor(
    readonly storeDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `the store ${storeDir} is in use by ${describeHolder(holder)}; ` +
        'wait for it to finish, or run with --wait to queue behind it',
      { code: 'locked' },
    );
    this.name = 'StoreLockedError';
  }
}

export function lockFile(storeDir: string): string {
  return path.join(storeDir, 'lock');
}

/** `"pipewise run p.pipeline.yaml" (pid 4242, since 2026-…)`: what it says is quoted and escaped, so a lock's text never reaches a terminal raw. */
export function describeHolder(h: LockHolder): string {
  const since = /^[0-9TZ:.+-]+$/.test(String(h.since)) ? h.since : JSON.stringify(String(h.since));
  return `${JSON.stringify(String(h.command))} (pid ${h.pid}, since ${since})`;
}

/** How long a new run waits for an orphaned supervised child (its parent killed) to end itself. */
const ORPHAN_GRACE_MS = 5000;

export async function acquireStoreLock(storeDir: string, options: LockOptions): Promise<StoreLock> {
  await fs.mkdir(storeDir, { recursive: true });
  // The lock, like everything the store writes, is never a symbolic link (store.ts ownedPath).
  const removedLinks: { link: string; target: string }[] = [];
  for (const name of ['lock', 'lock.takeover']) {
    try {
      ownedPath(storeDir, name);
    } catch (e) {
      if (!(e instanceof StoreLinkError) || !options.removeLinks) throw e;
      await fs.unlink(e.link); // the link itself: unlink never follows it
      removedLinks.push({ link: e.link, target: e.target });
    }
  }
  const file = lockFile(storeDir);
  const me: LockHolder = { ...runOwner(), since: new Date().toISOString(), command: options.command, token: randomBytes(8).toString('hex') };
  const deadline = Date.now() + (options.waitMs ?? 0);
  let announced = false;
  let orphanGraceUntil: number | undefined;
  for (;;) {
    if (options.signal?.aborted) throw new CancelledError();
    if (await tryCreate(file, me)) break;
    const holder = await readHolder(file);
    if (!holder || !runProcessAlive(holder)) {
      // Nobody alive holds it (or a writer died between create and write): take it over.
      if (await takeOver(file, holder)) continue;
    } else {
      // A holder whose own process died (SIGKILL) leaves its supervised child, which ends itself as
      // soon as it sees its parent gone: wait for that rather than refuse a run that comes right after.
      if (orphanedWorker(holder) && orphanGraceUntil === undefined) orphanGraceUntil = Date.now() + ORPHAN_GRACE_MS;
      if (Date.now() >= deadline && !(orphanGraceUntil !== undefined && Date.now() < orphanGraceUntil && orphanedWorker(holder))) throw new StoreLockedError(storeDir, holder);
      if (!announced) options.onWait?.(holder);
      announced = true;
    }
    await sleep(options.pollMs ?? 200, options.signal);
  }
  return {
    holder: me,
    removedLinks,
    async release() {
      // Remove it only if it is still ours (a takeover after a pause must not be undone).
      const h = await readHolder(file);
      if (h?.token === me.token) await fs.rm(file, { force: true });
    },
  };
}

async function tryCreate(file: string, me: LockHolder): Promise<boolean> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    await handle.writeFile(JSON.stringify(me));
  } finally {
    await handle.close();
  }
  return true;
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    const h = JSON.parse(await fs.readFile(file, 'utf8')) as LockHolder;
    const validProcess = (p: ProcessRef): boolean => typeof p.pid === 'number' && (p.processStart === undefined || typeof p.processStart === 'number');
    if (!validProcess(h) || (h.worker !== undefined && (typeof h.worker !== 'object' || h.worker === null || !validProcess(h.worker)))) return undefined;
    return h;
  } catch {
    return undefined;
  }
}

/**
 * Removes a stale lock, under `lock.takeover` so that only one process does it; it re-reads the
 * lock inside, so a lock taken by a live process meanwhile is left alone. An empty or unreadable
 * lock younger than 5 s is left too: its writer may be between create and write.
 */
async function takeOver(file: string, seen: LockHolder | undefined): Promise<boolean> {
  const guard = `${file}.takeover`;
  const guardHolder: LockHolder = { pid: process.pid, processStart: processStartMs(process.pid), since: new Date().toISOString(), command: 'takeover', token: randomBytes(8).toString('hex') };
  if (!(await tryCreate(guard, guardHolder))) {
    const g = await readHolder(guard);
    if (!g || !runProcessAlive(g)) {
      const st = await fs.stat(guard).catch(() => undefined);
      if (g || (st && Date.now() - st.mtimeMs > 5000)) await fs.rm(guard, { force: true });
    }
    return false;
  }
  try {
    const now = await readHolder(file);
    if (now && runProcessAlive(now)) return false;
    if (!now) {
      const st = await fs.stat(file).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs < 5000 && !seen) return false;
    } else if (seen && now.token !== seen.token) {
      return false; // it changed hands since we looked; look again
    }
    await fs.rm(file, { force: true });
    return true;
  } finally {
    await fs.rm(guard, { force: true });
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
