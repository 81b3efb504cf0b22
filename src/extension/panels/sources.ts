/** Data sources from what commands receive (URIs from the explorer, artifact folders, plain objects). */
import path from 'node:path';
import { existsSync, statSync } from 'node:fs';
import type { DataFormat, DataSource } from '../../protocol/data';
import { describeFilter, filterProblem } from '../../protocol/data';

export function formatOfPath(file: string): DataFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  if (ext === '.json' || ext === '.ndjson' || ext === '.jsonl') return 'json';
  return undefined;
}

/**
 * A data file, or a statistics.json, or an artifact folder: a StatisticsGen folder (statistics.json)
 * or an ExampleGen folder (Split-<split>/data.parquet; the first split, or `split`).
 */
export function sourceFromPath(p: string, split?: string): DataSource {
  const st = existsSync(p) ? statSync(p) : undefined;
  if (!st) throw new Error(`${p}: no such file or folder`);
  if (st.isDirectory()) {
    const stats = path.join(p, 'statistics.json');
    if (existsSync(stats)) return { kind: 'statistics', path: stats, ...(split ? { dataset: split } : {}) };
    const splitDir = split ? path.join(p, `Split-${split}`) : undefined;
    const candidates = splitDir ? [splitDir] : ['train', 'eval'].map((s) => path.join(p, `Split-${s}`));
    for (const c of candidates) if (existsSync(path.join(c, 'data.parquet'))) return { kind: 'file', path: path.join(c, 'data.parquet'), format: 'parquet' };
    throw new Error(`${p}: neither a StatisticsGen artifact (statistics.json) nor an ExampleGen artifact (Split-*/data.parquet)`);
  }
  if (path.basename(p) === 'statistics.json') return { kind: 'statistics', path: p, ...(split ? { dataset: split } : {}) };
  const format = formatOfPath(p);
  if (!format) throw new Error(`${p}: not a data file Pipewise reads (CSV, Parquet, JSON/NDJSON)`);
  return { kind: 'file', path: p, format };
}

export function isDataSource(v: unknown): v is DataSource {
  if (!v || typeof v !== 'object') return false;
  const o = v as { kind?: unknown; path?: unknown };
  // A file source's filter must be structured (SQL text is refused before it reaches the worker).
  return (o.kind === 'file' || o.kind === 'statistics') && typeof o.path === 'string' && (o.kind !== 'file' || !filterProblem((v as { where?: unknown }).where));
}

export function sourceLabel(s: DataSource): string {
  const base = path.basename(s.path) === 'data.parquet' || path.basename(s.path) === 'statistics.json' ? path.basename(path.dirname(s.path)) + '/' + path.basename(s.path) : path.basename(s.path);
  if (s.kind === 'statistics') return s.dataset ? `${base} [${s.dataset}]` : base;
  return s.where?.length ? `${base} where ${describeFilter(s.where)}` : base;
}

export function sourceKey(s: DataSource | undefined): string {
  return s ? JSON.stringify([s.kind, s.path, s.kind === 'file' ? (s.where ?? []) : (s.dataset ?? '')]) : '';
}
