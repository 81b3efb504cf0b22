/**
 * Transform: fits the analyzers on the train split with DuckDB (fitTransform), writes the fitted
 * transform as `transform.json`, and applies it — with the one shared `transformRow` — to every
 * split, writing `Split-<split>/data.parquet` of transformed values plus the label.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CancelledError } from '../../core/errors';
import type { ComponentContext, ComponentExecutor } from '../component';
import { transformLabel, transformRow } from '../transform/applyTransform';
import { listSplits, NumericParquetWriter, splitFile, splitTable, sqlIdent, streamRows, withDuckDb, type OutputColumn } from '../transform/examplesIo';
import { fitTransform, type TransformParams } from '../transform/fitTransform';
import type { RawType, TransformSpec } from '../transform/transformSpec';
import { writeJsonAtomic } from '../model/files';

/** Feature → raw type as the schema (TFMD Schema JSON) declares it, where it says. */
async function readSchemaTypes(schemaUri: string | undefined): Promise<Map<string, RawType>> {
  const types = new Map<string, RawType>();
  if (!schemaUri) return types;
  try {
    const schema = JSON.parse(await fs.readFile(path.join(schemaUri, 'schema.json'), 'utf8')) as { feature?: { name?: string; type?: string }[] };
    for (const f of schema.feature ?? []) {
      if (!f.name) continue;
      // INT/FLOAT stay as Parquet says (it may be more precise); BYTES forces a string (zip codes, ids).
      if (f.type === 'BYTES') types.set(f.name, 'string');
    }
  } catch {
    // No readable schema.json: the Parquet types decide.
  }
  return types;
}

/** The transformed examples' columns: scaled values as DOUBLE, one-hot indices as INTEGER. */
export function transformedColumns(spec: TransformSpec): OutputColumn[] {
  const cols: OutputColumn[] = spec.features.map((f) => ({
    name: f.name,
    type: f.kind === 'zscore' || f.kind === 'minmax' || f.kind === 'identity' ? 'DOUBLE' : 'INTEGER',
  }));
  for (const c of spec.crosses) cols.push({ name: c.name, type: 'INTEGER' });
  cols.push({ name: spec.label.name, type: spec.label.rawType === 'string' ? 'INTEGER' : 'DOUBLE' });
  return cols;
}

export const transform: ComponentExecutor<TransformParams> = {
  name: 'Transform',
  async run(ctx: ComponentContext<TransformParams>): Promise<void> {
    const examples = ctx.inputs.examples;
    if (!examples) throw new Error('Transform needs its examples input');
    const graphDir = ctx.outputs.transform_graph as string;
    const outDir = ctx.outputs.transformed_examples as string;
    const splits = await listSplits(examples.uri);
    const schemaTypes = await readSchemaTypes(ctx.inputs.schema?.uri);

    await withDuckDb(async (conn) => {
      ctx.progress(0, 'fitting analyzers on the train split');
      const spec = await fitTransform(conn, {
        examplesUri: examples.uri,
        params: ctx.params,
        splits,
        schemaTypes,
        log: (level, message) => ctx.log(level, message),
      });
      await writeJsonAtomic(path.join(graphDir, 'transform.json'), spec);
      ctx.log(
        'info',
        `fitted ${spec.features.length} features (${spec.features.map((f) => `${f.name}:${f.kind}`).join(', ')})${spec.crosses.length ? ` and ${spec.crosses.length} crosses` : ''} on ${spec.fittedOn.rows} rows; input width ${spec.width}`,
      );

      const columns = transformedColumns(spec);
      // Only the columns the transform reads: the features, the crosses' inputs and the label.
      const needed = [...new Set([...spec.features.map((f) => f.name), ...spec.crosses.flatMap((c) => c.features), spec.label.name])];
      const rowCounts: Record<string, number> = {};
      for (const [i, split] of splits.entries()) {
        if (ctx.signal.aborted) throw new CancelledError();
        ctx.progress(i / splits.length, `transforming ${split}`);
        // Streamed in batches (read with one connection, written with another): memory does not grow with the rows.
        const table = await splitTable(examples.uri, split);
        rowCounts[split] = await withDuckDb(async (writeConn) => {
          const writer = new NumericParquetWriter(writeConn, splitFile(outDir, split), columns);
          try {
            const n = await streamRows(
              conn,
              `SELECT ${needed.map(sqlIdent).join(', ')} FROM ${table}`,
              (raw) =>
                writer.write(
                  raw.map((r) => {
                    const t: Record<string, number | null> = transformRow(spec, r);
                    t[spec.label.name] = transformLabel(spec.label, r[spec.label.name]);
                    return t;
                  }),
                ),
              ctx.signal,
            );
            await writer.close();
            return n;
          } catch (e) {
            await writer.discard();
            throw e;
          }
        }, ctx.signal);
      }
      ctx.setProperties('transform_graph', {
        label: spec.label.name,
        classes: spec.label.classes,
        features: spec.features.map((f) => f.name),
        width: spec.width,
      });
      ctx.setProperties('transformed_examples', { splits, rows: rowCounts });
      ctx.progress(1);
    }, ctx.signal);
  },
};
