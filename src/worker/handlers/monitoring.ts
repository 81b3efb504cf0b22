/**
 * The monitoring panel's request (src/protocol/monitoring.ts): the engine's monitor
 * (src/engine/monitoring) on the pipeline's latest training baseline, once over the whole log and
 * once per hour or day — the same functions, hence the same numbers, as `pipewise monitor --json`.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { ResponseError, type CancellationToken, type MessageConnection } from 'vscode-jsonrpc/node';
import { CancelledError } from '../../core/errors';
import { withConnection } from '../../engine/duckdb';
import { monitorVerdict } from '../../engine/monitoring/alerts';
import { loggedRequests, monitorRequests, monitorWindowJson, readLogMeta } from '../../engine/monitoring/monitor';
import { evaluatorConfig, measureQuality } from '../../engine/monitoring/quality';
import { latestTrainingBaseline } from '../../engine/monitoring/trainingBaseline';
import { LOG_META_FILE } from '../../engine/serving/requestLog';
import { MonitorRequests, type MonitorParams, type MonitorResult } from '../../protocol/monitoring';

/** A labels file dropped into the log folder under one of these names is used without being chosen. */
export const LABEL_FILE_NAMES = ['labels.csv', 'labels.parquet'] as const;

export async function monitorLog(params: MonitorParams, signal?: AbortSignal): Promise<MonitorResult> {
  const logDir = path.resolve(params.logDir);
  if (!existsSync(logDir)) return { kind: 'empty', message: `No request log at ${logDir} yet: start \`pipewise serve\` with --log-dir ${logDir} and send it requests.` };
  if (!existsSync(path.join(logDir, LOG_META_FILE))) {
    const entries = await fs.readdir(logDir);
    return {
      kind: 'empty',
      message: entries.length
        ? `${logDir} is not a request log of pipewise serve (no ${LOG_META_FILE}): choose the folder given to --log-dir.`
        : `${logDir} is empty: no request has been logged yet.`,
    };
  }
  const baseline = await latestTrainingBaseline(params.pipelineFile);
  // The monitor warns once per pass, and there are two passes (overall, per window): each notice once.
  const notices = new Set<string>();
  const options = { logDir, schema: baseline.schema, training: baseline.training, onWarning: (m: string) => notices.add(m), ...(signal ? { signal } : {}) };
  const labelsFile = params.labelsFile ?? LABEL_FILE_NAMES.map((n) => path.join(logDir, n)).find((f) => existsSync(f));
  const config = labelsFile ? await evaluatorConfig(params.pipelineFile) : undefined;
  return withConnection(async (conn): Promise<MonitorResult> => {
    const [overall] = await monitorRequests(conn, options);
    if (!overall || overall.requests === 0) return { kind: 'empty', message: `No request logged in ${logDir} yet.` };
    const windows = await monitorRequests(conn, { ...options, by: params.by });
    // Quality buckets follow the panel's by hour / by day, as --every follows --by in the CLI.
    const meta = labelsFile ? await readLogMeta(logDir) : undefined;
    const quality = labelsFile && meta ? await measureQuality(conn, { labelsFile, meta, requests: await loggedRequests(conn, meta, { logDir }), config, every: params.by }) : undefined;
    const verdict = monitorVerdict([overall], quality);
    return {
      kind: 'report',
      runId: baseline.runId,
      overall: monitorWindowJson(overall),
      windows: windows.map(monitorWindowJson),
      by: params.by,
      training: baseline.training,
      serving: overall.statistics,
      notices: [...notices],
      ...(quality ? { quality } : {}),
      anomalous: verdict.state === 'anomalous',
      summary: verdict.summary,
    };
  }, signal);
}

export function registerMonitoringHandlers(connection: MessageConnection): void {
  connection.onRequest(MonitorRequests, async (params: MonitorParams, token: CancellationToken) => {
    const ac = new AbortController();
    const sub = token.onCancellationRequested(() => ac.abort());
    if (token.isCancellationRequested) ac.abort();
    try {
      return await monitorLog(params, ac.signal);
    } catch (e) {
      if (e instanceof CancelledError || ac.signal.aborted) throw new ResponseError(-32800, 'cancelled');
      throw e;
    } finally {
      sub.dispose();
    }
  });
}
