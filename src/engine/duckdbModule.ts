/**
 * DuckDB's Node API, loaded on first use rather than when the worker or the CLI starts. Two reasons:
 * a worker that never touches data (training from a notebook, authoring) does not pay for loading the
 * native library, and a build without a DuckDB binding for this platform (the universal VSIX, for
 * platforms DuckDB ships no binding for) still starts, its data features failing with a message that
 * says why instead of the whole worker failing to load.
 */
import { createRequire } from 'node:module';
import { PipewiseError } from '../core/errors';

type DuckDBModule = typeof import('@duckdb/node-api');

let loaded: DuckDBModule | undefined;

/** The `@duckdb/node-api` module; throws a PipewiseError naming the platform when it cannot load. */
export function duckdbModule(): DuckDBModule {
  if (loaded) return loaded;
  try {
    // A plain require, not an import: esbuild keeps it external and it runs only here, on first use.
    loaded = createRequire(__filename)('@duckdb/node-api') as DuckDBModule;
    return loaded;
  } catch (e) {
    const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new PipewiseError(
      `DuckDB is not available on this platform (${process.platform}-${process.arch}): data features — ExampleGen, statistics, ` +
        `schema and SQL — cannot run here; authoring and the graph still work. Install Pipewise's build for this platform ` +
        `if one exists. (${reason})`,
      { code: 'DUCKDB_UNAVAILABLE' },
    );
  }
}

