/**
 * `pipewise` — the same engine as the editor, for terminals and CI (docs/ARCHITECTURE.md, "Contracts": the CLI). Exit codes:
 * 0 every stage succeeded or was cached, 1 a stage failed (or the run was cancelled), 2 usage or
 * spec errors. Results go to stdout, progress and errors to stderr, every error on one line.
 */
import path from 'node:path';
import { PipewiseError } from '../core/errors';
import { formatDiagnostic } from '../core/spec';
import { Lineage, processStartMs, runStatusNow, setRunOwner, type Consumer, type Provenance } from '../engine/lineage';
import type { RunEvent } from '../protocol/runEvents';
import { supervisionMessageOf } from '../protocol/supervision';
import { loadPipeline, runPipeline, runPipelineIfCached, SpecError } from '../engine/orchestrator';
import { ArtifactStore } from '../engine/store';
import { describeHolder } from '../engine/storeLock';
import { confinePath } from '../core/paths';
import { parseArgs, USAGE, type ParsedArgs } from './args';
import { describeStage, ProgressReporter } from './progress';
import { statsCommand } from './stats';
import { importanceCommand } from './importance';
import { isSupervisedChild, JSON_LINES_ENV, runsSupervised, superviseCommand, tellSupervisor } from './supervise';
import { superviseRun } from './runSupervisor';
import { doctorCommand, gcCommand } from './storeCommands';
import { watchPipeline } from './watch';
import { executeCommand, exportCommand } from './kfp';
import { version } from '../../package.json';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

async function main(argv: readonly string[]): Promise<number> {
  // The production commands parse their own flags (src/cli/serve.ts, src/cli/monitor.ts).
  if (argv[0] === 'serve') return (await import('./serve')).serveCommand(argv.slice(1));
  if (argv[0] === 'serve-web') return (await import('./serveWeb')).serveWebCommand(argv.slice(1));
  if (argv[0] === 'monitor') return (await import('./monitor')).monitorCommand(argv.slice(1));
  // report takes its own flags and keeps its own exit codes (src/cli/report.ts: 0 blessed, 1 not, 2 errors).
  if (argv[0] === 'report' && !argv.includes('--help')) return (await import('./report')).reportCommand(argv.slice(1));
  // The registry's aliases (src/cli/model.ts).
  if (argv[0] === 'model') return (await import('./model')).modelCommand(argv.slice(1));
  // export/execute take their own flags (src/cli/kfp.ts).
  if (argv[0] === 'export' && !argv.includes('--help')) return exportCommand(argv.slice(1));
  if (argv[0] === 'execute' && !argv.includes('--help')) return executeCommand(argv.slice(1));
  const args = parseArgs(argv);
  if (args.version) {
    process.stdout.write(`pipewise ${version}\n`);
    return EXIT_OK;
  }
  if (args.help || !args.command) {
    (args.help ? process.stdout : process.stderr).write(USAGE);
    return args.help ? EXIT_OK : EXIT_USAGE;
  }
  // Statistics run in a child, so a native crash inside DuckDB is reported with its signal (src/cli/supervise.ts).
  if (!isSupervisedChild() && args.command === 'stats') {
    const script = process.argv[1];
    if (script) return superviseCommand(script, argv, `the statistics of ${args.positionals[0] ?? 'the data'}`);
  }
  switch (args.command) {
    case 'run':
      return runCommand(args, argv);
    case 'validate':
      return validateCommand(args);
    case 'lineage':
      return lineageCommand(args);
    case 'stats':
      return statsCommand(one(args, 'DATA_FILE'), args.json);
    case 'importance':
      return importanceCommand(one(args, 'EVALUATION'), args.json);
    case 'doctor':
      return doctorCommand(args);
    case 'gc':
      return gcCommand(args);
    default:
      throw new PipewiseError(`unknown command '${args.command}' (commands: run, validate, stats, importance, lineage, doctor, gc, report, serve, serve-web, monitor, model, export, execute)`, { code: 'usage' });
  }
}

function one(args: ParsedArgs, what: string, optional: string[] = []): string {
  const max = 1 + optional.length;
  if (args.positionals.length < 1) throw new PipewiseError(`pipewise ${args.command}: missing ${what}`, { code: 'usage' });
  if (args.positionals.length > max) throw new PipewiseError(`pipewise ${args.command}: unexpected argument '${args.positionals[max]}'`, { code: 'usage' });
  return args.positionals[0] as string;
}

async function runCommand(args: ParsedArgs, argv: readonly string[]): Promise<number> {
  const file = one(args, 'FILE');
  if (args.watch) return watchCommand(args, argv, file);
  if (runsSupervised(argv)) {
    // The process the user started: a re-run whose every stage comes from the cache is finished
    // here (no component executes, no user module loads); a run that executes a stage goes to a
    // supervised child, so that a native crash is reported as the stage's failure
    // (src/cli/runSupervisor.ts). The child is this bundle itself, whichever entry loaded it
    // (bin/pipewise.js, the npm package's lib/cli.js, a script that requires it).
    const cached = await runStages(args, file, { cachedOnly: true });
    return cached ?? superviseRun(__filename, argv);
  }
  return (await runStages(args, file, { cachedOnly: false })) ?? EXIT_FAILED;
}

