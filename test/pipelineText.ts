/**
 * Pipeline text for tests: the stages most test pipelines open with (ExampleGen → StatisticsGen →
 * SchemaGen → Transform → Trainer, the penguin pipeline's opening), written once. Each stage comes
 * in the two YAML styles the tests use — `flow` (one line) or `block` (one key a line) — and the
 * text is exactly what the tests wrote by hand before, so positions they assert are unchanged.
 */

export type StageStyle = 'flow' | 'block';

/** `pipeline: NAME`, `stages:` and the stages' text (each ends with a newline). */
export function pipelineText(name: string, ...stages: readonly string[]): string {
  return `pipeline: ${name}\nstages:\n${stages.join('')}`;
}

/** One stage: `inputs` and `params` are flow maps as written (`{ examples: examples.examples }`). */
export function stageText(name: string, component: string, parts: { readonly inputs?: string; readonly params?: string }, style: StageStyle): string {
  const keys = [['inputs', parts.inputs], ['params', parts.params]].filter((k): k is [string, string] => k[1] !== undefined);
  if (style === 'flow') return `  ${name}: { component: ${component}${keys.map(([k, v]) => `, ${k}: ${v}`).join('')} }\n`;
  return `  ${name}:\n    component: ${component}\n${keys.map(([k, v]) => `    ${k}: ${v}\n`).join('')}`;
}

/**
 * ExampleGen reading `input`. A plain YAML scalar cannot hold `{`, `}`, `[`, `]` or `,` inside a
 * flow map, so a span pattern (`data/span-{SPAN}/*.csv`) is written as a block value, as users must.
 */
export function exampleGenStage(input: string, style: StageStyle = 'flow', name = 'examples'): string {
  if (!/[{}[\],]/.test(input)) return stageText(name, 'ExampleGen', { params: `{ input: ${input} }` }, style);
  if (style === 'flow') throw new Error(`exampleGenStage: ${input} cannot stand in a flow map; use the block style`);
  return `  ${name}:\n    component: ExampleGen\n    params:\n      input: ${input}\n`;
}

export function statisticsGenStage(style: StageStyle = 'flow', o: { readonly name?: string; readonly examples?: string } = {}): string {
  return stageText(o.name ?? 'statistics', 'StatisticsGen', { inputs: `{ examples: ${o.examples ?? 'examples'}.examples }` }, style);
}

export function schemaGenStage(style: StageStyle = 'flow', o: { readonly statistics?: string } = {}): string {
  return stageText('schema', 'SchemaGen', { inputs: `{ statistics: ${o.statistics ?? 'statistics'}.statistics }` }, style);
}

/** Transform of `examples` with the schema, `label` kept; `more`: further params (`exclude: [x]`). */
export function transformStage(label: string, style: StageStyle = 'flow', o: { readonly examples?: string; readonly more?: string } = {}): string {
  const examples = o.examples ?? 'examples';
  return stageText('transform', 'Transform', { inputs: `{ examples: ${examples}.examples, schema: schema.schema }`, params: `{ label: ${label}${o.more ? `, ${o.more}` : ''} }` }, style);
}

/** A Trainer (or a Tuner: `component`) on the Transform's output; `params` as written, or none. */
export function trainerStage(params: string | undefined, style: StageStyle = 'block', o: { readonly name?: string; readonly component?: 'Trainer' | 'Tuner' } = {}): string {
  const inputs = '{ examples: transform.transformed_examples, transform_graph: transform.transform_graph }';
  return stageText(o.name ?? 'train', o.component ?? 'Trainer', params === undefined ? { inputs } : { inputs, params }, style);
}

/**
 * The opening through the Transform: ExampleGen reading `input` (default the penguins), statistics,
 * schema and a Transform keeping `label`; the first three in `style`, the Transform in
 * `transformStyle` (default the same); `names` where a test calls the first two stages otherwise.
 */
export function penguinOpening(o: {
  readonly label: string;
  readonly input?: string;
  readonly style?: StageStyle;
  readonly transformStyle?: StageStyle;
  readonly names?: { readonly examples?: string; readonly statistics?: string };
  readonly more?: string;
}): string {
  const style = o.style ?? 'flow';
  const examples = o.names?.examples ?? 'examples';
  const statistics = o.names?.statistics ?? 'statistics';
  return (
    exampleGenStage(o.input ?? 'data/penguins.csv', style, examples) +
    statisticsGenStage(style, { name: statistics, examples }) +
    schemaGenStage(style, { statistics }) +
    transformStage(o.label, o.transformStyle ?? style, { examples, ...(o.more ? { more: o.more } : {}) })
  );
}
