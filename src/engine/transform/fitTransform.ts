/**
 * Fitting a transform: TFX's full-pass analyzers (tft.mean/var, min/max, vocabulary, quantiles),
 * computed by DuckDB over the train split only, so no statistic ever leaks from eval into training.
 * Bad input is refused here, before any training, with the column and the values at fault.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { z } from 'zod';
import type { Transform } from '../../core/components/modelComponents';
import { PipewiseError } from '../../core/errors';
import { categoryKey } from './applyTransform';
import { describeColumns, isNumericType, isStringType, queryRows, sqlIdent, splitTable, type ColumnInfo } from './examplesIo';
import {
  computeLayout,
  MAX_NUMERIC_CLASSES,
  TRANSFORM_FORMAT_VERSION,
  type FittedCross,
  type FittedFeature,
  type FittedLabel,
  type RawType,
  type TransformSpec,
} from './transformSpec';

export type TransformParams = z.output<typeof Transform.params>;

/**
 * An unnamed string feature keeps its most frequent values only: an id-like column would otherwise
 * become one input per row. Name the feature with its own `top_k` to keep more.
 */
export const DEFAULT_TOP_K = 100;
type FeatureParam = TransformParams['features'][string];

export interface FitOptions {
  readonly examplesUri: string;
  readonly params: TransformParams;
  readonly trainSplit?: string;
  /** Every split of the examples (checked for labels the train split lacks). */
  readonly splits: readonly string[];
  /** Feature → type from the schema, where it overrides the Parquet type (e.g. BYTES zip codes). */
  readonly schemaTypes?: ReadonlyMap<string, RawType>;
  readonly log?: (level: 'info' | 'warn', message: string) => void;
}

/** A numeric expression that is NULL for missing, NaN and infinite values. */
function cleanNumber(col: string): string {
  const x = `CAST(${sqlIdent(col)} AS DOUBLE)`;
  return `CASE WHEN isfinite(${x}) THEN ${x} END`;
}

