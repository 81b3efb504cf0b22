/**
 * `pipewise run FILE --watch`: runs the pipeline, then again whenever the pipeline file, its data
 * (a new span folder, an edited file) or a user module changes — debounced, one run at a time.
 * Only those paths are watched: outputs a run writes (the store, a Pusher destination, a request
 * log) never trigger a run. Ctrl-C cancels a run in progress and ends the watch (exit 0).
 */
import { existsSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { findComponent } from '../core/catalogue';
import { isUserComponentRef } from '../core/paths';
import { loadPipeline } from '../engine/orchestrator';
import { errorMessage } from '../core/errors';

/** The folder to watch for a user path or pattern: its part before the first wildcard or placeholder. */
export function watchRoot(pipelineDir: string, userPath: string): string {
  const parts = userPath.split(/[\\/]/);
  const fixed: string[] = [];
  for (const p of parts) {
    if (/[*?[{]/.test(p)) break;
    fixed.push(p);
  }
  const root = path.resolve(pipelineDir, fixed.join('/'));
  // A plain file: its folder (editors replace files by renaming, which a watch on the file misses).
  if (fixed.length === parts.length) return existsSync(root) && statSync(root).isDirectory() ? root : path.dirname(root);
  return root;
}

/** Every folder a run reads from outside the store: the pipeline's, data inputs, modules, schema files. */
export async function watchedRoots(file: string): Promise<string[]> {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  const roots = new Set<string>([dir]);
  const loaded = await loadPipeline(abs);
  for (const stage of loaded.spec?.stages ?? []) {
    if (isUserComponentRef(stage.component)) roots.add(watchRoot(dir, stage.component));
    const pathParams = [...(findComponent(stage.component)?.pathParams ?? []), 'input', 'module', 'schema_file'];
    for (const name of pathParams) {
      if (stage.component === 'Monitor' && name === 'log_dir') continue;
      const v = stage.params[name];
      for (const p of Array.isArray(v) ? v : [v]) if (typeof p === 'string') roots.add(watchRoot(dir, p));
    }
  }
  return [...roots];
}

export interface WatchOptions {
  readonly file: string;
  readonly storeDir: string;
  readonly run: (signal: AbortSignal) => Promise<unknown>;
  readonly say: (line: string) => void;
  readonly debounceMs?: number;
}

/** Runs now and on every relevant change until SIGINT/SIGTERM. */
export async function watchPipeline(options: WatchOptions): Promise<void> {
  const abs = path.resolve(options.file);
  const dir = path.dirname(abs);
  let watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running: { controller: AbortController; done: Promise<void> } | undefined;
  let again = false;
  let stopped = false;
  let stop!: () => void;
  const finished = new Promise<void>((resolve) => (stop = resolve));

  const relevant = (changed: string): boolean => {
    const store = path.resolve(options.storeDir);
    return !(changed === store || changed.startsWith(store + path.sep)) && !/(^|[\\/])\.pipewise-push-|\.tmp$/.test(changed);
  };

  const closeWatchers = (): void => {
    for (const w of watchers) w.close();
    watchers = [];
  };

  const rewatch = async (): Promise<void> => {
    closeWatchers();
    const roots = await watchedRoots(abs).catch(() => [dir]);
    // Stopped meanwhile (Ctrl-C as a run ended, or while its roots were read): arm nothing. Watchers
    // made now would never be closed, and their inotify handle kept `run --watch` alive after the watch.
    if (stopped) return;
    for (const root of roots) {
      if (!existsSync(root)) continue;
      // The pipeline's own folder holds the store and push destinations: only files directly in it count.
      const recursive = root !== dir;
      const w = watch(root, { recursive }, (_event, name) => {
        const changed = path.join(root, String(name ?? ''));
        if (!relevant(changed)) return;
        if (!recursive && changed !== abs && !/\.(ts|js|mjs|ya?ml|json|csv|parquet)$/.test(changed)) return;
        schedule(`${path.relative(dir, changed) || path.basename(changed)} changed`);
      });
      w.on('error', () => undefined);
      watchers.push(w);
    }
  };

  const startRun = (why: string): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    options.say(`${why}: running`);
    const controller = new AbortController();
    const done = options
      .run(controller.signal)
      .catch((e: unknown) => options.say(`run failed: ${errorMessage(e)}`))
      .then(async () => {
        running = undefined;
        await rewatch(); // the pipeline file may now name other data
        if (again && !stopped) {
          again = false;
          startRun('changes during the run');
        } else if (!stopped) options.say('watching for changes (Ctrl-C to stop)');
      });
    running = { controller, done };
  };

  const schedule = (why: string): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => startRun(why), options.debounceMs ?? 300);
  };

  const onSignal = (): void => {
    if (stopped) return;
    stopped = true;
    if (timer) clearTimeout(timer);
    closeWatchers();
    running?.controller.abort(new Error('interrupted'));
    void (running?.done ?? Promise.resolve()).then(() => stop());
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await rewatch();
    startRun('start');
    await finished;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
