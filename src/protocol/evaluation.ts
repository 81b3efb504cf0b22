/** The evaluation view's model and messages; declared beside the pure code that builds them (src/core/evaluationView.ts). */
export * from '../core/evaluationTypes';
import type { FromEvaluationMessage } from '../core/evaluationTypes';

/** What the webview last acknowledged (read by the tests through `pipewise.test.evaluationAck`): its last `rendered` message and the errors it reported. */
export interface EvaluationAck extends Omit<Extract<FromEvaluationMessage, { readonly type: 'rendered' }>, 'type'> {
  readonly file: string;
  readonly renders: number;
  readonly errors: readonly string[];
  readonly viewColumn?: number;
}
