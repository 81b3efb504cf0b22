/**
 * Checks a parsed pipeline against the component declarations: components exist, parameters fit
 * each component's zod schema, inputs name an existing stage's output of the right artifact type,
 * required inputs are bound, the graph has no cycle, names are snake_case. Every problem is a
 * diagnostic with the position of the offending text.
 */
import type { z } from 'zod';
import { stageDeclaration, CATALOGUE } from './catalogue';
import type { ComponentDeclaration } from './component';
import { buildGraph, findCycle } from './dag';
import type { ParsedPipeline } from './parse';
import { PipewiseError } from './errors';
import { globEscape, isUserComponentRef, pathEscape } from './paths';
import path from 'node:path';
import type { PipelineSpec, SourceRange, SpecDiagnostic, StageSpec } from './spec';
import { isGlob, type FileLookup } from './fileLookup';
import { storeFolderProblem } from './storeFolder';

export const SNAKE_CASE = /^[a-z][a-z0-9_]*$/;

export interface ValidateOptions {
  /**
   * Declarations of user components (`component: ./components/x.js`) by the text written in the
   * file, as the engine loaded them; an Error when loading failed. A user component absent from
   * this map is not checked beyond its inputs' stages.
   */
  readonly userComponents?: ReadonlyMap<string, ComponentDeclaration | Error>;
  /**
   * How to look at the disk: when given, a path parameter naming a file that does not exist (or a
   * glob that matches nothing) gets a warning. The editor passes `localFiles`; pure callers do not.
   */
  readonly files?: FileLookup;
}

/** One validation's state, handed to each of its steps. */
interface Validation {
  readonly parsed: ParsedPipeline;
  readonly spec: PipelineSpec;
  readonly file: string;
  readonly options: ValidateOptions;
  /** The diagnostics so far (warnings are pushed here directly). */
  readonly out: SpecDiagnostic[];
  /** Each stage's declaration, once known (undefined: unknown component or refused path). */
  readonly declarations: Map<string, ComponentDeclaration | undefined>;
  error(range: SourceRange | undefined, code: string, message: string): void;
}

/** The parse diagnostics plus every validation problem, in file order. */
export function validatePipeline(parsed: ParsedPipeline, options: ValidateOptions = {}): SpecDiagnostic[] {
  const out: SpecDiagnostic[] = [...parsed.diagnostics];
  const spec = parsed.spec;
  if (!spec) return out;
  const file = parsed.file;
  const error = (range: SourceRange | undefined, code: string, message: string): void => {
    out.push({ file, range: range ?? parsed.rangeAt(0), severity: 'error', message, code });
  };
  const declarations = new Map<string, ComponentDeclaration | undefined>();
  const v: Validation = { parsed, spec, file, options, out, declarations, error };

  checkNames(v);
  checkStore(v);
  for (const stage of spec.stages) declarations.set(stage.name, declarationOf(v, stage));
  for (const stage of spec.stages) {
    const decl = declarations.get(stage.name);
    const params = decl ? checkParams(v, stage, decl) : undefined;
    checkInputs(v, stage, decl);
    if (decl && params) checkWiring(v, stage, decl, params);
  }
  checkCycle(v);
  return out.sort((a, b) => a.range.start.offset - b.range.start.offset);
}

/** The pipeline's name (a label: a warning) and each stage's name (snake_case: an error). */
function checkNames({ parsed, spec, file, out, error }: Validation): void {
  if (spec.name && !SNAKE_CASE.test(spec.name)) {
    // The pipeline's name is only a label: kebab-case is common enough to merely warn about.
    out.push({ file, range: parsed.rangeAt(0), severity: 'warning', message: `pipeline name '${spec.name}' is not snake_case`, code: 'naming' });
  }
  for (const stage of spec.stages) {
    if (!SNAKE_CASE.test(stage.name)) {
      error(stage.range, 'naming', `stage name '${stage.name}' must be snake_case (lowercase letters, digits and _, starting with a letter)`);
    }
  }
}

/**
 * The same rule `run` applies to the store (confinePath): inside the pipeline's folder, links
 * resolved; and the store is a folder of its own (its recovery removes what it finds there):
 * storeFolder.ts.
 */
function checkStore({ spec, file, error }: Validation): void {
  const storeWhy = pathEscape(path.dirname(file), spec.store) ?? storeFolderProblem(path.dirname(file), path.resolve(path.dirname(file), spec.store));
  if (storeWhy) error(spec.storeRange, 'path-escape', `store ${JSON.stringify(spec.store)} is refused: ${storeWhy}`);
}

/** A cycle among the stages, reported at the input that closes it. */
function checkCycle({ spec, error }: Validation): void {
  const cycle = findCycle(buildGraph(spec));
  if (cycle && cycle.length >= 2) {
    // Point at the input that closes the cycle: the first stage reads from the one before it.
    const reader = spec.stages.find((s) => s.name === cycle[1]);
    const ref = reader && Object.values(reader.inputs).find((r) => r.stage === cycle[0]);
    error(ref?.range ?? reader?.range, 'cycle', `the stages form a cycle: ${cycle.join(' → ')}`);
  }
}

