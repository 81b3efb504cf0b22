/**
 * `pipewise run` (each run of `run --watch` too) and `pipewise stats` work in a child process of the `pipewise` command, so that a
 * crash inside a native library (DuckDB's SIGFPE on a 1,500-column SELECT, a fault in a TensorFlow.js
 * backend or a user component's native module) is reported with the signal's name and exit code 1,
 * instead of the process vanishing with no message. The child tells the parent over the IPC
 * channel what it is doing (the store it locked, the run, the stages running); everything else
 * (stdout, stderr, the exit code) passes through. `run`'s supervisor is src/cli/runSupervisor.ts.
 *
 * This module is loaded by the supervisor before anything else: it imports nothing heavy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { CRASH_SIGNALS, isSupervisionMessage, SupervisedRun, type SupervisionMessage } from '../protocol/supervision';

/** Set in the child's environment: this process is the one doing the work. */
const CHILD_ENV = 'PIPEWISE_CLI_SUPERVISED';

/** What the child says over IPC (src/protocol/supervision.ts: the editor's worker says the same to its client). */
export type ChildMessage = SupervisionMessage;
export { CRASH_SIGNALS };

/** Whether this process is the supervised child. */
export function isSupervisedChild(): boolean {
  return process.env[CHILD_ENV] === '1' && typeof process.send === 'function';
}

/** Whether `pipewise ARGV` is a command that runs supervised (decided before anything is loaded). */
export function runsSupervised(argv: readonly string[]): boolean {
  if (process.env[CHILD_ENV] === '1') return false;
  // `--watch` is long-lived: it supervises each of its runs itself (src/cli/main.ts watchCommand).
  return argv[0] === 'run' && !argv.some((a) => a === '--watch' || a === '-w' || a === '--help' || a === '-h');
}

/** In the child: tells the parent what it is doing (used if the process dies). A no-op unsupervised. */
export function tellSupervisor(message: ChildMessage): void {
  if (!isSupervisedChild()) return;
  process.send?.(message);
}

if (isSupervisedChild()) {
  // The channel must not keep the child alive once its work is done.
  process.channel?.unref();
  // A parent that has gone (SIGKILLed) takes the child with it, as a single process would go.
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}

/**
 * Starts `script` with `argv` (this same command) in a child, in its own process group (so a
 * terminal's Ctrl-C reaches it once, through here), and passes SIGINT and SIGTERM sent to the
 * `pipewise` command on to it (or, given `options.signal`, cancels it on that signal alone);
 * `onMessage` hears what it says. Resolves with how it ended.
 */
export async function runChild(
  script: string,
  argv: readonly string[],
  onMessage: (m: ChildMessage) => void,
  options: ChildOptions = {},
): Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }> {
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, script, ...argv], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...options.env, [CHILD_ENV]: '1' },
    detached: true,
  });
  child.on('message', (m: unknown) => {
    if (isSupervisionMessage(m)) onMessage(m);
  });
  const forward = (sig: NodeJS.Signals): void => {
    child.kill(sig);
  };
  // The caller's signal, when given, is the only way to stop the child (one SIGINT: the child cancels its run).
  const cancel = (): void => void child.kill('SIGINT');
  if (options.signal) {
    if (options.signal.aborted) cancel();
    else options.signal.addEventListener('abort', cancel, { once: true });
  } else {
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
  }
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c, s) => resolve([c, s]));
    });
    return { code, signal };
  } finally {
    options.signal?.removeEventListener('abort', cancel);
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}

export interface ChildOptions {
  /** Cancels the child's work (SIGINT to it); without it, SIGINT and SIGTERM sent to this process are passed on. */
  readonly signal?: AbortSignal;
  /** Added to the child's environment. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Set by `pipewise run --watch` for its supervised runs: the child prints `--json` results on one
 * line each, as the watch does (a stream of results, one per line).
 */
export const JSON_LINES_ENV = 'PIPEWISE_CLI_JSON_LINES';

/** The exit code of a child that died of `signal` and was not a crash: the shell's 128 + n. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 0);
}

/**
 * Runs `script` with `argv` in a supervised child and returns its exit code; a crash signal becomes
 * exit code 1 and a message naming the stage (`pipewise stats`).
 */
export async function superviseCommand(script: string, argv: readonly string[], what: string): Promise<number> {
  const work = new SupervisedRun();
  const { code, signal } = await runChild(script, argv, (m) => work.hear(m));
  const stage = work.lastStage;
  if (signal && CRASH_SIGNALS.has(signal)) {
    const where = stage ? `stage '${stage}'` : what;
    process.stderr.write(
      `pipewise: error: ${where} crashed: the process died of ${signal} (a fault inside native code: DuckDB or a TensorFlow.js backend); ` +
        `nothing it was writing is kept, and the next run starts it again\n`,
    );
    return 1;
  }
  if (signal) return signalExitCode(signal);
  return code ?? 1;
}
