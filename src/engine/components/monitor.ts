/**
 * Monitor: src/engine/monitoring inside a pipeline. Reads the request log named by `log_dir`,
 * writes the requests' statistics and their anomalies (schema and training/serving skew) as
 * artifacts, with lineage to the schema and training statistics they were compared with.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { Monitor } from '../../core/components/monitoringComponents';
import { PipewiseError } from '../../core/errors';
import { protoJson } from '../../core/tfdv';
import type { ComponentExecutor } from '../component';
import { withConnection } from '../duckdb';
import { anomalousFeatures, monitorRequests } from '../monitoring/monitor';
import { isLogDataFile, LOG_META_FILE } from '../serving/requestLog';
import { writeFileAtomic } from '../store';
import { ANOMALIES_FILE } from './exampleValidator';
import { readSchema, readStatistics } from './schemaGen';
import { STATISTICS_FILE } from './statisticsGen';

export type MonitorParams = z.output<typeof Monitor.params>;

function date(text: string | undefined, param: string): Date | undefined {
  if (text === undefined) return undefined;
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new PipewiseError(`parameter '${param}': ${JSON.stringify(text)} is not an ISO date or time`, { code: 'bad-date' });
  return d;
}

export const monitor: ComponentExecutor<MonitorParams> = {
  name: 'Monitor',

  async run(ctx) {
    const schemaRef = ctx.inputs.schema;
    const statsRef = ctx.inputs.statistics;
    if (!schemaRef || !statsRef) throw new Error('Monitor: missing `schema`/`statistics` input');
    const logDir = ctx.resolvePath(ctx.params.log_dir, 'log_dir');
    const list = await readStatistics(statsRef.uri);
    const training = list.datasets.find((d) => d.name === ctx.params.split);
    if (!training) throw new PipewiseError(`parameter 'split': no split '${ctx.params.split}' in ${statsRef.uri} (splits: ${list.datasets.map((d) => d.name).join(', ')})`, { code: 'unknown-split' });
    const schema = await readSchema(schemaRef.uri);
    if (!existsSync(path.join(logDir, LOG_META_FILE))) {
      // No server has logged here yet (the first run of a pipeline that monitors itself).
      ctx.log('warn', `no request log in ${logDir} yet: nothing to monitor`);
      await writeFileAtomic(path.join(ctx.outputs.statistics as string, STATISTICS_FILE), protoJson({ datasets: [{ name: 'serving', numExamples: 0, features: [] }] }));
      await writeFileAtomic(path.join(ctx.outputs.anomalies as string, ANOMALIES_FILE), protoJson({ anomalyNameFormat: 'SERIALIZED_PATH', anomalyInfo: {}, dataMissing: true }));
      ctx.setProperties('anomalies', { requests: 0, features: [] });
      return;
    }
    const [w] = await withConnection(
      (conn) =>
        monitorRequests(conn, {
          logDir,
          schema,
          training,
          since: date(ctx.params.since, 'since'),
          until: date(ctx.params.until, 'until'),
          threshold: ctx.params.threshold,
          signal: ctx.signal,
          onWarning: (message) => ctx.log('warn', message),
        }),
      ctx.signal,
    );
    if (!w) throw new Error('Monitor: no window');
    await writeFileAtomic(path.join(ctx.outputs.statistics as string, STATISTICS_FILE), protoJson({ datasets: [w.statistics] }));
    await writeFileAtomic(path.join(ctx.outputs.anomalies as string, ANOMALIES_FILE), protoJson(w.anomaliesProto));
    const flagged = anomalousFeatures(w);
    ctx.setProperties('statistics', { splits: ['serving'], numExamples: { serving: w.requests }, window: w.window });
    ctx.setProperties('anomalies', { window: w.window, requests: w.requests, features: flagged, skew: w.features });
    for (const f of w.features) ctx.log('info', `skew of '${f.name}': ${f.metric ?? 'not measured'} ${f.distance ?? '—'} (threshold ${f.threshold})`);
    if (w.requests === 0) ctx.log('warn', `no logged requests in ${logDir}${ctx.params.since || ctx.params.until ? ' in the window' : ''}`);
    if (flagged.length) ctx.log('warn', `anomalous: ${flagged.join(', ')}`);
    if (ctx.params.fail_on_error && flagged.length) throw new PipewiseError(`the served requests are anomalous (fail_on_error is set): ${flagged.join(', ')}`, { code: 'anomalies' });
  },

  /** The log files (names, sizes, times): new requests run the stage again. */
  async externalFingerprint(params, resolvePath) {
    const dir = resolvePath(params.log_dir, 'log_dir');
    const h = createHash('sha256');
    const names = (await fs.readdir(dir).catch(() => [])).filter((f) => isLogDataFile(f) || f === LOG_META_FILE).sort();
    for (const f of names) {
      const st = await fs.stat(path.join(dir, f));
      h.update(`${f}\0${st.size}\0${st.mtimeMs}\0`);
    }
    return h.digest('hex');
  },
};
