/**
 * The artifact store under `.pipewise/` next to the pipeline (docs/ARCHITECTURE.md, "Contracts": artifact files):
 *
 *   artifacts/<stage>/<executionId>/<output>/   finished artifacts, never written again
 *   tmp/<executionId>/<output>/                 an execution's outputs while it runs
 *   metadata/                                   lineage (see lineage.ts)
 *
 * An execution writes into `tmp/`; only when it succeeded is its folder renamed into `artifacts/`,
 * one rename for all its outputs, so a crash or a kill never leaves a half artifact in place. Even
 * then an artifact is trusted only once lineage records its execution as complete.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { PipewiseError, errorMessage } from '../core/errors';

export class ArtifactStore {
  readonly root: string;
  constructor(root: string) {
    this.root = path.resolve(root);
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

  /** Fresh empty output folders for an execution, under `tmp/`. */
  async prepareOutputs(executionId: string, outputs: readonly string[]): Promise<Record<string, string>> {
    const dir = this.tmpDir(executionId);
    await fs.rm(dir, { recursive: true, force: true });
    const out: Record<string, string> = {};
    for (const o of outputs) {
      out[o] = path.join(dir, o);
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
      await fs.mkdir(path.dirname(dest), { recursive: true });
      await fs.rm(dest, { recursive: true, force: true });
      await fs.rename(this.tmpDir(executionId), dest);
    } catch (e) {
      throw writeError(e, dest);
    }
  }

  async discard(executionId: string, stage?: string): Promise<void> {
    await fs.rm(this.tmpDir(executionId), { recursive: true, force: true });
    if (stage) await fs.rm(this.executionDir(stage, executionId), { recursive: true, force: true });
  }

  /** Execution ids that have a folder under `tmp/`. */
  async listTmp(): Promise<string[]> {
    try {
      return await fs.readdir(path.join(this.root, 'tmp'));
    } catch {
      return [];
    }
  }
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
