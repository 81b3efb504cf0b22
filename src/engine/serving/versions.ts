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
import { pickShare, type SplitShare } from './canary';
import { DEFAULT_ALIAS } from './aliases';

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
  /**
   * The version asked for (by number or label), else the default one; 404 when there is none.
   * `requestId` places a request that names no version in the canary split, when there is one.
   */
  acquire(version?: number, label?: string, requestId?: string): ServedModel;
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
  /** Label → version, for `/labels/L` URLs (fixed at start: `--label`; they win over aliases of the same name). */
  readonly labels?: Readonly<Record<string, number>>;
  /** The registry's aliases as of now (read live from BASE/aliases.json): labels too, and `champion` answers by default. */
  readonly aliases?: () => Readonly<Record<string, number>>;
  /** Canary traffic: requests that name no version are split between these targets by request id. */
  readonly split?: readonly SplitShare[];
  readonly onEvent?: (e: VersionEvent) => void;
}

const OK = { error_code: 'OK', error_message: '' };

export class ModelVersions implements ModelSource {
  private readonly entries = new Map<number, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private closed = false;
  /**
   * Label → the version it answered with last. A label moved onto a version still loading goes on
   * answering with this one until the new one is AVAILABLE (TF Serving assigns labels to available
   * versions only), so moving an alias never fails a request.
   */
  private readonly lastServed = new Map<string, number>();

  constructor(private readonly options: ModelVersionsOptions) {}

  /** Label → version wanted now: the aliases (live), then the fixed labels. */
  private labelsNow(): Readonly<Record<string, number>> {
    const live = this.options.aliases?.();
    return live ? { ...live, ...this.options.labels } : (this.options.labels ?? {});
  }

  private availableEntry(version: number): Entry | undefined {
    const e = this.entries.get(version);
    return e?.state === 'AVAILABLE' ? e : undefined;
  }

  /** Labels whose version is AVAILABLE now answer with it (from here on, and while a later move loads). */
  private noteLabels(): void {
    for (const [label, version] of Object.entries(this.labelsNow())) if (this.availableEntry(version)) this.lastServed.set(label, version);
  }

  /** Versions kept loaded whatever their age: those a label, an alias or the split names, and those a moved label still answers with. */
  private pinned(): Set<number> {
    const pinned = new Set<number>();
    for (const [label, version] of Object.entries(this.labelsNow())) {
      pinned.add(version);
      const before = this.lastServed.get(label);
      if (!this.availableEntry(version) && before !== undefined) pinned.add(before);
    }
    for (const s of this.options.split ?? []) if (typeof s.target === 'number') pinned.add(s.target);
    return pinned;
  }

  /** The aliases changed: labels follow at once where their version is loaded; a version newly named is loaded now, not at the next poll. */
  aliasesChanged(): Promise<void> {
    this.noteLabels();
    return this.scan();
  }

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
    // Versions an alias, a label or the split names, loaded whatever their age (TF Serving's specific-versions policy), first: they answer by default;
    // one unloaded earlier is loaded again, one that failed waits for its files to change.
    for (const version of [...this.pinned()].sort((a, b) => b - a)) {
      if (this.closed) return;
      const e = this.entries.get(version);
      if (!onDisk.includes(version) || (e && !(e.state === 'END' && e.failedOn === undefined))) continue;
      await this.loadVersion(version);
    }
    for (const version of fresh.reverse()) {
      if (this.closed) return;
      // Loaded just above when an alias names it.
      if (this.entries.has(version)) continue;
      await this.loadVersion(version);
    }
    this.noteLabels();
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
    const pinned = this.pinned();
    for (const e of available.slice(keep)) if (!pinned.has(e.version)) this.unload(e);
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

  acquire(version?: number, label?: string, requestId?: string): ServedModel {
    let e: Entry;
    if (label !== undefined) e = this.labelEntry(label);
    else if (version !== undefined) {
      const found = this.availableEntry(version);
      if (!found) throw new HttpError(404, `Servable not found for request: Specific(${this.options.name}, ${version})`);
      e = found;
    } else e = this.defaultEntry(requestId);
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

  /** The version a label answers with: its own once AVAILABLE, meanwhile the one it answered with before. */
  private labelEntry(label: string): Entry {
    const wanted = this.labelsNow()[label];
    if (wanted === undefined) throw new HttpError(404, `Unrecognized servable version label: ${label}`);
    const e = this.availableEntry(wanted);
    if (e) {
      this.lastServed.set(label, wanted);
      return e;
    }
    const before = this.lastServed.get(label);
    const kept = before === undefined ? undefined : this.availableEntry(before);
    if (kept) return kept;
    const state = this.entries.get(wanted);
    const why = state ? `${state.state}${state.error ? `: ${state.error}` : ''}` : `not loaded (is there a folder ${path.join(this.options.base, String(wanted))}?)`;
    throw new HttpError(404, `Servable not found for request: label '${label}' names version ${wanted} of ${this.options.name}, which is ${why}`);
  }

  /** A request that names no version: its share of the split, else the champion, else the newest. */
  private defaultEntry(requestId: string | undefined): Entry {
    const { split } = this.options;
    if (split && requestId !== undefined) {
      const entryOf = (target: string | number): Entry | undefined => {
        if (typeof target === 'number') return this.availableEntry(target);
        try {
          return this.labelEntry(target);
        } catch {
          return undefined;
        }
      };
      const share = pickShare(split, requestId, (s) => entryOf(s.target) !== undefined);
      const e = share && entryOf(share.target);
      if (e) return e;
    }
    if (this.labelsNow()[DEFAULT_ALIAS] !== undefined) return this.labelEntry(DEFAULT_ALIAS);
    const newest = [...this.entries.values()].filter((x) => x.state === 'AVAILABLE').sort((a, b) => b.version - a.version)[0];
    if (!newest) throw new HttpError(404, `Servable not found for request: Latest(${this.options.name})`);
    return newest;
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
