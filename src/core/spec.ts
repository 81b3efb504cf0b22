/**
 * The pipeline file as the engine and the editor see it after parsing (docs/ARCHITECTURE.md, "Contracts": pipeline files). Every node
 * keeps its source range so that errors, diagnostics, CodeLens and "reveal in file" point at the
 * exact place. Parsing and validation live in `parse.ts` / `validate.ts`.
 */

/** 1-based line and column, as editors and `FILE:LINE:COL` print them; offsets are 0-based. */
export interface SourceRange {
  readonly start: { readonly line: number; readonly col: number; readonly offset: number };
  readonly end: { readonly line: number; readonly col: number; readonly offset: number };
}

export interface InputRef {
  /** The `<stage>.<output>` text as written. */
  readonly text: string;
  readonly stage: string;
  readonly output: string;
  readonly range: SourceRange;
}

export interface StageSpec {
  readonly name: string;
  /** A built-in component name, or a path (`./components/x.ts`) to a user component module. */
  readonly component: string;
  readonly inputs: Readonly<Record<string, InputRef>>;
  /** As written; defaults are applied by the component's zod schema at run time. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Range of the stage's key (its name). */
  readonly range: SourceRange;
  /** Range of the whole stage value, for folding and "reveal". */
  readonly bodyRange: SourceRange;
  readonly componentRange?: SourceRange;
  /** Ranges of each param key's value, by param name. */
  readonly paramRanges: Readonly<Record<string, SourceRange>>;
}

export interface PipelineSpec {
  /** Absolute path of the pipeline file. */
  readonly file: string;
  readonly name: string;
  /** Stages in file order (execution order comes from the DAG, never from this order). */
  readonly stages: readonly StageSpec[];
  /** Where artifacts and metadata go, relative to the file (default `.pipewise`). */
  readonly store: string;
  /** Where `store:` is written, when it is. */
  readonly storeRange?: SourceRange;
}

export type Severity = 'error' | 'warning' | 'info';

export interface SpecDiagnostic {
  readonly file: string;
  readonly range: SourceRange;
  readonly severity: Severity;
  readonly message: string;
  /** Stable code, e.g. `yaml-syntax`, `unknown-component`, `cycle`. */
  readonly code: string;
}

/** `FILE:LINE:COL: error: MESSAGE`, the CLI's and CI's format. */
export function formatDiagnostic(d: SpecDiagnostic): string {
  return `${d.file}:${d.range.start.line}:${d.range.start.col}: ${d.severity}: ${d.message}`;
}
