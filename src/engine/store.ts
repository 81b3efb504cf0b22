/**
 * The artifact store under `.pipewise/` next to the pipeline (docs/ARCHITECTURE.md, "Contracts": artifact files):
 *
 *   pipewise-store.json                         the marker: this folder is a store (storeFolder.ts)
 *   artifacts/<stage>/<executionId>/<output>/   finished artifacts, never written again
 *   tmp/<executionId>/<output>/                 an execution's outputs while it runs
 *   metadata/                                   lineage (see lineage.ts)
 *   lock                                        the one writer's lock (storeLock.ts)
 *
 * An execution writes into `tmp/`; only when it succeeded is its folder renamed into `artifacts/`,
 * one rename for all its outputs, so a crash or a kill never leaves a half artifact in place. Even
 * then an artifact is trusted only once lineage records its execution as complete.
 *
 * The store owns only what it made: every path it deletes, renames or writes goes through
 * `ownedPath`, which checks it lies inside the store's root and that no part of it below the root
 * is a symbolic link (a link committed to a shared repository must not lead a clean-up outside).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, lstatSync, promises as fs, readlinkSync } from 'node:fs';
import path from 'node:path';
import { PipewiseError, errorMessage } from '../core/errors';
import { STORE_MARKER, STORE_MARKER_CONTENT, storeFolderProblem } from '../core/storeFolder';

/** Execution and run ids as `newId` makes them: the only names the store gives its folders and records. */
export const STORE_ID = /^\d{8}-\d{6}-\d{3}-[0-9a-f]{6}$/;
/** Output (and input) names, as component declarations spell them. */
export const OUTPUT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A symbolic link inside the store: never followed, never deleted through; the message names it and where it leads. */
export class StoreLinkError extends PipewiseError {
  constructor(
    readonly link: string,
    readonly target: string,
  ) {
    super(
      `the store contains a symbolic link, ${link} → ${target}; Pipewise never follows or deletes through a link inside its store. ` +
        'Remove the link (pipewise doctor --fix removes the link itself, never what it points to)',
      { file: link, code: 'store-link' },
    );
    this.name = 'StoreLinkError';
  }
}

/**
 * `p` made absolute, checked to lie strictly inside `root` and to pass through no symbolic link
 * below `root` (the parts that exist; the rest will be made as folders). Throws StoreLinkError
 * naming the link, or a PipewiseError when `p` is outside. Every path the store deletes, renames
 * or writes goes through here (the store's lock is held, so nothing changes between the check and
 * the use but the user's own hand).
 */
export function ownedPath(root: string, p: string): string {
  const base = path.resolve(root);
  const abs = path.resolve(base, p);
  const rel = path.relative(base, abs);
  if (!rel || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    throw new PipewiseError(`refused to change ${abs}: it is not inside the store ${base}`, { file: abs, code: 'store-outside' });
  }
  let cur = base;
  for (const part of rel.split(path.sep)) {
    cur = path.join(cur, part);
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(cur);
    } catch {
      break; // not there yet: nothing below it is either
    }
    if (st.isSymbolicLink()) throw new StoreLinkError(cur, linkTarget(cur));
  }
  return abs;
}

export function linkTarget(link: string): string {
  try {
    return path.resolve(path.dirname(link), readlinkSync(link));
  } catch {
    return '(unreadable)';
  }
}

export class ArtifactStore {
  readonly root: string;
  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /**
   * The store of a pipeline in `pipelineDir` at `storeDir`, refused (code `path-escape`, as
   * `validate` reports it) unless it is a folder of its own: see storeFolder.ts.
   */
  static dedicated(pipelineDir: string, storeDir: string, store: string): ArtifactStore {
    const why = storeFolderProblem(pipelineDir, storeDir);
    if (why) throw new PipewiseError(`store ${JSON.stringify(store)} is refused: ${why}`, { file: storeDir, code: 'path-escape' });
    return new ArtifactStore(storeDir);
  }

