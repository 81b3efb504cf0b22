/**
 * `pipewise doctor FILE [--fix]` and `pipewise gc FILE [--keep N] [--dry-run]`: both take the
 * store's lock (a run in progress would otherwise look like a crash's leftovers), refusing with the
 * holder's pid and start time unless `--wait`.
 */
import path from 'node:path';
import { PipewiseError } from '../core/errors';
import { formatBytes } from '../core/diskUsage';
import { examineStore, type DoctorReport, type StoreProblem } from '../engine/doctor';
import { collectGarbage, DEFAULT_KEEP_RUNS } from '../engine/gc';
import { openPipelineStore } from '../engine/pipelineStore';
import { describeHolder } from '../engine/storeLock';
import type { ParsedArgs } from './args';

function openStore(file: string, command: string, wait: boolean, removeLinks = false): ReturnType<typeof openPipelineStore> {
  return openPipelineStore(file, `pipewise ${command} ${path.basename(file)}`, {
    removeLinks,
    waitMs: wait ? Infinity : 0,
    onWait: (h) => process.stderr.write(`pipewise: waiting for ${describeHolder(h)} to release the store…\n`),
  });
}

function fileArg(args: ParsedArgs): string {
  if (args.positionals.length !== 1) throw new PipewiseError(`pipewise ${args.command}: give exactly one pipeline FILE`, { code: 'usage' });
  return args.positionals[0] as string;
}

export async function doctorCommand(args: ParsedArgs): Promise<number> {
  const { store, lineage, lock } = await openStore(fileArg(args), args.fix ? 'doctor --fix' : 'doctor', args.wait, args.fix);
  try {
    const examined = await examineStore(store, lineage, { fix: args.fix, verifyArtifacts: true });
    // A link where the lock goes was removed (the link itself) before the lock could be taken.
    const lockLinks: StoreProblem[] = lock.removedLinks.map(({ link, target }) => ({
      kind: 'symbolic-link',
      path: link,
      message: `a symbolic link to ${target}: Pipewise never follows or deletes through a link inside its store`,
      fixed: 'removed the link (not what it points to)',
    }));
    const report: DoctorReport = { ...examined, problems: [...lockLinks, ...examined.problems] };
    if (args.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      for (const p of report.problems) process.stdout.write(`${p.path}: ${p.kind}: ${p.message}${p.fixed ? ` — ${p.fixed}` : ''}\n`);
      const c = report.checked;
      const summary = `${report.storeDir}: ${c.records} lineage records, ${c.liveArtifacts} live artifacts (${formatBytes(c.bytes)}) checked`;
      process.stderr.write(`${summary}; ${report.problems.length ? `${report.problems.length} problem(s)${args.fix ? ', fixed' : ' (run with --fix to repair)'}` : 'clean'}\n`);
    }
    return report.problems.length ? 1 : 0;
  } finally {
    await lock.release();
  }
}

export async function gcCommand(args: ParsedArgs): Promise<number> {
  const file = fileArg(args);
  const { store, lineage, lock } = await openStore(file, 'gc', args.wait);
  try {
    const report = await collectGarbage(store, lineage, { keepRuns: args.keep ?? DEFAULT_KEEP_RUNS, dryRun: args.dryRun, pipelineFile: path.resolve(file) });
    if (args.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    const verb = report.dryRun ? 'would remove' : 'removed';
    // The preview says what stays and why, so a user sees that the served model's evaluation does.
    if (report.dryRun) for (const k of report.kept) process.stdout.write(`would keep ${k.id}: ${k.why}\n`);
    for (const r of report.removed) process.stdout.write(`${verb} ${r.id} (${formatBytes(r.bytes)})\n`);
    for (const o of report.orphans) process.stdout.write(`${verb} orphan ${o.path} (${formatBytes(o.bytes)})\n`);
    process.stdout.write(
      `${report.dryRun ? 'would free' : 'freed'} ${formatBytes(report.bytesFreed)} of ${formatBytes(report.storeBytesBefore)}; ` +
        `kept ${report.kept.length} artifacts of ${path.basename(file)} (its last ${report.keptRuns} runs, blessed and pushed models and their lineage)\n`,
    );
    return 0;
  } finally {
    await lock.release();
  }
}
