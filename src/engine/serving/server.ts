/**
 * The model server: TensorFlow Serving's REST API (tensorflow_serving/g3doc/api_rest.md) on a plain
 * `node:http` server, bound to 127.0.0.1 unless told otherwise. One server for the InfraValidator
 * (one fixed model) and for `pipewise serve` (a watched Pusher destination, see versions.ts):
 *
 *   GET  /v1/models/NAME[/versions/V | /labels/L]                 → { model_version_status: [...] }
 *   GET  /v1/models/NAME[/versions/V | /labels/L]/metadata        → { model_spec, metadata: { signature_def } }
 *   POST /v1/models/NAME[/versions/V | /labels/L]:predict         row (`instances`) or columnar (`inputs`)
 *   POST /v1/models/NAME[/versions/V | /labels/L]:classify|:regress  (`examples`)
 *
 * Requests carry raw features; the model applies its saved Transform with the training code.
 * Errors answer `{ "error": "…" }`: 400 for a bad request, 404 for an unknown model or version.
 *
 * Two headers TF Serving does not have (its JSON bodies stay exactly TF Serving's): every answer
 * echoes the request's `X-Request-Id` (or the id generated for it), the key of the canary split and
 * of the request log; every answer from a model says which version answered in `X-Model-Version`.
 * On loopback, requests whose Host header names another host are refused, so a web page cannot
 * reach the server through DNS rebinding.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { errorMessage } from '../../protocol/errors';
import type { AddressInfo } from 'node:net';
import type { Prediction, ServingModel } from '../model/servingModel';
import {
  checkFinite,
  classifyResults,
  columnarOutputs,
  exampleRows,
  HttpError,
  namedOutputs,
  parseBody,
  predictRows,
  regressResults,
  signatureDef,
  type RawRequestRow,
} from './requests';
import { fixedModel, type ModelSource } from './versions';

export { HttpError } from './requests';

export type Verb = 'predict' | 'classify' | 'regress';

/** What one answered request saw, for the request log. */
export interface ServedRequest {
  readonly time: Date;
  /** The client's `X-Request-Id`, or the one generated for the request (echoed back either way). */
  readonly requestId: string;
  readonly verb: Verb;
  /** The version that answered. */
  readonly version: number;
  readonly rows: readonly RawRequestRow[];
  readonly predictions: readonly Prediction[];
}

export interface ModelServerOptions {
  /** The model name in the URL path. */
  readonly name: string;
  /** One fixed model (served as `version`), or … */
  readonly model?: ServingModel;
  readonly version?: string;
  /** … a source of versions (a watched base path). */
  readonly source?: ModelSource;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Largest request body accepted, in bytes (default 8 MiB). */
  readonly maxBodyBytes?: number;
  /** Most instances/examples in one request (default 10,000). */
  readonly maxRows?: number;
  /** Called after each answered prediction request (the request log samples from here). */
  readonly onServed?: (r: ServedRequest) => void;
}

export interface ModelServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** `http://HOST:PORT/v1/models/NAME:predict`. */
  readonly predictUrl: string;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes every connection. */
  close(graceMs?: number): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new HttpError(400, `request body of ${declared} bytes is over the limit of ${limit} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        reject(new HttpError(400, `request body is over the limit of ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

export const REQUEST_ID_HEADER = 'x-request-id';
export const MODEL_VERSION_HEADER = 'x-model-version';

/** Visible ASCII, no spaces or commas (two headers joined by Node read as one bad id): safe in a header, a log and a hash. */
const REQUEST_ID = /^[\x21-\x2b\x2d-\x7e]{1,128}$/;

/** The request's id from `X-Request-Id`, else a fresh UUID; a malformed one is the client's error. */
function requestIdOf(req: http.IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  if (given === undefined) return randomUUID();
  const text = Array.isArray(given) ? given.join(', ') : given;
  if (!REQUEST_ID.test(text)) throw new HttpError(400, `X-Request-Id must be 1 to 128 visible ASCII characters without spaces or commas, got ${JSON.stringify(text.slice(0, 200))}`);
  return text;
}

const ROUTE = /^\/v1\/models\/([^/:]+)(?:\/versions\/([^/:]+)|\/labels\/([^/:]+))?(?:(\/metadata)|:([A-Za-z]+))?$/;

/** A percent-encoded part of the URL path; a malformed escape is the client's error (400). */
function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HttpError(400, `Malformed request: bad percent-escape in '${part.slice(0, 200)}'`);
  }
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1';
}

