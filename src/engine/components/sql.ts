/**
 * Sql: runs the user's DuckDB query once per split, with that split's Parquet file as the view
 * `examples`, and writes each result as the same split of a new Examples artifact. The query runs
 * in a locked-down DuckDB instance that can read the input artifact and write the output only.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { Sql } from '../../core/components/dataComponents';
import { PipewiseError, errorMessage } from '../../core/errors';
import type { ComponentExecutor } from '../component';
import { columnsOf, copyToParquet, quoteIdent, quoteLiteral, withSandboxConnection, type SourceColumn } from '../duckdb';
import { splitFile, splitsOf } from './exampleGen';

export type SqlParams = z.output<typeof Sql.params>;

/** The query without trailing semicolons; one statement only. */
function queryOf(sql: string): string {
  return sql.trim().replace(/;+\s*$/, '');
}

export const sql: ComponentExecutor<SqlParams> = {
  name: 'Sql',

  async run(ctx) {
    const input = ctx.inputs.examples;
    const out = ctx.outputs.examples;
    if (!input || !out) throw new Error('Sql: missing `examples` input or output');
    const all = await splitsOf(input.uri, input.properties);
    const splits = ctx.params.splits ?? all;
    for (const s of splits) {
      if (!all.includes(s)) throw new PipewiseError(`parameter 'splits': no split '${s}' in the input examples (splits: ${all.join(', ')})`, { code: 'unknown-split' });
    }
    const query = queryOf(ctx.params.query);
    const rows: Record<string, number> = {};
    let columns: SourceColumn[] | undefined;
    let firstSplit = '';
    await withSandboxConnection([input.uri, out], async (conn) => {
      const statements = await conn.extractStatements(query);
      if (statements.count !== 1) throw new PipewiseError(`parameter 'query': give exactly one SELECT statement (found ${statements.count})`, { code: 'sql-statements' });
      for (const [i, split] of splits.entries()) {
        ctx.progress(i / splits.length, `query on ${split}`);
        await conn.run(`CREATE OR REPLACE VIEW examples AS SELECT * FROM read_parquet(${quoteLiteral(splitFile(input.uri, split))})`);
        let cols: SourceColumn[];
        try {
          cols = await columnsOf(conn, `(${query})`);
        } catch (e) {
          throw new PipewiseError(`parameter 'query' (split '${split}'): ${errorMessage(e).split('\n')[0]}`, { code: 'sql-error' });
        }
        if (columns === undefined) {
          columns = cols;
          firstSplit = split;
        } else {
          const before = new Map(columns.map((c) => [c.name, c.type]));
          for (const c of cols) {
            const t = before.get(c.name);
            if (t !== undefined && t !== c.type) {
              throw new PipewiseError(`the query's column '${c.name}' is ${c.type} in split '${split}' but ${t} in split '${firstSplit}'; add a CAST`, { code: 'column-type-changed' });
            }
          }
        }
        const file = splitFile(out, split);
        await fs.mkdir(path.dirname(file), { recursive: true });
        rows[split] = await copyToParquet(conn, `SELECT * FROM (${query}) AS ${quoteIdent('result')}`, file);
      }
    }, ctx.signal);
    ctx.setProperties('examples', { splits, rows, columns: (columns ?? []).map((c) => ({ name: c.name, type: c.type })) });
    ctx.log('info', splits.map((s) => `${s}: ${rows[s]} rows`).join(', '));
    ctx.progress(1);
  },
};
