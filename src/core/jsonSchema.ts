/**
 * One JSON Schema for `*.pipeline.yaml`, derived from the zod declarations of the catalogue, so the
 * YAML extensions people already have (through `contributes.yamlValidation`) complete and check
 * pipeline files the way `pipewise validate` does. Written to `out/pipeline.schema.json` by the build.
 */
import * as z from 'zod';
import { CATALOGUE } from './catalogue';
import { SNAKE_CASE } from './validate';

type JsonSchema = Record<string, unknown>;

const INPUT_REF_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*\\.[A-Za-z_][A-Za-z0-9_]*$';
const USER_COMPONENT_PATTERN = '^(\\.{1,2}/|/).+|\\.(c|m)?(j|t)s$';

function paramsSchema(schema: z.ZodType): JsonSchema {
  // `input` mode: parameters with defaults are optional to write.
  const s = z.toJSONSchema(schema, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as JsonSchema;
  delete s.$schema;
  return s;
}

export function pipelineJsonSchema(): JsonSchema {
  const components = Object.values(CATALOGUE);
  const perComponent = components.map((c) => {
    const params = paramsSchema(c.params);
    const requiredInputs = Object.entries(c.inputs)
      .filter(([, p]) => !p.optional)
      .map(([n]) => n);
    // `inputs:` / `params:` themselves must be present when something inside them is required.
    const requiredKeys = [...(requiredInputs.length ? ['inputs'] : []), ...(Array.isArray(params.required) && params.required.length ? ['params'] : [])];
    return {
      if: { properties: { component: { const: c.name } }, required: ['component'] },
      then: {
        ...(requiredKeys.length ? { required: requiredKeys } : {}),
        properties: {
          params: { ...params, description: `${c.name} parameters` },
          inputs: {
            type: 'object',
            additionalProperties: false,
            properties: Object.fromEntries(
              Object.entries(c.inputs).map(([name, port]) => [
                name,
                { type: 'string', pattern: INPUT_REF_PATTERN, description: `${port.type}${port.optional ? ' (optional)' : ''}: ${port.description} Written <stage>.<output>.` },
              ]),
            ),
            required: requiredInputs,
          },
        },
      },
    };
  });
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://pipewise.dev/pipeline.schema.json',
    title: 'Pipewise pipeline',
    description: 'A TFX-style ML pipeline run by Pipewise. Stages run in the order their inputs imply.',
    type: 'object',
    additionalProperties: false,
    required: ['pipeline', 'stages'],
    properties: {
      pipeline: { type: 'string', description: 'The pipeline\'s name.' },
      description: { type: 'string' },
      store: { type: 'string', description: 'Where artifacts and metadata go, relative to this file (default .pipewise).' },
      stages: {
        type: 'object',
        description: 'Stage name (snake_case) → stage.',
        propertyNames: { pattern: SNAKE_CASE.source },
        additionalProperties: {
          type: 'object',
          additionalProperties: false,
          required: ['component'],
          properties: {
            component: {
              description: 'A built-in component, or a path to a module exporting { declaration, run }.',
              anyOf: [
                ...components.map((c) => ({ const: c.name, description: c.description })),
                { type: 'string', pattern: USER_COMPONENT_PATTERN, description: 'A user component module (.ts/.js), relative to this file.' },
              ],
            },
            description: { type: 'string' },
            inputs: { type: 'object', additionalProperties: { type: 'string', pattern: INPUT_REF_PATTERN } },
            params: { type: 'object' },
          },
          allOf: perComponent,
        },
      },
    },
  };
}
