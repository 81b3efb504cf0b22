/**
 * The mocha entry VS Code runs inside its extension host (`extensionTestsPath`). It runs every bundled
 * suite `out/test/host/suite/*.test.js` and writes the report to a file as well as the console,
 * because under code-server the extension host's stdout reaches no log the launcher can read.
 *
 * VS Code turns the promise `run()` returns into the exit code: resolved = 0, rejected = 1; so it
 * rejects when any test failed. The exact counts go to `summary.json` for the launcher.
 */
import fs from 'node:fs';
import path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import type { PipewiseApi } from '../../src/extension/context';

/** What the launcher writes to `options.json` before starting VS Code (env vars may not cross code-server). */
export interface HostTestOptions {
  /** Only suites whose file name (without `.test.js`) is listed, e.g. `["activation"]`. */
  readonly suites?: readonly string[];
  readonly grep?: string;
}

/** What `summary.json` holds after the run. */
export interface HostTestSummary {
  readonly tests: number;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly failures: readonly { readonly title: string; readonly error: string }[];
  readonly durationMs: number;
}

/** Where reports go: `<extension root>/test-results/host/`; this file is `out/test/host/index.js`. */
export function hostResultsDir(): string {
  return path.resolve(__dirname, '..', '..', '..', 'test-results', 'host');
}

/** Prints like mocha's `spec` reporter, to the console and to `report.txt`, and counts. */
function fileReporter(reportFile: string, summaryFile: string): typeof Mocha.reporters.Base {
  return class FileReporter extends Mocha.reporters.Base {
    constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
      super(runner, options);
      const started = Date.now();
      let depth = 0;
      const failures: { title: string; error: string }[] = [];
      let passed = 0;
      let skipped = 0;
      fs.writeFileSync(reportFile, '');
      const line = (s: string): void => {
        const text = '  '.repeat(depth) + s;
        console.log(text);
        fs.appendFileSync(reportFile, text + '\n');
      };
      const { EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_RUN_END } = Mocha.Runner.constants;
      runner.on(EVENT_SUITE_BEGIN, (s: Mocha.Suite) => {
        if (!s.root) line(s.title);
        depth++;
      });
      runner.on(EVENT_SUITE_END, () => depth--);
      runner.on(EVENT_TEST_PASS, (t: Mocha.Test) => {
        passed++;
        line(`✔ ${t.title} (${t.duration ?? 0} ms)`);
      });
      runner.on(EVENT_TEST_PENDING, (t: Mocha.Test) => {
        skipped++;
        line(`- ${t.title} (skipped)`);
      });
      runner.on(EVENT_TEST_FAIL, (t: Mocha.Test, err: Error) => {
        const error = err?.stack ?? String(err);
        failures.push({ title: t.fullTitle(), error });
        line(`✖ ${t.title}`);
        for (const l of error.split('\n')) line(`    ${l}`);
      });
      runner.once(EVENT_RUN_END, () => {
        const summary: HostTestSummary = {
          tests: passed + failures.length + skipped,
          passed,
          failed: failures.length,
          skipped,
          failures,
          durationMs: Date.now() - started,
        };
        depth = 0;
        line(`${summary.passed} passing, ${summary.failed} failing, ${summary.skipped} pending`);
        fs.writeFileSync(summaryFile, JSON.stringify(summary, null, 2));
      });
    }
  };
}

export async function run(): Promise<void> {
  // Stack traces point into the TypeScript sources, not the bundles.
  process.setSourceMapsEnabled(true);
  const resultsDir = hostResultsDir();
  fs.mkdirSync(resultsDir, { recursive: true });
  const optionsFile = path.join(resultsDir, 'options.json');
  const options: HostTestOptions = fs.existsSync(optionsFile) ? (JSON.parse(fs.readFileSync(optionsFile, 'utf8')) as HostTestOptions) : {};
  const summaryFile = path.join(resultsDir, 'summary.json');
  fs.rmSync(summaryFile, { force: true });

  const mocha = new Mocha({
    ui: 'tdd',
    color: false,
    // Host tests start the real worker, load DuckDB and TensorFlow.js: generous, but bounded.
    timeout: 60_000,
    reporter: fileReporter(path.join(resultsDir, 'report.txt'), summaryFile),
    ...(options.grep ? { grep: options.grep } : {}),
  });
  const suiteDir = path.join(__dirname, 'suite');
  const files = fs
    .readdirSync(suiteDir)
    .filter((f) => f.endsWith('.test.js'))
    .filter((f) => !options.suites?.length || options.suites.includes(f.slice(0, -'.test.js'.length)))
    .sort();
  if (files.length === 0) throw new Error(`No host suites in ${suiteDir} match ${JSON.stringify(options.suites ?? [])}`);
  for (const f of files) mocha.addFile(path.join(suiteDir, f));

  // Activation returns before the features load (src/extension/extension.ts); the suites read the
  // worker port and run test-only commands, which exist only once they did.
  const pipewise = vscode.extensions.getExtension<PipewiseApi>('pipewise.pipewise');
  if (!pipewise) throw new Error('the extension pipewise.pipewise is not installed in this VS Code');
  await (await pipewise.activate()).ready;

  const failures = await new Promise<number>((resolve, reject) => {
    try {
      mocha.run(resolve);
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  });
  if (failures > 0) throw new Error(`${failures} host test(s) failed`);
}
