/**
 * Runs the host suites (mocha inside a real VS Code extension host) and exits with their result.
 *
 *   node --import tsx test/host/launch.ts [--launcher auto|electron|code-server] [--suite NAME]... [--grep TEXT]
 *
 * `electron`: `@vscode/test-electron` downloads VS Code and runs it (needs its update servers and a
 * display). `code-server`: the VS Code that code-server ships, opened in Debian's chromium with the
 * extension-test URL payload (TESTING.md). `auto` (default) tries the download briefly and falls
 * back. The development folder is loaded (not the VSIX): build first (`npm run build`).
 * Prints node:test-style counts (`ℹ pass N`) so `test/run-all.mjs` can sum every layer alike.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS, CODE_SERVER_VERSION, REPO_ROOT, startCodeServer, testTools, type CodeServer } from '../e2e/codeServer';
import type { HostTestOptions, HostTestSummary } from './index';

const { values } = parseArgs({
  options: {
    launcher: { type: 'string', default: process.env.PIPEWISE_HOST_LAUNCHER ?? 'auto' },
    suite: { type: 'string', multiple: true, default: [] },
    grep: { type: 'string' },
    timeout: { type: 'string', default: '600000' },
  },
});

const resultsDir = path.join(REPO_ROOT, 'test-results', 'host');
const entry = path.join(REPO_ROOT, 'out', 'test', 'host', 'index.js');
const timeoutMs = Number(values.timeout);

function prepare(): string {
  if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  fs.rmSync(resultsDir, { recursive: true, force: true });
  fs.mkdirSync(resultsDir, { recursive: true });
  const options: HostTestOptions = { suites: values.suite, ...(values.grep ? { grep: values.grep } : {}) };
  fs.writeFileSync(path.join(resultsDir, 'options.json'), JSON.stringify(options));
  // A throwaway copy of the examples, so tests may run pipelines and write artifacts freely.
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-host-ws-'));
  fs.cpSync(path.join(REPO_ROOT, 'examples'), workspace, { recursive: true, filter: (src) => path.basename(src) !== '.pipewise' });
  return workspace;
}

/** Streams report.txt to our stdout while the tests run (the host's own stdout is not ours). */
function followReport(): () => void {
  const file = path.join(resultsDir, 'report.txt');
  let printed = 0;
  const pump = (): void => {
    try {
      const text = fs.readFileSync(file, 'utf8');
      if (text.length > printed) {
        process.stdout.write(text.slice(printed));
        printed = text.length;
      }
    } catch {
      // not written yet
    }
  };
  const timer = setInterval(pump, 300);
  return () => {
    clearInterval(timer);
    pump();
  };
}

async function tryElectron(workspace: string): Promise<number | undefined> {
  if (values.launcher === 'code-server') return undefined;
  if (values.launcher === 'auto' && process.platform === 'linux' && !process.env.DISPLAY) {
    console.log('launcher: no DISPLAY for Electron, using code-server');
    return undefined;
  }
  const { downloadAndUnzipVSCode, runTests } = await import('@vscode/test-electron');
  let executable: string;
  try {
    executable = await Promise.race([
      downloadAndUnzipVSCode({ version: 'stable', timeout: 10_000 }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer in 20 s')), 20_000).unref()),
    ]);
  } catch (e) {
    if (values.launcher === 'electron') throw e;
    console.log(`launcher: VS Code download failed (${e instanceof Error ? e.message.split('\n')[0] : String(e)}), using code-server`);
    return undefined;
  }
  console.log(`launcher: @vscode/test-electron (${executable})`);
  return runTests({
    vscodeExecutablePath: executable,
    extensionDevelopmentPath: REPO_ROOT,
    extensionTestsPath: entry,
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--disable-gpu'],
  }).catch(() => 1);
}

async function runInCodeServer(workspace: string): Promise<number> {
  const tools = testTools();
  console.log(`launcher: code-server ${CODE_SERVER_VERSION} (VS Code ${CODE_SERVER_VERSION.replace(/^4\./, '1.')}) under ${tools.node}, browser ${tools.chromium}`);
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await startCodeServer({ workspace });
    browser = await chromium.launch({ executablePath: tools.chromium, headless: true, args: [...CHROMIUM_ARGS] });
    const page = await browser.newPage();
    const consoleLog = fs.createWriteStream(path.join(resultsDir, 'browser-console.log'));
    page.on('console', (m) => consoleLog.write(`[${m.type()}] ${m.text()}\n`));
    let exitCode: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => (exitCode = resolve));
    // The workbench calls this when the extension tests end (smoke-test driver).
    await page.exposeFunction('codeAutomationExit', (code: number) => exitCode(Number(code)));
    const remote = (p: string): string => `vscode-remote://127.0.0.1:${server!.port}${p}`;
    await page.goto(
      server.workbenchUrl([
        ['extensionDevelopmentPath', remote(REPO_ROOT)],
        ['extensionTestsPath', remote(entry)],
      ]),
      { timeout: 120_000 }, // a busy shared machine serves the workbench slowly
    );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for the host tests to call codeAutomationExit (server log: ${server!.logFile})`)), timeoutMs);
    });
    try {
      return await Promise.race([exited, timedOut]);
    } finally {
      clearTimeout(timer);
      consoleLog.end();
    }
  } finally {
    await browser?.close().catch(() => undefined);
    await server?.close();
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  const workspace = prepare();
  const stopFollowing = followReport();
  let code: number;
  try {
    code = (await tryElectron(workspace)) ?? (await runInCodeServer(workspace));
  } finally {
    stopFollowing();
    fs.rmSync(workspace, { recursive: true, force: true });
  }
  const summaryFile = path.join(resultsDir, 'summary.json');
  const summary: HostTestSummary | undefined = fs.existsSync(summaryFile) ? (JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as HostTestSummary) : undefined;
  if (!summary) console.log(`✖ the host tests wrote no summary (VS Code exit code ${code}); see ${resultsDir}`);
  // Same shape as node:test's closing lines, which run-all.mjs reads for every layer.
  const failed = summary ? summary.failed + (code !== 0 && summary.failed === 0 ? 1 : 0) : 1;
  console.log(`ℹ tests ${summary?.tests ?? 0}`);
  console.log(`ℹ pass ${summary?.passed ?? 0}`);
  console.log(`ℹ fail ${failed}`);
  console.log(`ℹ skipped ${summary?.skipped ?? 0}`);
  console.log(`ℹ duration_ms ${Date.now() - started}`);
  return code === 0 && failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    console.log('ℹ fail 1');
    process.exit(1);
  },
);