function num(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

export async function fitTransform(conn: DuckDBConnection, o: FitOptions): Promise<TransformSpec> {
  const trainSplit = o.trainSplit ?? 'train';
  const table = await splitTable(o.examplesUri, trainSplit);
  const columns = await describeColumns(conn, table);
  const byName = new Map(columns.map((c) => [c.name, c]));
  const p = o.params;
  const list = columns.map((c) => c.name).join(', ');

  const labelCol = byName.get(p.label);
  if (!labelCol) throw new PipewiseError(`Transform: the label column '${p.label}' is not in the examples (columns: ${list})`);
  for (const name of [...Object.keys(p.features), ...p.exclude, ...p.crosses.flatMap((c) => c.features)]) {
    if (!byName.has(name)) throw new PipewiseError(`Transform: the feature '${name}' is not in the examples (columns: ${list})`);
  }

  const typeOf = (c: ColumnInfo): RawType | undefined => o.schemaTypes?.get(c.name) ?? (isNumericType(c.type) ? 'number' : isStringType(c.type) ? 'string' : undefined);
  const labelType = typeOf(labelCol) ?? 'string';
  const label = await fitLabel(conn, o, table, p.label, labelType);

  const ignored: string[] = [p.label];
  const planned: { col: ColumnInfo; rawType: RawType; spec: FeatureParam }[] = [];
  for (const col of columns) {
    if (col.name === p.label) continue;
    const explicit = p.features[col.name];
    if (p.exclude.includes(col.name) || explicit?.kind === 'drop') {
      ignored.push(col.name);
      continue;
    }
    const rawType = typeOf(col);
    if (!rawType && !explicit) {
      o.log?.('warn', `Transform: column '${col.name}' (${col.type}) is not a number or a string; it is left out (name a transform for it, or exclude it)`);
      ignored.push(col.name);
      continue;
    }
    const t: RawType = rawType ?? 'string';
    const spec: FeatureParam = explicit ?? (t === 'number' ? { kind: 'zscore' } : { kind: 'vocabulary', num_oov_buckets: 1, top_k: DEFAULT_TOP_K });
    if ((spec.kind === 'zscore' || spec.kind === 'minmax' || spec.kind === 'identity' || spec.kind === 'bucketize') && t !== 'number') {
      throw new PipewiseError(`Transform: feature '${col.name}' holds ${col.type} values; '${spec.kind}' needs numbers (use vocabulary or hash)`);
    }
    planned.push({ col, rawType: t, spec });
  }
  if (!planned.length) throw new PipewiseError(`Transform: no features are left besides the label '${p.label}' (columns: ${list})`);

  // Presence first: a feature with no value at all in train cannot be fitted.
  const presence = (
    await queryRows(
      conn,
      `SELECT count(*) AS n, ${planned
        .map((f, i) => `count(${f.rawType === 'number' ? cleanNumber(f.col.name) : sqlIdent(f.col.name)}) AS c${i}`)
        .join(', ')} FROM ${table}`,
    )
  )[0] as Record<string, unknown>;
  const rows = num(presence.n);
  const empty = planned.filter((_, i) => num(presence[`c${i}`]) === 0).map((f) => f.col.name);
  if (empty.length) {
    throw new PipewiseError(
      `Transform: feature${empty.length > 1 ? 's' : ''} ${empty.map((e) => `'${e}'`).join(', ')} ha${empty.length > 1 ? 've' : 's'} no value in any of the ${rows} rows of the ${trainSplit} split (all missing); exclude ${empty.length > 1 ? 'them' : 'it'} with \`exclude: [${empty.join(', ')}]\``,
    );
  }

  const features: FittedFeature[] = [];
  for (const { col, rawType, spec } of planned) features.push(await fitFeature(conn, table, col.name, rawType, spec));
  const crosses: FittedCross[] = p.crosses.map((c) => ({ name: c.features.join('_x_'), features: c.features, buckets: c.buckets }));
  const { layout, width } = computeLayout(features, crosses);
  return { formatVersion: TRANSFORM_FORMAT_VERSION, label, features, crosses, ignored, layout, width, fittedOn: { split: trainSplit, rows } };
}

async function fitFeature(conn: DuckDBConnection, table: string, name: string, rawType: RawType, spec: FeatureParam): Promise<FittedFeature> {
  const x = cleanNumber(name);
  switch (spec.kind) {
    case 'zscore':
    case 'minmax':
    case 'identity': {
      const r = (await queryRows(conn, `SELECT avg(${x}) AS mean, stddev_pop(${x}) AS std, min(${x}) AS min, max(${x}) AS max FROM ${table}`))[0] as Record<string, unknown>;
      const mean = num(r.mean);
      const fill = spec.fill ?? mean;
      if (spec.kind === 'zscore') return { name, rawType: 'number', kind: 'zscore', mean, std: num(r.std ?? 0), fill };
      if (spec.kind === 'minmax') return { name, rawType: 'number', kind: 'minmax', min: num(r.min), max: num(r.max), fill };
      return { name, rawType: 'number', kind: 'identity', fill };
    }
    case 'bucketize': {
      const qs = Array.from({ length: spec.buckets - 1 }, (_, i) => (i + 1) / spec.buckets);
      const r = (await queryRows(conn, `SELECT quantile_cont(${x}, [${qs.join(', ')}]) AS q, median(${x}) AS med FROM ${table}`))[0] as Record<string, unknown>;
      const boundaries = [...new Set((r.q as unknown[]).map(num))].sort((a, b) => a - b);
      return { name, rawType: 'number', kind: 'bucketize', boundaries, fill: num(r.med) };
    }
    case 'vocabulary': {
      const limit = spec.top_k ? `LIMIT ${spec.top_k}` : '';
      const rows = await queryRows(
        conn,
        `SELECT ${sqlIdent(name)} AS v, count(*) AS n FROM ${table} WHERE ${sqlIdent(name)} IS NOT NULL GROUP BY 1 ORDER BY n DESC, v ASC ${limit}`,
      );
      const vocabulary = rows.map((r) => categoryKey(r.v)).filter((v): v is string => v !== null);
      return { name, rawType, kind: 'vocabulary', vocabulary, numOovBuckets: spec.num_oov_buckets };
    }
    case 'hash':
      return { name, rawType, kind: 'hash', buckets: spec.buckets };
    case 'drop':
      throw new Error('unreachable: dropped features are not fitted');
  }
}

async function fitLabel(conn: DuckDBConnection, o: FitOptions, trainTable: string, name: string, rawType: RawType): Promise<FittedLabel> {
  const col = sqlIdent(name);
  const missingExpr = rawType === 'number' ? `${cleanNumber(name)} IS NULL` : `${col} IS NULL`;
  for (const split of o.splits) {
    const t = await splitTable(o.examplesUri, split);
    const r = (await queryRows(conn, `SELECT count(*) FILTER (WHERE ${missingExpr}) AS missing, count(*) AS n FROM ${t}`))[0] as Record<string, unknown>;
    const missing = num(r.missing);
    if (missing > 0) {
      throw new PipewiseError(
        `Transform: the label '${name}' is missing (null${rawType === 'number' ? ', NaN or infinite' : ''}) in ${missing} of ${num(r.n)} rows of the ${split} split; drop those rows first (a Sql stage with \`WHERE ${col} IS NOT NULL\`)`,
      );
    }
  }
  const counts = await queryRows(conn, `SELECT ${col} AS v, count(*) AS n FROM ${trainTable} GROUP BY 1 ORDER BY 1`);
  if (counts.length === 0) throw new PipewiseError(`Transform: the ${o.trainSplit ?? 'train'} split has no rows`);
  if (counts.length === 1) {
    throw new PipewiseError(`Transform: the label '${name}' is constant ('${categoryKey(counts[0]?.v)}') in the ${o.trainSplit ?? 'train'} split: there is nothing to learn`);
  }
  const keys = counts.map((r) => categoryKey(r.v) as string);
  const classCounts = Object.fromEntries(counts.map((r) => [categoryKey(r.v) as string, num(r.n)]));
  if (rawType === 'string') {
    await checkUnseenClasses(conn, o, name, new Set(keys));
    return { name, rawType, classes: keys, classCounts, numDistinct: keys.length };
  }
  const stats = (await queryRows(conn, `SELECT avg(${cleanNumber(name)}) AS mean, stddev_pop(${cleanNumber(name)}) AS std FROM ${trainTable}`))[0] as Record<string, unknown>;
  const integral = counts.every((r) => Number.isInteger(num(r.v)));
  const asClasses = integral && counts.length <= MAX_NUMERIC_CLASSES;
  return {
    name,
    rawType,
    ...(asClasses ? { classes: keys, classCounts } : {}),
    mean: num(stats.mean),
    std: num(stats.std),
    numDistinct: counts.length,
  };
}

/** A class that only eval has cannot be predicted and would make eval metrics lie. */
async function checkUnseenClasses(conn: DuckDBConnection, o: FitOptions, name: string, known: ReadonlySet<string>): Promise<void> {
  for (const split of o.splits) {
    if (split === (o.trainSplit ?? 'train')) continue;
    const t = await splitTable(o.examplesUri, split);
    const rows = await queryRows(conn, `SELECT DISTINCT ${sqlIdent(name)} AS v FROM ${t} WHERE ${sqlIdent(name)} IS NOT NULL ORDER BY 1`);
    const unseen = rows.map((r) => categoryKey(r.v) as string).filter((v) => !known.has(v));
    if (unseen.length) {
      throw new PipewiseError(
        `Transform: the ${split} split has label class${unseen.length > 1 ? 'es' : ''} ${unseen.map((u) => `'${u}'`).join(', ')} of '${name}' that the ${o.trainSplit ?? 'train'} split never has; the model could never predict ${unseen.length > 1 ? 'them' : 'it'} (split differently, or filter ${unseen.length > 1 ? 'them' : 'it'} out)`,
      );
    }
  }
}