interface StagesOptions {
  /** Only if every selected stage is reused from the cache (`runPipelineIfCached`). */
  readonly cachedOnly: boolean;
  /** Cancels the run (a watch's); without it, SIGINT and SIGTERM do, and a second one quits at once. */
  readonly signal?: AbortSignal;
  /** `--json` results on one line (a watch's stream of results). */
  readonly jsonLine?: boolean;
}

/**
 * Runs the selected stages in this process and returns the exit code; with `cachedOnly`, only if
 * every one is reused from the cache (undefined otherwise, with nothing of the run written or printed).
 */
async function runStages(args: ParsedArgs, file: string, options: StagesOptions): Promise<number | undefined> {
  const { cachedOnly } = options;
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130); // a second Ctrl-C: stop now, the next run cleans up
    process.stderr.write(`\npipewise: ${sig === 'SIGINT' ? 'interrupted' : sig}, cancelling (press Ctrl-C again to quit at once)…\n`);
    controller.abort(new Error(`received ${sig}`));
  };
  if (!options.signal) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  const progress = new ProgressReporter(process.stderr);
  if (isSupervisedChild()) {
    // The supervisor (src/cli/runSupervisor.ts) is the process the user started: the records and the lock name it, with this child as worker.
    setRunOwner({ pid: process.ppid, processStart: processStartMs(process.ppid), worker: { pid: process.pid, processStart: processStartMs(process.pid) } });
  }
  const onEvent = (e: RunEvent): void => {
    progress.onEvent(e);
    tellSupervisorOf(e);
  };
  try {
    const result = await (cachedOnly ? runPipelineIfCached : runPipeline)({
      file,
      only: args.only.length ? args.only : undefined,
      from: args.from,
      force: args.force,
      signal: options.signal ?? controller.signal,
      onEvent,
      onStoreLocked: (store) => tellSupervisor({ pipewiseStore: store }),
      jobs: args.jobs,
      lockWaitMs: args.wait ? Infinity : 0,
      onLockWait: (h) => process.stderr.write(`pipewise: waiting for ${describeHolder(h)} to release the store…\n`),
    });
    if (!result) return undefined;
    const jsonLine = options.jsonLine ?? (isSupervisedChild() && process.env[JSON_LINES_ENV] === '1');
    if (args.json) process.stdout.write(`${jsonLine ? JSON.stringify(result) : JSON.stringify(result, null, 2)}\n`);
    else for (const s of result.stages) process.stdout.write(`${describeStage(s)}\n`);
    // A component that ignored the cancel may still hold the event loop: leave now (stdout is written synchronously). A watch goes on.
    if (result.status === 'cancelled' && !options.signal) process.exit(EXIT_FAILED);
    return result.status === 'succeeded' ? EXIT_OK : EXIT_FAILED;
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** What the supervisor records if this process dies of a signal: the run, and the stages running. */
function tellSupervisorOf(e: RunEvent): void {
  const m = supervisionMessageOf(e);
  if (m) tellSupervisor(m);
}

async function watchCommand(args: ParsedArgs, argv: readonly string[], file: string): Promise<number> {
  const loaded = await loadPipeline(file);
  if (!loaded.spec) throw new SpecError(loaded.diagnostics.filter((d) => d.severity === 'error'));
  const storeDir = new ArtifactStore(confinePath(path.dirname(path.resolve(file)), loaded.spec.store, 'store')).root;
  await watchPipeline({
    file,
    storeDir,
    say: (line) => void process.stderr.write(`pipewise: ${line}\n`),
    // Each run as `pipewise run` does one: finished here when every stage is cached, otherwise in a
    // supervised child (a native crash is the stage's failure, and the watch goes on), cancelled by the next change or Ctrl-C.
    run: async (signal) => {
      const cached = await runStages(args, file, { cachedOnly: true, signal, jsonLine: true });
      if (cached !== undefined || signal.aborted) return;
      const once = argv.filter((a) => a !== '--watch' && a !== '-w');
      await superviseRun(__filename, once, { signal, env: { [JSON_LINES_ENV]: '1' } });
    },
  });
  return EXIT_OK;
}

async function validateCommand(args: ParsedArgs): Promise<number> {
  const file = one(args, 'FILE');
  const loaded = await loadPipeline(file);
  for (const d of loaded.diagnostics) process.stdout.write(`${formatDiagnostic(d)}\n`);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error').length;
  if (!errors) process.stderr.write(`${path.resolve(file)}: ok (${loaded.spec?.stages.length ?? 0} stages)\n`);
  return errors ? EXIT_USAGE : EXIT_OK;
}

async function lineageCommand(args: ParsedArgs): Promise<number> {
  if (args.positionals.length > 2) throw new PipewiseError(`pipewise lineage: unexpected argument '${args.positionals[2]}'`, { code: 'usage' });
  const file = one(args, 'FILE', ['ARTIFACT']);
  const artifact = args.positionals[1];
  const loaded = await loadPipeline(file);
  if (!loaded.spec) throw new SpecError(loaded.diagnostics.filter((d) => d.severity === 'error'));
  const lineage = new Lineage(new ArtifactStore(confinePath(path.dirname(path.resolve(file)), loaded.spec.store, 'store')).metadataDir);
  if (!artifact) {
    // A run recorded `running` whose process is gone (SIGKILL, a crash) is reported as interrupted.
    const annotations = await lineage.allRunAnnotations();
    const runs = (await lineage.listRuns()).map((r) => ({ ...r, status: runStatusNow(r), annotations: annotations.get(r.id) ?? {} }));
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ runs }, null, 2)}\n`);
      return EXIT_OK;
    }
    if (!runs.length) process.stdout.write('no runs yet\n');
    for (const r of runs) {
      const counts = new Map<string, number>();
      for (const s of r.stages) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
      const a = r.annotations;
      process.stdout.write(`${a.starred ? '★ ' : ''}${r.id}  ${r.status.padEnd(9)} ${r.startedAt}  ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}${a.name ? `  "${a.name}"` : ''}\n`);
      // Every line of the note, indented under its run.
      if (a.note) for (const line of a.note.split('\n')) process.stdout.write(`    note: ${line}\n`);
    }
    return EXIT_OK;
  }
  const producer = await lineage.producerOf(artifact);
  const consumers = await lineage.consumersOf(artifact);
  if (!producer || !consumers) {
    throw new PipewiseError(`no artifact ${JSON.stringify(artifact)} in this pipeline's lineage (give a path under .pipewise/artifacts/, an artifact id, or stage.output)`, {
      code: 'usage',
    });
  }
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ artifact: producer.artifact, producer, consumers: consumers.consumers }, null, 2)}\n`);
    return EXIT_OK;
  }
  const out: string[] = [`${producer.artifact.id} (${producer.artifact.type})`, `  ${producer.artifact.uri}`, '', 'made from:'];
  printProvenance(producer, 1, out, new Set());
  out.push('', 'fed:');
  if (!consumers.consumers.length) out.push('  nothing yet');
  printConsumers(consumers.consumers, 1, out);
  process.stdout.write(`${out.join('\n')}\n`);
  return EXIT_OK;
}

/** The provenance tree, each execution printed once: the graph is a DAG, shared ancestors are referred to. */
function printProvenance(p: Provenance, depth: number, out: string[], shown: Set<string>): void {
  const pad = '  '.repeat(depth);
  const e = p.execution;
  if (!e) {
    out.push(`${pad}(the execution that made ${p.artifact.id} has no record)`);
    return;
  }
  if (shown.has(e.id)) {
    out.push(`${pad}stage ${e.stage} (execution ${e.id}, shown above)`);
    return;
  }
  shown.add(e.id);
  out.push(`${pad}stage ${e.stage} (${e.component} v${e.componentVersion}, execution ${e.id}, run ${e.runId})`);
  out.push(`${pad}  params: ${JSON.stringify(e.params)}`);
  for (const i of p.inputs) {
    out.push(`${pad}  input ${i.input}: ${i.artifact.id} (${i.artifact.type})`);
    printProvenance(i, depth + 2, out, shown);
  }
}

function printConsumers(cs: readonly Consumer[], depth: number, out: string[]): void {
  const pad = '  '.repeat(depth);
  for (const c of cs) {
    const e = c.execution;
    out.push(`${pad}stage ${e.stage} (${e.component}, ${e.state}, execution ${e.id}) as input '${c.input}'`);
    for (const o of c.outputs) {
      out.push(`${pad}  → ${o.artifact.id} (${o.artifact.type})`);
      printConsumers(o.consumers, depth + 2, out);
    }
  }
}

function reportError(e: unknown): number {
  if (e instanceof SpecError) {
    for (const d of e.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    return EXIT_USAGE;
  }
  if (e instanceof PipewiseError) {
    process.stderr.write(`pipewise: error: ${e.describe()}\n`);
    return e.details.code === 'usage' || e.details.code === 'path-escape' || e.details.code === 'cycle' ? EXIT_USAGE : EXIT_FAILED;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  process.stderr.write(`pipewise: error: ${err.message}\n`);
  if (process.env.PIPEWISE_DEBUG) process.stderr.write(`${err.stack ?? ''}\n`);
  return EXIT_FAILED;
}

// A reader that went away (`pipewise run … 2>&1 | head -1`) is not an error, and not a reason to
// stop: what it would have read is dropped, the command carries on to its end, and its exit code
// is its outcome's (exiting at the EPIPE with 0 let a CI step under `set -o pipefail` read a
// failed, half-done run as success, and left the run `interrupted`).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
    throw e;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = reportError(e);
  },
);