  /** Writes the store's marker if it lacks it (a new store, or one made before the marker). Call with the lock held. */
  async mark(): Promise<void> {
    const marker = this.owned(STORE_MARKER);
    if (await fs.lstat(marker).then(() => true, () => false)) return;
    await writeFileAtomic(marker, STORE_MARKER_CONTENT);
  }

  /** `p` (absolute, or relative to the root) checked with `ownedPath`. */
  owned(p: string): string {
    return ownedPath(this.root, p);
  }

  get metadataDir(): string {
    return path.join(this.root, 'metadata');
  }

  tmpDir(executionId: string): string {
    return path.join(this.root, 'tmp', executionId);
  }

  executionDir(stage: string, executionId: string): string {
    return path.join(this.root, 'artifacts', stage, executionId);
  }

  artifactUri(stage: string, executionId: string, output: string): string {
    return path.join(this.executionDir(stage, executionId), output);
  }

  /** Fresh empty output folders for an execution, under `tmp/` (the execution's folder even when it has no outputs). */
  async prepareOutputs(executionId: string, outputs: readonly string[]): Promise<Record<string, string>> {
    const dir = this.owned(this.tmpDir(executionId));
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(dir, { recursive: true }).catch((e: unknown) => {
      throw writeError(e, dir);
    });
    const out: Record<string, string> = {};
    for (const o of outputs) {
      out[o] = this.owned(path.join(dir, o));
      await fs.mkdir(out[o], { recursive: true }).catch((e: unknown) => {
        throw writeError(e, out[o] as string);
      });
    }
    return out;
  }

  /** Moves a finished execution's outputs into place in one rename. */
  async commitOutputs(stage: string, executionId: string): Promise<void> {
    const dest = this.executionDir(stage, executionId);
    try {
      const from = this.owned(this.tmpDir(executionId));
      this.owned(dest);
      await fs.mkdir(path.dirname(dest), { recursive: true });
      await fs.rm(dest, { recursive: true, force: true });
      await fs.rename(from, dest);
    } catch (e) {
      throw writeError(e, dest);
    }
  }

  async discard(executionId: string, stage?: string): Promise<void> {
    await this.remove(this.tmpDir(executionId));
    if (stage) await this.remove(this.executionDir(stage, executionId));
  }

  /** Removes a file or folder of the store (a link inside a removed folder is removed, never followed). */
  async remove(p: string): Promise<void> {
    await fs.rm(this.owned(p), { recursive: true, force: true });
  }

