/**
 * The browser-test harness: a real VS Code workbench (code-server) with the packaged VSIX installed,
 * driven in Debian's chromium through playwright-core, as a person would use it.
 *
 *   const wb = await Workbench.start({ workspace: 'examples/penguins' });
 *   await wb.openFile('penguins.pipeline.yaml');
 *   await wb.runCommand('Pipewise: Run Pipeline');
 *   const graph = await wb.webview('.graph-node');   // the frame of the webview holding that element
 *   await graph.locator('.graph-node[data-stage="Trainer"]').click();
 *   await wb.screenshot('graph');                     // test-results/screenshots/graph.png
 *   await wb.close();
 *
 * Every wait is a condition with a timeout whose message names what was awaited.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Frame, type Locator, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, FatalError, REPO_ROOT, installExtension, startCodeServer, testTools, waitFor, type CodeServer } from './codeServer';

export const EXTENSION_ID = 'pipewise.pipewise';
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-results', 'screenshots');

/** The VSIX `npm run package` built (override with PIPEWISE_VSIX). */
export function packagedVsix(): string {
  if (process.env.PIPEWISE_VSIX) return path.resolve(process.env.PIPEWISE_VSIX);
  const found = fs.readdirSync(REPO_ROOT).filter((f) => /^pipewise-.*\.vsix$/.test(f));
  if (found.length === 0) throw new Error(`no pipewise-*.vsix in ${REPO_ROOT}: run \`npm run package\` first`);
  // The newest one, if several targets were built.
  return path.join(REPO_ROOT, found.sort((a, b) => fs.statSync(path.join(REPO_ROOT, b)).mtimeMs - fs.statSync(path.join(REPO_ROOT, a)).mtimeMs)[0]!);
}

export interface WorkbenchOptions {
  /** Folder to open, absolute or relative to the repository; copied to a temp folder first (tests may write). */
  readonly workspace: string;
  /** Extra user settings. */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Wait until the Pipewise extension is active (default true; it activates on `*.pipeline.yaml`). */
  readonly waitForExtension?: boolean;
  /** Browser viewport (screenshots have this size). Default 1400×900. */
  readonly viewport?: { readonly width: number; readonly height: number };
}

/**
 * One extensions folder per VSIX per test process, the VSIX installed once: installing costs ~2 s. Keyed
 * by the VSIX, so a process that starts workbenches with two VSIXs (the activation bench) gets each.
 */
const installedExtensionsDirs = new Map<string, string>();
function extensionsWithVsix(): string {
  const vsix = packagedVsix();
  let dir = installedExtensionsDirs.get(vsix);
  if (!dir) {
    const created = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-extensions-'));
    installExtension(vsix, created);
    process.once('exit', () => fs.rmSync(created, { recursive: true, force: true }));
    installedExtensionsDirs.set(vsix, created);
    dir = created;
  }
  return dir;
}

export class Workbench {
  private closed = false;

  private constructor(
    readonly page: Page,
    private readonly browser: Browser,
    readonly server: CodeServer,
    /** The temp copy of the workspace the workbench has open. */
    readonly workspace: string,
  ) {}

