/**
 * A pipeline file as a Jupyter notebook (nbformat 4.5): a markdown cell describing the pipeline,
 * then one YAML cell per stage in execution order, each the stage's own text from the file. No
 * `vscode` import, so unit tests check the notebook against nbformat directly.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { buildGraph, topologicalOrder } from '../../core/dag';
import { parsePipeline } from '../../core/parse';
import type { StageSpec } from '../../core/spec';

export interface NbCell {
  readonly cell_type: 'markdown' | 'code';
  readonly id: string;
  readonly metadata: Record<string, unknown>;
  readonly source: string[];
  readonly execution_count?: null;
  readonly outputs?: unknown[];
}

export interface Nbformat4 {
  readonly cells: NbCell[];
  readonly metadata: Record<string, unknown>;
  readonly nbformat: 4;
  readonly nbformat_minor: 5;
}

/** nbformat keeps source as lines, each with its newline but the last. */
export function sourceLines(text: string): string[] {
  const lines = text.split('\n');
  return lines.map((l, i) => (i < lines.length - 1 ? `${l}\n` : l)).filter((l, i, a) => !(i === a.length - 1 && l === ''));
}

function cellId(): string {
  return randomBytes(4).toString('hex');
}

export function markdownCell(text: string): NbCell {
  return { cell_type: 'markdown', id: cellId(), metadata: {}, source: sourceLines(text) };
}

export function codeCell(languageId: string, text: string): NbCell {
  return { cell_type: 'code', id: cellId(), execution_count: null, metadata: { vscode: { languageId } }, outputs: [], source: sourceLines(text) };
}

/** The stage's text as written in the file (key line to end of body), dedented to column 1. */
function stageText(text: string, stage: StageSpec): string {
  const start = text.lastIndexOf('\n', stage.range.start.offset - 1) + 1;
  const body = text.slice(start, stage.bodyRange.end.offset).replace(/\s+$/, '');
  const indent = stage.range.start.col - 1;
  return body
    .split('\n')
    .map((l) => (l.slice(0, indent).trim() === '' ? l.slice(indent) : l.trimStart()))
    .join('\n');
}

/**
 * The notebook for `pipelineFile` (its `text`), to be saved as `notebookFile`: the notebook's
 * `pipewise.pipeline` metadata names the pipeline relative to the notebook.
 */
export function pipelineNotebook(text: string, pipelineFile: string, notebookFile: string): Nbformat4 {
  const parsed = parsePipeline(text, pipelineFile);
  const spec = parsed.spec;
  if (!spec) {
    const d = parsed.diagnostics[0];
    throw new Error(`${pipelineFile}${d ? `:${d.range.start.line}:${d.range.start.col}: ${d.message}` : ': not a pipeline file'}`);
  }
  const order = topologicalOrder(buildGraph(spec));
  const byName = new Map(spec.stages.map((s) => [s.name, s]));
  const description = parseDocument(text).get('description');
  const rel = path.relative(path.dirname(notebookFile), pipelineFile).split(path.sep).join('/');

  const rows = order.map((n) => {
    const s = byName.get(n) as StageSpec;
    const inputs = Object.values(s.inputs).map((i) => `\`${i.text}\``).join(', ');
    return `| \`${n}\` | ${s.component} | ${inputs || '—'} |`;
  });
  const intro = [
    `# Pipeline \`${spec.name || path.basename(pipelineFile)}\``,
    '',
    ...(typeof description === 'string' && description.trim() ? [description.trim(), ''] : []),
    `The stages of [\`${rel}\`](${encodeURI(rel)}), one cell each, in execution order. Run a cell with the **Pipewise** kernel to run that stage: its inputs come from the cells above or from the pipeline's cache, and a stage whose inputs and parameters did not change is reported *cached*. Edit a cell's \`params\` and run it again to try a variant; the pipeline file itself is not changed.`,
    '',
    '| stage | component | inputs |',
    '|---|---|---|',
    ...rows,
  ].join('\n');

  return {
    cells: [markdownCell(intro), ...order.map((n) => codeCell('yaml', stageText(text, byName.get(n) as StageSpec)))],
    metadata: {
      language_info: { name: 'yaml' },
      pipewise: { pipeline: rel },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}
