/**
 * Folding the worker's RunEvents into what the graph, the status bar and the Runs view show. Pure
 * (no `vscode`), so it is unit-tested directly.
 */
import type { RunEvent, RunResult, StageResult } from '../../protocol/runEvents';
import type { RunView, StageView } from '../../protocol/graph';

export function emptyRunView(): RunView {
  return { running: false, stages: {} };
}

/** The run view before the worker has answered: every planned stage pending. */
export function startingRunView(stages: readonly string[]): RunView {
  return { running: true, stages: Object.fromEntries(stages.map((s) => [s, { status: 'pending' } satisfies StageView])) };
}

function withStage(view: RunView, stage: string, next: (prev: StageView | undefined) => StageView): RunView {
  return { ...view, stages: { ...view.stages, [stage]: next(view.stages[stage]) } };
}

function fromResult(s: StageResult): StageView {
  return {
    status: s.status,
    durationMs: s.durationMs,
    artifacts: s.artifacts,
    ...(s.error ? { error: s.error } : {}),
  };
}

export function applyRunEvent(view: RunView, e: RunEvent): RunView {
  switch (e.kind) {
    case 'runStarted': {
      const stages: Record<string, StageView> = {};
      // Stages outside the selection keep what they showed (their last result), planned ones go pending.
      for (const s of e.stages) stages[s.name] = s.planned ? { status: 'pending' } : (view.stages[s.name] ?? { status: 'pending' });
      return { runId: e.runId, running: true, stages, ...(e.backend ? { backend: e.backend } : {}) };
    }
    case 'stageStarted':
      return withStage(view, e.stage, () => ({ status: 'running' }));
    case 'stageProgress':
      return withStage(view, e.stage, (p) => ({
        ...(p ?? { status: 'running' }),
        status: 'running',
        ...(e.fraction !== undefined ? { fraction: e.fraction } : {}),
        ...(e.message !== undefined ? { message: e.message } : {}),
      }));
    case 'stageFinished':
      return withStage(view, e.stage.name, () => fromResult(e.stage));
    case 'runFinished':
      return applyRunResult(view, e.result);
    case 'stageLog':
    case 'stageMetrics':
      return view;
  }
}

export function applyRunResult(view: RunView, r: RunResult): RunView {
  const stages: Record<string, StageView> = { ...view.stages };
  for (const s of r.stages) stages[s.name] = fromResult(s);
  // Anything still shown as running or pending did not get to run.
  for (const [name, s] of Object.entries(stages)) {
    if (s.status === 'running') stages[name] = { ...s, status: r.status === 'cancelled' ? 'cancelled' : 'failed' };
  }
  return { runId: r.runId, running: false, stages, status: r.status, durationMs: r.durationMs, ...(r.backend ? { backend: r.backend } : {}) };
}

/** The worker died or the request failed: running stages fail with the reason, the rest are skipped. */
export function failRunView(view: RunView, reason: string, cancelled = false): RunView {
  const stages: Record<string, StageView> = {};
  for (const [name, s] of Object.entries(view.stages)) {
    if (s.status === 'running') stages[name] = { ...s, status: cancelled ? 'cancelled' : 'failed', error: reason };
    else if (s.status === 'pending') stages[name] = { status: cancelled ? 'cancelled' : 'skipped' };
    else stages[name] = s;
  }
  return { ...view, running: false, stages, status: cancelled ? 'cancelled' : 'failed' };
}