/** What answering a request needs: the model's name and versions, the limits, the port once bound. */
interface Answering {
  readonly name: string;
  readonly source: ModelSource;
  readonly maxBody: number;
  readonly maxRows: number;
  /** Loopback servers refuse other Host headers (DNS rebinding). */
  readonly checkHost: boolean;
  readonly onServed: ModelServerOptions['onServed'];
  port: number;
}

/** A request's route as TF Serving reads it: model name, version or label, metadata, verb. */
interface Route {
  readonly version: number | undefined;
  readonly label: string | undefined;
  readonly metadata: boolean;
  readonly verb: string | undefined;
}

/** The Host header (on loopback) and the path, checked and parsed; a request for another model is a 404. */
function routeOf(a: Answering, req: http.IncomingMessage): Route {
  if (a.checkHost) {
    const host = (req.headers.host ?? '').toLowerCase();
    if (host !== `127.0.0.1:${a.port}` && host !== `localhost:${a.port}` && host !== `[::1]:${a.port}`) {
      throw new HttpError(403, `host '${host}' refused: the server answers 127.0.0.1:${a.port} only`);
    }
  }
  const pathname = (req.url ?? '/').split('?')[0] as string;
  const m = ROUTE.exec(pathname);
  if (!m) throw new HttpError(404, `Malformed request: ${req.method} ${pathname}`);
  const [, urlName, versionText, labelText, metadata, verbText] = m;
  const modelName = decodePathPart(urlName as string);
  if (modelName !== a.name) throw new HttpError(404, `Servable not found for request: Latest(${modelName})`);
  let version: number | undefined;
  if (versionText !== undefined) {
    if (!/^\d+$/.test(versionText)) throw new HttpError(400, `Failed to convert version: ${versionText} to numeric.`);
    version = Number(versionText);
  }
  return { version, label: labelText === undefined ? undefined : decodePathPart(labelText), metadata: !!metadata, verb: verbText };
}

/** GET of a model's status, or of its metadata (the signature def). */
function answerStatus(a: Answering, req: http.IncomingMessage, res: http.ServerResponse, route: Route): void {
  if (req.method !== 'GET') throw new HttpError(405, `${req.method} is not allowed here: the model status takes GET`);
  const { source, name } = a;
  if (route.metadata) {
    const served = source.acquire(route.version, route.label);
    try {
      res.setHeader(MODEL_VERSION_HEADER, String(served.version));
      send(res, 200, { model_spec: { name, signature_name: '', version: String(served.version) }, metadata: { signature_def: signatureDef(served.model.signature) } });
    } finally {
      served.release();
    }
    return;
  }
  send(res, 200, { model_version_status: source.status(route.label !== undefined ? labelVersion(source, route.label) : route.version) });
}

