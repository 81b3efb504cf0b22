/**
 * Activation in the real extension host (`--only activation`; about 30 s per start on 2 cores): the
 * packaged VSIX (pipewise-<platform>.vsix from `npm run package`, or PIPEWISE_VSIX) installed in a
 * fresh code-server with the penguin example open, where it activates at start-up
 * (workspaceContains). The figure is the time from the extension host's
 * `_doActivateExtension pipewise.pipewise` to the extension's `Pipewise activated`, read from the two
 * logs' timestamps (Workbench.activationMs), median of `runs` starts after one warm-up start. With
 * `--baseline-vsix FILE` (e.g. a VSIX packaged from an earlier commit) the same is measured for it,
 * start for start alternating with ours, so both meet the same load.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Workbench, packagedVsix } from '../test/e2e/workbench';
import { median, type Figure } from './lib';
import type { BenchContext } from './context';

async function activationOnce(vsix: string): Promise<number> {
  const saved = process.env.PIPEWISE_VSIX;
  process.env.PIPEWISE_VSIX = vsix;
  try {
    const wb = await Workbench.start({ workspace: 'examples/penguins' });
    try {
      const ms = wb.activationMs();
      if (ms === undefined) throw new Error(`no activation time in the logs of ${wb.logsDir()}`);
      return ms;
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
  const samples: number[] = [];
  const baselineSamples: number[] = [];
  for (let r = 0; r <= ctx.runs; r++) {
    ctx.log(`activation: start ${r + 1} of ${ctx.runs + 1}${r === 0 ? ' (warm-up)' : ''}`);
    const a = await activationOnce(ours);
    const b = baseline ? await activationOnce(baseline) : undefined;
    if (r === 0) continue;
    samples.push(a);
    if (b !== undefined) baselineSamples.push(b);
  }
  return [
    {
      section: 'overhead',
      name,
      unit: 'ms',
      value: median(samples),
      runs: ctx.runs,
      samples,
      ...(baseline ? { baselineName: `before: ${path.basename(baseline)}`, baseline: median(baselineSamples), baselineSamples } : {}),
      note: '_doActivateExtension → "Pipewise activated", by the extension host and Pipewise logs',
    },
  ];
}
