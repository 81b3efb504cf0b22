/** The experiments table's model and messages; declared beside the pure code that builds them (src/core/experiments.ts). */
export * from '../core/experimentsTypes';
