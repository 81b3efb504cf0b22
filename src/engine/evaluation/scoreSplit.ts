/**
 * The Evaluator's pass over the eval split, streamed: the rows come a DuckDB chunk at a time, are
 * predicted and reduced to what the metrics need (encoded labels, the predictions as numbers, each
 * slice's row indices), and let go. Memory grows by tens of bytes per row instead of a JS object per
 * row and per prediction (which peaked at 2.4 GB on 1.6 million rows).
 */
import { withConnection } from '../duckdb';
import type { ServingModel } from '../model/servingModel';
import { type OpenedSplit, type RawRow, streamSplit } from './examples';
import { PredictionColumn, predictAll } from './predict';
import { type EncodedLabels, LabelEncoder } from './sliceMetrics';
import { type Slice, SliceGrouper } from './slicing';

export interface ScoredSplit {
  readonly labels: EncodedLabels;
  readonly predictions: PredictionColumn;
  /** The slices of `specs`, when asked for. */
  readonly slices: readonly Slice[];
}

export async function scoreSplit(
  model: ServingModel,
  split: OpenedSplit,
  label: string,
  o: { readonly specs?: readonly (readonly string[])[]; readonly signal: AbortSignal; readonly onProgress?: (done: number) => void },
): Promise<ScoredSplit> {
  const { signature } = model;
  const labels = new LabelEncoder(signature, split.rowCount);
  const predictions = new PredictionColumn(signature.task, signature.task === 'multiclass' ? (signature.classes?.length ?? 1) : 1, split.rowCount);
  const grouper = o.specs ? new SliceGrouper(o.specs, split.columns) : undefined;
  await withConnection(
    (conn) =>
      streamSplit(
        conn,
        split,
        async (rows, first) => {
          labels.add(rows.map((r) => r[label]));
          grouper?.add(rows);
          predictions.add(await predictAll(model, rows, o.signal));
          o.onProgress?.(first + rows.length);
        },
        o.signal,
      ),
    o.signal,
  );
  return { labels: labels.result(), predictions, slices: grouper?.result() ?? [] };
}

/** The rows at `indices` (ascending), in one streamed pass: what permutation importance shuffles. */
export async function readSplitRows(split: OpenedSplit, indices: readonly number[], signal: AbortSignal): Promise<RawRow[]> {
  const out: RawRow[] = [];
  let k = 0;
  await withConnection(
    (conn) =>
      streamSplit(
        conn,
        split,
        (rows, first) => {
          while (k < indices.length && (indices[k] as number) < first + rows.length) out.push(rows[(indices[k++] as number) - first] as RawRow);
        },
        signal,
      ),
    signal,
  );
  return out;
}