/** The declaration a stage's `component:` names (a user component's, as the engine loaded it), or a diagnostic. */
function declarationOf(v: Validation, stage: StageSpec): ComponentDeclaration | undefined {
  const { file, options, error } = v;
  if (isUserComponentRef(stage.component)) {
    const why = pathEscape(path.dirname(file), stage.component);
    if (why) {
      error(stage.componentRange, 'path-escape', `component path ${JSON.stringify(stage.component)} is refused: ${why}`);
      return undefined;
    }
    const user = options.userComponents?.get(stage.component);
    if (user instanceof Error) {
      error(stage.componentRange, 'user-component', `component ${stage.component}: ${user instanceof PipewiseError && !user.details.line ? user.reason : user.message}`);
      return undefined;
    }
    return user;
  }
  const decl = stageDeclaration(stage.component, stage.params);
  if (!decl) {
    const hint = closest(stage.component, Object.keys(CATALOGUE));
    error(
      stage.componentRange,
      'unknown-component',
      `unknown component '${stage.component}'${hint ? ` (did you mean '${hint}'?)` : ''}; built-in components: ${Object.keys(CATALOGUE).join(', ')}, or a path like ./components/my_step.ts`,
    );
  }
  return decl;
}

/**
 * A stage's parameters against its declaration's schema; path parameters confined and (with a file
 * lookup) present. Returns the parsed parameters (defaults applied) when they are valid.
 */
function checkParams(v: Validation, stage: StageSpec, decl: ComponentDeclaration): { readonly data: unknown } | undefined {
  const { parsed, file, options, out, error } = v;
  const result = (decl.params as z.ZodType).safeParse(stage.params);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const p = issue.path as PropertyKey[];
      const where = ['params', ...p];
      if (issue.code === 'unrecognized_keys') {
        const keys = (issue as { keys?: string[] }).keys ?? [];
        for (const key of keys) {
          const known = knownKeys(decl.params, p);
          error(
            parsed.locateKey(stage.name, where, key),
            'unknown-param',
            `stage '${stage.name}': unknown parameter '${[...p, key].join('.')}' for ${decl.name}${known.length ? ` (known: ${known.join(', ')})` : ''}`,
          );
        }
        continue;
      }
      const name = p.map(String).join('.') || 'params';
      if (valueAt(stage.params, p) === undefined && p.length > 0) {
        error(parsed.locate(stage.name, ['params']) ?? stage.range, 'missing-param', `stage '${stage.name}': missing required parameter '${name}' for ${decl.name}`);
      } else {
        error(parsed.locate(stage.name, where), 'invalid-param', `stage '${stage.name}': parameter '${name}': ${issue.message}`);
      }
    }
  }
  for (const param of decl.pathParams ?? []) {
    const v = stage.params[param];
    const values = typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    for (const [i, value] of values.entries()) {
      const escape = globEscape(path.dirname(file), value);
      const why = pathEscape(path.dirname(file), value) ?? (escape ? `${path.relative(path.dirname(file), escape[0])}: ${escape[1]}` : undefined);
      if (why) {
        error(parsed.locate(stage.name, ['params', param]), 'path-escape', `stage '${stage.name}': parameter '${param}': path ${JSON.stringify(value)} is refused: ${why}`);
        continue;
      }
      const lookup = options.files;
      if (!lookup || decl.writtenPathParams?.includes(param)) continue;
      // Span patterns and object-storage URIs are resolved at run time, not here.
      if (/\{(SPAN|VERSION|YYYY|MM|DD)\}/.test(value) || /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) continue;
      const abs = path.resolve(path.dirname(file), value);
      const missing = isGlob(value) ? !lookup.globMatches(abs) : !lookup.exists(abs);
      if (!missing) continue;
      const range = (Array.isArray(v) ? parsed.locate(stage.name, ['params', param, i]) : undefined) ?? parsed.locate(stage.name, ['params', param]);
      out.push({
        file,
        range: range ?? stage.range,
        severity: 'warning',
        code: 'file-not-found',
        message: isGlob(value)
          ? `stage '${stage.name}': parameter '${param}': no file matches ${JSON.stringify(value)} (${abs})`
          : `stage '${stage.name}': parameter '${param}': file ${JSON.stringify(value)} does not exist (${abs})`,
      });
    }
  }
  return result.success ? { data: result.data } : undefined;
}

/**
 * The declaration's rules between options and optional inputs (`wiring`): an option that needs an
 * input nobody wired is reported at the option's key with the input to add (naming the stages that
 * make one); an input the options leave unused, at the input.
 */
