/**
 * The user's own model (`Trainer` `params.module`): a .js/.mjs/.cjs/.ts module exporting
 * `buildModel({ tf, inputShape, numClasses, task, hyperparameters })` that returns a compiled
 * tf.LayersModel. TypeScript is compiled with esbuild's `transform` (with an inline source map, so
 * errors point at the .ts line). Everything that goes wrong in it is reported naming the module and,
 * where the stack shows it, the line.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PipewiseError } from '../../core/errors';
import type { Tf } from '../tf/loadTf';
import type { Task } from './signature';
import { errorMessage } from '../../protocol/errors';

export interface BuildModelContext {
  readonly tf: Tf;
  /** Shape of one example's input vector, e.g. [width]. */
  readonly inputShape: readonly number[];
  /** Classes of a classification task (2 for binary); 1 for regression. */
  readonly numClasses: number;
  readonly task: Task;
  readonly hyperparameters: Readonly<Record<string, unknown>>;
}

export type BuildModel = (ctx: BuildModelContext) => tfTypes.LayersModel | Promise<tfTypes.LayersModel>;

export interface UserModelModule {
  readonly file: string;
  readonly buildModel: BuildModel;
  readonly sourceHash: string;
}

/** Where in the module an error happened, from its stack. */
export function locateInStack(e: unknown, file: string): { line: number; col: number } | undefined {
  const stack = e instanceof Error ? (e.stack ?? '') : '';
  const esc = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const url = pathToFileURL(file).href.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`(?:${esc}|${url})(?:\\?[^:\\s)]*)?:(\\d+):(\\d+)`).exec(stack);
  return m ? { line: Number(m[1]), col: Number(m[2]) } : undefined;
}

export function moduleError(file: string, what: string, e?: unknown): PipewiseError {
  const at = e === undefined ? undefined : locateInStack(e, file);
  const reason = e === undefined ? '' : `: ${errorMessage(e)}`;
  return new PipewiseError(`model module ${path.basename(file)} ${what}${reason}`, { file, line: at?.line, col: at?.col, code: 'user-model' });
}

const dynamicImport = new Function('u', 'return import(u)') as (url: string) => Promise<unknown>;

export async function loadUserModel(file: string): Promise<UserModelModule> {
  let source: string;
  try {
    source = await fs.readFile(file, 'utf8');
  } catch {
    throw new PipewiseError(`model module not found: ${file}`, { file, code: 'user-model' });
  }
  const sourceHash = createHash('sha256').update(source).digest('hex');
  const ext = path.extname(file);
  let exported: Record<string, unknown>;
  try {
    if (ext === '.ts' || ext === '.mts' || ext === '.cts') exported = await compileTypeScript(file, source);
    else if (ext === '.js' || ext === '.mjs' || ext === '.cjs') exported = (await dynamicImport(`${pathToFileURL(file).href}?v=${sourceHash.slice(0, 16)}`)) as Record<string, unknown>;
    else throw new PipewiseError(`model module ${path.basename(file)}: expected a .ts, .js, .mjs or .cjs file`, { file, code: 'user-model' });
  } catch (e) {
    if (e instanceof PipewiseError) throw e;
    throw moduleError(file, 'failed to load', e);
  }
  const fromDefault = exported.default && typeof exported.default === 'object' ? (exported.default as Record<string, unknown>) : undefined;
  const buildModel = exported.buildModel ?? fromDefault?.buildModel ?? (typeof exported.default === 'function' ? exported.default : undefined);
  if (typeof buildModel !== 'function') {
    throw new PipewiseError(`model module ${path.basename(file)} must export a function \`buildModel({ tf, inputShape, numClasses, task, hyperparameters })\``, {
      file,
      code: 'user-model',
    });
  }
  return { file, buildModel: buildModel as BuildModel, sourceHash };
}

async function compileTypeScript(file: string, source: string): Promise<Record<string, unknown>> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = createRequire(__filename)('esbuild') as typeof import('esbuild');
  } catch {
    throw new PipewiseError(`model module ${path.basename(file)} is TypeScript, but esbuild is not installed to compile it: write it as .js`, { file, code: 'user-model' });
  }
  let code: string;
  try {
    code = (await esbuild.transform(source, { loader: 'ts', format: 'cjs', target: 'node20', sourcemap: 'inline', sourcefile: file })).code;
  } catch (e) {
    const first = (e as { errors?: { text: string; location?: { line: number; column: number } }[] }).errors?.[0];
    throw new PipewiseError(`model module ${path.basename(file)}: ${first?.text ?? errorMessage(e)}`, {
      file,
      line: first?.location?.line,
      col: first?.location ? first.location.column + 1 : undefined,
      code: 'user-model',
    });
  }
  // Node maps stack frames through the inline source map of a module compiled this way.
  process.setSourceMapsEnabled(true);
  type CompilableModule = { _compile(code: string, filename: string): void; exports: Record<string, unknown>; paths: string[]; filename: string };
  const Ctor = Module as unknown as { new (id: string): CompilableModule; _nodeModulePaths(dir: string): string[] };
  const m = new Ctor(file);
  m.filename = file;
  m.paths = Ctor._nodeModulePaths(path.dirname(file));
  m._compile(code, file);
  return m.exports;
}

/** Calls the user's buildModel and checks what comes back: a LayersModel with the right output. */
export async function buildUserModel(mod: UserModelModule, ctx: BuildModelContext, expectedUnits: number): Promise<tfTypes.LayersModel> {
  let model: unknown;
  try {
    model = await mod.buildModel(ctx);
  } catch (e) {
    throw moduleError(mod.file, 'threw in buildModel', e);
  }
  const name = path.basename(mod.file);
  if (!model || typeof model !== 'object' || typeof (model as { predict?: unknown }).predict !== 'function' || !Array.isArray((model as { outputs?: unknown }).outputs)) {
    throw new PipewiseError(`model module ${name}: buildModel must return a tf.LayersModel (tf.sequential() or tf.model()), not ${model === null ? 'null' : typeof model}`, {
      file: mod.file,
      code: 'user-model',
    });
  }
  const m = model as tfTypes.LayersModel;
  if (m.outputs.length !== 1) throw new PipewiseError(`model module ${name}: the model must have one output, it has ${m.outputs.length}`, { file: mod.file, code: 'user-model' });
  const inShape = m.inputs[0]?.shape ?? [];
  if (m.inputs.length !== 1 || inShape.length !== 2 || inShape[1] !== ctx.inputShape[0]) {
    throw new PipewiseError(`model module ${name}: the model's input shape is [${inShape.map((d) => d ?? 'null').join(', ')}]; it must be [null, ${ctx.inputShape[0]}] (inputShape)`, {
      file: mod.file,
      code: 'user-model',
    });
  }
  const outShape = m.outputs[0]?.shape ?? [];
  if (outShape.length !== 2 || outShape[1] !== expectedUnits) {
    const want =
      ctx.task === 'binary' ? 'one sigmoid unit' : ctx.task === 'multiclass' ? `${expectedUnits} softmax units, one per class` : 'one linear unit';
    throw new PipewiseError(
      `model module ${name}: the model's output shape is [${outShape.map((d) => d ?? 'null').join(', ')}], but a ${ctx.task} task needs [null, ${expectedUnits}] (${want})`,
      { file: mod.file, code: 'user-model' },
    );
  }
  return m;
}
