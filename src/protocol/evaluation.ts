/** The evaluation view's model and messages; declared beside the pure code that builds them (src/core/evaluationView.ts). */
export * from '../core/evaluationTypes';
