/**
 * Runs of one pipeline → the experiments table: one row per run, the parameters that changed
 * between runs (after defaults, as each execution recorded them) and the evaluation's overall
 * metrics. Pure; the extension reads the records and files.
 */
import type { ExperimentRow, ExperimentsView } from './experimentsTypes';

export interface RunInput {
  readonly id: string;
  readonly startedAt: string;
  readonly status: string;
  readonly stages: readonly { readonly name: string; readonly component: string; readonly artifacts: Readonly<Record<string, string>> }[];
}

export interface ExecutionInput {
  readonly runId: string;
  readonly stage: string;
  readonly params: unknown;
}

/** `{ a: 1, b: { c: 2 } }` → `{ a: '1', 'b.c': '2' }`; arrays stay whole (`[32,16]`). */
/** A parameter as the pipeline file writes it (YAML flow style): `dnn`, `[32, 16]`, not JSON's `"dnn"`. */
function paramText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(paramText).join(', ')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${k}: ${paramText(x)}`).join(', ')}}`;
  return String(v);
}

export function flattenParams(prefix: string, v: unknown, out: Record<string, string> = {}): Record<string, string> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flattenParams(prefix ? `${prefix}.${k}` : k, x, out);
  } else if (v !== undefined) {
    out[prefix] = paramText(v);
  }
  return out;
}

const HEADLINE = ['accuracy', 'auc', 'auc_pr', 'log_loss', 'rmse', 'mae', 'r2', 'precision', 'recall', 'f1', 'example_count'];

export function buildExperiments(
  pipeline: string,
  file: string,
  runs: readonly RunInput[],
  executions: readonly ExecutionInput[],
  evaluations: ReadonlyMap<string, { readonly metrics: Readonly<Record<string, number>>; readonly blessed: boolean }>,
  histories: ReadonlyMap<string, readonly Readonly<Record<string, number>>[]> = new Map(),
): ExperimentsView {
  const rows: ExperimentRow[] = [...runs]
    .sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1))
    .map((run) => {
      const params: Record<string, string> = {};
      for (const e of executions) if (e.runId === run.id) flattenParams(e.stage, e.params, params);
      const evaluator = run.stages.find((s) => s.component === 'Evaluator' && s.artifacts.evaluation);
      const evaluation = evaluator?.artifacts.evaluation;
      const ev = evaluation ? evaluations.get(evaluation) : undefined;
      const trainer = run.stages.find((s) => (s.component === 'Trainer' || s.component === 'Tuner') && s.artifacts.model);
      const history = trainer?.artifacts.model ? histories.get(trainer.artifacts.model) : undefined;
      return {
        runId: run.id,
        startedAt: run.startedAt,
        status: run.status,
        params,
        metrics: ev?.metrics ?? {},
        ...(ev ? { blessed: ev.blessed, evaluation } : {}),
        ...(history ? { history } : {}),
      };
    });
  const allParams = [...new Set(rows.flatMap((r) => Object.keys(r.params)))].sort();
  const changedParams = allParams.filter((p) => new Set(rows.map((r) => r.params[p] ?? '')).size > 1);
  const present = new Set(rows.flatMap((r) => Object.keys(r.metrics)));
  const metricNames = [...HEADLINE.filter((m) => present.has(m)), ...[...present].filter((m) => !HEADLINE.includes(m) && !m.includes('@')).sort()];
  return { pipeline, file, rows, changedParams, metricNames };
}
