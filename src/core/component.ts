import type { z } from 'zod';
import type { ArtifactType } from './artifacts';

export interface PortDeclaration {
  readonly type: ArtifactType;
  readonly description: string;
  /** An optional input may be left out of `inputs:`. */
  readonly optional?: boolean;
}

/**
 * A parameter and the stage's inputs that do not fit together: an option that needs an optional
 * input which is not wired, or an input wired that no option reads. Found by a declaration's
 * `wiring`, reported by validation at the offending key, so the run does not fail late in the stage.
 */
export type WiringProblem =
  | {
      /** The parameter that needs the input: its path under `params` (the last key is reported). */
      readonly param: readonly (string | number)[];
      /** The optional input it needs; validation says how to wire it, naming a stage that makes one. */
      readonly needs: string;
      /** What needs it, e.g. `feed: transform`. */
      readonly subject: string;
      /** The other way out, when there is one (e.g. a parameter to change instead). */
      readonly orElse?: string;
    }
  | {
      /** The input written under `inputs` that does not fit the parameters. */
      readonly input: string;
      /** Why, and what to do instead. */
      readonly message: string;
    };

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
  /**
   * The rules between parameters (parsed, defaults applied) and the inputs a stage wires that the
   * ports' `optional` alone cannot say; run by validation once the parameters are valid.
   */
  readonly wiring?: (params: z.output<P>, wired: ReadonlySet<string>) => readonly WiringProblem[];
}

export function declareComponent<P extends z.ZodType>(d: ComponentDeclaration<P>): ComponentDeclaration<P> {
  return d;
}
