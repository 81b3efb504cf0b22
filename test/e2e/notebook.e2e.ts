/**
 * A person's path through the example notebook: open `penguins.ipynb`, pick the Pipewise kernel,
 * click Run All, and see the training chart drawn by Pipewise's renderer inside the notebook (read
 * from the renderer's own DOM in the output webview: an SVG with line marks and the stage's title),
 * the SQL cell's bar chart, and every cell ending successfully. Saves
 * `test-results/screenshots/notebook.png`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { Workbench } from './workbench';

let wb: Workbench;

/** Waits until `probe` holds in the frame, doing `between` (e.g. scrolling) between tries. */
async function waitForInFrame(frame: Frame, what: string, probe: () => boolean, timeoutMs = 120_000, between?: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await frame.evaluate(probe).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await between?.();
    await new Promise((r) => setTimeout(r, 300));
  }
}

before(async () => {
  wb = await Workbench.start({ workspace: 'examples/penguins', viewport: { width: 1400, height: 1000 } });
});

after(async () => {
  await wb?.close();
});

/** The training chart as the renderer drew it: its title, the number of line marks and data rows. */
async function trainingChart(frame: Frame): Promise<{ title: string; lines: number; points: number; steps: number; live: string } | undefined> {
  return frame.evaluate(() => {
    for (const chart of document.querySelectorAll<HTMLElement>('.pw-chart')) {
      const title = [...chart.querySelectorAll('svg .role-title-text')].map((t) => t.textContent ?? '').find((t) => t.includes('training'));
      if (!title) continue;
      const host = chart.parentElement as HTMLElement;
      return {
        title,
        lines: chart.querySelectorAll('svg g.mark-line path').length,
        points: Number(host.dataset.points ?? 0),
        steps: Number(host.dataset.steps ?? 0),
        live: host.dataset.live ?? '',
      };
    }
    return undefined;
  });
}

test('Run All in the example notebook draws the training chart inline', async () => {
  try {
    await runAllAndCheck();
  } catch (e) {
    // What the person would have seen, and what the extension logged, for the failure report.
    const shot = await wb.screenshot('notebook-failure').catch(() => '');
    const log = wb.extensionLog().split('\n').slice(-40).join('\n');
    throw new Error(`${e instanceof Error ? e.message : String(e)}\nscreenshot: ${shot}\nPipewise log (last lines):\n${log}`);
  }
});

async function runAllAndCheck(): Promise<void> {
  const page = wb.page;
  await wb.openFile('penguins.ipynb');
  await page.locator('.notebook-editor').first().waitFor({ state: 'visible', timeout: 30_000 });
  await wb.waitForCommand('Pipewise: Restart Notebook Kernel');

  // Run All, from the notebook's toolbar. With no kernel chosen yet, VS Code asks for one first:
  // pick "Pipewise" as a person does.
  const runAll = page.locator('.notebook-toolbar-container .action-item .action-label[aria-label^="Run All"]').first();
  await runAll.waitFor({ state: 'visible', timeout: 20_000 }).catch(async (e: Error) => {
    const toolbar = await page.locator('.notebook-toolbar-container').first().innerHTML().catch(() => '');
    throw new Error(`${e.message}\nnotebook toolbar: ${toolbar.slice(0, 3000)}`);
  });
  await runAll.click();
  const kernelPick = page
    .locator('.quick-input-widget .quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: /^\s*Pipewise\s*$/ }) })
    .first();
  if (await kernelPick.waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false)) await kernelPick.click();
  await page.locator('.notebook-toolbar-container', { hasText: 'Pipewise' }).first().waitFor({ state: 'visible', timeout: 20_000 });

  // The training chart appears in the output webview and ends with all 20 epochs drawn.
  const frame = await wb.webview('.pw-chart svg g.mark-line path', 240_000);
  const deadline = Date.now() + 240_000;
  let chart = await trainingChart(frame);
  // Until the final (static) spec has arrived, the chart is live.
  while (chart?.live !== 'false' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    chart = await trainingChart(frame);
  }
  assert.ok(chart, 'the renderer drew a training chart');
  assert.match(chart.title, /train_small: training/);
  assert.equal(chart.live, 'false', 'the final spec replaced the live one');
  // The cell asks for 12 epochs; each epoch has a train and an eval value per metric.
  assert.equal(chart.steps, 12, 'every epoch is drawn');
  assert.ok(chart.points >= 12 * 2 && chart.points % 12 === 0, `rows per epoch (${chart.points})`);
  assert.ok(chart.lines >= 2, `line marks drawn (${chart.lines})`);

  // The SQL cell's bar chart, drawn by the same renderer.
  const bars = await frame.evaluate(() => document.querySelectorAll('.pw-chart svg g.mark-rect path').length);
  assert.ok(bars >= 3, `bar marks for the species (${bars})`);

  // The SQL result shows as its HTML table (preferred over the JSON rows by the extension's display order).
  const table = await frame.evaluate(() => [...document.querySelectorAll('table.pipewise-table td')].map((td) => td.textContent));
  assert.ok(table.includes('Adelie') && table.includes('152'), `the species table is shown (${JSON.stringify(table.slice(0, 8))})`);

  // Run All reached the last cell: its returned spec is drawn (a bar per species, mean body mass).
  // VS Code renders outputs only near the viewport: scroll the notebook down first, with the wheel
  // over the cells' gutter (over an output, the output webview would take the wheel itself).
  await page.mouse.move(372, 600);
  await waitForInFrame(
    frame,
    'the last cell\'s chart',
    () => [...document.querySelectorAll('.pw-chart svg text')].some((t) => t.textContent === 'mean body mass (g)'),
    120_000,
    () => page.mouse.wheel(0, 150),
  );
  const barCharts = await frame.evaluate(() => [...document.querySelectorAll('.pw-chart')].filter((c) => c.querySelector('g.mark-rect')).length);
  assert.equal(barCharts, 3, 'species counts, examples per split, mean mass');
  // No cell failed: no error output anywhere in the notebook's outputs.
  const errorText = await frame.evaluate(() => document.body.innerText.match(/\b\w*Error\b.*|Interrupted\./)?.[0] ?? '');
  assert.equal(errorText, '', 'no error output');
  // The renderer's own styles apply (injected with the bundle): save buttons hide until hover.
  const opacity = await frame.evaluate(() => getComputedStyle(document.querySelector('.pw-actions') as Element).opacity);
  assert.equal(opacity, '0');

  // Bring the training cell's chart into view for the screenshot.
  await page.keyboard.press('Escape');
  for (let i = 0; i < 40; i++) await page.mouse.wheel(0, -300);
  await new Promise((r) => setTimeout(r, 1000));
  const yamlStatus = await page.locator('.notebook-editor .cell-statusbar-container', { hasText: 'YAML' }).first().boundingBox();
  // The list scrolls a limited amount per wheel event: several small ones bring the chart up.
  for (let left = (yamlStatus?.y ?? 0) - 200; left > 0; left -= 100) {
    await page.mouse.wheel(0, 100);
    await new Promise((r) => setTimeout(r, 80));
  }
  await new Promise((r) => setTimeout(r, 1000));
  await wb.screenshot('notebook');
}
