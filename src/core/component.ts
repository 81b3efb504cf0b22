import type { z } from 'zod';
import type { ArtifactType } from './artifacts';

export interface PortDeclaration {
  readonly type: ArtifactType;
  readonly description: string;
  /** An optional input may be left out of `inputs:`. */
  readonly optional?: boolean;
}

/**
 * What a component is, seen from the pipeline file: its ports and its parameters. Pure data plus a
 * zod schema, so the editor, the CLI validator and the engine share one declaration. The code that
 * runs a component lives in `src/engine/components/`.
 */
export interface ComponentDeclaration<P extends z.ZodType = z.ZodType> {
  readonly name: string;
  /** Bumped whenever the component's output for the same inputs may change: part of the cache key. */
  readonly version: string;
  readonly description: string;
  readonly inputs: Readonly<Record<string, PortDeclaration>>;
  readonly outputs: Readonly<Record<string, PortDeclaration>>;
  /** Parameters, with every default declared here. Unknown keys are errors (strict objects). */
  readonly params: P;
  /** Parameter names whose values are paths relative to the pipeline file (confined to its folder). */
  readonly pathParams?: readonly string[];
  /** Of `pathParams`, those naming what the component writes (a folder it creates), not what it reads. */
  readonly writtenPathParams?: readonly string[];
}

export function declareComponent<P extends z.ZodType>(d: ComponentDeclaration<P>): ComponentDeclaration<P> {
  return d;
}
