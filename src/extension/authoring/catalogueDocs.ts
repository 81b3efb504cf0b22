/**
 * Documentation of components and their parameters, derived from the zod declarations of the
 * catalogue (through JSON Schema, which carries descriptions, types, enums and defaults). Used by
 * completion and hover. Pure (no `vscode`).
 */
import * as z from 'zod';
import { CATALOGUE, findComponent } from '../../core/catalogue';
import type { ComponentDeclaration } from '../../core/component';

export interface ParamDoc {
  readonly name: string;
  readonly type: string;
  readonly description: string;
  readonly required: boolean;
  /** JSON text of the default, when there is one. */
  readonly default?: string;
  readonly values?: readonly string[];
}

type Json = Record<string, unknown>;
const cache = new Map<string, readonly ParamDoc[]>();

function typeOf(s: Json): string {
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (typeof s.type === 'string') {
    if (s.type === 'array' && s.items && typeof s.items === 'object') return `${typeOf(s.items as Json)}[]`;
    return s.type;
  }
  if (Array.isArray(s.type)) return s.type.join(' | ');
  const alts = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (Array.isArray(alts)) return alts.map(typeOf).join(' | ');
  return 'value';
}

export function paramDocs(component: string): readonly ParamDoc[] {
  const hit = cache.get(component);
  if (hit) return hit;
  const decl = findComponent(component);
  if (!decl) return [];
  const schema = z.toJSONSchema(decl.params, { io: 'input', unrepresentable: 'any' }) as Json;
  const props = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const docs = Object.entries(props).map(([name, s]) => ({
    name,
    type: typeOf(s),
    description: typeof s.description === 'string' ? s.description : '',
    required: required.has(name),
    ...(s.default !== undefined ? { default: JSON.stringify(s.default) } : {}),
    ...(Array.isArray(s.enum) ? { values: s.enum.map(String) } : {}),
  }));
  cache.set(component, docs);
  return docs;
}

/** Markdown for a component: what it does, its ports and its parameters. */
export function componentMarkdown(decl: ComponentDeclaration): string {
  const ports = (p: ComponentDeclaration['inputs']): string =>
    Object.entries(p)
      .map(([n, d]) => `- \`${n}\` (${d.type}${d.optional ? ', optional' : ''}): ${d.description}`)
      .join('\n') || '- none';
  const params = paramDocs(decl.name)
    .map((p) => `- \`${p.name}\`${p.required ? ' (required)' : ''}: ${p.type}${p.default ? ` = \`${p.default}\`` : ''}${p.description ? ` — ${p.description}` : ''}`)
    .join('\n');
  return `**${decl.name}** — ${decl.description}\n\n**Inputs**\n${ports(decl.inputs)}\n\n**Outputs**\n${ports(decl.outputs)}\n\n**Parameters**\n${params || '- none'}`;
}

export function paramMarkdown(component: string, p: ParamDoc): string {
  return `**${component}.${p.name}**${p.required ? ' (required)' : ''}: \`${p.type}\`${p.default ? `, default \`${p.default}\`` : ''}\n\n${p.description}`;
}

export function componentNames(): string[] {
  return Object.keys(CATALOGUE);
}
