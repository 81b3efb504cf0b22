/**
 * The `pipewise` command's entry (bin/pipewise.js → out/launch.js). `run --force` goes to its
 * supervisor (src/cli/runSupervisor.ts: the work in a child, so that a native crash is reported),
 * which loads only what it needs; every other command, `run` without `--force` (src/cli/main.ts
 * finishes a cached re-run in process and supervises the rest), and the supervised child itself
 * load the CLI (out/cli.js) here.
 */
import { createRequire } from 'node:module';
import { errorMessage } from '../core/errors';
import { superviseRun } from './runSupervisor';
import { runsSupervised } from './supervise';

const argv = process.argv.slice(2);
const script = process.argv[1];
// `run --force` executes its stages: straight to the supervisor. Any other `run` loads the CLI,
// which finishes a fully cached re-run in this process and supervises only a run that executes a stage.
if (script && runsSupervised(argv) && argv.includes('--force')) {
  // A closed pipe (`pipewise run … 2>&1 | head -1`) is not a reason to stop supervising: the run carries on (as src/cli/main.ts).
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
      throw e;
    });
  }
  superviseRun(script, argv).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`pipewise: error: ${errorMessage(e)}\n`);
      process.exitCode = 1;
    },
  );
} else {
  // A plain require of the bundle beside this one (esbuild leaves createRequire's argument alone).
  createRequire(__filename)('./cli.js');
}
