/**
 * Exports to other orchestrators, asked of the worker (the export reads data files with DuckDB to
 * fingerprint them, and loads user modules). No `vscode` import.
 */
import { RequestType } from 'vscode-jsonrpc';

export interface ExportKfpParams {
  /** The pipeline file. */
  readonly file: string;
  /** Default: `<pipeline folder>/<name>.kfp.yaml`. */
  readonly out?: string;
  /** The container image the steps run; default `pipewise-<pipeline>:latest`. */
  readonly image?: string;
  readonly pipelineRoot?: string;
}

export interface ExportKfpResult {
  readonly out: string;
  readonly dockerfile: string;
  readonly dockerignore: string;
  readonly image: string;
  /** How many container steps the pipeline became. */
  readonly steps: number;
  /** `bundle`: the CLI bundle is in the image's build context; `npm`: the image installs the pipewise-cli package. */
  readonly cli: 'bundle' | 'npm';
}

/** Rejects with a ResponseError whose message names the file and the problem. */
export const ExportKfp = new RequestType<ExportKfpParams, ExportKfpResult, void>('pipewise/exportKfp');

export interface ExportKfpOptions {
  /** The container image; asked for when absent (prefilled with the last one used for this pipeline). */
  readonly image?: string;
  readonly out?: string;
}
