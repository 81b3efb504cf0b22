/**
 * The request log of `pipewise serve --log-dir`: a sample of answered requests (raw features,
 * predictions, model version, time), appended to a segment file and turned into Parquet files of a
 * fixed row count.
 *
 * - Every answered row becomes one line of newline-delimited JSON in memory; every `flushMs`
 *   (200 ms) the lines are appended to the current segment, `requests-<time>-<pid>-<n>.jsonl`.
 *   An append writes only the new lines (nothing is rewritten), and once `write(2)` returns the
 *   bytes are the kernel's: a SIGKILL loses only what was answered since the last flush.
 * - A segment holds exactly `rotateRows` rows (or what `rotateMs` let in); then it is sealed and
 *   converted, in the background, to `requests-<same name>.parquet` (temporary file + rename, then
 *   the segment is removed). A reader takes the Parquet file when both exist, so a crash between
 *   the two loses or doubles nothing; a segment a killed server left is converted at the next start.
 * - Backlog: at most `maxBacklogRows` rows wait in memory. Past that new rows are shed (the
 *   server's answers are never held up by its log): counted, reported on stderr and in log.json.
 * - A failed write (full or read-only folder) keeps its rows in the backlog and is retried at the
 *   next flush and at close, whether or not new requests arrive.
 *
 * `log.json` beside the files says what the columns are. Feature columns keep their names; the
 * log's own columns start with `__`. Readers go through `logFiles` and `logFileRelation`.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ModelSignature } from '../model/servingModel';
import { errorMessage } from '../../protocol/errors';
import { duckdbInstance, quoteIdent, quoteLiteral } from '../duckdb';
import { writeError, writeFileAtomic } from '../store';
import type { ServedRequest } from './server';

export const LOG_META_FILE = 'log.json';
/** The log's own columns (everything else is a raw feature). */
export const LOG_COLUMNS = {
  time: '__time',
  version: '__model_version',
  verb: '__verb',
  /** `ServedRequest.requestId`: what delayed labels join on (absent from logs written before it existed: read as NULL). */
  requestId: '__request_id',
  /** The row's place in its request (0-based): a request of several instances logs one row each. */
  instance: '__instance',
  prediction: '__prediction',
  scores: '__scores',
} as const;

/** Defaults, as the README documents them. */
export const LOG_DEFAULTS = { flushMs: 200, rotateRows: 50_000, rotateMs: 10 * 60_000, maxBacklogRows: 200_000 } as const;

/** A finished log file, and a segment still (or, after a crash, last) appended to. */
const FINISHED = /^requests-.*\.parquet$/;
const SEGMENT = /^requests-.*\.jsonl$/;

/** Whether a file name in a log folder holds logged requests (what readers and fingerprints look at). */
export function isLogDataFile(name: string): boolean {
  return FINISHED.test(name) || SEGMENT.test(name);
}

/** log.json: what the request log holds. */
export interface RequestLogMeta {
  readonly model: string;
  readonly inputs: ModelSignature['inputs'];
  /** The label the model predicts: in the training data, never in requests (TFDV's SERVING environment). */
  readonly label: string;
  readonly task: ModelSignature['task'];
  readonly classes?: readonly string[];
  readonly sample: number;
  /** Rows shed because the backlog was full, since this server started (absent when none). */
  readonly shedRows?: number;
  /** Rows given up on at close because their write kept failing (absent when none). */
  readonly lostRows?: number;
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
  /** Most rows waiting to be written; past it rows are shed (default 200,000). */
  readonly maxBacklogRows?: number;
  readonly random?: () => number;
  /** A write failed, rows were shed, or writing works again: one line for the operator. */
  readonly onError?: (e: Error) => void;
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('.', '-').replace('Z', '');
}

