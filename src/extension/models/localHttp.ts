/** JSON over HTTP to a local model server (127.0.0.1 only), from the extension host. */
import http from 'node:http';

export interface JsonResponse {
  readonly status: number;
  readonly body: unknown;
}

function request(url: string, method: 'GET' | 'POST', body?: unknown, timeoutMs = 30_000): Promise<JsonResponse> {
  const u = new URL(url);
  if (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost') return Promise.reject(new Error(`not a local server: ${url}`));
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {}, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
          } catch {
            reject(new Error(`${method} ${url}: ${res.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(data);
  });
}

export const getJson = (url: string, timeoutMs?: number): Promise<JsonResponse> => request(url, 'GET', undefined, timeoutMs);
export const postJson = (url: string, body: unknown, timeoutMs?: number): Promise<JsonResponse> => request(url, 'POST', body, timeoutMs);
