/**
 * `pipewise export FILE --target kfp [-o OUT.yaml] [--image IMAGE] [--pipeline-root URI] [--no-cache]`
 * and `pipewise execute FILE --stage STAGE --executor-input JSON [--input NAME PATH]… [--output NAME PATH]…`
 * (the entrypoint of every step of an exported pipeline). Their flags are their own, parsed here.
 */
import path from 'node:path';
import { PipewiseError } from '../core/errors';
import { exportKfp } from '../engine/export/kfp/exportKfp';
import { executeStage } from '../engine/export/kfp/executeStage';
import { dependencies, devDependencies, optionalDependencies, version } from '../../package.json';

function usage(message: string): PipewiseError {
  return new PipewiseError(message, { code: 'usage' });
}

interface KfpArgs {
  readonly positionals: string[];
  readonly values: Map<string, string>;
  readonly pairs: Map<string, Map<string, string>>;
  readonly flags: Set<string>;
}

/** `--flag VALUE`, `--flag=VALUE`, `--pair NAME VALUE` (repeatable) and boolean flags. */
function parse(command: string, argv: readonly string[], spec: { values: string[]; pairs: string[]; flags: string[] }): KfpArgs {
  const out: KfpArgs = { positionals: [], values: new Map(), pairs: new Map(), flags: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    if (spec.values.includes(flag)) {
      const v = eq > 0 ? raw.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '') throw usage(`pipewise ${command}: ${flag} needs a value`);
      if (out.values.has(flag)) throw usage(`pipewise ${command}: ${flag} may be given once`);
      out.values.set(flag, v);
    } else if (spec.pairs.includes(raw)) {
      const name = argv[++i];
      const v = argv[++i];
      if (!name || v === undefined) throw usage(`pipewise ${command}: ${raw} needs a NAME and a PATH`);
      const m = out.pairs.get(raw) ?? new Map<string, string>();
      if (m.has(name)) throw usage(`pipewise ${command}: ${raw} ${name} given twice`);
      out.pairs.set(raw, m.set(name, v));
    } else if (spec.flags.includes(raw)) {
      out.flags.add(raw);
    } else if (raw.startsWith('-') && raw !== '-') {
      throw usage(`pipewise ${command}: unknown option ${raw} (see pipewise --help)`);
    } else {
      out.positionals.push(raw);
    }
  }
  if (out.positionals.length !== 1) throw usage(out.positionals.length ? `pipewise ${command}: unexpected argument '${out.positionals[1]}'` : `pipewise ${command}: missing FILE`);
  return out;
}

export async function exportCommand(argv: readonly string[]): Promise<number> {
  const a = parse('export', argv, { values: ['--target', '-o', '--out', '--image', '--pipeline-root'], pairs: [], flags: ['--no-cache', '--json'] });
  const target = a.values.get('--target');
  if (target !== 'kfp') throw usage(target ? `pipewise export: unknown target '${target}' (targets: kfp)` : 'pipewise export: give --target kfp');
  const result = await exportKfp({
    file: a.positionals[0] as string,
    out: a.values.get('-o') ?? a.values.get('--out'),
    image: a.values.get('--image'),
    pipelineRoot: a.values.get('--pipeline-root'),
    enableCache: !a.flags.has('--no-cache'),
    cliDir: __dirname,
    pipewise: { version, dependencies: { ...devDependencies, ...optionalDependencies, ...dependencies } },
  });
  if (a.flags.has('--json')) {
    process.stdout.write(`${JSON.stringify({ out: result.out, dockerfile: result.dockerfile, dockerignore: result.dockerignore, image: result.image, cli: result.cli, files: result.entries }, null, 2)}\n`);
  } else {
    const rel = (p: string): string => path.relative(process.cwd(), p) || '.';
    process.stdout.write(`${rel(result.out)}\n${rel(result.dockerfile)}\n${rel(result.dockerignore)}\n`);
    process.stderr.write(
      `pipewise: exported ${Object.keys((result.spec.root as { dag: { tasks: object } }).dag.tasks).length} steps running image ${result.image}.\n` +
        `  next: docker build${path.basename(result.dockerfile) === 'Dockerfile' ? '' : ` -f ${rel(result.dockerfile)}`} -t ${result.image} ${rel(path.dirname(result.dockerfile))} && docker push ${result.image}, then upload ${rel(result.out)} to Kubeflow Pipelines or Vertex AI\n`,
    );
  }
  return 0;
}

export async function executeCommand(argv: readonly string[]): Promise<number> {
  const a = parse('execute', argv, { values: ['--stage', '--executor-input'], pairs: ['--input', '--output'], flags: [] });
  const stage = a.values.get('--stage');
  const executorInput = a.values.get('--executor-input');
  if (!stage) throw usage('pipewise execute: give --stage STAGE');
  if (!executorInput) throw usage("pipewise execute: give --executor-input JSON (KFP's {{$}})");
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => controller.abort(new Error(`received ${sig}`));
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const result = await executeStage({
      file: a.positionals[0] as string,
      stage,
      executorInput,
      inputs: Object.fromEntries(a.pairs.get('--input') ?? []),
      outputs: Object.fromEntries(a.pairs.get('--output') ?? []),
      signal: controller.signal,
      log: (level, message) => process.stderr.write(`[${stage}] ${level === 'info' ? '' : `${level}: `}${message}\n`),
    });
    process.stderr.write(`[${stage}] done${result.outputFile ? `; executor output in ${result.outputFile}` : ''}\n`);
    return 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