/** Strings as the log keeps them: a NUL (which some readers stop at) becomes U+FFFD. */
function text(v: string | number | null | undefined): string | null {
  return v === null || v === undefined ? null : String(v).replace(/\0/g, '\uFFFD');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The segments and finished files of a log folder (absolute paths, oldest first). */
export async function logFiles(dir: string): Promise<{ finished: string[]; segments: string[] }> {
  const names = (await fs.readdir(dir)).sort();
  const finished = names.filter((f) => FINISHED.test(f));
  const done = new Set(finished.map((f) => f.replace(/\.parquet$/, '')));
  const segments = names.filter((f) => SEGMENT.test(f) && !done.has(f.replace(/\.jsonl$/, '')));
  return { finished: finished.map((f) => path.join(dir, f)), segments: segments.map((f) => path.join(dir, f)) };
}

function columnTypes(meta: Pick<RequestLogMeta, 'inputs' | 'task'>): [string, string][] {
  return [
    [LOG_COLUMNS.time, 'TIMESTAMP'],
    [LOG_COLUMNS.version, 'BIGINT'],
    [LOG_COLUMNS.verb, 'VARCHAR'],
    [LOG_COLUMNS.requestId, 'VARCHAR'],
    [LOG_COLUMNS.instance, 'BIGINT'],
    ...meta.inputs.map((i): [string, string] => [i.name, i.type === 'number' ? 'DOUBLE' : 'VARCHAR']),
    [LOG_COLUMNS.prediction, meta.task === 'regression' ? 'DOUBLE' : 'VARCHAR'],
    [LOG_COLUMNS.scores, 'DOUBLE[]'],
  ];
}

/**
 * One log file as a DuckDB relation with the log's columns. A segment's time is microseconds since
 * the epoch; a line torn by a kill in the middle of a write has no time and is left out.
 */
export function logFileRelation(file: string, meta: Pick<RequestLogMeta, 'inputs' | 'task'>): string {
  if (file.endsWith('.parquet')) return `read_parquet(${quoteLiteral(file)})`;
  const types = columnTypes(meta);
  const columns = types.map(([name, type]) => `${quoteLiteral(name)}: ${quoteLiteral(name === LOG_COLUMNS.time ? 'BIGINT' : type)}`).join(', ');
  const select = types.map(([name]) => (name === LOG_COLUMNS.time ? `make_timestamp(${quoteIdent(name)}) AS ${quoteIdent(name)}` : quoteIdent(name))).join(', ');
  return `(SELECT ${select} FROM read_json(${quoteLiteral(file)}, format = 'newline_delimited', ignore_errors = true, columns = {${columns}}) WHERE ${quoteIdent(LOG_COLUMNS.time)} IS NOT NULL)`;
}

interface Segment {
  readonly file: string;
  readonly handle: fs.FileHandle;
  readonly started: number;
  rows: number;
  /** Bytes of whole lines written; a failed append is cut back to here before the retry. */
  bytes: number;
  torn: boolean;
}

export class RequestLog {
  /** Lines answered but not yet written, oldest first (new ones and ones whose write failed). */
  private backlog: string[] = [];
  private segment: Segment | undefined;
  /** Full segments waiting for (or failing) their conversion to Parquet. */
  private readonly sealed: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private converting: Promise<void> | undefined;
  private seq = 0;
  private shed = 0;
  private shedReported = 0;
  private failing = false;
  private readonly sample: number;
  private readonly rotateRows: number;
  private readonly rotateMs: number;
  private readonly maxBacklog: number;
  private readonly inputs: ModelSignature['inputs'];

  private constructor(private readonly options: RequestLogOptions) {
    this.sample = options.sample ?? 1;
    this.rotateRows = options.rotateRows ?? LOG_DEFAULTS.rotateRows;
    this.rotateMs = options.rotateMs ?? LOG_DEFAULTS.rotateMs;
    this.maxBacklog = options.maxBacklogRows ?? LOG_DEFAULTS.maxBacklogRows;
    this.inputs = options.signature.inputs;
  }

  /** Opens the log: fails here, naming the folder, when it cannot be written. */
  static async open(options: RequestLogOptions): Promise<RequestLog> {
    const sample = options.sample ?? 1;
    if (!(sample >= 0 && sample <= 1)) throw new Error(`--log-sample must be between 0 and 1, got ${sample}`);
    const log = new RequestLog(options);
    try {
      await fs.mkdir(options.dir, { recursive: true });
      await log.writeMeta();
      await log.openSegment();
    } catch (e) {
      throw writeError(e, options.dir);
    }
    await log.recover();
    log.timer = setInterval(() => void log.flush(), options.flushMs ?? LOG_DEFAULTS.flushMs);
    log.timer.unref();
    return log;
  }

  private meta(): RequestLogMeta {
    const s = this.options.signature;
    return { model: this.options.model, inputs: s.inputs, label: s.label, task: s.task, ...(s.classes ? { classes: s.classes } : {}), sample: this.sample, ...(this.shed ? { shedRows: this.shed } : {}) };
  }

  private async writeMeta(extra: Partial<RequestLogMeta> = {}): Promise<void> {
    await writeFileAtomic(path.join(this.options.dir, LOG_META_FILE), JSON.stringify({ ...this.meta(), ...extra }, null, 1));
  }

  /**
   * What a killed server left: temporary Parquet files are dropped, and its segments are converted
   * (a segment of a server still running, in the same folder, is its own).
   */
  private async recover(): Promise<void> {
    const pidOf = (f: string): number => Number(/^\.?requests-[0-9T]+-\d+-(\d+)-/.exec(f)?.[1]);
    for (const f of await fs.readdir(this.options.dir)) {
      const pid = pidOf(f);
      if (pid === process.pid || isAlive(pid)) continue;
      if (/^\.requests-.*\.tmp$/.test(f)) await fs.rm(path.join(this.options.dir, f), { force: true }).catch(() => undefined);
    }
    const { segments } = await logFiles(this.options.dir);
    for (const s of segments) if (!isAlive(pidOf(path.basename(s)))) this.sealed.push(s);
    // Segments whose Parquet file was written before the kill removed them.
    const names = new Set(await fs.readdir(this.options.dir));
    for (const f of names) if (SEGMENT.test(f) && names.has(f.replace(/\.jsonl$/, '.parquet')) && !isAlive(pidOf(f))) await fs.rm(path.join(this.options.dir, f), { force: true }).catch(() => undefined);
    this.convert();
  }

  private async openSegment(): Promise<Segment> {
    const now = new Date();
    const file = path.join(this.options.dir, `requests-${stamp(now)}-${process.pid}-${String(this.seq++).padStart(6, '0')}.jsonl`);
    const handle = await fs.open(file, 'a');
    this.segment = { file, handle, started: now.getTime(), rows: 0, bytes: 0, torn: false };
    return this.segment;
  }

  /** Samples one answered request into the backlog (written within `flushMs`). */
  record(r: ServedRequest): void {
    if (this.sample < 1 && (this.options.random ?? Math.random)() >= this.sample) return;
    const time = r.time.getTime() * 1000;
    for (const [i, row] of r.rows.entries()) {
      if (this.backlog.length >= this.maxBacklog) {
        this.shed += r.rows.length - i;
        return;
      }
      const p = r.predictions[i];
      const scores = p?.scores ?? (p?.score !== undefined ? [1 - p.score, p.score] : null);
      const line: Record<string, unknown> = { [LOG_COLUMNS.time]: time, [LOG_COLUMNS.version]: r.version, [LOG_COLUMNS.verb]: r.verb, [LOG_COLUMNS.requestId]: text(r.requestId), [LOG_COLUMNS.instance]: i };
      for (const input of this.inputs) {
        const v = row[input.name];
        line[input.name] = input.type === 'number' ? (typeof v === 'number' && Number.isFinite(v) ? v : null) : text(v);
      }
      const prediction = p?.prediction;
      line[LOG_COLUMNS.prediction] = this.options.signature.task === 'regression' ? (typeof prediction === 'number' ? prediction : null) : text(prediction);
      line[LOG_COLUMNS.scores] = scores;
      this.backlog.push(JSON.stringify(line));
    }
  }

  /** Writes the backlog (one flush at a time: a tick during a slow write waits for the next). */
  flush(): Promise<void> {
    this.flushing ??= this.flushOnce()
      .then(() => this.recovered())
      .catch((e: unknown) => this.failed(e))
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  private failed(e: unknown): void {
    // One line when writing starts to fail, not one per flush.
    if (!this.failing) this.options.onError?.(new Error(`cannot write to ${this.options.dir}: ${errorMessage(e)}; ${this.backlog.length} rows wait and are retried`));
    this.failing = true;
  }

  private recovered(): void {
    if (this.failing) this.options.onError?.(new Error(`writing to ${this.options.dir} works again: the rows that waited are written`));
    this.failing = false;
    if (this.shed > this.shedReported) {
      this.options.onError?.(new Error(`the backlog was full (${this.maxBacklog} rows): ${this.shed - this.shedReported} rows were shed from the log (${this.shed} since start)`));
      this.shedReported = this.shed;
      void this.writeMeta().catch(() => undefined);
    }
  }

  private async flushOnce(): Promise<void> {
    if (this.segment && this.segment.rows > 0 && Date.now() - this.segment.started >= this.rotateMs) await this.seal();
    while (this.backlog.length > 0) {
      const segment = this.segment ?? (await this.openSegment());
      if (segment.torn) {
        // A failed append may have left part of its lines: cut back to the last whole line.
        await segment.handle.truncate(segment.bytes);
        segment.torn = false;
      }
      const n = Math.min(this.backlog.length, this.rotateRows - segment.rows);
      const data = Buffer.from(`${this.backlog.slice(0, n).join('\n')}\n`);
      try {
        let off = 0;
        while (off < data.length) off += (await segment.handle.write(data, off, data.length - off, segment.bytes + off)).bytesWritten;
      } catch (e) {
        segment.torn = true;
        throw writeError(e, segment.file);
      }
      this.backlog = this.backlog.slice(n);
      segment.rows += n;
      segment.bytes += data.length;
      if (segment.rows >= this.rotateRows) await this.seal();
    }
  }

  /** Closes the current segment and queues it for Parquet; the next row opens a new one. */
  private async seal(): Promise<void> {
    const segment = this.segment;
    if (!segment) return;
    this.segment = undefined;
    await segment.handle.close().catch(() => undefined);
    if (segment.rows === 0) await fs.rm(segment.file, { force: true }).catch(() => undefined);
    else {
      this.sealed.push(segment.file);
      this.convert();
    }
  }

  /** Converts the sealed segments to Parquet, one after the other, beside the appends. */
  private convert(): Promise<void> {
    this.converting ??= (async () => {
      const conn = await (await duckdbInstance()).connect();
      try {
        for (let i = 0; i < this.sealed.length; ) {
          const segment = this.sealed[i] as string;
          try {
            await this.toParquet(conn, segment);
            this.sealed.splice(i, 1);
          } catch (e) {
            // Readers read the segment meanwhile; the conversion is tried again at the next seal and at close.
            this.failed(e);
            i++;
          }
        }
      } finally {
        conn.closeSync();
      }
    })().finally(() => {
      this.converting = undefined;
    });
    return this.converting;
  }

  private async toParquet(conn: DuckDBConnection, segment: string): Promise<void> {
    const finished = segment.replace(/\.jsonl$/, '.parquet');
    const tmp = path.join(path.dirname(segment), `.${path.basename(finished)}.${randomBytes(3).toString('hex')}.tmp`);
    try {
      await conn.run(`COPY (SELECT * FROM ${logFileRelation(segment, this.options.signature)}) TO ${quoteLiteral(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
      await fs.rename(tmp, finished);
    } catch (e) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw writeError(e, finished);
    }
    await fs.rm(segment, { force: true });
  }

  /**
   * Writes the backlog, failed rows included (even when no request came since), turns every
   * segment into Parquet and lets go of the files. Rows that still cannot be written are reported.
   */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flushing;
    // Rows whose write failed are tried again now, new requests or not (a few times: a full disk may be freed).
    for (let attempt = 0; attempt < 3; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 500));
      await this.flush();
      if (this.backlog.length === 0) break;
    }
    await this.seal().catch(() => undefined);
    await this.converting;
    if (this.sealed.length) await this.convert();
    const lost = this.backlog.length;
    if (lost) {
      this.options.onError?.(new Error(`${lost} answered rows could not be written to ${this.options.dir} and are lost`));
      await this.writeMeta({ lostRows: lost }).catch(() => undefined);
    }
    if (this.sealed.length) this.options.onError?.(new Error(`${this.sealed.length} log segment(s) stay newline-delimited JSON (readers take them as they are): ${this.sealed.join(', ')}`));
  }
}