  /** Removes a folder of the store if it is empty; a readdir error other than "not there" is thrown, never taken for empty. */
  async removeIfEmpty(dir: string): Promise<void> {
    const abs = this.owned(dir);
    let names: string[];
    try {
      names = await fs.readdir(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new PipewiseError(`cannot read the store's folder: ${errnoText(e)}`, { file: abs });
    }
    if (!names.length) await fs.rmdir(abs);
  }

  /** Moves a file or folder of the store to another place in it. */
  async move(from: string, to: string): Promise<void> {
    const src = this.owned(from);
    const dest = this.owned(to);
    await fs.mkdir(path.dirname(dest), { recursive: true });
    this.owned(dest);
    await fs.rename(src, dest);
  }

  /**
   * Entries of a folder of the store with their kinds (links not followed); [] when it is not
   * there. Any other error is thrown naming the folder, never taken for "empty".
   */
  async list(dir: string): Promise<import('node:fs').Dirent[]> {
    const abs = path.resolve(this.root, dir);
    if (abs !== this.root) this.owned(abs);
    try {
      return (await fs.readdir(abs, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new PipewiseError(`cannot read the store's folder: ${errnoText(e)}`, { file: abs });
    }
  }

  /** Every symbolic link in the store, its folders walked without following any link. */
  async symbolicLinks(): Promise<{ link: string; target: string }[]> {
    const out: { link: string; target: string }[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await this.list(dir)) {
        const p = path.join(dir, e.name);
        if (e.isSymbolicLink()) out.push({ link: p, target: linkTarget(p) });
        else if (e.isDirectory()) await walk(p);
      }
    };
    // The root itself may be a link the pipeline's folder confines (store: pointing to a folder of its own).
    if (await fs.stat(this.root).then((st) => st.isDirectory(), () => false)) await walk(this.root);
    return out;
  }
}

function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code ? `${ERRNO_TEXT[code] ?? errorMessage(e)} (${code})` : String(e);
}

export interface ArtifactManifest {
  /** Relative path (with `/`) → size in bytes, for every file in the artifact. */
  readonly files: Readonly<Record<string, number>>;
  /** sha256 over every file's relative path and content. */
  readonly fingerprint: string;
}

/** The content hash of an artifact folder: equal content, equal fingerprint, wherever it lies. */
export async function fingerprintArtifact(dir: string): Promise<ArtifactManifest> {
  const files = await listFiles(dir);
  const hash = createHash('sha256');
  const sizes: Record<string, number> = {};
  for (const rel of files) {
    const abs = path.join(dir, ...rel.split('/'));
    const st = await fs.stat(abs);
    sizes[rel] = st.size;
    hash.update(`${rel}\0${st.size}\0`);
    hash.update(await hashFile(abs));
  }
  return { files: sizes, fingerprint: hash.digest('hex') };
}

/**
 * Why an artifact folder is not the one committed, or undefined when it is: every recorded file is
 * there with its size, and — when the artifact is at most `deepUpToBytes` in all (default: always)
 * — its content hash equals the recorded fingerprint. Files added since are ignored by the size
 * check but change the fingerprint.
 */
export async function verifyArtifact(
  dir: string,
  files: Readonly<Record<string, number>>,
  fingerprint: string,
  options: { deepUpToBytes?: number } = {},
): Promise<string | undefined> {
  const st = await fs.stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) return `its folder ${dir} is missing`;
  let total = 0;
  for (const [rel, size] of Object.entries(files)) {
    total += size;
    const f = await fs.stat(path.join(dir, ...rel.split('/'))).catch(() => undefined);
    if (!f?.isFile()) return `${rel} is missing`;
    if (f.size !== size) return `${rel} is ${f.size} bytes, ${size} when it was made`;
  }
  if (total <= (options.deepUpToBytes ?? Infinity)) {
    const now = await fingerprintArtifact(dir).catch((e: Error) => e);
    if (now instanceof Error) return `it cannot be read: ${now.message}`;
    if (now.fingerprint !== fingerprint) {
      const added = Object.keys(now.files).filter((f) => !(f in files));
      return added.length ? `it has files it was not made with (${added.slice(0, 3).join(', ')})` : 'its content changed since it was made (fingerprint differs)';
    }
  }
  return undefined;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = await fs.readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(path.join(dir, e.name), rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

export function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** Writes a file whole or not at all: a temporary file beside it, then a rename. */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw writeError(e, file);
  }
}

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device',
  ENOTDIR: 'not a folder',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
};

/**
 * A failed write of the store as an error naming the path (Node's `ENOSPC … write` names none), so
 * that a full disk says which stage and file.
 */
export function writeError(e: unknown, file: string): Error {
  if (e instanceof PipewiseError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (!code) return e instanceof Error ? e : new Error(String(e));
  return new PipewiseError(`cannot write: ${ERRNO_TEXT[code] ?? errorMessage(e)} (${code})`, { file: (e as NodeJS.ErrnoException).path ?? file, code });
}

/** Sortable, unique ids for runs and executions: `20261127-173401-123-a1b2c3`. */
export function newId(): string {
  const d = new Date();
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return (
    `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}` +
    `-${p(d.getUTCMilliseconds(), 3)}-${randomBytes(3).toString('hex')}`
  );
}
