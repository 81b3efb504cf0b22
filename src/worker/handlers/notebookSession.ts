/**
 * One notebook's state in the worker: its DuckDB connection (views over files and artifacts), the
 * values its code cells keep between cells, and the artifacts its stage cells produced. Dropped on
 * reset; gone with the worker on a kernel restart.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { DuckDBInstance, DuckDBConnection } from '@duckdb/node-api';
import { duckdbModule } from '../../engine/duckdbModule';
import type { ArtifactType } from '../../core/artifacts';
import { parsePipeline } from '../../core/parse';
import { ArtifactStore } from '../../engine/store';
import { Lineage } from '../../engine/lineage';
import type { NotebookSessionRef } from '../../protocol/notebook';

/** An artifact a notebook can reach: `artifacts.<stage>.<output>` in code, views in SQL. */
export interface NotebookArtifact {
  readonly stage: string;
  readonly output: string;
  readonly type: ArtifactType | string;
  readonly uri: string;
}

export class NotebookSession {
  private db: { instance: DuckDBInstance; connection: DuckDBConnection } | undefined;
  /** Values code cells assigned without a declaration (`x = 1`): kept for later cells. */
  readonly scope: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  /** Outputs of stage cells run in this session, by `stage` then output (newest wins). */
  readonly stageArtifacts = new Map<string, Record<string, NotebookArtifact>>();
  /** View name → the file it reads, to re-create only what changed. */
  private readonly views = new Map<string, string>();
  private dir: string;
  pipeline: string | undefined;

  constructor(readonly id: string, ref: NotebookSessionRef) {
    this.dir = ref.dir;
    this.pipeline = ref.pipeline;
  }

  update(ref: NotebookSessionRef): void {
    if (ref.dir !== this.dir && this.db) void this.db.connection.run(`SET file_search_path = ${sqlString(ref.dir)}`).catch(() => undefined);
    this.dir = ref.dir;
    this.pipeline = ref.pipeline;
  }

  get folder(): string {
    return this.dir;
  }

  /** The session's DuckDB connection; relative file paths in queries resolve from the notebook's folder. */
  async connection(): Promise<DuckDBConnection> {
    if (!this.db) {
      const instance = await duckdbModule().DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      await connection.run(`SET file_search_path = ${sqlString(this.dir)}`);
      this.db = { instance, connection };
    }
    return this.db.connection;
  }

  /**
   * Every artifact the notebook can name: the newest outputs of the pipeline file's stages (from its
   * lineage), overridden by what stage cells in this session produced.
   */
  async artifacts(): Promise<Map<string, Record<string, NotebookArtifact>>> {
    const out = new Map<string, Record<string, NotebookArtifact>>();
    if (this.pipeline) {
      for (const [stage, outputs] of await latestPipelineArtifacts(this.pipeline)) out.set(stage, outputs);
    }
    for (const [stage, outputs] of this.stageArtifacts) out.set(stage, { ...out.get(stage), ...outputs });
    return out;
  }

  /**
   * Views over tabular artifacts: `<stage>_<output>_<split>` per split of an Examples artifact,
   * `<stage>_<output>` over all its splits (with a `split` column), and `<stage>_<output>` for
   * predictions. Returns the view names.
   */
  async refreshViews(): Promise<string[]> {
    const conn = await this.connection();
    const wanted = new Map<string, string>();
    for (const [stage, outputs] of await this.artifacts()) {
      for (const a of Object.values(outputs)) {
        for (const [view, sql] of await viewsFor(a)) wanted.set(view, sql);
      }
    }
    for (const [view, sql] of wanted) {
      if (this.views.get(view) === sql) continue;
      await conn.run(`CREATE OR REPLACE VIEW ${sqlIdent(view)} AS ${sql}`);
      this.views.set(view, sql);
    }
    return [...wanted.keys()];
  }

  dispose(): void {
    if (!this.db) return;
    try {
      this.db.connection.closeSync();
      this.db.instance.closeSync();
    } catch {
      // Closing twice or after a failed query: nothing left to release.
    }
    this.db = undefined;
  }
}

async function viewsFor(a: NotebookArtifact): Promise<[string, string][]> {
  const base = `${a.stage}_${a.output}`;
  if (a.type === 'InferenceResult') {
    const file = path.join(a.uri, 'predictions.parquet');
    return (await exists(file)) ? [[base, `SELECT * FROM read_parquet(${sqlString(file)})`]] : [];
  }
  if (a.type !== 'Examples') return [];
  let entries: string[] = [];
  try {
    entries = await fs.readdir(a.uri);
  } catch {
    return [];
  }
  const splits: [string, string][] = [];
  for (const e of entries.sort()) {
    const m = /^Split-(.+)$/.exec(e);
    const file = path.join(a.uri, e, 'data.parquet');
    if (m?.[1] && (await exists(file))) splits.push([m[1], file]);
  }
  const views: [string, string][] = splits.map(([split, file]) => [`${base}_${split}`, `SELECT * FROM read_parquet(${sqlString(file)})`]);
  if (splits.length) {
    views.push([base, splits.map(([split, file]) => `SELECT *, ${sqlString(split)} AS split FROM read_parquet(${sqlString(file)})`).join(' UNION ALL BY NAME ')]);
  }
  return views;
}

/** The newest outputs of each stage of a pipeline file, from its lineage (empty when it never ran). */
export async function latestPipelineArtifacts(pipelineFile: string): Promise<Map<string, Record<string, NotebookArtifact>>> {
  const out = new Map<string, Record<string, NotebookArtifact>>();
  let text: string;
  try {
    text = await fs.readFile(pipelineFile, 'utf8');
  } catch {
    return out;
  }
  const store = parsePipeline(text, pipelineFile).spec?.store ?? '.pipewise';
  const lineage = new Lineage(new ArtifactStore(path.resolve(path.dirname(pipelineFile), store)).metadataDir);
  let executions;
  try {
    executions = await lineage.executions();
  } catch {
    return out;
  }
  const usable = executions
    .filter((e) => (e.state === 'complete' || e.state === 'cached') && path.resolve(e.pipelineFile) === path.resolve(pipelineFile))
    .sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
  for (const e of usable) {
    out.set(e.stage, Object.fromEntries(e.outputs.map((o) => [o.output, { stage: e.stage, output: o.output, type: o.type, uri: o.uri }])));
  }
  return out;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A quoted SQL identifier. */
export function sqlIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}
