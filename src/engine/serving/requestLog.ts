/**
 * The request log of `pipewise serve --log-dir`: a sample of answered requests (raw features,
 * predictions, model version, time) kept in a DuckDB table and written to rotating Parquet files.
 *
 * Every second the current file is rewritten from the table to a hidden temporary file and renamed
 * over it, so a file on disk is always a whole Parquet file and a killed server loses at most the
 * last second; once a file holds `rotateRows` rows or is `rotateMs` old, the next rows go to a new
 * file and the finished one is never touched again. `log.json` beside the files says what the
 * columns are. Feature columns keep their names; the log's own columns start with `__`.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ModelSignature } from '../model/servingModel';
import { duckdbInstance, quoteIdent, quoteLiteral } from '../duckdb';
import { writeFileAtomic } from '../store';
import type { ServedRequest } from './server';

export const LOG_META_FILE = 'log.json';
/** The log's own columns (everything else is a raw feature). */
export const LOG_COLUMNS = { time: '__time', version: '__model_version', verb: '__verb', prediction: '__prediction', scores: '__scores' } as const;

/** log.json: what the request log holds. */
export interface RequestLogMeta {
  readonly model: string;
  readonly inputs: ModelSignature['inputs'];
  /** The label the model predicts: in the training data, never in requests (TFDV's SERVING environment). */
  readonly label: string;
  readonly task: ModelSignature['task'];
  readonly classes?: readonly string[];
  readonly sample: number;
}

export interface RequestLogOptions {
  readonly dir: string;
  readonly model: string;
  readonly signature: ModelSignature;
  /** Fraction of requests logged, 0–1 (default 1). */
  readonly sample?: number;
  readonly flushMs?: number;
  readonly rotateRows?: number;
  readonly rotateMs?: number;
  readonly random?: () => number;
  readonly onError?: (e: Error) => void;
}

function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'NULL';
  return quoteLiteral(String(v).replace(/\0/g, '\uFFFD'));
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('.', '-').replace('Z', '');
}

export class RequestLog {
  private buffer: string[] = [];
  private rowsInFile = 0;
  private fileStarted = 0;
  private file = '';
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly table = `request_log_${randomBytes(4).toString('hex')}`;
  private readonly sample: number;
  private readonly inputs: ModelSignature['inputs'];

  private constructor(
    private readonly options: RequestLogOptions,
    private readonly conn: DuckDBConnection,
  ) {
    this.sample = options.sample ?? 1;
    this.inputs = options.signature.inputs;
  }

  static async open(options: RequestLogOptions): Promise<RequestLog> {
    const sample = options.sample ?? 1;
    if (!(sample >= 0 && sample <= 1)) throw new Error(`--log-sample must be between 0 and 1, got ${sample}`);
    await fs.mkdir(options.dir, { recursive: true });
    // Temporary files a killed server left behind are never whole: drop them.
    for (const f of await fs.readdir(options.dir)) if (/^\.requests-.*\.tmp$/.test(f)) await fs.rm(path.join(options.dir, f), { force: true });
    const conn = await (await duckdbInstance()).connect();
    const log = new RequestLog(options, conn);
    await log.writeMeta();
    const cols = [
      `${quoteIdent(LOG_COLUMNS.time)} TIMESTAMP`,
      `${quoteIdent(LOG_COLUMNS.version)} BIGINT`,
      `${quoteIdent(LOG_COLUMNS.verb)} VARCHAR`,
      ...options.signature.inputs.map((i) => `${quoteIdent(i.name)} ${i.type === 'number' ? 'DOUBLE' : 'VARCHAR'}`),
      `${quoteIdent(LOG_COLUMNS.prediction)} ${options.signature.task === 'regression' ? 'DOUBLE' : 'VARCHAR'}`,
      `${quoteIdent(LOG_COLUMNS.scores)} DOUBLE[]`,
    ];
    await conn.run(`CREATE TEMP TABLE ${quoteIdent(log.table)} (${cols.join(', ')})`);
    log.newFile();
    log.timer = setInterval(() => void log.flush(), options.flushMs ?? 1000);
    log.timer.unref();
    return log;
  }

  private async writeMeta(): Promise<void> {
    const s = this.options.signature;
    const meta: RequestLogMeta = { model: this.options.model, inputs: s.inputs, label: s.label, task: s.task, ...(s.classes ? { classes: s.classes } : {}), sample: this.sample };
    await writeFileAtomic(path.join(this.options.dir, LOG_META_FILE), JSON.stringify(meta, null, 1));
  }

  private newFile(): void {
    const now = new Date();
    this.file = path.join(this.options.dir, `requests-${stamp(now)}-${process.pid}-${randomBytes(2).toString('hex')}.parquet`);
    this.fileStarted = now.getTime();
    this.rowsInFile = 0;
  }

  /** Samples one answered request into the buffer (written within a second). */
  record(r: ServedRequest): void {
    if (this.sample < 1 && (this.options.random ?? Math.random)() >= this.sample) return;
    const t = `make_timestamp(${r.time.getTime() * 1000})`;
    r.rows.forEach((row, i) => {
      const p = r.predictions[i];
      const scores = p?.scores ?? (p?.score !== undefined ? [1 - p.score, p.score] : undefined);
      const values = [t, String(r.version), literal(r.verb), ...this.inputs.map((input) => literal(row[input.name])), literal(p?.prediction), scores ? `[${scores.map(literal).join(', ')}]::DOUBLE[]` : 'NULL'];
      this.buffer.push(`(${values.join(', ')})`);
    });
  }

  /** Writes what is buffered (serialized with other flushes). */
  flush(): Promise<void> {
    this.chain = this.chain.then(() => this.flushOnce()).catch((e: unknown) => this.options.onError?.(e as Error));
    return this.chain;
  }

  private async flushOnce(): Promise<void> {
    if (this.buffer.length === 0) return;
    const rows = this.buffer;
    this.buffer = [];
    const table = quoteIdent(this.table);
    for (let i = 0; i < rows.length; i += 1000) await this.conn.run(`INSERT INTO ${table} VALUES ${rows.slice(i, i + 1000).join(', ')}`);
    this.rowsInFile += rows.length;
    const tmp = path.join(this.options.dir, `.${path.basename(this.file)}.${randomBytes(3).toString('hex')}.tmp`);
    try {
      await this.conn.run(`COPY ${table} TO ${quoteLiteral(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
      await fs.rename(tmp, this.file);
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw e;
    }
    if (this.rowsInFile >= (this.options.rotateRows ?? 50_000) || Date.now() - this.fileStarted >= (this.options.rotateMs ?? 10 * 60_000)) {
      await this.conn.run(`DELETE FROM ${table}`);
      this.newFile();
    }
  }

  /** Flushes the rest and lets go of DuckDB. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    await this.conn.run(`DROP TABLE IF EXISTS ${quoteIdent(this.table)}`).catch(() => undefined);
    this.conn.closeSync();
  }
}
