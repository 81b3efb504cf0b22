/**
 * The stage graph: edges come from `inputs:` (never from the order in the file). Topological order,
 * cycle detection and the `--only` / `--from` selections.
 */
import type { PipelineSpec } from './spec';
import { PipewiseError } from './errors';

export interface StageGraph {
  /** Stage names in file order. */
  readonly stages: readonly string[];
  /** Stage → the stages it reads from (only stages that exist). */
  readonly upstream: ReadonlyMap<string, ReadonlySet<string>>;
  /** Stage → the stages that read from it. */
  readonly downstream: ReadonlyMap<string, ReadonlySet<string>>;
}

export function buildGraph(spec: PipelineSpec): StageGraph {
  const names = spec.stages.map((s) => s.name);
  const known = new Set(names);
  const upstream = new Map<string, Set<string>>(names.map((n) => [n, new Set<string>()]));
  const downstream = new Map<string, Set<string>>(names.map((n) => [n, new Set<string>()]));
  for (const s of spec.stages) {
    for (const ref of Object.values(s.inputs)) {
      if (!known.has(ref.stage)) continue;
      upstream.get(s.name)?.add(ref.stage);
      downstream.get(ref.stage)?.add(s.name);
    }
  }
  return { stages: names, upstream, downstream };
}

/** One cycle as a closed path in data-flow order, `[a, b, c, a]` (a feeds b … c feeds a), or undefined. */
export function findCycle(g: StageGraph): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 'visiting');
    stack.push(n);
    for (const d of g.downstream.get(n) ?? []) {
      const st = state.get(d);
      if (st === 'visiting') return [...stack.slice(stack.indexOf(d)), d];
      if (st === undefined) {
        const c = visit(d);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of g.stages) {
    if (state.get(n) === undefined) {
      const c = visit(n);
      if (c) return c;
    }
  }
  return undefined;
}

/** Stages in an order where each comes after everything it reads from; ties keep file order. */
export function topologicalOrder(g: StageGraph): string[] {
  const indegree = new Map(g.stages.map((n) => [n, g.upstream.get(n)?.size ?? 0]));
  const order: string[] = [];
  const ready = g.stages.filter((n) => indegree.get(n) === 0);
  const position = new Map(g.stages.map((n, i) => [n, i]));
  while (ready.length) {
    const n = ready.shift() as string;
    order.push(n);
    for (const d of g.downstream.get(n) ?? []) {
      const k = (indegree.get(d) ?? 0) - 1;
      indegree.set(d, k);
      if (k === 0) {
        ready.push(d);
        ready.sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
      }
    }
  }
  if (order.length !== g.stages.length) {
    const cycle = findCycle(g);
    throw new PipewiseError(`the stages form a cycle: ${(cycle ?? []).join(' → ')}`, { code: 'cycle' });
  }
  return order;
}

export function upstreamClosure(g: StageGraph, roots: Iterable<string>): Set<string> {
  return closure(g.upstream, roots);
}

export function downstreamClosure(g: StageGraph, roots: Iterable<string>): Set<string> {
  return closure(g.downstream, roots);
}

function closure(edges: ReadonlyMap<string, ReadonlySet<string>>, roots: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const todo = [...roots];
  while (todo.length) {
    const n = todo.pop() as string;
    if (out.has(n)) continue;
    out.add(n);
    for (const m of edges.get(n) ?? []) todo.push(m);
  }
  return out;
}

export interface StageSelection {
  /** What the user asked to run: with `--force`, only these ignore the cache. */
  readonly planned: ReadonlySet<string>;
  /** Planned stages and everything upstream of them, in topological order. */
  readonly required: readonly string[];
}

/** Which stages a run covers — `only` these, or `from` this one on, else all — and whether the chosen ones ignore the cache. */
export interface RunSelection {
  /** Run only these stages (their upstream comes from cache, or runs when nothing is cached). */
  readonly only?: readonly string[];
  /** Run this stage and everything downstream of it. */
  readonly from?: string;
  /** Ignore the cache for the selected stages. */
  readonly force?: boolean;
}

/**
 * A selection as one value: only what was asked (no empty `only`, no `force: false`), so the
 * extension, tasks and the CLI hand the same object to the worker and the run's record.
 */
export function runSelection(s: RunSelection): RunSelection {
  return { ...(s.only?.length ? { only: [...s.only] } : {}), ...(s.from ? { from: s.from } : {}), ...(s.force === true ? { force: true } : {}) };
}

/**
 * `--only S…` selects S; `--from S` selects S and everything downstream; neither selects all.
 * Upstream of the selection is always required (taken from cache when it is there, run when not).
 */
export function selectStages(g: StageGraph, selection: RunSelection): StageSelection {
  const known = new Set(g.stages);
  const check = (n: string, flag: string): void => {
    if (!known.has(n)) {
      throw new PipewiseError(`${flag} ${n}: no such stage (stages: ${g.stages.join(', ')})`, { code: 'usage' });
    }
  };
  let planned: Set<string>;
  if (selection.only?.length) {
    for (const n of selection.only) check(n, '--only');
    planned = new Set(selection.only);
    if (selection.from) {
      check(selection.from, '--from');
      for (const n of downstreamClosure(g, [selection.from])) planned.add(n);
    }
  } else if (selection.from) {
    check(selection.from, '--from');
    planned = downstreamClosure(g, [selection.from]);
  } else {
    planned = new Set(g.stages);
  }
  const need = upstreamClosure(g, planned);
  return { planned, required: topologicalOrder(g).filter((n) => need.has(n)) };
}

/**
 * The stages whose `model` input is `stage`'s and that cannot take a decision forest: a Pusher or an
 * Evaluator with `quantize` (forests have no weights to quantize). `model: auto` leaves trees out of
 * its candidates for them, so a pipeline never trains a model its own Pusher must refuse. (A web
 * Pusher takes forests: the page predicts with YDF's wasm.) For a Tuner, the refusers of the
 * Trainers that read its `best_hyperparameters`.
 */
export function forestRefusersOf(spec: PipelineSpec, stage: string): string[] {
  const direct = spec.stages
    .filter((s) => s.inputs['model']?.stage === stage)
    .filter((s) => (s.component === 'Pusher' || s.component === 'Evaluator') && s.params['quantize'] !== undefined)
    .map((s) => s.name);
  // A Tuner's best hyperparameters pick the model family of the Trainers that read them, so it must
  // not pick a forest that those Trainers' consumers refuse.
  const tuned = spec.stages
    .filter((s) => s.component === 'Trainer' && s.inputs['hyperparameters']?.stage === stage)
    .flatMap((s) => forestRefusersOf(spec, s.name));
  return [...new Set([...direct, ...tuned])];
}
