/**
 * `pipewise stats` runs in a child process of the `pipewise` command, so that a crash inside a native
 * library (DuckDB's SIGFPE on a 1,500-column SELECT) is reported with the signal's name and exit
 * code 1, instead of the process vanishing with no message. A child may tell the parent which stage
 * it is in over the IPC channel; everything else (stdout, stderr, the exit code) passes through.
 * `run` is not supervised yet: a SIGKILL of the parent reaches its child only through the IPC
 * channel's end, a few milliseconds late, while the child still holds the store's lock.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';

/** Set in the child's environment: this process is the one doing the work. */
const CHILD_ENV = 'PIPEWISE_CLI_SUPERVISED';

/** Signals that mean a crash of the process itself (native code), not a request to stop. */
const CRASH_SIGNALS: ReadonlySet<string> = new Set(['SIGFPE', 'SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGABRT', 'SIGTRAP', 'SIGSYS']);

/** What the child says over IPC: the stage (or other work) it has started. */
interface StageMessage {
  readonly pipewiseStage: string;
}

function isStageMessage(m: unknown): m is StageMessage {
  return typeof m === 'object' && m !== null && typeof (m as { pipewiseStage?: unknown }).pipewiseStage === 'string';
}

/** Whether this process is the supervised child. */
export function isSupervisedChild(): boolean {
  return process.env[CHILD_ENV] === '1' && typeof process.send === 'function';
}

/**
 * In the child: tells the parent which stage runs now (shown if the process crashes). In the
 * child, a parent that has gone (SIGKILLed) takes the child with it, as a single process would go.
 */
export function reportStage(stage: string): void {
  if (!isSupervisedChild()) return;
  const message: StageMessage = { pipewiseStage: stage };
  process.send?.(message);
}

if (isSupervisedChild()) {
  // The channel must not keep the child alive once its work is done.
  process.channel?.unref();
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}

/**
 * Runs `script` with `argv` (this same command) in a child and returns its exit code; a crash signal becomes exit
 * code 1 and a message naming the stage. SIGINT and SIGTERM sent to the `pipewise` command are passed
 * on to the child (its own process group, so a terminal's Ctrl-C reaches it once, through here).
 */
export async function superviseCommand(script: string, argv: readonly string[], what: string): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, script, ...argv], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [CHILD_ENV]: '1' },
    detached: true,
  });
  let stage: string | undefined;
  child.on('message', (m: unknown) => {
    if (isStageMessage(m)) stage = m.pipewiseStage;
  });
  const forward = (sig: NodeJS.Signals): void => {
    child.kill(sig);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c, s) => resolve([c, s]));
    });
    if (signal && CRASH_SIGNALS.has(signal)) {
      const where = stage ? `stage '${stage}'` : what;
      process.stderr.write(
        `pipewise: error: ${where} crashed: the process died of ${signal} (a fault inside native code: DuckDB or a TensorFlow.js backend); ` +
          `nothing it was writing is kept, and the next run starts it again\n`,
      );
      return 1;
    }
    if (signal) return 128 + signalNumber(signal);
    return code ?? 1;
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  return os.constants.signals[signal] ?? 0;
}
