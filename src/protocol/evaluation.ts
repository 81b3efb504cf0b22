/** The evaluation view's model and messages; declared beside the pure code that builds them (src/core/evaluationView.ts). */
export * from '../core/evaluationTypes';

/** What the webview last acknowledged (read by the tests through `pipewise.test.evaluationAck`). */
export interface EvaluationAck {
  readonly file: string;
  readonly charts: readonly string[];
  readonly slices: number;
  readonly verdict: string;
  readonly overall: Readonly<Record<string, string>>;
  /** Each baseline delta's colour as drawn: 'better', 'worse' or '' (plain). */
  readonly deltas?: Readonly<Record<string, string>>;
  /** Which run the panel says it shows, as drawn. */
  readonly shows?: string;
  /** The notice that a newer run evaluated the same stage, as drawn. */
  readonly stale?: string;
  readonly renders: number;
  readonly errors: readonly string[];
  readonly viewColumn?: number;
}
