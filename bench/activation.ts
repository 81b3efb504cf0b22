/**
 * Activation in the real extension host (`--only activation`; about 30 s per start on 2 cores): the
 * packaged VSIX (pipewise-<platform>.vsix from `npm run package`, or PIPEWISE_VSIX) installed in a
 * fresh code-server with the penguin example open, where it activates at start-up
 * (workspaceContains). Three figures per start, median of `runs` starts after one warm-up start:
 * - the extension host's own measure, read from *Developer: Show Running Extensions*
 *   (`Activation: N ms`: loading the main module plus the `activate()` call) — what VS Code waits for;
 * - the time from the extension host's log line `_doActivateExtension pipewise.pipewise` to the
 *   extension's `Pipewise activated`, by the two logs' timestamps (Workbench.activationMs), as the issue
 *   first measured it. The extension's log lines are stamped when the server writes them, which waits
 *   for the extension host's event loop, so this includes whatever runs after `activate` returned;
 * - the same to `Pipewise features loaded` (the features' bundle, loaded after `activate` returned;
 *   builds from before that split have no such line).
 * With `--baseline-vsix FILE` (e.g. a VSIX packaged from an earlier commit) the same is measured for
 * it, start for start alternating with ours, so both meet the same load.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Workbench, packagedVsix } from '../test/e2e/workbench';
import { waitFor } from '../test/e2e/codeServer';
import { median, type Figure } from './lib';
import type { BenchContext } from './context';

interface ActivationSample {
  /** The extension host's own figure (Running Extensions). */
  readonly host: number;
  /** `_doActivateExtension` → `Pipewise activated`, by the logs. */
  readonly log: number;
  /** `_doActivateExtension` → `Pipewise features loaded`; undefined for a build without the split. */
  readonly features: number | undefined;
}

async function activationOnce(vsix: string): Promise<ActivationSample> {
  const saved = process.env.PIPEWISE_VSIX;
  process.env.PIPEWISE_VSIX = vsix;
  try {
    const wb = await Workbench.start({ workspace: 'examples/penguins', waitForExtension: false });
    try {
      const activated = await wb.waitForLog(/Pipewise activated/, 120_000);
      // A build with the split says how long `activate` took on the same line and loads its features next.
      if (/Pipewise activated in /.test(activated)) await wb.waitForLog(/Pipewise features loaded/, 120_000);
      const log = await waitFor('both activation lines in the logs', () => wb.activationMs(), 30_000, 250);
      const { activationMs: host } = await wb.runningExtensionRow();
      return { host, log, features: wb.activationMs('features') };
    } finally {
      await wb.close();
    }
  } finally {
    if (saved === undefined) delete process.env.PIPEWISE_VSIX;
    else process.env.PIPEWISE_VSIX = saved;
  }
}

export async function activationSection(ctx: BenchContext, baselineVsix: string | undefined): Promise<Figure[]> {
  const name = 'extension activation in code-server (VSIX, pipeline workspace)';
  let ours: string;
  try {
    ours = packagedVsix();
  } catch (e) {
    return [{ section: 'overhead', name, unit: 'ms', skipped: e instanceof Error ? e.message : String(e) }];
  }
  const baseline = baselineVsix && existsSync(baselineVsix) ? path.resolve(baselineVsix) : undefined;
  const samples: ActivationSample[] = [];
  const baselineSamples: ActivationSample[] = [];
  for (let r = 0; r <= ctx.runs; r++) {
    ctx.log(`activation: start ${r + 1} of ${ctx.runs + 1}${r === 0 ? ' (warm-up)' : ''}`);
    const a = await activationOnce(ours);
    const b = baseline ? await activationOnce(baseline) : undefined;
    ctx.log(`activation: ours ${JSON.stringify(a)}${b ? `, baseline ${JSON.stringify(b)}` : ''}`);
    if (r === 0) continue;
    samples.push(a);
    if (b !== undefined) baselineSamples.push(b);
  }
  const figure = (label: string, pick: (s: ActivationSample) => number | undefined, note: string): Figure => {
    const ourValues = samples.map(pick).filter((v): v is number => v !== undefined);
    const baseValues = baselineSamples.map(pick).filter((v): v is number => v !== undefined);
    return {
      section: 'overhead',
      name: `${name}: ${label}`,
      unit: 'ms',
      value: median(ourValues),
      runs: ctx.runs,
      samples: ourValues,
      ...(baseline && baseValues.length ? { baselineName: `before: ${path.basename(baseline)}`, baseline: median(baseValues), baselineSamples: baseValues } : {}),
      note,
    };
  };
  return [
    figure('extension host', (s) => s.host, "Running Extensions' Activation: main module loaded + activate() called"),
    figure('log lines', (s) => s.log, '_doActivateExtension → "Pipewise activated", by the extension host and Pipewise logs'),
    figure('features loaded', (s) => s.features, '_doActivateExtension → "Pipewise features loaded" (before the split: none)'),
  ];
}