  static async start(options: WorkbenchOptions): Promise<Workbench> {
    const tools = testTools();
    const source = path.resolve(REPO_ROOT, options.workspace);
    if (!fs.existsSync(source)) throw new Error(`workspace folder not found: ${source}`);
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), `pipewise-ws-${path.basename(source)}-`));
    // Without run artifacts a developer may have left in the source folder: tests start clean.
    fs.cpSync(source, workspace, { recursive: true, filter: (src) => path.basename(src) !== '.pipewise' });
    const server = await startCodeServer({ workspace, extensionsDir: extensionsWithVsix(), settings: options.settings });
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({ executablePath: tools.chromium, headless: true, args: [...CHROMIUM_ARGS] });
      const page = await browser.newPage({ viewport: options.viewport ?? { width: 1400, height: 900 } });
      const consoleLog = fs.createWriteStream(server.logFile.replace(/\.log$/, '.browser.log'));
      page.on('console', (m) => consoleLog.write(`[${m.type()}] ${m.text()}\n`));
      // Console lines name no URL: log failed requests with theirs (a 404 may be a file the VSIX lacks).
      page.on('response', (r) => {
        if (r.status() >= 400) consoleLog.write(`[http ${r.status()}] ${r.url()}\n`);
      });
      page.on('requestfailed', (r) => consoleLog.write(`[request failed: ${r.failure()?.errorText ?? '?'}] ${r.url()}\n`));
      page.on('close', () => consoleLog.end());
      const wb = new Workbench(page, browser, server, workspace);
      // Generous: on a shared, busy machine the workbench can take well over the default 30 s to load.
      await page.goto(server.workbenchUrl(), { timeout: 180_000 });
      await wb.waitForWorkbench();
      if (options.waitForExtension !== false) await wb.waitForExtensionActive();
      return wb;
    } catch (e) {
      await browser?.close().catch(() => undefined);
      await server.close();
      fs.rmSync(workspace, { recursive: true, force: true });
      throw e;
    }
  }

  /** The workbench is up: its shell rendered and the explorer shows the workspace folder. */
  async waitForWorkbench(timeoutMs = 60_000): Promise<void> {
    await this.page
      .locator('.monaco-workbench .part.editor')
      .waitFor({ state: 'visible', timeout: timeoutMs })
      .catch((e: Error) => {
        throw new Error(`timed out after ${timeoutMs} ms waiting for the VS Code workbench to render at ${this.server.origin}: ${e.message}`);
      });
    await this.showExplorer();
  }

  /**
   * The extension is active and its features loaded: the extension host logged its activation and
   * the extension's own log channel says `Pipewise activated` (the last line of `activate()`) and
   * `Pipewise features loaded` (after every feature registered). Fails at once, with the error, if
   * activation or the features' load failed. (Its commands are in the palette as soon as the manifest is read,
   * before activation, so they prove less.)
   */
  async waitForExtensionActive(timeoutMs = 60_000): Promise<void> {
    await waitFor(
      `extension ${EXTENSION_ID} to activate (extension host log: ${this.logsDir()})`,
      () => {
        const host = this.hostLog();
        const failed = host.split('\n').findIndex((l) => l.includes(`Activating extension ${EXTENSION_ID} failed`));
        if (failed >= 0) throw new FatalError(`extension ${EXTENSION_ID} failed to activate:\n${host.split('\n').slice(failed, failed + 15).join('\n')}`);
        const log = this.extensionLog();
        const failedStart = log.split('\n').findIndex((l) => /Pipewise failed to start|manifest commands without a handler/.test(l));
        if (failedStart >= 0) throw new FatalError(`Pipewise failed to start:\n${log.split('\n').slice(failedStart, failedStart + 15).join('\n')}`);
        // Activation returns before the features load (src/extension/extension.ts): wait for both.
        return host.includes(`_doActivateExtension ${EXTENSION_ID}`) && /Pipewise activated/.test(log) && /Pipewise features loaded/.test(log) ? true : undefined;
      },
      timeoutMs,
      250,
    );
  }

  /**
   * How long activation took, as the issue measures it: from the extension host's
   * `_doActivateExtension pipewise.pipewise` line to the extension's `Pipewise activated`, by the two
   * logs' millisecond timestamps. With `until: 'features'`, to `Pipewise features loaded` instead
   * (the features' bundle, loaded after activation). Undefined until both lines are written.
   */
  activationMs(until: 'activated' | 'features' = 'activated'): number | undefined {
    const start = this.hostLog().split('\n').find((l) => l.includes(`_doActivateExtension ${EXTENSION_ID}`));
    const endPattern = until === 'activated' ? /Pipewise activated/ : /Pipewise features loaded/;
    const end = this.extensionLog().split('\n').find((l) => endPattern.test(l));
    const from = start === undefined ? undefined : logTime(start);
    const to = end === undefined ? undefined : logTime(end);
    return from === undefined || to === undefined ? undefined : to - from;
  }

  /**
   * Pipewise's row of *Developer: Show Running Extensions*, with the extension host's own measure of
   * what its activation cost: `Activation: N ms` (or `Startup Activation: N ms`), loading the main
   * module plus the `activate()` call. Leaves the Running Extensions editor open.
   */
  async runningExtensionRow(): Promise<{ readonly text: string; readonly activationMs: number }> {
    await this.runCommand('Developer: Show Running Extensions');
    const list = this.page.locator('.runtime-extensions-editor .monaco-list');
    await list.waitFor({ state: 'visible' });
    const row = list.locator('.monaco-list-row', { hasText: 'Pipewise' });
    // The list is virtualised: scroll until our row is rendered.
    await list.hover();
    for (let i = 0; i < 20 && (await row.count()) === 0; i++) await this.page.mouse.wheel(0, 200);
    const text = await row.first().innerText();
    const m = /Activation: (\d+)\s*ms/.exec(text);
    if (!m?.[1]) throw new Error(`Pipewise's row in Running Extensions shows no activation time: ${text}`);
    return { text, activationMs: Number(m[1]) };
  }

  /** The server's log folder for this session (`<user-data>/logs/<timestamp>`). */
  logsDir(): string {
    const root = path.join(this.server.userDataDir, 'logs');
    const sessions = fs.existsSync(root) ? fs.readdirSync(root).sort() : [];
    return path.join(root, sessions[sessions.length - 1] ?? '');
  }

  /** The extension host's own log (activation, extension errors). */
  hostLog(): string {
    return readLogs(this.logsDir(), (f) => /exthost\d*\/remoteexthost\.log$/.test(f));
  }

  /** Everything the extension wrote to its "Pipewise" log channel so far (the worker's log lines too). */
  extensionLog(): string {
    return readLogs(this.logsDir(), (f) => f.includes(`/${EXTENSION_ID}/`));
  }

  /** Waits until the extension's log channel has a line matching; returns that line. */
  async waitForLog(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    return waitFor(`a line matching ${String(pattern)} in the Pipewise log`, () => this.extensionLog().split('\n').find((l) => pattern.test(l)), timeoutMs, 250);
  }

  /** Focuses the explorer and waits for the workspace folder's tree. */
  async showExplorer(timeoutMs = 30_000): Promise<void> {
    await this.runCommand('View: Show Explorer');
    await this.page
      .locator('.explorer-folders-view .monaco-list-row')
      .first()
      .waitFor({ state: 'visible', timeout: timeoutMs })
      .catch(() => {
        throw new Error(`timed out after ${timeoutMs} ms waiting for the explorer to list ${this.workspace}`);
      });
  }

  /** Runs a command from the palette by its full title as shown there, e.g. `Pipewise: Run Pipeline`. */
  async runCommand(title: string, timeoutMs = 20_000): Promise<void> {
    const input = await this.openQuickInput('>');
    await input.fill(`>${title}`);
    // Pick the row whose label is exactly the title (not just a fuzzy match).
    const row = this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({
      has: this.page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(title)}\\s*$`) }),
    });
    await row
      .first()
      .waitFor({ state: 'visible', timeout: timeoutMs })
      .catch(() => {
        throw new Error(`timed out after ${timeoutMs} ms waiting for the command "${title}" in the command palette`);
      });
    await row.first().click();
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: timeoutMs }).catch(() => undefined);
  }

  /** Waits until a command is offered in the palette, then closes the palette. */
  async waitForCommand(title: string, timeoutMs = 30_000): Promise<void> {
    const input = await this.openQuickInput('>');
    await input.fill(`>${title}`);
    await this.page
      .locator('.quick-input-widget .quick-input-list .label-name', { hasText: title })
      .first()
      .waitFor({ state: 'visible', timeout: timeoutMs })
      .catch(() => {
        throw new Error(`timed out after ${timeoutMs} ms waiting for the command "${title}" in the command palette`);
      });
    await this.page.keyboard.press('Escape');
  }

  private async openQuickInput(prefix: '>' | ''): Promise<Locator> {
    const widget = this.page.locator('.quick-input-widget');
    const input = widget.locator('.quick-input-box input');
    // Start from a closed quick input: one left open (or still animating closed) swallows keys.
    if (await widget.isVisible()) {
      await this.page.keyboard.press('Escape');
      await widget.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
    }
    // F1 opens the command palette, Ctrl+P quick open. A modal editor (e.g. Running Extensions)
    // swallows the key: Escape closes it, then try again.
    for (let attempt = 0; attempt < 4; attempt++) {
      await this.page.keyboard.press(prefix === '>' ? 'F1' : 'Control+P');
      const open = await input
        .waitFor({ state: 'visible', timeout: 2_500 })
        .then(() => true)
        .catch(() => false);
      if (open) return input;
      await this.page.keyboard.press('Escape');
    }
    throw new Error('timed out after 4 tries waiting for the quick input to open (a modal dialog may hold the focus)');
  }

  /**
   * Opens a file by clicking through the explorer tree, as a person would: `data/penguins.csv`
   * expands `data` and clicks `penguins.csv`. Waits for its editor tab.
   */
  async openFile(relativePath: string, timeoutMs = 20_000): Promise<void> {
    await this.showExplorer();
    const parts = relativePath.split(/[\\/]/).filter(Boolean);
    for (const [i, name] of parts.entries()) {
      const row = this.page.locator(`.explorer-folders-view .monaco-list-row[aria-level="${i + 1}"]`, {
        has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }),
      });
      await row
        .first()
        .waitFor({ state: 'visible', timeout: timeoutMs })
        .catch(() => {
          throw new Error(`timed out after ${timeoutMs} ms waiting for "${parts.slice(0, i + 1).join('/')}" in the explorer`);
        });
      const isFolder = i < parts.length - 1;
      if (isFolder) {
        if ((await row.first().getAttribute('aria-expanded')) !== 'true') await row.first().click();
      } else {
        await row.first().dblclick(); // double-click: a pinned editor, not a preview
      }
    }
    const name = parts[parts.length - 1]!;
    await this.page
      .locator('.tabs-container .tab', { hasText: name })
      .first()
      .waitFor({ state: 'visible', timeout: timeoutMs })
      .catch(() => {
        throw new Error(`timed out after ${timeoutMs} ms waiting for an editor tab for ${relativePath}`);
      });
  }

  /** The visible text of the active text editor (only the rendered lines), once it has any. */
  async activeEditorText(timeoutMs = 20_000): Promise<string> {
    const lines = this.page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
    return waitFor(
      'the active text editor to render text',
      async () => {
        const text = (await lines.innerText().catch(() => '')).trim();
        return text ? text : undefined;
      },
      timeoutMs,
      200,
    );
  }

  /**
   * The frame of a webview (panel, view or notebook output) that contains `selector`. Webviews nest
   * two iframes; this searches every frame, so it finds notebook renderer output too.
   */
  async webview(selector: string, timeoutMs = 30_000): Promise<Frame> {
    return waitFor(
      `a webview containing "${selector}"`,
      async () => {
        for (const frame of this.page.frames()) {
          if (frame === this.page.mainFrame()) continue;
          const count = await frame.locator(selector).count().catch(() => 0);
          if (count > 0) return frame;
        }
        return undefined;
      },
      timeoutMs,
      300,
    );
  }

  /**
   * Opens `file`'s pipeline graph and, from the graph node `node` (`<stage>.<output>`), its
   * artifact's panel (the node's context menu, Open Outputs): the panel's frame once it holds
   * `panelSelector`.
   */
  async openOutputsFromGraph(file: string, node: string, panelSelector: string, timeoutMs = 120_000): Promise<Frame> {
    await this.openFile(file);
    await this.runCommand('Pipewise: Show Pipeline Graph');
    const nodeSelector = `#graph g.node[data-id="${node}"]`;
    const graph = await this.webview(nodeSelector, timeoutMs);
    await graph.locator(nodeSelector).click({ button: 'right' });
    await graph.locator('#menu button[data-action="openOutputs"]').click();
    return this.webview(panelSelector, timeoutMs);
  }

  /** Clicks the first element matching `selector` inside a webview (waits for the webview first). */
  async clickInWebview(selector: string, timeoutMs = 30_000): Promise<Frame> {
    const frame = await this.webview(selector, timeoutMs);
    await frame.locator(selector).first().click({ timeout: timeoutMs });
    return frame;
  }

  /**
   * Right-clicks `row` (e.g. an explorer row) and chooses `label` from its context menu. VS Code
   * ignores a click that lands too soon after its menu opened, so this hovers first, and presses
   * Enter on the item if the menu is still open. `select` runs before each try (a selection to make).
   */
  async contextMenu(row: Locator, label: string, select?: () => Promise<void>): Promise<void> {
    let last: unknown;
    // The explorer may redraw (a new file appears) and close the menu under us: try again then.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        if (attempt > 0) await this.page.keyboard.press('Escape');
        await select?.();
        await row.click({ button: 'right' });
        const item = this.page.locator('.context-view .action-item', { hasText: label }).first();
        await item.waitFor({ state: 'visible', timeout: 5_000 });
        await item.hover({ timeout: 5_000 });
        await this.page.waitForTimeout(300);
        await item.click({ timeout: 5_000 });
        if (await item.isVisible().catch(() => false)) await this.page.keyboard.press('Enter');
        await item.waitFor({ state: 'hidden', timeout: 5_000 });
        return;
      } catch (e) {
        last = e;
        await this.screenshot(`context-menu-failure-${attempt}`).catch(() => undefined);
      }
    }
    throw last;
  }

  /**
   * Answers VS Code's own (simple, in-browser) file dialog with `file`. The dialog fills in its
   * starting folder asynchronously and may overwrite what was typed meanwhile: type the path until
   * it sticks, then accept it.
   */
  async answerFileDialog(file: string, timeoutMs = 30_000): Promise<void> {
    const input = this.page.locator('.quick-input-widget input').first();
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await waitFor(
      `the file dialog to take ${file}`,
      async () => {
        if (!(await input.isVisible().catch(() => false))) return true;
        if ((await input.inputValue()) !== file) await input.fill(file);
        await this.page.waitForTimeout(500);
        if ((await input.inputValue()) === file) await input.press('Enter');
        await this.page.waitForTimeout(500);
        return (await input.isVisible().catch(() => false)) ? undefined : true;
      },
      timeoutMs,
      100,
    );
  }

  /** Waits for a notification toast whose text matches; returns its text. */
  async notification(text: string | RegExp, timeoutMs = 30_000): Promise<string> {
    const toast = this.page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
    await toast.waitFor({ state: 'visible', timeout: timeoutMs }).catch(() => {
      throw new Error(`timed out after ${timeoutMs} ms waiting for a notification matching ${String(text)}`);
    });
    return (await toast.innerText()).trim();
  }

  /** Saves a PNG of the whole workbench to `test-results/screenshots/<name>.png`; returns its path. */
  async screenshot(name: string): Promise<string> {
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const file = path.join(SCREENSHOT_DIR, `${name.replace(/[^\w.-]+/g, '-')}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** Closes the browser and the server (its whole process group) and removes the workspace copy. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.browser.close().catch(() => undefined);
    await this.server.close();
    fs.rmSync(this.workspace, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** The time a VS Code log line starts with (`2026-12-06 16:19:34.123 [info] …`), in ms; both logs share the clock. */
function logTime(line: string): number | undefined {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3})/.exec(line);
  return m ? Date.parse(`${m[1]}T${m[2]}`) : undefined;
}

/** Concatenates the log files under `dir` (recursively) whose path passes `filter`. */
function readLogs(dir: string, filter: (file: string) => boolean): string {
  if (!fs.existsSync(dir)) return '';
  const files = (fs.readdirSync(dir, { recursive: true }) as string[]).map((f) => path.join(dir, f)).filter((f) => f.endsWith('.log') && filter(f));
  return files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
