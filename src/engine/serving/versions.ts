/**
 * The versions of one model under a Pusher destination (TensorFlow Serving's base path: one folder
 * per version, named by an integer), as TF Serving's "latest" version policy manages them:
 *
 * - The folder is polled; a new version is LOADING while it loads and answers a canary request
 *   (warm-up), then AVAILABLE; only then does it take traffic, so the old one answers until then.
 * - A version that fails to load or to warm up ends with its error in the status; the versions
 *   already serving stay. It is loaded again when its folder's files change (a folder first seen
 *   half-copied loads once the copy is complete), as TF Serving retries failed loads.
 * - The newest `maxVersions` AVAILABLE versions are kept; an older one is UNLOADING until its
 *   in-flight requests finish (none is dropped), then END.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { ServingModel } from '../model/servingModel';
import { errorMessage } from '../../protocol/errors';
import { HttpError } from './requests';
import { modelVersions } from './modelVersions';

export type VersionState = 'START' | 'LOADING' | 'AVAILABLE' | 'UNLOADING' | 'END';

/** One entry of GetModelStatusResponse.model_version_status, TF Serving's JSON. */
export interface ModelVersionStatus {
  readonly version: string;
  readonly state: VersionState;
  readonly status: { readonly error_code: string; readonly error_message: string };
}

export interface ServedModel {
  readonly version: number;
  readonly model: ServingModel;
  /** Call once the request is answered: an unloading version waits for it. */
  release(): void;
}

/** Where requests find a model: one fixed model (InfraValidator) or a watched base path. */
export interface ModelSource {
  status(version?: number): ModelVersionStatus[];
  /** The newest available version, or the one asked for; 404 when there is none. */
  acquire(version?: number, label?: string): ServedModel;
  close(): Promise<void>;
}

interface Entry {
  readonly version: number;
  state: VersionState;
  error?: string;
  model?: ServingModel;
  /** The folder's files (names, sizes, times) when its load failed: it is loaded again once they change. */
  failedOn?: string;
  inflight: number;
  drained?: () => void;
}

export interface VersionEvent {
  readonly version: number;
  readonly state: VersionState;
  readonly error?: string;
}

export interface ModelVersionsOptions {
  readonly name: string;
  readonly base: string;
  readonly load: (dir: string) => Promise<ServingModel>;
  /** Checks a freshly loaded model before it takes traffic; throws when it cannot answer. */
  readonly warmUp: (model: ServingModel) => Promise<void>;
  /** Polling period in ms (default 1000: a new version is seen within 1 s). */
  readonly pollMs?: number;
  /** How many AVAILABLE versions to keep loaded (default 1, TF Serving's latest policy). */
  readonly maxVersions?: number;
  /** Label → version, for `/labels/L` URLs. */
  readonly labels?: Readonly<Record<string, number>>;
  readonly onEvent?: (e: VersionEvent) => void;
}

const OK = { error_code: 'OK', error_message: '' };

