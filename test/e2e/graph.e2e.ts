/**
 * A person's path through the graph: open the penguin example, open its graph beside it, click Run
 * in the graph, watch every stage turn succeeded (or cached), click a node to find its stage in the
 * file. Saves `test-results/screenshots/graph.png` (shown in the README).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Frame } from 'playwright-core';
import { Workbench } from './workbench';

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
  // The graph alone, fitted: the picture the README shows.
  await wb.runCommand('View: Toggle Maximize Editor Group');
  await wb.runCommand('View: Toggle Primary Side Bar Visibility');
  await graph.locator('#fit').click();
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
