/**
 * `pipewise export FILE --target kfp`: loads and validates the pipeline, applies each stage's
 * parameter defaults, fingerprints the local files the stages read (KFP's cache keys on parameters
 * and upstream artifacts, never on file content), and writes the PipelineSpec YAML, the Dockerfile,
 * the .dockerignore and the CLI build context, each atomically.
 */
import { promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { stringify } from 'yaml';
import type { z } from 'zod';
import { PipewiseError } from '../../../core/errors';
import { isUserComponentRef, pathEscape } from '../../../core/paths';
import type { StageSpec } from '../../../core/spec';
import { exampleGen, type ExampleGenParams } from '../../components/exampleGen';
import { isRemoteData } from '../../duckdb';
import { loadPipeline, SpecError } from '../../orchestrator';
import { writeFileAtomic } from '../../store';
import { WRITTEN_BY, dockerfileText, dockerignoreText, findCliSource, runsLine, writeCliContext, type ImageEntry } from './image';
import { buildPipelineSpec, declarationOf, type StagePlan } from './pipelineSpec';
import { k8sName } from './naming';

export interface ExportKfpOptions {
  readonly file: string;
  /** Default: `<pipeline folder>/<file base>.kfp.yaml`. */
  readonly out?: string;
  /** Default: `pipewise-<pipeline>:latest` (build and push it, then export with the pushed name). */
  readonly image?: string;
  readonly pipelineRoot?: string;
  readonly enableCache?: boolean;
  /** The folder holding the bundled `cli.js` copied into the image's build context; without one the image installs the `pipewise-cli` npm package. */
  readonly cliDir?: string;
  readonly pipewise: { readonly version: string; readonly dependencies: Readonly<Record<string, string>> };
  readonly baseImage?: string;
}

export interface ExportKfpResult {
  readonly out: string;
  readonly dockerfile: string;
  readonly dockerignore: string;
  readonly image: string;
  readonly spec: Record<string, unknown>;
  /** Files and folders (relative to the pipeline folder) that the image copies. */
  readonly entries: readonly ImageEntry[];
  /** `bundle`: this Pipewise's CLI bundle is in the build context; `npm`: the image installs pipewise-cli from the registry. */
  readonly cli: 'bundle' | 'npm';
}

/** The values of a stage's path parameters. */
function pathValues(stage: StageSpec, params: Readonly<Record<string, unknown>>, names: readonly string[]): string[] {
  const out: string[] = [];
  for (const n of names) {
    const v = params[n] ?? stage.params[n];
    for (const x of typeof v === 'string' ? [v] : Array.isArray(v) ? v : []) if (typeof x === 'string' && !isRemoteData(x)) out.push(x);
  }
  return out;
}

/**
 * A fingerprint of the local files a stage reads from outside the store: ExampleGen's data (its
 * own cache fingerprint, globs expanded), else the content of each existing file a path parameter
 * names (a curated schema, a user's model module).
 */
export async function localInputFingerprint(stage: StageSpec, plan: Omit<StagePlan, 'fingerprint'>, pipelineDir: string): Promise<string | undefined> {
  const resolve = (p: string): string => path.resolve(pipelineDir, p);
  if (plan.declaration.name === 'ExampleGen' && !isUserComponentRef(stage.component)) {
    return exampleGen.externalFingerprint?.(plan.params as ExampleGenParams, resolve, { storeDir: '', pipeline: '', inputs: {} });
  }
  const files = pathValues(stage, plan.params, plan.declaration.pathParams ?? []);
  const h = createHash('sha256');
  let any = false;
  for (const f of files) {
    const st = await fs.stat(resolve(f)).catch(() => undefined);
    if (!st?.isFile()) continue;
    h.update(`${f}\0`).update(await fs.readFile(resolve(f)));
    any = true;
  }
  return any ? h.digest('hex') : undefined;
}

/** What the image must copy from the pipeline folder. */
async function imageEntries(file: string, plans: readonly StagePlan[], pipelineDir: string): Promise<ImageEntry[]> {
  const entries = new Map<string, ImageEntry>();
  const add = (rel: string, kind: ImageEntry['kind']): void => {
    const p = path.normalize(rel);
    if (p === '.' || pathEscape(pipelineDir, p)) return;
    entries.set(p, { path: p, kind });
  };
  add(path.relative(pipelineDir, file), 'file');
  for (const { stage, declaration, params } of plans) {
    for (const v of pathValues(stage, params, declaration.pathParams ?? [])) {
      if (/[*?[]/.test(v)) {
        // A glob: the folder before its first wildcard (Docker's COPY has no `**`).
        const dir = v.slice(0, v.search(/[*?[]/)).replace(/[^/\\]*$/, '');
        add(dir || '.', 'dir');
        continue;
      }
      const st = await fs.stat(path.resolve(pipelineDir, v)).catch(() => undefined);
      if (st?.isFile()) add(v, 'file');
      // A TypeScript/JS module may import its neighbours: the folder comes along unless it is the pipeline folder.
      if (st?.isFile() && /\.(c|m)?(j|t)s$/.test(v) && path.dirname(path.normalize(v)) !== '.') add(path.dirname(v), 'dir');
    }
    if (isUserComponentRef(stage.component)) {
      add(stage.component, 'file');
      if (path.dirname(path.normalize(stage.component)) !== '.') add(path.dirname(stage.component), 'dir');
    }
  }
  // A folder makes the files inside it redundant.
  const dirs = [...entries.values()].filter((e) => e.kind === 'dir').map((e) => e.path + path.sep);
  return [...entries.values()].filter((e) => !dirs.some((d) => e.path.startsWith(d))).sort((a, b) => a.path.localeCompare(b.path));
}

/** Whether `file` is absent, or a file this export wrote for the same pipeline (`mark`: a line only that pipeline's file has). */
async function ownedOrAbsent(file: string, mark: string): Promise<boolean> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
  return text.startsWith(WRITTEN_BY) && text.split('\n').includes(mark);
}

/**
 * Where the image's Dockerfile and ignore file go. `Dockerfile` and `.dockerignore` when both are
 * free or this pipeline's own earlier export; else `<pipeline>.Dockerfile` beside them, with its
 * ignore file as `<pipeline>.Dockerfile.dockerignore` (Docker reads a Dockerfile's own ignore file
 * by that name). A file Pipewise did not write for this pipeline is never overwritten: a user's
 * Dockerfile stays, and a second pipeline exported into the folder gets its own pair.
 */
async function dockerfilePaths(contextDir: string, pipelineFile: string, fromContext: string): Promise<{ dockerfile: string; dockerignore: string }> {
  const dockerfileMark = runsLine(pipelineFile);
  const ignoreMark = `!${fromContext}`;
  const shared = { dockerfile: path.join(contextDir, 'Dockerfile'), dockerignore: path.join(contextDir, '.dockerignore') };
  if ((await ownedOrAbsent(shared.dockerfile, dockerfileMark)) && (await ownedOrAbsent(shared.dockerignore, ignoreMark))) return shared;
  const stem = path.basename(pipelineFile).replace(/\.pipeline\.ya?ml$|\.ya?ml$/i, '');
  const own = path.join(contextDir, `${stem}.Dockerfile`);
  const named = { dockerfile: own, dockerignore: `${own}.dockerignore` };
  for (const [f, mark] of [[named.dockerfile, dockerfileMark], [named.dockerignore, ignoreMark]] as const) {
    if (!(await ownedOrAbsent(f, mark))) {
      throw new PipewiseError(`${f} exists and was not written by pipewise export for ${pipelineFile}: move it, or export into another folder (-o)`, { file: f, code: 'usage' });
    }
  }
  return named;
}

export async function exportKfp(o: ExportKfpOptions): Promise<ExportKfpResult> {
  const file = path.resolve(o.file);
  const loaded = await loadPipeline(file);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length || !loaded.spec) throw new SpecError(errors);
  const spec = loaded.spec;
  const pipelineDir = path.dirname(file);
  const out = path.resolve(o.out ?? path.join(pipelineDir, `${path.basename(file).replace(/\.pipeline\.ya?ml$|\.ya?ml$/i, '')}.kfp.yaml`));
  const contextDir = path.dirname(out);
  const contextToPipeline = path.relative(contextDir, pipelineDir);
  if (contextToPipeline.startsWith('..') || path.isAbsolute(contextToPipeline)) {
    throw new PipewiseError(`write the export into the pipeline's folder or a folder above it: the Dockerfile beside it builds from that folder, which must hold the pipeline (${pipelineDir})`, {
      file: out,
      code: 'usage',
    });
  }

  const plans: StagePlan[] = [];
  for (const stage of spec.stages) {
    const user = loaded.userComponents.get(stage.component);
    const declaration = declarationOf(stage, user instanceof Error ? user : user?.declaration);
    const parsed = (declaration.params as z.ZodType).safeParse(stage.params);
    if (!parsed.success) throw new PipewiseError(`stage '${stage.name}': invalid parameters: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { file });
    const params = JSON.parse(JSON.stringify(parsed.data ?? {})) as Record<string, unknown>;
    const base = { stage, declaration, params };
    const files = await localInputFingerprint(stage, base, pipelineDir);
    // A user component's own code counts too: a rebuilt image under the same tag must not hit a stale cache.
    // Hashed as text, not loaded: exporting a pipeline never runs its code.
    const code = user && !(user instanceof Error) ? createHash('sha256').update(await fs.readFile(path.resolve(pipelineDir, stage.component))).digest('hex') : undefined;
    const fingerprint = files && code ? createHash('sha256').update(`${files}\0${code}`).digest('hex') : (files ?? code);
    plans.push({ ...base, ...(fingerprint ? { fingerprint } : {}) });
  }

  const image = o.image ?? `pipewise-${k8sName(spec.name)}:latest`;
  const pipelineFile = path.relative(pipelineDir, file).split(path.sep).join('/');
  const doc = buildPipelineSpec(plans, {
    pipelineName: spec.name,
    pipelineFile,
    image,
    pipelineRoot: o.pipelineRoot,
    enableCache: o.enableCache ?? true,
    sdkVersion: `pipewise-${o.pipewise.version}`,
  });
  const entries = await imageEntries(file, plans, pipelineDir);
  await fs.mkdir(contextDir, { recursive: true });
  const fromContext = path.relative(contextDir, file).split(path.sep).join('/');
  const { dockerfile, dockerignore } = await dockerfilePaths(contextDir, pipelineFile, fromContext);
  const dockerfileHint = path.basename(dockerfile) === 'Dockerfile' ? 'the Dockerfile' : `${path.basename(dockerfile)} (docker build -f ${path.basename(dockerfile)})`;
  const header = [
    '# PIPELINE DEFINITION',
    `# Name: ${(doc.pipelineInfo as { name: string }).name}`,
    `# Exported by pipewise ${o.pipewise.version} from ${pipelineFile}; every step runs \`pipewise execute\` in ${image}.`,
    `# Build the image with ${dockerfileHint} beside this file, push it, then upload this file to Kubeflow Pipelines or Vertex AI.`,
  ].join('\n');
  const yamlText = `${header}\n${stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })}`;

  const cli = await findCliSource(o.cliDir, o.pipewise.version);
  await writeCliContext(contextDir, cli, o.pipewise);
  const dockerfileName = path.basename(dockerfile);
  await writeFileAtomic(dockerfile, dockerfileText({ contextToPipeline, entries, pipelineFile, baseImage: o.baseImage ?? 'node:20-bookworm-slim', dockerfileName }));
  await writeFileAtomic(dockerignore, dockerignoreText({ contextToPipeline, entries }));
  await writeFileAtomic(out, yamlText);
  return { out, dockerfile, dockerignore, image, spec: doc, entries, cli: cli.kind };
}
