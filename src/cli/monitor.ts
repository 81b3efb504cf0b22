/**
 * `pipewise monitor PIPELINE_FILE --log DIR [--since ISO] [--until ISO] [--by hour|day]
 * [--threshold X] [--json] [--out FILE]`: skew and schema anomalies of the requests a model server
 * logged, against the training data of the pipeline's latest successful run
 * (src/engine/monitoring). Exit 0 when nothing is anomalous, 1 when something is, 2 on any error
 * (usage, no baseline, an unreadable log): a CI gate tells drift from a broken log. A log file that
 * cannot be read is skipped with a warning naming it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PipewiseError } from '../core/errors';
import { errorMessage } from '../protocol/errors';
import { protoJson } from '../core/tfdv';
import { withConnection } from '../engine/duckdb';
import { anomalousFeatures, monitorRequests, type MonitorOptions, type MonitorWindow } from '../engine/monitoring/monitor';
import { latestTrainingBaseline } from '../engine/monitoring/trainingBaseline';
import { writeFileAtomic } from '../engine/store';
import { flagValue, numberFlag, parseCommandFlags } from './commandFlags';

function dateFlag(text: string | undefined, flag: string): Date | undefined {
  if (text === undefined) return undefined;
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new PipewiseError(`pipewise monitor: ${flag} must be an ISO date or time (e.g. 2026-11-29T10:00:00Z), got ${JSON.stringify(text)}`, { code: 'usage' });
  return d;
}

/** The --json row of one window. */
export function windowJson(w: MonitorWindow): Record<string, unknown> {
  return { window: w.window, requests: w.requests, features: w.features, anomalies: w.anomalies };
}

function isAnomalous(w: MonitorWindow): boolean {
  return anomalousFeatures(w).length > 0 || w.anomaliesProto.datasetAnomalyInfo !== undefined;
}

function fmt(x: number | null): string {
  return x === null ? '—' : x.toFixed(4);
}

export async function monitorCommand(argv: readonly string[]): Promise<number> {
  const flags = parseCommandFlags('monitor', argv, ['--log', '--since', '--until', '--by', '--threshold', '--out'], ['--json']);
  if (flags.positionals.length !== 1) throw new PipewiseError(`pipewise monitor: ${flags.positionals.length ? `unexpected argument '${flags.positionals[1]}'` : 'missing PIPELINE_FILE'}`, { code: 'usage' });
  const file = flags.positionals[0] as string;
  if (!existsSync(file)) throw new PipewiseError(`pipewise monitor: no such pipeline file: ${path.resolve(file)}`, { code: 'usage' });
  const log = flagValue(flags, '--log');
  if (!log) throw new PipewiseError('pipewise monitor: --log DIR is required (the --log-dir of pipewise serve)', { code: 'usage' });
  if (!existsSync(log)) throw new PipewiseError(`pipewise monitor: no such request log folder: ${path.resolve(log)}`, { code: 'usage' });
  const by = flagValue(flags, '--by');
  if (by !== undefined && by !== 'hour' && by !== 'day') throw new PipewiseError(`pipewise monitor: --by takes hour or day, got ${JSON.stringify(by)}`, { code: 'usage' });
  const since = dateFlag(flagValue(flags, '--since'), '--since');
  const until = dateFlag(flagValue(flags, '--until'), '--until');
  if (since && until && since >= until) throw new PipewiseError('pipewise monitor: --since must be before --until', { code: 'usage' });
  const threshold = numberFlag('monitor', flags, '--threshold', 0, 1, false);
  const json = flags.values.has('--json');

  try {
    return await report(file, { logDir: path.resolve(log), since, until, by, threshold }, json, flagValue(flags, '--out'));
  } catch (e) {
    // 1 means "anomalous" to a CI gate: an error (no baseline, an unreadable log, --out not writable) is 2, never 1.
    process.stderr.write(`pipewise: error: ${e instanceof PipewiseError ? e.describe() : errorMessage(e)}\n`);
    return 2;
  }
}

async function report(file: string, window: Omit<MonitorOptions, 'schema' | 'training'>, json: boolean, out: string | undefined): Promise<number> {
  const baseline = await latestTrainingBaseline(file);
  const onWarning = (message: string): void => void process.stderr.write(`pipewise monitor: warning: ${message}\n`);
  const windows = await withConnection((conn) => monitorRequests(conn, { ...window, schema: baseline.schema, training: baseline.training, onWarning }));
  const by = window.by;
  if (out) {
    const proto = by ? { anomalyNameFormat: 'SERIALIZED_PATH', anomalyInfo: {}, splits: Object.fromEntries(windows.map((w) => [w.window.from, w.anomaliesProto])) } : windows[0]?.anomaliesProto;
    await writeFileAtomic(path.resolve(out), protoJson(proto));
  }
  if (json) {
    const rows = windows.map(windowJson);
    process.stdout.write(`${JSON.stringify(by ? rows : rows[0], null, 2)}\n`);
  } else {
    process.stderr.write(`training: run ${baseline.runId}, split '${baseline.training.name}' (${baseline.training.numExamples} examples)\n`);
    for (const w of windows) {
      const flagged = anomalousFeatures(w);
      process.stdout.write(`${w.window.from} → ${w.window.to}: ${w.requests} requests, ${flagged.length ? `ANOMALOUS: ${flagged.join(', ')}` : 'no anomalies'}\n`);
      for (const f of w.features) process.stdout.write(`  ${f.anomalous ? '✗' : '✓'} ${f.name.padEnd(24)} ${(f.metric ?? '').padEnd(26)} ${fmt(f.distance)} (threshold ${f.threshold})\n`);
      for (const a of w.anomalies) process.stdout.write(`  ! ${a.feature || '(dataset)'}: ${a.type}: ${a.description}\n`);
    }
  }
  return windows.some(isAnomalous) ? 1 : 0;
}
