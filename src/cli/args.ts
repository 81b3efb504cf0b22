/**
 * The CLI's command line, parsed by hand: the grammar is small and every mistake must become one
 * clear line (exit 2), which argument libraries make harder than it is worth.
 */
import { PipewiseError } from '../core/errors';

export interface ParsedArgs {
  readonly command: string | undefined;
  readonly positionals: readonly string[];
  readonly only: readonly string[];
  readonly from?: string;
  readonly force: boolean;
  readonly json: boolean;
  readonly help: boolean;
  readonly version: boolean;
  /** doctor --fix, gc --dry-run, run/doctor/gc --wait (queue behind another process's lock). */
  readonly fix: boolean;
  readonly dryRun: boolean;
  readonly wait: boolean;
  /** gc --keep N, run --jobs N. */
  readonly keep?: number;
  readonly jobs?: number;
  /** `run --watch`: run again on changes. */
  readonly watch: boolean;
}

const NUMBER_FLAGS = new Set(['--keep', '--jobs']);

const FLAGS_WITH_VALUE = new Set(['--only', '--from']);
const BOOLEAN_FLAGS = new Set(['--force', '--json', '--help', '-h', '--version', '--fix', '--dry-run', '--wait', '--watch']);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const only: string[] = [];
  let from: string | undefined;
  let force = false;
  let json = false;
  let help = false;
  let version = false;
  let watch = false;
  let command: string | undefined;
  const flags = new Set<string>();
  const numbers: Record<string, number> = {};
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    if (FLAGS_WITH_VALUE.has(flag)) {
      const value = eq > 0 ? raw.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '' || value.startsWith('--')) throw new PipewiseError(`${flag} needs a stage name`, { code: 'usage' });
      if (flag === '--only') {
        only.push(...value.split(',').filter(Boolean));
        // `--only a b c`: further bare words are stages too, except a pipeline file not yet given.
        while (i + 1 < argv.length && !(argv[i + 1] as string).startsWith('-')) {
          const next = argv[i + 1] as string;
          if (positionals.length === 0 && /\.ya?ml$/i.test(next)) break;
          only.push(...next.split(',').filter(Boolean));
          i++;
        }
      } else {
        if (from !== undefined) throw new PipewiseError('--from may be given once', { code: 'usage' });
        from = value;
      }
      continue;
    }
    if (NUMBER_FLAGS.has(flag)) {
      const value = eq > 0 ? raw.slice(eq + 1) : argv[++i];
      const n = Number(value);
      if (value === undefined || !/^\d+$/.test(value) || (flag === '--jobs' && n < 1)) {
        throw new PipewiseError(`${flag} needs a whole number${flag === '--jobs' ? ' of at least 1' : ''}, not ${JSON.stringify(value ?? '')}`, { code: 'usage' });
      }
      numbers[flag] = n;
      continue;
    }
    if (BOOLEAN_FLAGS.has(raw)) {
      flags.add(raw);
      if (raw === '--force') force = true;
      else if (raw === '--json') json = true;
      else if (raw === '--version') version = true;
      else if (raw === '--watch') watch = true;
      else if (raw === '--help' || raw === '-h') help = true;
      continue;
    }
    if (raw.startsWith('-') && raw !== '-') throw new PipewiseError(`unknown option ${raw} (see pipewise --help)`, { code: 'usage' });
    if (command === undefined) command = raw;
    else positionals.push(raw);
  }
  return {
    command,
    positionals,
    only,
    from,
    force,
    json,
    help,
    version,
    watch,
    fix: flags.has('--fix'),
    dryRun: flags.has('--dry-run'),
    wait: flags.has('--wait'),
    keep: numbers['--keep'],
    jobs: numbers['--jobs'],
  };
}

export const USAGE = `Usage: pipewise <command> [options]

Commands:
  run FILE [--only STAGE…] [--from STAGE] [--force] [--jobs N] [--wait] [--json] [--watch]
                          run a pipeline (exit 0 ok, 1 a stage failed, 2 usage or spec error)
  validate FILE           check a pipeline file; one FILE:LINE:COL: error: MESSAGE line per problem
  stats DATA_FILE [--json]
                          TFDV statistics of a CSV, Parquet or JSON file
  importance EVALUATION [--json]
                          the permutation feature importance an Evaluator measured (EVALUATION:
                          its evaluation folder, metrics.json or feature_importance.json)
  lineage FILE [ARTIFACT] [--json]
                          the runs of a pipeline, or what made an artifact and what it fed
                          (ARTIFACT: a path into .pipewise/artifacts, or stage.output for the latest)
  doctor FILE [--fix] [--json]
                          check the pipeline's store (exit 0 clean, 1 a problem found);
                          --fix removes orphans and marks damaged artifacts broken
  gc FILE [--keep N] [--dry-run] [--json]
                          remove artifacts that the last N runs (default 5), blessed and pushed
                          models no longer need; reports the space freed
  serve BASE [--model-name NAME] [--port 8501] [--host 127.0.0.1] [--log-dir DIR]
        [--log-sample FRACTION] [--max-versions N] [--label NAME=VERSION…]
        [--max-instances 10000] [--max-body-bytes 8388608] [--log-rotate-rows 50000]
        [--split TARGET=PCT,…]
                          TensorFlow Serving's REST API over a Pusher destination; the aliases
                          (champion answers by default) are followed live; --split shares the
                          requests that name no version between aliases or versions (canary)
  model alias BASE VERSION NAME | model alias BASE [VERSION] NAME --remove | model aliases BASE [--json]
                          set, move or remove an alias of a pushed version; list them with history
  serve-web DIR [--port N]
                          serve a web push (Pusher target: web) on 127.0.0.1; open the printed URL
  monitor FILE --log DIR [--since ISO] [--until ISO] [--by hour|day] [--threshold X] [--json]
                          skew of logged requests against training (exit 0 ok, 1 anomalous, 2 usage)
  report FILE [--run ID] [--against blessed|previous|RUN_ID] [--format md|html] [-o OUT]
        [--slice-tolerance X]
                          a run against its baseline: GitHub Markdown for a PR comment, or one
                          self-contained HTML page (exit 0 blessed, 1 not blessed, 2 error)
  export FILE --target kfp [-o OUT.yaml] [--image IMAGE] [--pipeline-root URI] [--no-cache]
                          Kubeflow Pipelines v2 YAML, with a Dockerfile and .dockerignore beside it
  execute FILE --stage STAGE --executor-input JSON [--input NAME PATH]… [--output NAME PATH]…
                          run one stage inside a Kubeflow Pipelines step (the exported image's entrypoint)

Options:
  --only STAGE…   run only these stages (their upstream comes from cache, or runs if absent)
  --from STAGE    run this stage and everything downstream of it
  --force         ignore the cache for the selected stages
  --jobs N        run up to N independent stages at once (bounded by cores and memory; default 1)
  --wait          when another process holds the store's lock, wait for it instead of stopping
  --json          print one JSON object on stdout (progress stays on stderr)
  --watch         run again when the pipeline file, its data (a new span) or a module changes
`;