function checkWiring({ parsed, spec, declarations, error }: Validation, stage: StageSpec, decl: ComponentDeclaration, params: { readonly data: unknown }): void {
  if (!decl.wiring) return;
  for (const problem of decl.wiring(params.data, new Set(Object.keys(stage.inputs)))) {
    if ('input' in problem) {
      error(parsed.locateKey(stage.name, ['inputs'], problem.input) ?? stage.range, 'unused-input', `stage '${stage.name}': ${problem.message}`);
      continue;
    }
    const port = decl.inputs[problem.needs];
    const wiredHere = new Set(Object.values(stage.inputs).map((r) => `${r.stage}.${r.output}`));
    // The outputs of the needed type this stage does not read yet: the ones to wire.
    const makers = spec.stages.flatMap((s) =>
      s.name === stage.name
        ? []
        : Object.entries(declarations.get(s.name)?.outputs ?? {})
            .filter(([out, p]) => p.type === port?.type && !wiredHere.has(`${s.name}.${out}`))
            .map(([out]) => `${s.name}.${out}`),
    );
    const ref = makers.length === 1 ? makers[0] : '<stage>.<output>';
    const among = makers.length > 1 ? ` (${makers.join(' or ')})` : '';
    const key = problem.param.at(-1);
    const range = key === undefined ? undefined : parsed.locateKey(stage.name, ['params', ...problem.param.slice(0, -1)], String(key));
    error(
      range ?? parsed.locate(stage.name, ['params']) ?? stage.range,
      'missing-input',
      `stage '${stage.name}': ${problem.subject} needs input '${problem.needs}'${port ? ` (${port.type})` : ''}, which is not wired: add inputs: { ${problem.needs}: ${ref} }${among}${problem.orElse ? `, or ${problem.orElse}` : ''}`,
    );
  }
}

/** A stage's inputs: known ports, existing producers and outputs, matching artifact types, none required missing. */
function checkInputs(v: Validation, stage: StageSpec, decl: ComponentDeclaration | undefined): void {
  const { parsed, spec, declarations, error } = v;
  for (const [inputName, ref] of Object.entries(stage.inputs)) {
    const port = decl?.inputs[inputName];
    if (decl && !port) {
      const known = Object.keys(decl.inputs);
      error(
        parsed.locateKey(stage.name, ['inputs'], inputName),
        'unknown-input',
        `stage '${stage.name}': ${decl.name} has no input '${inputName}'${known.length ? ` (inputs: ${known.join(', ')})` : ' (it takes no inputs)'}`,
      );
      continue;
    }
    const producer = spec?.stages.find((s) => s.name === ref.stage);
    if (!producer) {
      const hint = closest(ref.stage, (spec?.stages ?? []).map((s) => s.name));
      error(ref.range, 'missing-stage', `stage '${stage.name}': input '${inputName}' reads from stage '${ref.stage}', which does not exist${hint ? ` (did you mean '${hint}'?)` : ''}`);
      continue;
    }
    const producerDecl = declarations.get(producer.name);
    if (!producerDecl) continue;
    const outPort = producerDecl.outputs[ref.output];
    if (!outPort) {
      error(
        ref.range,
        'missing-output',
        `stage '${stage.name}': input '${inputName}' reads output '${ref.output}' of stage '${ref.stage}', but ${producerDecl.name} has outputs: ${Object.keys(producerDecl.outputs).join(', ') || 'none'}`,
      );
      continue;
    }
    if (port && port.type !== outPort.type) {
      error(
        ref.range,
        'wrong-artifact-type',
        `stage '${stage.name}': input '${inputName}' expects ${port.type}, but ${ref.text} is ${outPort.type}`,
      );
    }
  }
  if (decl) {
    for (const [inputName, port] of Object.entries(decl.inputs)) {
      // An input written without a valid reference already has its own (parse) diagnostic there.
      const reported = parsed.diagnostics.some((d) => d.code === 'invalid-input' && d.message.startsWith(`stage '${stage.name}': input '${inputName}' `));
      if (!port.optional && !stage.inputs[inputName] && !reported) {
        error(stage.range, 'missing-input', `stage '${stage.name}': ${decl.name} needs input '${inputName}' (${port.type}): add it under inputs as <stage>.<output>`);
      }
    }
  }
}

function valueAt(root: unknown, p: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const k of p) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** The keys a strict object schema accepts at `p` (best effort, for the error message). */
function knownKeys(schema: z.ZodType, p: readonly PropertyKey[]): string[] {
  let s: unknown = schema;
  for (const k of [...p, undefined]) {
    s = unwrap(s);
    const shape = (s as { shape?: Record<string, unknown> } | undefined)?.shape;
    if (k === undefined) return shape ? Object.keys(shape) : [];
    if (!shape) return [];
    s = shape[String(k)];
  }
  return [];
}

function unwrap(s: unknown): unknown {
  // Optional, default and nullable wrappers keep the inner schema in `def.innerType` (zod 4).
  let cur = s as { def?: { innerType?: unknown } } | undefined;
  while (cur?.def?.innerType) cur = cur.def.innerType as typeof cur;
  return cur;
}

/** The candidate nearest to `word` by edit distance, when it is near enough to be a typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}
