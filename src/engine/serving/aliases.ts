/**
 * The model registry's aliases (MLflow's `champion`/`challenger`, TF Serving's version labels): names
 * on the pushed versions of one model base path, kept in `BASE/aliases.json` beside the version
 * folders, with the history of every change (who, when, from which version to which):
 *
 *   { "format": "pipewise-aliases/1", "aliases": { "champion": 3 },
 *     "history": [ { "alias": "champion", "version": 3, "previous": 2, "user": "ana", "at": "2026-…Z" } ] }
 *
 * Written atomically (a reader meets the old file or the new one, never half of one); read with
 * every field checked, so a hand-edited or damaged file is an error naming the file, not a guess.
 * `pipewise serve` re-reads it while it runs (LiveAliases), so moving an alias needs no restart.
 */
import { existsSync, promises as fs, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PipewiseError } from '../../core/errors';
import { errorMessage } from '../../protocol/errors';
import { writeJsonAtomic } from '../model/files';

export const ALIASES_FILE = 'aliases.json';
const FORMAT = 'pipewise-aliases/1';

/** One change of an alias: set (`previous` null), moved, or removed (`version` null). */
export interface AliasChange {
  readonly alias: string;
  readonly version: number | null;
  readonly previous: number | null;
  /** The OS user who made the change. */
  readonly user: string;
  /** ISO 8601. */
  readonly at: string;
}

export interface ModelAliases {
  /** Alias → version, as of now. */
  readonly aliases: Readonly<Record<string, number>>;
  /** Oldest first. */
  readonly history: readonly AliasChange[];
}

export const NO_ALIASES: ModelAliases = { aliases: {}, history: [] };

/** The alias that answers requests naming no version, where it exists (MLflow's convention). */
export const DEFAULT_ALIAS = 'champion';

/**
 * TF Serving's version labels are word characters only (`[a-zA-Z0-9_]+`); a leading letter keeps an
 * alias from reading as a version number in `/labels/…` and on the command line.
 */
const ALIAS_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export function aliasesFile(base: string): string {
  return path.join(base, ALIASES_FILE);
}

/** Undefined when `name` can be an alias; else why not. */
export function aliasNameProblem(name: string): string | undefined {
  return ALIAS_NAME.test(name) ? undefined : `alias ${JSON.stringify(name)} is not a valid name: a letter, then up to 63 letters, digits or underscores (TF Serving's version labels are [a-zA-Z0-9_]+)`;
}

const isVersion = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The file's JSON, checked field by field; every problem names the file and the field. */
export function parseAliases(text: string, file: string): ModelAliases {
  const bad = (why: string): PipewiseError => new PipewiseError(`the model's alias file is damaged: ${why} (fix or delete it; \`pipewise model aliases\` lists what it holds)`, { file });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw bad(`not valid JSON (${errorMessage(e)})`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw bad('the top level must be an object');
  const o = json as Record<string, unknown>;
  if (o.format !== FORMAT) throw bad(`"format" must be "${FORMAT}", got ${JSON.stringify(o.format)}`);
  if (!o.aliases || typeof o.aliases !== 'object' || Array.isArray(o.aliases)) throw bad('"aliases" must be an object of alias → version');
  const aliases: Record<string, number> = {};
  for (const [name, version] of Object.entries(o.aliases as Record<string, unknown>)) {
    const problem = aliasNameProblem(name);
    if (problem) throw bad(`"aliases": ${problem}`);
    if (!isVersion(version)) throw bad(`"aliases"."${name}" must be a version number, got ${JSON.stringify(version)}`);
    aliases[name] = version;
  }
  if (!Array.isArray(o.history)) throw bad('"history" must be a list');
  const history = o.history.map((h: unknown, i): AliasChange => {
    const at = `"history"[${i}]`;
    if (!h || typeof h !== 'object') throw bad(`${at} must be an object`);
    const c = h as Record<string, unknown>;
    if (typeof c.alias !== 'string' || aliasNameProblem(c.alias)) throw bad(`${at}.alias must be an alias name, got ${JSON.stringify(c.alias)}`);
    if (c.version !== null && !isVersion(c.version)) throw bad(`${at}.version must be a version number or null, got ${JSON.stringify(c.version)}`);
    if (c.previous !== null && !isVersion(c.previous)) throw bad(`${at}.previous must be a version number or null, got ${JSON.stringify(c.previous)}`);
    if (typeof c.user !== 'string') throw bad(`${at}.user must be a string`);
    if (typeof c.at !== 'string' || Number.isNaN(Date.parse(c.at))) throw bad(`${at}.at must be an ISO date, got ${JSON.stringify(c.at)}`);
    return { alias: c.alias, version: c.version, previous: c.previous, user: c.user, at: c.at };
  });
  return { aliases, history };
}

/** The aliases of a model base path (none when it has no alias file). */
export async function readAliases(base: string): Promise<ModelAliases> {
  const file = aliasesFile(base);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return NO_ALIASES;
    throw new PipewiseError(`the model's alias file cannot be read: ${errorMessage(e)}`, { file });
  }
  return parseAliases(text, file);
}

