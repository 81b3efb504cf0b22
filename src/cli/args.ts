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
}

const NUMBER_FLAGS = new Set(['--keep', '--jobs']);

const FLAGS_WITH_VALUE = new Set(['--only', '--from']);
const BOOLEAN_FLAGS = new Set(['--force', '--json', '--help', '-h', '--version', '--fix', '--dry-run', '--wait']);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const only: string[] = [];
  let from: string | undefined;
  let force = false;
  let json = false;
  let help = false;
  let version = false;
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
    fix: flags.has('--fix'),
    dryRun: flags.has('--dry-run'),
    wait: flags.has('--wait'),
    keep: numbers['--keep'],
    jobs: numbers['--jobs'],
  };
}

export const USAGE = `Usage: pipewise <command> [options]

Commands:
  run FILE [--only STAGE…] [--from STAGE] [--force] [--jobs N] [--wait] [--json]
                          run a pipeline (exit 0 ok, 1 a stage failed, 2 usage or spec error)
  validate FILE           check a pipeline file; one FILE:LINE:COL: error: MESSAGE line per problem
  stats DATA_FILE [--json]
                          TFDV statistics of a CSV, Parquet or JSON file
  lineage FILE [ARTIFACT] [--json]
                          the runs of a pipeline, or what made an artifact and what it fed
                          (ARTIFACT: a path into .pipewise/artifacts, or stage.output for the latest)
  doctor FILE [--fix] [--json]
                          check the pipeline's store (exit 0 clean, 1 a problem found);
                          --fix removes orphans and marks damaged artifacts broken
  gc FILE [--keep N] [--dry-run] [--json]
                          remove artifacts that the last N runs (default 5), blessed and pushed
                          models no longer need; reports the space freed

Options:
  --only STAGE…   run only these stages (their upstream comes from cache, or runs if absent)
  --from STAGE    run this stage and everything downstream of it
  --force         ignore the cache for the selected stages
  --jobs N        run up to N independent stages at once (bounded by cores and memory; default 1)
  --wait          when another process holds the store's lock, wait for it instead of stopping
  --json          print one JSON object on stdout (progress stays on stderr)
`;
