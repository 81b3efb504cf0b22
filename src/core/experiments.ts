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

export interface EvaluationInput {
  readonly metrics: Readonly<Record<string, number>>;
  readonly intervals?: Readonly<Record<string, readonly [number, number]>>;
  readonly blessed: boolean;
}

/** A Tuner's `trials.json` (src/engine/components/tuner.ts). */
export interface TrialsInput {
  readonly objective: string;
  readonly trials: readonly { readonly trial: number; readonly hyperparameters: Readonly<Record<string, unknown>>; readonly score: number; readonly metrics?: Readonly<Record<string, number>> }[];
}

/**
 * A Tuner's trials as rows of their own (a search of 30 trials gives 30 rows): the run's parameters
 * with the trial's hyperparameters in place of the search space (`<tuner stage>.<name>`), and the
 * trial's validation metrics under `trial:` names, so they never mix with the eval split's columns.
 */
function trialRows(run: RunInput, params: Readonly<Record<string, string>>, trials: ReadonlyMap<string, TrialsInput>): ExperimentRow[] {
  const out: ExperimentRow[] = [];
  for (const stage of run.stages) {
    const folder = stage.component === 'Tuner' ? stage.artifacts.best_hyperparameters : undefined;
    const file = folder ? trials.get(folder) : undefined;
    if (!file) continue;
    const base = Object.fromEntries(Object.entries(params).filter(([k]) => !k.startsWith(`${stage.name}.space.`)));
    for (const t of file.trials) {
      const metrics: Record<string, number> = {};
      for (const [k, v] of Object.entries(t.metrics ?? {})) if (Number.isFinite(v)) metrics[`trial:${k}`] = v;
      metrics[`trial:${file.objective}`] = t.score;
      out.push({
        runId: `${run.id}#trial-${t.trial}`,
        startedAt: run.startedAt,
        status: run.status,
        params: flattenParams(stage.name, t.hyperparameters, { ...base }),
        metrics,
        trial: { stage: stage.name, number: t.trial, of: file.trials.length },
      });
    }
  }
  return out;
}

export function buildExperiments(
  pipeline: string,
  file: string,
  runs: readonly RunInput[],
  executions: readonly ExecutionInput[],
  evaluations: ReadonlyMap<string, EvaluationInput>,
  histories: ReadonlyMap<string, readonly Readonly<Record<string, number>>[]> = new Map(),
  trials: ReadonlyMap<string, TrialsInput> = new Map(),
): ExperimentsView {
  const rows: ExperimentRow[] = [...runs]
    .sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1))
    .flatMap((run) => {
      const params: Record<string, string> = {};
      for (const e of executions) if (e.runId === run.id) flattenParams(e.stage, e.params, params);
      const evaluator = run.stages.find((s) => s.component === 'Evaluator' && s.artifacts.evaluation);
      const evaluation = evaluator?.artifacts.evaluation;
      const ev = evaluation ? evaluations.get(evaluation) : undefined;
      const trainer = run.stages.find((s) => (s.component === 'Trainer' || s.component === 'Tuner') && s.artifacts.model);
      const history = trainer?.artifacts.model ? histories.get(trainer.artifacts.model) : undefined;
      const row: ExperimentRow = {
        runId: run.id,
        startedAt: run.startedAt,
        status: run.status,
        params,
        metrics: ev?.metrics ?? {},
        ...(ev?.intervals ? { intervals: ev.intervals } : {}),
        ...(ev ? { blessed: ev.blessed, evaluation } : {}),
        ...(history ? { history } : {}),
      };
      return [row, ...trialRows(run, params, trials)];
    });
  const allParams = [...new Set(rows.flatMap((r) => Object.keys(r.params)))].sort();
  const changedParams = allParams.filter((p) => new Set(rows.map((r) => r.params[p] ?? '')).size > 1);
  const present = new Set(rows.flatMap((r) => Object.keys(r.metrics)));
  const metricNames = [...HEADLINE.filter((m) => present.has(m)), ...[...present].filter((m) => !HEADLINE.includes(m) && !m.includes('@')).sort()];
  return { pipeline, file, rows, changedParams, metricNames };
}

/**
 * metrics.json's `intervals` as the table uses them: only `[low, high]` pairs of finite numbers with
 * low ≤ high; anything else (a hand-edited file, an older format) is left out rather than drawn.
 */
export function validIntervals(raw: unknown): Record<string, readonly [number, number]> | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const out: Record<string, readonly [number, number]> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && Number.isFinite(x)) && (v[0] as number) <= (v[1] as number)) out[k] = [v[0] as number, v[1] as number];
  }
  return Object.keys(out).length ? out : undefined;
}
