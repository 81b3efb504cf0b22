/**
 * The notebook kernel's requests and notifications between the extension host's NotebookController
 * and the worker (docs/ARCHITECTURE.md, "Contracts"). Each notebook is one worker-side session (its DuckDB connection,
 * its code cells' variables, its stage cells); a request executes one cell and answers with the
 * cell's final outputs, while notifications stream console lines and metric points keyed by the
 * execution id. No `vscode` import: worker, extension and tests share this file.
 */
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { MetricsPoint, StageResult } from './runEvents';

/** Cell kinds the worker executes, named after the cell's language id. */
export const NOTEBOOK_CELL_KINDS = ['sql', 'yaml', 'javascript', 'typescript'] as const;
export type NotebookCellKind = (typeof NOTEBOOK_CELL_KINDS)[number];

/** MIME types of cell outputs: Jupyter's own where one exists, so saved notebooks render elsewhere. */
export const NotebookMime = {
  vegaLite: 'application/vnd.vegalite.v5+json',
  /** TFDV statistics (`DatasetFeatureStatisticsList` JSON), drawn by Pipewise's renderer. */
  statistics: 'application/vnd.pipewise.statistics+json',
  html: 'text/html',
  json: 'application/json',
  markdown: 'text/markdown',
  plain: 'text/plain',
  /** VS Code's error output; Jupyter's `error` output type when saved. */
  error: 'application/vnd.code.notebook.error',
  stdout: 'application/vnd.code.notebook.stdout',
  stderr: 'application/vnd.code.notebook.stderr',
} as const;

/** The notebook a cell belongs to. */
export interface NotebookSessionRef {
  /** The notebook's URI: one session per notebook in the worker. */
  readonly id: string;
  /** Absolute folder that relative paths in cells resolve against (the notebook's folder). */
  readonly dir: string;
  /** Absolute path of the pipeline file the notebook points to (`pipewise.pipeline` metadata or a first-line comment). */
  readonly pipeline?: string;
}

/** A stage cell above the executed one: its stage can be named in `inputs:`. */
export interface EarlierStageCell {
  /** Label for messages, e.g. `Cell 3`. */
  readonly label: string;
  readonly source: string;
}

export interface ExecuteCellParams {
  /** Chosen by the client; keys the streamed notifications of this execution. */
  readonly executionId: string;
  readonly notebook: NotebookSessionRef;
  readonly cell: {
    readonly kind: NotebookCellKind;
    readonly source: string;
    /** Label used in stacks and messages, e.g. `Cell 3`. */
    readonly label: string;
  };
  /** YAML cells above this one, in notebook order (later ones override earlier ones and the pipeline file). */
  readonly earlierStages?: readonly EarlierStageCell[];
}

/** One item of an output: JSON for `…json` MIME types, text for the others. */
export type NotebookOutputItemData =
  | { readonly mime: string; readonly json: unknown }
  | { readonly mime: string; readonly text: string };

/** One output of a cell: alternative renderings of the same thing, best first. */
export interface NotebookOutputData {
  readonly items: readonly NotebookOutputItemData[];
  /** Names this output so that later updates replace it (e.g. `metrics:train`). */
  readonly key?: string;
}

/** The error a user sees: their own stack, with frames of Pipewise's code removed. */
export interface CellError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

/** A problem in the cell's source, 1-based line and column within the cell. */
export interface CellDiagnostic {
  readonly line: number;
  readonly col: number;
  readonly endLine: number;
  readonly endCol: number;
  readonly severity: 'error' | 'warning' | 'info';
  readonly message: string;
  readonly code?: string;
}

export interface ExecuteCellResult {
  readonly status: 'succeeded' | 'failed' | 'cancelled';
  /** The cell's final outputs (they replace anything streamed while it ran). */
  readonly outputs: readonly NotebookOutputData[];
  readonly error?: CellError;
  readonly diagnostics?: readonly CellDiagnostic[];
  /** For stage cells: the stage's outcome (status `cached` when nothing ran). */
  readonly stage?: StageResult;
}

/** Cancellable: a training stage stops at the next batch, a SQL query is interrupted. */
export const ExecuteCell = new RequestType<ExecuteCellParams, ExecuteCellResult, void>('pipewise/notebook/execute');

/** Drops a notebook's session: its DuckDB connection, code variables and stage cells. */
export const ResetNotebook = new RequestType<{ readonly id: string }, void, void>('pipewise/notebook/reset');

/** Streamed while a cell runs. */
export type NotebookStreamEvent =
  | { readonly executionId: string; readonly kind: 'stdout' | 'stderr'; readonly text: string }
  | { readonly executionId: string; readonly kind: 'metrics'; readonly stage: string; readonly point: MetricsPoint }
  | { readonly executionId: string; readonly kind: 'progress'; readonly stage: string; readonly fraction?: number; readonly message?: string }
  /** An output shown before the cell ends (`display(x)` in a code cell). */
  | { readonly executionId: string; readonly kind: 'display'; readonly output: NotebookOutputData };

export const NotebookStreamNotification = new NotificationType<NotebookStreamEvent>('pipewise/notebook/stream');