/** Who changes an alias: the OS user (the history's "who"). */
export function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the environment's name, else the uid.
    return process.env.USER ?? process.env.USERNAME ?? `uid ${process.getuid?.() ?? '?'}`;
  }
}

/**
 * Sets or moves `alias` to `version` (a version folder that exists), or removes it (`version` null),
 * and records the change. Returns the aliases as written. Changes go one at a time through a lock
 * file beside the aliases, so two people moving aliases at once both land in the history.
 */
export async function changeAlias(base: string, alias: string, version: number | null, user = currentUser(), now = new Date()): Promise<ModelAliases> {
  const problem = aliasNameProblem(alias);
  if (problem) throw new PipewiseError(problem, { code: 'usage' });
  if (!existsSync(base) || !statSync(base).isDirectory()) throw new PipewiseError(`no such model base path (a Pusher destination folder): ${base}`, { code: 'usage' });
  if (version !== null && !existsSync(path.join(base, String(version)))) {
    throw new PipewiseError(`${base} has no version ${version} (no folder ${path.join(base, String(version))})`, { code: 'usage' });
  }
  return withAliasLock(base, async () => {
    const current = await readAliases(base);
    const previous = current.aliases[alias] ?? null;
    if (version === null && previous === null) throw new PipewiseError(`${base} has no alias '${alias}' to remove`, { code: 'usage' });
    if (version === previous) return current;
    const aliases: Record<string, number> = { ...current.aliases };
    if (version === null) delete aliases[alias];
    else aliases[alias] = version;
    const next: ModelAliases = { aliases, history: [...current.history, { alias, version, previous, user, at: now.toISOString() }] };
    await writeJsonAtomic(aliasesFile(base), { format: FORMAT, ...next });
    return next;
  });
}

/**
 * The version `alias` named before its last move (the previous champion, for a roll back): the
 * `previous` of its latest change that had one.
 */
export function previousVersion(a: ModelAliases, alias: string): number | undefined {
  for (let i = a.history.length - 1; i >= 0; i--) {
    const c = a.history[i] as AliasChange;
    if (c.alias === alias && c.previous !== null && c.previous !== a.aliases[alias]) return c.previous;
  }
  return undefined;
}

const LOCK_STALE_MS = 30_000;

/** Runs `fn` holding `BASE/aliases.json.lock` (created exclusively; a lock left by a crash goes stale after 30 s). */
async function withAliasLock<T>(base: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${aliasesFile(base)}.lock`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await fs.writeFile(lock, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new PipewiseError(`cannot lock the alias file: ${errorMessage(e)}`, { file: lock });
      const st = await fs.stat(lock).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > LOCK_STALE_MS) await fs.rm(lock, { force: true });
      else if (Date.now() > deadline) throw new PipewiseError('another change of the aliases holds the lock (for over 10 s); try again, or delete the lock if no pipewise command runs', { file: lock });
      else await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

/**
 * The aliases of a served model, followed while the server runs: the file is checked every
 * `pollMs` (its inode, size and time: an atomic rename is a new inode) and read again when it
 * changed. A file that turns bad keeps the last good aliases serving and is reported once.
 */
export class LiveAliases {
  private current: ModelAliases = NO_ALIASES;
  private stamp = '';
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    readonly base: string,
    private readonly options: { readonly pollMs?: number; readonly onChange?: (a: ModelAliases) => void; readonly onError?: (e: Error) => void } = {},
  ) {}

  /** Reads the file once (a bad file throws, naming it), then follows it. */
  async start(): Promise<void> {
    await this.check(true);
    this.timer = setInterval(() => void this.check(false), this.options.pollMs ?? 200);
    this.timer.unref();
  }

  get aliases(): Readonly<Record<string, number>> {
    return this.current.aliases;
  }

  /** One look at the file (concurrent calls share it). */
  check(strict = false): Promise<void> {
    this.checking ??= this.checkOnce(strict).finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async checkOnce(strict: boolean): Promise<void> {
    const file = aliasesFile(this.base);
    const st = await fs.stat(file).catch(() => undefined);
    const stamp = st ? `${st.ino}:${st.size}:${st.mtimeMs}` : 'none';
    if (stamp === this.stamp) return;
    try {
      const next = await readAliases(this.base);
      this.stamp = stamp;
      this.current = next;
      this.options.onChange?.(next);
    } catch (e) {
      if (strict) throw e;
      // Reported once per state of the file; the last good aliases go on serving.
      this.stamp = stamp;
      this.options.onError?.(e instanceof Error ? e : new Error(errorMessage(e)));
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
