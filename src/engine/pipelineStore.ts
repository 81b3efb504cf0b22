/**
 * A pipeline's store opened for maintenance (doctor, gc): the pipeline file loaded and checked, its
 * store folder confined to the pipeline's folder and a folder of its own (storeFolder.ts), marked
 * as a store, and the store's lock taken — refused with the
 * holder's pid and start time unless the caller waits. The CLI and the worker (the Runs view's
 * clean-up) both open stores this way.
 */
import path from 'node:path';
import { storeDirOf } from '../core/diskUsage';
import { Lineage } from './lineage';
import { loadPipeline, SpecError } from './orchestrator';
import { ArtifactStore, StoreLinkError } from './store';
import { acquireStoreLock, type LockOptions, type StoreLock } from './storeLock';

export interface OpenedStore {
  readonly store: ArtifactStore;
  readonly lineage: Lineage;
  readonly lock: StoreLock;
}

/**
 * A pipeline's lineage, for what needs no lock (reading history, annotating a run): the pipeline
 * checked and its store folder confined exactly as `openPipelineStore` does.
 */
export async function openPipelineLineage(file: string): Promise<Lineage> {
  const loaded = await loadPipeline(path.resolve(file));
  if (!loaded.spec) throw new SpecError(loaded.diagnostics.filter((d) => d.severity === 'error'));
  const store = ArtifactStore.dedicated(path.dirname(path.resolve(file)), storeDirOf(file, loaded.spec.store), loaded.spec.store);
  return new Lineage(store.metadataDir);
}

export async function openPipelineStore(file: string, command: string, options: Omit<LockOptions, 'command'> = {}): Promise<OpenedStore> {
  const loaded = await loadPipeline(path.resolve(file));
  if (!loaded.spec) throw new SpecError(loaded.diagnostics.filter((d) => d.severity === 'error'));
  const store = ArtifactStore.dedicated(path.dirname(path.resolve(file)), storeDirOf(file, loaded.spec.store), loaded.spec.store);
  const lock = await acquireStoreLock(store.root, { command, ...options });
  try {
    await store.mark();
  } catch (e) {
    // A link where the marker goes: doctor reports it (and --fix removes it); gc refuses the store.
    if (!(e instanceof StoreLinkError)) {
      await lock.release();
      throw e;
    }
  }
  return { store, lineage: new Lineage(store.metadataDir), lock };
}
