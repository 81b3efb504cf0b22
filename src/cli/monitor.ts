/**
 * `pipewise monitor PIPELINE_FILE --log DIR [--since ISO] [--until ISO] [--by hour|day]
 * [--threshold X] [--labels FILE [--every hour|day]] [--notify URL | --notify-cmd CMD]
 * [--notify-timeout S] [--json] [--out FILE]`: skew and schema anomalies of the requests a model
 * server logged, against the training data of the pipeline's latest successful run, over all the
 * traffic and per model version; with `--labels`, quality per version from labels that arrived
 * later, judged by the Evaluator's thresholds (src/engine/monitoring). `--notify` sends an alert
 * when the verdict changes (src/engine/monitoring/alerts.ts); its failure is reported and never
 * changes the exit code. Exit 0 when nothing is anomalous, 1 when something is, 2 on any error
 * (usage, no baseline, an unreadable log): a CI gate tells drift from a broken log. A log file that
 * cannot be read is skipped with a warning naming it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PipewiseError } from '../core/errors';
import { errorMessage } from '../protocol/errors';
import { protoJson } from '../core/tfdv';
import { withConnection } from '../engine/duckdb';
import { alertOnChange, checkAlertUrl, monitorVerdict, type AlertPayload, type AlertTarget, type MonitorState, type MonitorVerdict } from '../engine/monitoring/alerts';
import { anomalousFeatures, loggedRequests, monitorRequests, monitorWindowJson, readLogMeta, type MonitorOptions } from '../engine/monitoring/monitor';
import { evaluatorConfig, measureQuality, type QualityEvery, type QualityReport } from '../engine/monitoring/quality';
import { latestTrainingBaseline } from '../engine/monitoring/trainingBaseline';
import { writeFileAtomic } from '../engine/store';
import { flagValue, numberFlag, parseCommandFlags } from './commandFlags';

function dateFlag(text: string | undefined, flag: string): Date | undefined {
  if (text === undefined) return undefined;
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new PipewiseError(`pipewise monitor: ${flag} must be an ISO date or time (e.g. 2026-11-29T10:00:00Z), got ${JSON.stringify(text)}`, { code: 'usage' });
  return d;
}

interface MonitorFlags {
  readonly labels?: string;
  readonly every: QualityEvery;
  readonly target?: AlertTarget;
  readonly notifyTimeoutMs?: number;
}

function fmt(x: number | null): string {
  return x === null ? '—' : x.toFixed(4);
}

export async function monitorCommand(argv: readonly string[]): Promise<number> {
  const flags = parseCommandFlags('monitor', argv, ['--log', '--since', '--until', '--by', '--threshold', '--out', '--labels', '--every', '--notify', '--notify-cmd', '--notify-timeout'], ['--json']);
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
  const labels = flagValue(flags, '--labels');
  const every = flagValue(flags, '--every') ?? by ?? 'day';
  if (every !== 'hour' && every !== 'day') throw new PipewiseError(`pipewise monitor: --every takes hour or day, got ${JSON.stringify(every)}`, { code: 'usage' });
  if (flags.values.has('--every') && !labels) throw new PipewiseError('pipewise monitor: --every sets the quality buckets of --labels FILE: give --labels too', { code: 'usage' });
  const notify = flagValue(flags, '--notify');
  const notifyCmd = flagValue(flags, '--notify-cmd');
  if (notify && notifyCmd) throw new PipewiseError('pipewise monitor: give --notify URL or --notify-cmd CMD, not both', { code: 'usage' });
  const target: AlertTarget | undefined = notify ? { url: checkAlertUrl(notify) } : notifyCmd ? { command: notifyCmd } : undefined;
  const notifySeconds = numberFlag('monitor', flags, '--notify-timeout', 0.1, 600, false);
  const options: MonitorFlags = { ...(labels ? { labels } : {}), every, ...(target ? { target } : {}), ...(notifySeconds !== undefined ? { notifyTimeoutMs: notifySeconds * 1000 } : {}) };

  try {
    return await report(file, { logDir: path.resolve(log), since, until, by, threshold }, json, flagValue(flags, '--out'), options);
  } catch (e) {
    // 1 means "anomalous" to a CI gate: an error (no baseline, an unreadable log, --out not writable) is 2, never 1.
    process.stderr.write(`pipewise: error: ${e instanceof PipewiseError ? e.describe() : errorMessage(e)}\n`);
    return 2;
  }
}

async function report(file: string, window: Omit<MonitorOptions, 'schema' | 'training'>, json: boolean, out: string | undefined, flags: MonitorFlags): Promise<number> {
  const baseline = await latestTrainingBaseline(file);
  const onWarning = (message: string): void => void process.stderr.write(`pipewise monitor: warning: ${message}\n`);
  const config = flags.labels ? await evaluatorConfig(file) : undefined;
  const { windows, quality } = await withConnection(async (conn) => {
    const ws = await monitorRequests(conn, { ...window, schema: baseline.schema, training: baseline.training, onWarning });
    if (!flags.labels) return { windows: ws, quality: undefined };
    const meta = await readLogMeta(window.logDir);
    // Warnings about the log were given once by the pass above.
    const requests = await loggedRequests(conn, meta, { logDir: window.logDir, since: window.since, until: window.until });
    return { windows: ws, quality: await measureQuality(conn, { labelsFile: flags.labels, meta, requests, config, every: flags.every }) };
  });
  const by = window.by;
  if (out) {
    const proto = by ? { anomalyNameFormat: 'SERIALIZED_PATH', anomalyInfo: {}, splits: Object.fromEntries(windows.map((w) => [w.window.from, w.anomaliesProto])) } : windows[0]?.anomaliesProto;
    await writeFileAtomic(path.resolve(out), protoJson(proto));
  }
  const verdict = monitorVerdict(windows, quality);
  const anomalous = verdict.state === 'anomalous';
  if (json) {
    const rows = windows.map(monitorWindowJson);
    // With --by the windows are a list; quality then sits beside them rather than in one window.
    const body = by ? (quality ? { windows: rows, quality } : rows) : { ...rows[0], ...(quality ? { quality } : {}) };
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  } else {
    process.stderr.write(`training: run ${baseline.runId}, split '${baseline.training.name}' (${baseline.training.numExamples} examples)\n`);
    for (const w of windows) {
      const flagged = anomalousFeatures(w);
      process.stdout.write(`${w.window.from} → ${w.window.to}: ${w.requests} requests, ${flagged.length ? `ANOMALOUS: ${flagged.join(', ')}` : 'no anomalies'}\n`);
      for (const f of w.features) process.stdout.write(`  ${f.anomalous ? '✗' : '✓'} ${f.name.padEnd(24)} ${(f.metric ?? '').padEnd(26)} ${fmt(f.distance)} (threshold ${f.threshold})\n`);
      for (const a of w.anomalies) process.stdout.write(`  ! ${a.feature || '(dataset)'}: ${a.type}: ${a.description}\n`);
      if (w.versions.length > 1) {
        for (const v of w.versions) {
          const vf = anomalousFeatures(v);
          process.stdout.write(`  version ${v.version}: ${v.requests} requests, ${vf.length ? `ANOMALOUS: ${vf.join(', ')}` : 'no anomalies'}\n`);
          for (const f of v.features.filter((x) => x.anomalous)) process.stdout.write(`    ✗ ${f.name.padEnd(22)} ${(f.metric ?? '').padEnd(26)} ${fmt(f.distance)} (threshold ${f.threshold})\n`);
        }
      }
    }
    if (quality) printQuality(quality);
  }
  if (flags.target) await notify(file, window.logDir, flags, verdict);
  return anomalous ? 1 : 0;
}

function printQuality(q: QualityReport): void {
  const line = Object.entries(q.thresholds)
    .flatMap(([m, t]) => [t.lower_bound !== undefined ? `${m} ≥ ${t.lower_bound}` : '', t.upper_bound !== undefined ? `${m} ≤ ${t.upper_bound}` : ''])
    .filter(Boolean);
  process.stdout.write(
    `quality from ${q.labelsFile} (label '${q.labelColumn}', id '${q.requestIdColumn}'): ${q.labels} labels, ${q.matched} joined, ${q.unmatchedLabels} with no logged request, ${q.unlabelledRequests} requests without a label yet` +
      `${q.ambiguous ? `, ${q.ambiguous} ambiguous (request id logged twice)` : ''}${q.labelsWithoutId ? `, ${q.labelsWithoutId} label rows without a request id` : ''}\n`,
  );
  process.stdout.write(`  alert line: ${q.evaluator ? `Evaluator '${q.evaluator}'` : 'no Evaluator in the pipeline'}${line.length ? `: ${line.join(', ')}` : ' (no value thresholds: nothing is judged)'}\n`);
  const shown = Object.keys(q.thresholds);
  for (const v of q.versions) {
    const names = shown.length ? shown : Object.keys(v.metrics).slice(0, 4);
    const values = names.map((n) => `${n} ${fmt(v.metrics[n] ?? null)}`).join(', ');
    const failed = v.checks.filter((c) => !c.passed).map((c) => c.message);
    process.stdout.write(`  ${v.passed === false ? '✗' : '✓'} version ${v.version}: ${v.labelled} labelled, ${values}${failed.length ? ` — ${failed.join('; ')}` : ''}\n`);
    for (const b of v.series) process.stdout.write(`      ${b.from} ${b.passed === false ? '✗' : ' '} ${String(b.labelled).padStart(6)} labelled, ${names.map((n) => `${n} ${fmt(b.metrics[n] ?? null)}`).join(', ')}\n`);
  }
}

/** The alert, when the verdict changed since the last one sent to this target; a failure is said, never fatal. */
async function notify(file: string, logDir: string, flags: MonitorFlags, verdict: MonitorVerdict): Promise<void> {
  const target = flags.target as AlertTarget;
  const name = path.basename(file).replace(/\.pipeline\.ya?ml$/, '');
  const build = (previous: MonitorState): AlertPayload => {
    const { state, features, versions, quality } = verdict;
    const text = state === 'anomalous' ? `Pipewise monitor: ${name} is ANOMALOUS (was ok) — ${verdict.summary} (log ${logDir})` : `Pipewise monitor: ${name} is back to ok (was anomalous) (log ${logDir})`;
    return { text, state, previous, pipeline: path.resolve(file), logDir, at: new Date().toISOString(), features, versions, quality };
  };
  const what = 'url' in target ? new URL(target.url).origin : 'the --notify-cmd command';
  try {
    const r = await alertOnChange(logDir, file, target, build, flags.notifyTimeoutMs !== undefined ? { timeoutMs: flags.notifyTimeoutMs } : {});
    if (!r.changed) process.stderr.write(`pipewise monitor: still ${r.state}: no alert sent\n`);
    else if (r.delivered) process.stderr.write(`pipewise monitor: ${r.previous} → ${r.state}: alert sent to ${what}\n`);
    else process.stderr.write(`pipewise monitor: warning: ${r.previous} → ${r.state}: the alert to ${what} failed (${r.failures.join('; ')}); it is tried again at the next run\n`);
    if (r.stateError) process.stderr.write(`pipewise monitor: warning: ${r.stateError}: the alert may be sent again next run\n`);
  } catch (e) {
    process.stderr.write(`pipewise monitor: warning: the alert to ${what} failed: ${errorMessage(e)}\n`);
  }
}
