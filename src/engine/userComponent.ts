/**
 * A user's own component, named by path in the pipeline file (`component: ./components/x.ts`): a
 * module exporting `{ declaration, run }` (and optionally `externalFingerprint`). `.js/.mjs/.cjs`
 * load as they are; `.ts` is bundled with esbuild (when it is installed) so its relative imports
 * come along. The module's code joins the cache key, so editing it re-runs the stage.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as zodModule from 'zod';
import * as z from 'zod';
import type { ComponentDeclaration } from '../core/component';
import { declarationShape, readDeclaration, type StaticDeclaration } from '../core/declarationReader';
import { PipewiseError, errorMessage } from '../core/errors';
import { confinePath } from '../core/paths';
import type { ComponentContext, ComponentExecutor } from './component';

export interface UserComponent {
  readonly ref: string;
  readonly file: string;
  readonly declaration: ComponentDeclaration;
  readonly executor: ComponentExecutor;
  /** Hash of the module's code (after bundling for .ts). */
  readonly sourceHash: string;
}

/** Any object with zod's `safeParse` (the user's own copy of zod works too). */
function isSchema(v: unknown): v is z.ZodType {
  return !!v && typeof v === 'object' && typeof (v as { safeParse?: unknown }).safeParse === 'function';
}

/**
 * The declaration of the user component `ref`, read from its source without running it (for
 * validation: `validate`, `lineage` and the editor's diagnostics never execute a pipeline's code).
 */
export async function readUserDeclaration(pipelineDir: string, ref: string): Promise<StaticDeclaration> {
  const { file, source } = await readComponentSource(pipelineDir, ref);
  return readDeclaration(source, file);
}

/** The module file of the user component `ref`, confined to the pipeline's folder, and its text. */
async function readComponentSource(pipelineDir: string, ref: string): Promise<{ file: string; source: string }> {
  const file = confinePath(pipelineDir, ref, 'component');
  try {
    return { file, source: await fs.readFile(file, 'utf8') };
  } catch {
    throw new PipewiseError(`component module ${ref} not found (${file})`, { file, code: 'user-component' });
  }
}

/** Loads (runs) the module of the user component `ref`: only to run its stage, in a trusted workspace. */
export async function loadUserComponent(pipelineDir: string, ref: string): Promise<UserComponent> {
  const { file, source } = await readComponentSource(pipelineDir, ref);
  const ext = path.extname(file);
  let mod: Record<string, unknown>;
  let code = source;
  if (ext === '.ts' || ext === '.mts' || ext === '.cts') {
    code = await bundleTypeScript(file);
    mod = compileCommonJs(code, file);
  } else if (ext === '.js' || ext === '.mjs' || ext === '.cjs') {
    // The hash in the URL makes an edited module load anew in a long-lived worker.
    const url = `${pathToFileURL(file).href}?v=${hash(source).slice(0, 16)}`;
    mod = (await dynamicImport(url)) as Record<string, unknown>;
  } else {
    throw new PipewiseError(`component module ${ref}: expected a .ts, .js, .mjs or .cjs file`, { file, code: 'user-component' });
  }
  // An ES module seen through CommonJS interop nests its exports under `default`.
  const exportsOf = (m: Record<string, unknown>): Record<string, unknown> =>
    !m.declaration && m.default && typeof m.default === 'object' ? (m.default as Record<string, unknown>) : m;
  const exported = exportsOf(mod);
  const decl = declarationShape.safeParse(exported.declaration);
  if (!decl.success) {
    const issue = decl.error.issues[0];
    throw new PipewiseError(
      `component module ${ref} must export \`declaration\` ({ name, inputs, outputs, params }): ${issue ? `${issue.path.join('.') || 'declaration'}: ${issue.message}` : 'missing'}`,
      { file, code: 'user-component' },
    );
  }
  const run = exported.run;
  if (typeof run !== 'function') throw new PipewiseError(`component module ${ref} must export a function \`run(ctx)\``, { file, code: 'user-component' });
  const rawParams = (exported.declaration as { params?: unknown }).params;
  const params: z.ZodType = isSchema(rawParams) ? rawParams : z.record(z.string(), z.unknown());
  const declaration: ComponentDeclaration = { ...decl.data, params };
  const sourceHash = hash(code);
  const userFingerprint = exported.externalFingerprint;
  const executor: ComponentExecutor = {
    name: declaration.name,
    run: (ctx: ComponentContext) => Promise.resolve((run as (c: ComponentContext) => unknown)(ctx)).then(() => undefined),
    async externalFingerprint(p, resolvePath, store) {
      const extra = typeof userFingerprint === 'function' ? String(await (userFingerprint as (...a: unknown[]) => unknown)(p, resolvePath, store)) : '';
      return hash(`${sourceHash}\0${extra}`);
    },
  };
  return { ref, file, declaration, executor, sourceHash };
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

// Kept out of esbuild's sight so the bundle's `import()` stays a real dynamic import.
const dynamicImport = new Function('u', 'return import(u)') as (url: string) => Promise<unknown>;

async function bundleTypeScript(file: string): Promise<string> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = createRequire(__filename)('esbuild') as typeof import('esbuild');
  } catch {
    throw new PipewiseError(`component module ${file} is TypeScript, but esbuild is not installed to compile it: write it as .js, or install esbuild`, {
      file,
      code: 'user-component',
    });
  }
  try {
    const r = await esbuild.build({
      entryPoints: [file],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      packages: 'external',
      logLevel: 'silent',
    });
    return r.outputFiles[0]?.text ?? '';
  } catch (e) {
    const first = (e as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] }).errors?.[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: ` : '';
    throw new PipewiseError(`${where}${first?.text ?? errorMessage(e)}`, { file, code: 'user-component' });
  }
}

/**
 * Runs CommonJS code as if it were the file `file`, so its `require`s resolve from there. A module
 * that declares its params with zod gets Pipewise's own zod when its folder has none installed.
 */
function compileCommonJs(code: string, file: string): Record<string, unknown> {
  const own = createRequire(file);
  const req = Object.assign((id: string): unknown => {
    try {
      return own(id);
    } catch (e) {
      if (id === 'zod' && (e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return zodModule;
      throw e;
    }
  }, own) as NodeRequire;
  const module = { exports: {} as Record<string, unknown> };
  const fn = new Function('exports', 'require', 'module', '__filename', '__dirname', code) as (
    e: unknown,
    r: NodeRequire,
    m: { exports: Record<string, unknown> },
    f: string,
    d: string,
  ) => void;
  fn(module.exports, req, module, file, path.dirname(file));
  return module.exports;
}
