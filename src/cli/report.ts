/**
 * `pipewise report FILE [--run ID] [--against blessed|previous|RUN_ID] [--format md|html] [-o OUT]`:
 * a run against its baseline (src/engine/report.ts) as GitHub Markdown for a pull request, or as
 * one self-contained HTML page. Exit 0 when the run's model is blessed, 1 when it is not (or the run
 * has no evaluation), 2 on any error — so CI can gate on it and still tell a broken store from a
 * worse model. The report goes to stdout, or atomically to OUT.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PipewiseError } from '../core/errors';
import { errorMessage } from '../protocol/errors';
import { reportExitCode } from '../core/reportMarkdown';
import { formatOfFile, gatherRunReport, renderReport, type ReportFormat } from '../engine/report';
import { writeFileAtomic } from '../engine/store';
import { flagValue, numberFlag, parseCommandFlags } from './commandFlags';

const EXIT_ERROR = 2;

export async function reportCommand(argv: readonly string[]): Promise<number> {
  try {
    const flags = parseCommandFlags('report', argv.map((a) => (a === '-o' ? '--out' : a)), ['--run', '--against', '--format', '--out', '--slice-tolerance'], []);
    if (flags.positionals.length !== 1) throw new PipewiseError(`pipewise report: ${flags.positionals.length ? `unexpected argument '${flags.positionals[1]}'` : 'missing FILE (the pipeline file)'}`, { code: 'usage' });
    const file = flags.positionals[0] as string;
    if (!existsSync(file)) throw new PipewiseError(`pipewise report: no such pipeline file: ${path.resolve(file)}`, { code: 'usage' });
    const out = flagValue(flags, '--out');
    const formatText = flagValue(flags, '--format');
    if (formatText !== undefined && formatText !== 'md' && formatText !== 'html') throw new PipewiseError(`pipewise report: --format takes md or html, got ${JSON.stringify(formatText)}`, { code: 'usage' });
    const format: ReportFormat = (formatText as ReportFormat | undefined) ?? (out ? formatOfFile(out) : 'md');
    const sliceTolerance = numberFlag('report', flags, '--slice-tolerance', 0, Number.MAX_VALUE, false);
    const runId = flagValue(flags, '--run');
    const against = flagValue(flags, '--against');
    const report = await gatherRunReport({ file, ...(runId ? { runId } : {}), ...(against ? { against } : {}), ...(sliceTolerance !== undefined ? { sliceTolerance } : {}) });
    const text = renderReport(report, format);
    if (out) {
      await writeFileAtomic(path.resolve(out), text);
      process.stderr.write(`pipewise: wrote ${path.resolve(out)} (${format}, run ${report.run.id}${report.baseline ? ` against ${report.baseline.id}` : ''}): ${report.blessed ? 'blessed' : 'not blessed'}\n`);
    } else process.stdout.write(text);
    return reportExitCode(report);
  } catch (e) {
    // 1 means "not blessed" to a CI gate: every error (usage, an unreadable artifact, OUT not writable) is 2, never 1.
    process.stderr.write(`pipewise: error: ${e instanceof PipewiseError ? e.describe() : errorMessage(e)}\n`);
    return EXIT_ERROR;
  }
}
