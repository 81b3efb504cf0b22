/** The experiments table's model and messages; declared beside the pure code that builds them (src/core/experiments.ts). */
export * from '../core/experimentsTypes';

export interface ExperimentsAck {
  readonly rows: readonly string[];
  readonly columns: readonly string[];
  readonly chart?: { readonly metric: string; readonly runs: readonly string[] };
  readonly renders: number;
}