/** POST of :predict, :classify or :regress: the body checked against the signature, predicted, answered in the request's format. */
async function answerPrediction(a: Answering, req: http.IncomingMessage, res: http.ServerResponse, route: Route, verbText: string, requestId: string): Promise<void> {
  if (verbText !== 'predict' && verbText !== 'classify' && verbText !== 'regress') throw new HttpError(404, `Malformed request: unknown verb :${verbText} (:predict, :classify, :regress)`);
  if (req.method !== 'POST') throw new HttpError(405, `${req.method} is not allowed here: :${verbText} takes POST`);
  const body = parseBody(await readBody(req, a.maxBody));
  const served = a.source.acquire(route.version, route.label, requestId);
  try {
    res.setHeader(MODEL_VERSION_HEADER, String(served.version));
    const signature = served.model.signature;
    if (body.signature_name !== undefined && body.signature_name !== '' && typeof body.signature_name === 'string') {
      const known = verbText === 'predict' ? ['serving_default'] : [signature.task === 'regression' ? 'regression' : 'classification', 'serving_default'];
      if (!known.includes(body.signature_name)) throw new HttpError(400, `Serving signature name: "${body.signature_name}" not found in signature def`);
    }
    // A verb the model cannot answer is refused before anything else.
    if (verbText === 'classify') classifyResults(signature, []);
    if (verbText === 'regress') regressResults(signature, []);
    const predictFormat = verbText === 'predict' ? predictRows(signature, body, a.maxRows) : undefined;
    const rows = predictFormat ? predictFormat.rows : exampleRows(signature, body, a.maxRows);
    let predictions: Prediction[];
    try {
      predictions = await served.model.predict(rows);
    } catch (e) {
      throw new HttpError(400, `prediction failed: ${errorMessage(e)}`);
    }
    checkFinite(predictions, predictFormat?.format === 'columnar' ? 'inputs' : predictFormat ? 'instances' : 'examples');
    if (predictFormat?.format === 'row') send(res, 200, { predictions: predictions.map((p) => namedOutputs(signature, p)) });
    else if (predictFormat) send(res, 200, { outputs: columnarOutputs(signature, predictions) });
    else if (verbText === 'classify') send(res, 200, { results: classifyResults(signature, predictions) });
    else send(res, 200, { results: regressResults(signature, predictions) });
    a.onServed?.({ time: new Date(), requestId, verb: verbText, version: served.version, rows, predictions });
  } finally {
    served.release();
  }
}

export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  const { name } = options;
  if (!options.source && !options.model) throw new Error('startModelServer needs a model or a source');
  const source: ModelSource = options.source ?? fixedModel(name, options.model as ServingModel, Number(options.version ?? '1'));
  const bindHost = options.host ?? '127.0.0.1';
  const answering: Answering = {
    name,
    source,
    maxBody: options.maxBodyBytes ?? 8 * 1024 * 1024,
    maxRows: options.maxRows ?? 10_000,
    checkHost: isLoopback(bindHost),
    onServed: options.onServed,
    port: 0,
  };
  let inflight = 0;
  let drained: (() => void) | undefined;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const requestId = requestIdOf(req);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const route = routeOf(answering, req);
    if (route.verb === undefined) answerStatus(answering, req, res, route);
    else await answerPrediction(answering, req, res, route, route.verb, requestId);
  }

  const server = http.createServer((req, res) => {
    inflight++;
    handle(req, res)
      .catch((e: unknown) => {
        // A body nested deeper than the stack anywhere past parsing is the client's doing, not a fault of the server.
        const tooDeep = e instanceof RangeError && /call stack/i.test(e.message);
        const status = e instanceof HttpError ? e.status : tooDeep ? 400 : 500;
        if (!res.headersSent) send(res, status, { error: tooDeep ? 'JSON Value: the request body is nested too deeply' : errorMessage(e) });
        else res.destroy();
      })
      .finally(() => {
        inflight--;
        if (inflight === 0) drained?.();
      });
  });
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bindHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  answering.port = port;
  const urlHost = bindHost.includes(':') ? `[${bindHost}]` : bindHost;
  const url = `http://${urlHost}:${port}`;
  return {
    url,
    host: bindHost,
    port,
    predictUrl: `${url}/v1/models/${encodeURIComponent(name)}:predict`,
    close: async (graceMs = 10_000) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inflight > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, graceMs).unref();
        });
      }
      server.closeAllConnections();
      await closed;
      if (options.source) await source.close();
    },
  };
}

/** The version a label names (404 when none). */
function labelVersion(source: ModelSource, label: string): number {
  const served = source.acquire(undefined, label);
  served.release();
  return served.version;
}
