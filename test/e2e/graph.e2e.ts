/**
 * A person's path through the graph: open the penguin example, open its graph beside it, click Run
 * in the graph, watch every stage turn succeeded (or cached), click a node to find its stage in the
 * file, and follow a long run in the CodeLens (and cancel it there). Saves
 * `test-results/screenshots/graph.png` (shown in the README).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Frame } from 'playwright-core';
import { Workbench } from './workbench';
import { penguinTrainPipeline } from '../worker/serve-helpers';

let wb: Workbench;
let graph: Frame;

/** Stage names read from the file with a regex: an oracle that does not use our parser. */
const stages = [...fs.readFileSync(path.resolve(__dirname, '../../examples/penguins/penguins.pipeline.yaml'), 'utf8').matchAll(/^ {2}([a-z_][a-z0-9_]*):\s*$/gm)].map(
  (m) => m[1] as string,
);

async function stageStatuses(): Promise<Record<string, string>> {
  return graph.evaluate(() =>
    Object.fromEntries([...document.querySelectorAll<SVGGElement>('#graph g.node[data-kind="stage"]')].map((g) => [g.dataset.id ?? '', g.dataset.status ?? ''])),
  );
}

async function waitForStatuses(
  what: string,
  ok: (s: Record<string, string>) => boolean,
  timeoutMs: number,
  also: () => Promise<boolean> = async () => true,
): Promise<Record<string, string>> {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, string> = {};
  while (Date.now() < deadline) {
    last = await stageStatuses();
    if (ok(last) && (await also())) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the graph shows ${JSON.stringify(last)}`);
}

before(async () => {
  wb = await Workbench.start({ workspace: 'examples/penguins' });
});

after(async () => {
  await wb?.close();
});

test('the graph opens beside the pipeline and draws every stage', async () => {
  assert.equal(stages.length, 8);
  await wb.openFile('penguins.pipeline.yaml');
  await wb.runCommand('Pipewise: Show Pipeline Graph');
  graph = await wb.webview('#graph g.node[data-kind="stage"]', 60_000);
  const drawn = await waitForStatuses('all 8 stages drawn', (s) => Object.keys(s).length === stages.length, 30_000);
  assert.deepEqual(Object.keys(drawn).sort(), [...stages].sort());
});

/** The texts of the CodeLens lines shown in the active editor, top to bottom. */
async function lensTexts(): Promise<string[]> {
  return wb.page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('.editor-instance .codelens-decoration')]
      .map((e) => ({ top: e.getBoundingClientRect().top, text: e.innerText.replace(/\s+/g, ' ').trim() }))
      .filter((e) => e.text)
      .sort((a, b) => a.top - b.top)
      .map((e) => e.text),
  );
}

async function waitForLenses(what: string, ok: (lenses: string[]) => boolean, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let last: string[] = [];
  while (Date.now() < deadline) {
    last = await lensTexts();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the CodeLens show ${JSON.stringify(last)}`);
}

/** The run the graph shows (its id) and whether it is going, from the SVG's data attributes. */
async function shownRun(): Promise<{ runId: string; running: string }> {
  return graph.evaluate(() => {
    const svg = document.querySelector<SVGSVGElement>('#graph');
    return { runId: svg?.dataset.runId ?? '', running: svg?.dataset.running ?? '' };
  });
}

test('clicking Run in the graph runs the pipeline: every stage ends succeeded or cached', async () => {
  // The graph may show a run recorded earlier: the test waits for a new run to finish.
  const before = (await shownRun()).runId;
  await graph.locator('#run').click();
  const final = await waitForStatuses(
    'a new run, finished, with every stage succeeded or cached',
    (s) => stages.every((n) => s[n] === 'succeeded' || s[n] === 'cached'),
    180_000,
    async () => {
      const r = await shownRun();
      return r.runId !== '' && r.runId !== before && r.running === 'false';
    },
  );
  assert.deepEqual(Object.keys(final).sort(), [...stages].sort());
  // The summary line names the finished run.
  assert.match(await graph.locator('#summary').innerText(), /Last run succeeded/);
  // The graph beside its pipeline file at the default window, fitted, after the run: the picture
  // the README opens with.
  await graph.locator('#fit').click();
  await wb.page.mouse.move(700, 880);
  await waitForLenses(
    'the CodeLens to show the finished run',
    (l) => l.some((t) => /Run pipeline/.test(t)) && !l.some((t) => /running|pending/.test(t)) && l.filter((t) => /Run from here \| \S* ?(succeeded|cached)/.test(t)).length === stages.length,
    30_000,
  );
  await wb.screenshot('graph');
});

test('clicking a node reveals its stage in the YAML', async () => {
  await graph.locator('#graph g.node[data-id="train"]').click();
  const line = fs
    .readFileSync(path.resolve(__dirname, '../../examples/penguins/penguins.pipeline.yaml'), 'utf8')
    .split('\n')
    .findIndex((l) => /^ {2}train:/.test(l));
  const status = wb.page.locator('.statusbar-item', { hasText: /^Ln \d+, Col \d+/ }).first();
  const deadline = Date.now() + 15_000;
  let text = '';
  while (Date.now() < deadline) {
    text = (await status.innerText().catch(() => '')).trim();
    if (text.startsWith(`Ln ${line + 1},`)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.match(text, new RegExp(`^Ln ${line + 1}, Col \\d+`));
});

/** Training that runs until cancelled (thousands of epochs, no early stopping), after four quick stages. */
const SLOW = penguinTrainPipeline('slow', '{ epochs: 20000, early_stopping: null }');

test('the CodeLens follow a run stage by stage while a model trains, and Cancel run stops it', async () => {
  fs.writeFileSync(path.join(wb.workspace, 'slow.pipeline.yaml'), SLOW);
  await wb.openFile('slow.pipeline.yaml');
  await wb.page.locator('.editor-instance .codelens-decoration a', { hasText: 'Run pipeline' }).first().click({ timeout: 30_000 });
  // Training reports progress up to ten times a second; the lenses must still show that the first
  // four stages are done and train runs (VS Code postpones a lens update at every change signal).
  const during = await waitForLenses(
    'the lenses to show four stages done and train running',
    (l) => l.filter((t) => /^\S* ?(succeeded|cached)\b/.test(t)).length === 4 && l.some((t) => /^\S* ?running/.test(t)) && l.some((t) => /Cancel run/.test(t)),
    120_000,
  );
  assert.equal(during.filter((t) => /pending/.test(t)).length, 0, JSON.stringify(during));
  await wb.page.locator('.editor-instance .codelens-decoration a', { hasText: 'Cancel run' }).first().click();
  const after = await waitForLenses('the lenses to show the run cancelled', (l) => l.some((t) => /cancelled/.test(t)) && l.some((t) => /Run pipeline/.test(t)), 60_000);
  assert.ok(!after.some((t) => /running/.test(t)), JSON.stringify(after));
});
