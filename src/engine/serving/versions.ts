/**
 * The versions of one model under a Pusher destination (TensorFlow Serving's base path: one folder
 * per version, named by an integer), as TF Serving's "latest" version policy manages them:
 *
 * - The folder is polled; a new version is LOADING while it loads and answers a canary request
 *   (warm-up), then AVAILABLE; only then does it take traffic, so the old one answers until then.
 * - A version that fails to load or to warm up ends with its error in the status; the versions
 *   already serving stay.
 * - The newest `maxVersions` AVAILABLE versions are kept; an older one is UNLOADING until its
 *   in-flight requests finish (none is dropped), then END.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ServingModel } from '../model/servingModel';
import { HttpError } from './requests';
import { modelVersions } from './modelVersions';
import { errorMessage } from '../../core/errors';

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
    try {
      model = await this.options.load(path.join(this.options.base, String(version)));
      await this.options.warmUp(model);
    } catch (err) {
      model?.dispose();
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