export class ModelVersions implements ModelSource {
  private readonly entries = new Map<number, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: ModelVersionsOptions) {}

  /** Loads what is there now, then polls. Resolves after the first scan. */
  async start(): Promise<void> {
    await this.scan();
    const every = this.options.pollMs ?? 1000;
    this.timer = setInterval(() => void this.scan(), every);
    this.timer.unref();
  }

  /** One pass over the base path (concurrent calls share it). */
  scan(): Promise<void> {
    this.scanning ??= this.scanOnce().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private set(e: Entry, state: VersionState, error?: string): void {
    e.state = state;
    e.error = error;
    this.options.onEvent?.({ version: e.version, state, ...(error ? { error } : {}) });
  }

  private async scanOnce(): Promise<void> {
    if (this.closed) return;
    const onDisk = await modelVersions(this.options.base);
    // A version that failed to load (often a folder seen half-copied) is tried again once its files change, as TF Serving retries loads.
    for (const e of [...this.entries.values()]) {
      if (e.failedOn === undefined || !onDisk.includes(e.version)) continue;
      if ((await folderSignature(path.join(this.options.base, String(e.version)))) !== e.failedOn) this.entries.delete(e.version);
    }
    // Newest first, as TF Serving's latest policy: only versions newer than what serves are loaded.
    const newest = Math.max(-1, ...[...this.entries.values()].filter((e) => e.state === 'AVAILABLE').map((e) => e.version));
    const fresh = onDisk.filter((v) => !this.entries.has(v) && v > newest).sort((a, b) => b - a).slice(0, this.options.maxVersions ?? 1);
    for (const version of fresh.reverse()) {
      if (this.closed) return;
      await this.loadVersion(version);
    }
    // A version whose folder was removed stops serving (after its requests).
    for (const e of this.entries.values()) {
      if (e.state === 'AVAILABLE' && !existsSync(path.join(this.options.base, String(e.version)))) this.unload(e);
    }
    this.retireOld();
  }

  private async loadVersion(version: number): Promise<void> {
    const e: Entry = { version, state: 'START', inflight: 0 };
    this.entries.set(version, e);
    this.set(e, 'LOADING');
    let model: ServingModel | undefined;
    const dir = path.join(this.options.base, String(version));
    // Taken before the load, so a copy that goes on during it counts as a change.
    const before = await folderSignature(dir);
    try {
      model = await this.options.load(dir);
      await this.options.warmUp(model);
    } catch (err) {
      model?.dispose();
      e.failedOn = before;
      this.set(e, 'END', errorMessage(err));
      return;
    }
    if (this.closed) {
      model.dispose();
      this.set(e, 'END');
      return;
    }
    e.model = model;
    this.set(e, 'AVAILABLE');
  }

  private retireOld(): void {
    const keep = this.options.maxVersions ?? 1;
    const available = [...this.entries.values()].filter((e) => e.state === 'AVAILABLE').sort((a, b) => b.version - a.version);
    for (const e of available.slice(keep)) this.unload(e);
  }

  private unload(e: Entry): void {
    this.set(e, 'UNLOADING');
    const finish = (): void => {
      e.model?.dispose();
      e.model = undefined;
      this.set(e, 'END');
    };
    if (e.inflight === 0) finish();
    else e.drained = finish;
  }

  status(version?: number): ModelVersionStatus[] {
    const list = [...this.entries.values()].sort((a, b) => b.version - a.version);
    const chosen = version === undefined ? list : list.filter((e) => e.version === version);
    if (version !== undefined && chosen.length === 0) throw new HttpError(404, `Could not find version ${version} of model ${this.options.name}`);
    if (version === undefined && chosen.length === 0) throw new HttpError(404, `Could not find any versions of model ${this.options.name} (no version folder in ${this.options.base} yet)`);
    return chosen.map((e) => ({
      version: String(e.version),
      state: e.state,
      status: e.error ? { error_code: 'UNKNOWN', error_message: e.error } : OK,
    }));
  }

  acquire(version?: number, label?: string): ServedModel {
    let wanted = version;
    if (label !== undefined) {
      wanted = this.options.labels?.[label];
      if (wanted === undefined) throw new HttpError(404, `Unrecognized servable version label: ${label}`);
    }
    let e: Entry | undefined;
    if (wanted === undefined) {
      e = [...this.entries.values()].filter((x) => x.state === 'AVAILABLE').sort((a, b) => b.version - a.version)[0];
      if (!e) throw new HttpError(404, `Servable not found for request: Latest(${this.options.name})`);
    } else {
      e = this.entries.get(wanted);
      if (!e || e.state !== 'AVAILABLE') throw new HttpError(404, `Servable not found for request: Specific(${this.options.name}, ${wanted})`);
    }
    const entry = e;
    entry.inflight++;
    let released = false;
    return {
      version: entry.version,
      model: entry.model as ServingModel,
      release: () => {
        if (released) return;
        released = true;
        entry.inflight--;
        if (entry.inflight === 0 && entry.drained) {
          const d = entry.drained;
          entry.drained = undefined;
          d();
        }
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.scanning;
    for (const e of this.entries.values()) if (e.state === 'AVAILABLE') this.unload(e);
  }
}

/** Names, sizes and modification times of every file under `dir` (empty when it is gone). */
async function folderSignature(dir: string): Promise<string> {
  const parts: string[] = [];
  const walk = async (sub: string): Promise<void> => {
    const entries = await fs.readdir(path.join(dir, sub), { withFileTypes: true }).catch(() => []);
    for (const d of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = path.join(sub, d.name);
      if (d.isDirectory()) await walk(rel);
      else {
        const st = await fs.stat(path.join(dir, rel)).catch(() => undefined);
        parts.push(`${rel}\0${st?.size ?? -1}\0${st?.mtimeMs ?? -1}`);
      }
    }
  };
  await walk('');
  return parts.join('\n');
}

/** One model that never changes (the InfraValidator's server). */
export function fixedModel(name: string, model: ServingModel, version: number): ModelSource {
  return {
    status: (v) => {
      if (v !== undefined && v !== version) throw new HttpError(404, `Could not find version ${v} of model ${name}`);
      return [{ version: String(version), state: 'AVAILABLE', status: OK }];
    },
    acquire: (v, label) => {
      if (label !== undefined) throw new HttpError(404, `Unrecognized servable version label: ${label}`);
      if (v !== undefined && v !== version) throw new HttpError(404, `Servable not found for request: Specific(${name}, ${v})`);
      return { version, model, release: () => undefined };
    },
    close: async () => undefined,
  };
}
