/**
 * The container image an exported pipeline runs in: a Dockerfile and a .dockerignore beside the
 * exported YAML, and `pipewise-cli/` (the bundled CLI with a package.json of its run-time
 * dependencies) in the same build context. The image holds the CLI, its dependencies, DuckDB's
 * httpfs extension (installed at build time) and the pipeline folder at WORKDIR — the pipeline
 * file, the data files it names and the user modules — so relative data paths resolve as locally.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PipewiseError } from '../../../core/errors';

/** Where the pipeline folder lives in the image; the container's working folder. */
export const IMAGE_WORKDIR = '/pipeline';
/** Where the CLI lives in the image. */
export const IMAGE_CLI_DIR = '/opt/pipewise';
export const IMAGE_EXTENSION_DIR = '/opt/pipewise/duckdb-extensions';
export const CLI_CONTEXT_DIR = 'pipewise-cli';

/** One thing the image copies from the pipeline folder: a file or a whole folder, relative to it. */
export interface ImageEntry {
  readonly path: string;
  readonly kind: 'file' | 'dir';
}

/**
 * The CLI's run-time dependencies, as esbuild leaves them external (esbuild.mjs `nodeExternals`):
 * decision forests need ydf-training and jszip, imported ONNX models onnxruntime-node (its CPU library
 * for the image's platform is inside the npm package; the Dockerfile skips its CUDA download).
 */
export const RUNTIME_DEPENDENCIES = ['@duckdb/node-api', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'esbuild', 'ydf-training', 'jszip', 'onnxruntime-node'] as const;

/** Posix form of a relative path, for Dockerfile and .dockerignore lines. */
function posix(p: string): string {
  return p.split(path.sep).join('/');
}

/** How every Dockerfile and .dockerignore the export writes begins: how a later export knows its own files. */
export const WRITTEN_BY = '# Written by `pipewise export --target kfp`';

/** The Dockerfile's line naming the pipeline it was written for (a later export of it may overwrite the file). */
export function runsLine(pipelineFile: string): string {
  return `# KFP runs: pipewise execute ${pipelineFile} --stage STAGE --executor-input '{{$}}' …`;
}

/** `dockerfileName`: the file's own name; other than `Dockerfile`, the build needs `-f NAME`. */
export function dockerfileText(o: { readonly contextToPipeline: string; readonly entries: readonly ImageEntry[]; readonly pipelineFile: string; readonly baseImage: string; readonly dockerfileName?: string }): string {
  const from = (p: string): string => posix(path.join(o.contextToPipeline || '.', p));
  const f = o.dockerfileName && o.dockerfileName !== 'Dockerfile' ? ` -f ${o.dockerfileName}` : '';
  const lines = [
    `${WRITTEN_BY}: the image every step of the exported pipeline runs in.`,
    `# Build from this folder:  docker build${f} -t IMAGE .   then push IMAGE where the cluster can pull it.`,
    `FROM ${o.baseImage}`,
    `ENV NODE_ENV=production PIPEWISE_DUCKDB_EXTENSION_DIR=${IMAGE_EXTENSION_DIR}`,
    `WORKDIR ${IMAGE_CLI_DIR}`,
    `COPY ${CLI_CONTEXT_DIR}/package.json ./`,
    // onnxruntime-node's install script would fetch CUDA files from outside the npm registry.
    'RUN ONNXRUNTIME_NODE_INSTALL=skip npm install --omit=dev --no-audit --no-fund && npm cache clean --force',
    `COPY ${CLI_CONTEXT_DIR}/ ./`,
    '# DuckDB reads s3://, gs:// and https:// data through its httpfs extension: installed here, at build time.',
    'RUN node install-duckdb-extensions.js',
    `RUN chmod +x bin/pipewise.js && ln -s ${IMAGE_CLI_DIR}/bin/pipewise.js /usr/local/bin/pipewise && pipewise --version`,
    `WORKDIR ${IMAGE_WORKDIR}`,
    ...o.entries.map((e) => `COPY ${JSON.stringify([e.kind === 'dir' ? `${from(e.path)}/` : from(e.path), `./${posix(e.path)}${e.kind === 'dir' ? '/' : ''}`])}`),
    runsLine(o.pipelineFile),
    'ENTRYPOINT []',
    '',
  ];
  return lines.join('\n');
}

