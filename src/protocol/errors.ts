/**
 * The worker's error codes, declared once, and the typed errors a client sees in their place.
 * The worker throws `ResponseError(code, message, data)`; the extension's worker port
 * (src/extension/workerPort.ts) turns each into the class below, so callers write
 * `e instanceof RequestCancelledError` instead of comparing numbers. No `vscode` import.
 */
import { ResponseError } from 'vscode-jsonrpc';
import type { SpecDiagnostic } from '../core/spec';

export const WorkerErrorCode = {
  /** The client cancelled the request (JSON-RPC / LSP `RequestCancelled`). */
  RequestCancelled: -32800,
  /** The pipeline file is not a valid pipeline; `data.diagnostics` lists why. */
  Spec: 1001,
  /** The request cannot be served as asked (a stage that does not exist, a bad selection). */
  Usage: 1002,
} as const;

/** A request the worker answered with an error; `code` is one of `WorkerErrorCode` or JSON-RPC's own. */
export class WorkerRequestError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'WorkerRequestError';
  }
}

/** The request was cancelled before it finished. */
export class RequestCancelledError extends WorkerRequestError {
  constructor(message = 'cancelled') {
    super(message, WorkerErrorCode.RequestCancelled);
    this.name = 'RequestCancelledError';
  }
}

/** The pipeline file has errors; the worker's diagnostics say where. */
export class SpecRequestError extends WorkerRequestError {
  constructor(
    message: string,
    readonly diagnostics: readonly SpecDiagnostic[],
  ) {
    super(message, WorkerErrorCode.Spec, { diagnostics });
    this.name = 'SpecRequestError';
  }
}

/** A `ResponseError` from the wire as its typed error; anything else unchanged. */
export function typedWorkerError(e: unknown): unknown {
  if (!(e instanceof ResponseError)) return e;
  const message = e.message;
  switch (e.code) {
    case WorkerErrorCode.RequestCancelled:
      return new RequestCancelledError(message);
    case WorkerErrorCode.Spec: {
      const diagnostics = (e.data as { diagnostics?: readonly SpecDiagnostic[] } | undefined)?.diagnostics ?? [];
      return new SpecRequestError(message, diagnostics);
    }
    default:
      return new WorkerRequestError(message, e.code, e.data);
  }
}

// Kept in src/core so that every room reads an error's text the same way; named here for the rooms
// that already import their errors from the protocol.
export { errorDetail, errorMessage } from '../core/errors';
