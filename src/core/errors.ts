/**
 * An error a user can act on: it names the file (and where known the line and column) or the
 * value at fault. Everything the engine throws at users is one of these; anything else is a bug
 * and is shown with its stack. `message` is the whole sentence, `file:line:col: reason`, so every
 * place that shows `e.message` (a failed stage, a panel, a notebook cell) names the file too.
 */
export class PipewiseError extends Error {
  /** The sentence without the file and position. */
  readonly reason: string;

  constructor(
    reason: string,
    readonly details: { readonly file?: string; readonly line?: number; readonly col?: number; readonly code?: string } = {},
  ) {
    super(locate(reason, details));
    this.reason = reason;
    this.name = 'PipewiseError';
  }

  /** `file:line:col: reason` where the position is known (the same as `message`). */
  describe(): string {
    return this.message;
  }
}

function locate(reason: string, { file, line, col }: { readonly file?: string; readonly line?: number; readonly col?: number }): string {
  if (!file) return reason;
  return line ? `${file}:${line}:${col ?? 1}: ${reason}` : `${file}: ${reason}`;
}

export class CancelledError extends Error {
  constructor(message = 'Cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

export function isCancelled(e: unknown): boolean {
  return e instanceof Error && (e.name === 'CancelledError' || e.name === 'AbortError');
}

/** The message of anything thrown. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The stack of anything thrown (for logs), else its message. */
export function errorDetail(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}