/** An allow-list: only the CLI and the pipeline's own files reach the Docker daemon; never the local store. */
export function dockerignoreText(o: { readonly contextToPipeline: string; readonly entries: readonly ImageEntry[] }): string {
  const from = (p: string): string => posix(path.join(o.contextToPipeline || '.', p)).replace(/^\.\//, '');
  return [
    `${WRITTEN_BY}: everything is left out of the build context but what the image copies.`,
    '*',
    `!${CLI_CONTEXT_DIR}/`,
    ...o.entries.map((e) => `!${from(e.path)}${e.kind === 'dir' ? '/' : ''}`),
    '**/.pipewise',
    '**/node_modules',
    '**/.git',
    '',
  ].join('\n');
}

const INSTALL_EXTENSIONS = `// Installs DuckDB's httpfs extension into PIPEWISE_DUCKDB_EXTENSION_DIR (run once, at image build time).
'use strict';
const { DuckDBInstance } = require('@duckdb/node-api');
(async () => {
  const dir = process.env.PIPEWISE_DUCKDB_EXTENSION_DIR;
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  if (dir) await conn.run("SET extension_directory = '" + dir.replace(/'/g, "''") + "'");
  await conn.run('INSTALL httpfs');
  await conn.run('LOAD httpfs');
  console.log('httpfs installed' + (dir ? ' in ' + dir : ''));
})().catch((e) => {
  console.error('could not install DuckDB httpfs: ' + e.message);
  process.exit(1);
});
`;

/** Which CLI the image gets: the bundle beside this Pipewise, or the `pipewise-cli` npm package of its version. */
export type CliSource = { readonly kind: 'bundle'; readonly code: Buffer } | { readonly kind: 'npm'; readonly spec: string };

/** The bundled `cli.js` in `cliDir` when there is one (a checkout, the CLI); else the npm package (the VSIX ships no CLI bundle). */
export async function findCliSource(cliDir: string | undefined, version: string): Promise<CliSource> {
  const code = cliDir ? await fs.readFile(path.join(cliDir, 'cli.js')).catch(() => undefined) : undefined;
  return code ? { kind: 'bundle', code } : { kind: 'npm', spec: `pipewise-cli@${version}` };
}

/**
 * Writes `pipewise-cli/` into the build context: a launcher, the extension installer and a
 * package.json; with the bundled CLI and its run-time dependencies at the versions this Pipewise
 * was built with, or depending on the `pipewise-cli` npm package of the same version.
 */
export async function writeCliContext(contextDir: string, cli: CliSource, pkg: { readonly version: string; readonly dependencies: Readonly<Record<string, string>> }): Promise<void> {
  const dir = path.join(contextDir, CLI_CONTEXT_DIR);
  // Replaced whole below: only when an earlier export wrote it (its package.json says so), never a folder of the user's.
  const existing = await fs.readFile(path.join(dir, 'package.json'), 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : ''));
  const absent = existing === undefined && !(await fs.stat(dir).then(() => true, () => false));
  if (!absent && !/"name": "pipewise-image"/.test(existing ?? '')) {
    throw new PipewiseError(`${dir} exists and was not written by pipewise export: move it, or export into another folder (-o)`, { file: dir, code: 'usage' });
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(path.join(tmp, 'bin'), { recursive: true });
  const dependencies: Record<string, string> = {};
  if (cli.kind === 'bundle') {
    await fs.mkdir(path.join(tmp, 'out'), { recursive: true });
    await fs.writeFile(path.join(tmp, 'out', 'cli.js'), cli.code);
    for (const d of RUNTIME_DEPENDENCIES) {
      const v = pkg.dependencies[d];
      if (!v) throw new PipewiseError(`cannot tell which version of ${d} the CLI needs (not in Pipewise's package.json)`);
      dependencies[d] = v;
    }
  } else {
    dependencies['pipewise-cli'] = cli.spec.slice('pipewise-cli@'.length);
  }
  const entry = cli.kind === 'bundle' ? '../out/cli.js' : 'pipewise-cli/lib/cli.js';
  await fs.writeFile(path.join(tmp, 'bin', 'pipewise.js'), `#!/usr/bin/env node\n'use strict';\nrequire('${entry}');\n`, { mode: 0o755 });
  await fs.writeFile(path.join(tmp, 'install-duckdb-extensions.js'), INSTALL_EXTENSIONS);
  const manifest = { name: 'pipewise-image', version: pkg.version, private: true, description: 'The Pipewise CLI, for the image of an exported pipeline.', dependencies };
  await fs.writeFile(path.join(tmp, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rename(tmp, dir);
}
