/**
 * A small model server with TensorFlow Serving's REST shape, bound to 127.0.0.1 only:
 *
 *   GET  /v1/models/<name>             → { model_version_status: [{ version, state: "AVAILABLE", status }] }
 *   GET  /v1/models/<name>/metadata    → { model_spec, metadata: { signature_def: <signature.json> } }
 *   POST /v1/models/<name>:predict     { instances: [ {feature: value} ] } → { predictions: [ {score|scores, prediction} ] }
 *
 * Each prediction is an object of named outputs, the row format TF Serving uses for models with
 * several outputs. Errors answer `{ error }` with a 4xx/5xx status, as TF Serving does. Requests
 * whose Host header is not this loopback address are refused, so a web page cannot reach the
 * server through DNS rebinding.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Prediction, ServingModel } from '../model/servingModel';

export interface ModelServerOptions {
  /** The model name in the URL path. */
  readonly name: string;
  readonly model: ServingModel;
  /** The version reported by the status endpoint. */
  readonly version?: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Largest request body accepted, in bytes. */
  readonly maxBodyBytes?: number;
}

export interface ModelServer {
  readonly url: string;
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `http://127.0.0.1:<port>/v1/models/<name>:predict`. */
  readonly predictUrl: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, `request body larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseInstances(body: string): Record<string, unknown>[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    throw new HttpError(400, `the request body is not JSON: ${(e as Error).message}`);
  }
  const instances = (json as { instances?: unknown } | null)?.instances;
  if (!Array.isArray(instances)) throw new HttpError(400, 'the request must be { "instances": [ {feature: value}, … ] }');
  instances.forEach((x, i) => {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) throw new HttpError(400, `instances[${i}] is not an object of feature values`);
  });
  return instances as Record<string, unknown>[];
}

export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  const { name, model } = options;
  const version = options.version ?? '1';
  const maxBody = options.maxBodyBytes ?? 32 * 1024 * 1024;
  const base = `/v1/models/${encodeURIComponent(name)}`;
  let port = 0;

  const server = http.createServer((req, res) => {
    void (async () => {
      try {
        const host = (req.headers.host ?? '').toLowerCase();
        if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) throw new HttpError(403, `host '${host}' refused: the server answers 127.0.0.1:${port} only`);
        const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
        if (req.method === 'GET' && url.pathname === base) {
          send(res, 200, { model_version_status: [{ version, state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }] });
        } else if (req.method === 'GET' && url.pathname === `${base}/metadata`) {
          send(res, 200, { model_spec: { name, signature_name: '', version }, metadata: { signature_def: model.signature } });
        } else if (url.pathname === `${base}:predict`) {
          if (req.method !== 'POST') throw new HttpError(405, 'predict takes POST');
          const instances = parseInstances(await readBody(req, maxBody));
          let predictions: Prediction[];
          try {
            predictions = await model.predict(instances);
          } catch (e) {
            throw new HttpError(400, `prediction failed: ${(e as Error).message}`);
          }
          send(res, 200, { predictions });
        } else {
          throw new HttpError(404, `no such endpoint: ${req.method} ${url.pathname} (this server serves ${base})`);
        }
      } catch (e) {
        const status = e instanceof HttpError ? e.status : 500;
        if (!res.headersSent) send(res, status, { error: (e as Error).message });
        else res.destroy();
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    host: '127.0.0.1',
    port,
    predictUrl: `${url}${base}:predict`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive sockets would hold close() open.
        server.closeAllConnections();
      }),
  };
}
