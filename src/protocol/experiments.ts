/** The experiments table's model and messages; declared beside the pure code that builds them (src/core/experiments.ts). */
export * from '../core/experimentsTypes';

import type { ExperimentsRendered } from '../core/experimentsTypes';

export interface ExperimentsAck extends ExperimentsRendered {
  readonly renders: number;
}
