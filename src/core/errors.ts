/**
 * An error a user can act on: it names the file (and where known the line and column) or the
 * value at fault. Everything the engine throws at users is one of these; anything else is a bug
 * and is shown with its stack.
 */
export class PipewiseError extends Error {
  constructor(
    message: string,
    readonly details: { readonly file?: string; readonly line?: number; readonly col?: number; readonly code?: string } = {},
  ) {
    super(message);
    this.name = 'PipewiseError';
  }

  /** `file:line:col: message` where the position is known. */
  describe(): string {
    const { file, line, col } = this.details;
    if (!file) return this.message;
    return line ? `${file}:${line}:${col ?? 1}: ${this.message}` : `${file}: ${this.message}`;
  }
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
