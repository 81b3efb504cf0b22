/** The evaluation view's model and messages; declared beside the pure code that builds them (src/core/evaluationView.ts). */
export * from '../core/evaluationTypes';

/** What the webview last acknowledged (read by the tests through `pipewise.test.evaluationAck`). */
export interface EvaluationAck {
  readonly file: string;
  readonly charts: readonly string[];
  readonly slices: number;
  readonly verdict: string;
  readonly overall: Readonly<Record<string, string>>;
  readonly renders: number;
  readonly errors: readonly string[];
  readonly viewColumn?: number;
}
