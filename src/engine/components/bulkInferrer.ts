/**
 * BulkInferrer: predicts every example of a split and writes `predictions.parquet` (docs/ARCHITECTURE.md, "Contracts": artifact files):
 * the input columns, in their own types and order, plus `score` (binary: probability of the positive
 * class) or `score_<class>` (multiclass), and `prediction` (the predicted label value). Written by
 * DuckDB, joining the predictions back to the split by row position. Given a blessing that is not
 * BLESSED, it infers nothing, as TFX's BulkInferrer.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { z } from 'zod';
import type { BulkInferrer } from '../../core/components/modelComponents';
import { PipewiseError } from '../../core/errors';
import type { ComponentContext, ComponentExecutor } from '../component';
import type { ModelSignature, Prediction, ServingModel } from '../model/servingModel';
import { writeFileAtomic } from '../store';
import { quoteIdent, quoteLiteral, withConnection } from '../duckdb';
import { readSplit, type SplitTable } from '../evaluation/examples';
import { loadModel, type ModelLoader, predictAll } from '../evaluation/predict';

export type BulkInferrerParams = z.output<typeof BulkInferrer.params>;

/** inference.json, beside predictions.parquet. */
export interface InferenceFile {
  readonly skipped: boolean;
  readonly reason?: string;
  readonly task?: string;
  readonly split: string;
  readonly rows?: number;
  readonly predictionColumns?: readonly string[];
}

/** The prediction columns for a signature, with their DuckDB types. */
export function predictionColumns(signature: ModelSignature): { name: string; type: 'DOUBLE' | 'VARCHAR' }[] {
  switch (signature.task) {
    case 'binary':
      return [
        { name: 'score', type: 'DOUBLE' },
        { name: 'prediction', type: 'VARCHAR' },
      ];
    case 'multiclass':
      return [...(signature.classes ?? []).map((c) => ({ name: `score_${c}`, type: 'DOUBLE' as const })), { name: 'prediction', type: 'VARCHAR' }];
    case 'regression':
      return [{ name: 'prediction', type: 'DOUBLE' }];
  }
}

const ROW = '__pipewise_row';

/** Writes the split's rows joined with their predictions to `file` as Parquet. */
export async function writePredictions(
  conn: DuckDBConnection,
  table: SplitTable,
  signature: ModelSignature,
  predictions: readonly Prediction[],
  file: string,
): Promise<string[]> {
  const columns = predictionColumns(signature);
  const clash = columns.find((c) => table.columns.includes(c.name));
  if (clash) {
    throw new PipewiseError(`the examples already have a column '${clash.name}', which predictions.parquet reserves for the model's output; rename it upstream`);
  }
  await conn.run(`CREATE TEMP TABLE __pipewise_predictions (${quoteIdent(ROW)} BIGINT, ${columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ')})`);
  const appender = await conn.createAppender('__pipewise_predictions');
  try {
    predictions.forEach((p, i) => {
      appender.appendBigInt(BigInt(i));
      if (signature.task === 'binary') {
        appender.appendDouble(p.score as number);
        appender.appendVarchar(String(p.prediction));
      } else if (signature.task === 'multiclass') {
        for (const s of p.scores ?? []) appender.appendDouble(s);
        appender.appendVarchar(String(p.prediction));
      } else {
        appender.appendDouble(Number(p.prediction));
      }
      appender.endRow();
    });
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  const inputs =
    `SELECT * EXCLUDE (filename, file_row_number), row_number() OVER (ORDER BY filename, file_row_number) - 1 AS ${quoteIdent(ROW)} ` +
    `FROM read_parquet(${quoteLiteral(table.glob)}, filename = true, file_row_number = true)`;
  await conn.run(
    `COPY (SELECT i.* EXCLUDE (${quoteIdent(ROW)}), ${columns.map((c) => `p.${quoteIdent(c.name)}`).join(', ')} ` +
      `FROM (${inputs}) i JOIN __pipewise_predictions p USING (${quoteIdent(ROW)}) ORDER BY i.${quoteIdent(ROW)}) ` +
      `TO ${quoteLiteral(file)} (FORMAT parquet)`,
  );
  return columns.map((c) => c.name);
}

function checkShape(signature: ModelSignature, predictions: readonly Prediction[]): void {
  const k = signature.classes?.length ?? 0;
  predictions.forEach((p, i) => {
    if (signature.task === 'binary' && (typeof p.score !== 'number' || !Number.isFinite(p.score))) {
      throw new PipewiseError(`the model returned no probability (score) for row ${i}: ${JSON.stringify(p)}`);
    }
    if (signature.task === 'multiclass' && (!p.scores || p.scores.length !== k)) {
      throw new PipewiseError(`the model returned ${p.scores?.length ?? 'no'} class probabilities for row ${i}; its signature lists ${k} classes`);
    }
  });
}

export function createBulkInferrer(load: ModelLoader = loadModel): ComponentExecutor<BulkInferrerParams> {
  return {
    name: 'BulkInferrer',
    async run(ctx: ComponentContext<BulkInferrerParams>): Promise<void> {
      const { split } = ctx.params;
      const examples = ctx.inputs.examples;
      const modelArtifact = ctx.inputs.model;
      if (!examples || !modelArtifact) throw new PipewiseError('BulkInferrer needs its examples and model inputs');
      const outDir = ctx.outputs.inference_result as string;
      const blessing = ctx.inputs.blessing;
      if (blessing && !existsSync(path.join(blessing.uri, 'BLESSED'))) {
        const reason = `the model is not blessed by ${blessing.stage}: no inference`;
        const file: InferenceFile = { skipped: true, reason, split };
        await writeFileAtomic(path.join(outDir, 'inference.json'), JSON.stringify(file, null, 1));
        ctx.setProperties('inference_result', { skipped: true });
        ctx.log('warn', reason);
        return;
      }

      let model: ServingModel | undefined;
      try {
        model = await load(modelArtifact.uri);
        const signature = model.signature;
        const m = model;
        await withConnection(async (conn) => {
          const table = await readSplit(conn, examples.uri, split);
          ctx.progress(0, `predicting ${table.rows.length} examples`);
          const predictions = await predictAll(m, table.rows, ctx.signal, (done) => ctx.progress((0.9 * done) / Math.max(1, table.rows.length)));
          checkShape(signature, predictions);
          const written = await writePredictions(conn, table, signature, predictions, path.join(outDir, 'predictions.parquet'));
          const file: InferenceFile = { skipped: false, task: signature.task, split, rows: table.rows.length, predictionColumns: written };
          await writeFileAtomic(path.join(outDir, 'inference.json'), JSON.stringify(file, null, 1));
          ctx.setProperties('inference_result', { skipped: false, rows: table.rows.length, task: signature.task });
          ctx.log('info', `${table.rows.length} predictions written with columns ${written.join(', ')}`);
        }, ctx.signal);
        ctx.progress(1);
      } finally {
        model?.dispose();
      }
    },
  };
}

export const bulkInferrer = createBulkInferrer();
