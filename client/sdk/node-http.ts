import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { FetchLike } from './api.ts';

/** Statuses whose Response may not carry a body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

function toHeaders(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  return headers;
}

function requestBody(body: RequestInit['body']): Uint8Array | string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  throw new TypeError('nodeHttpFetch sends only string and Uint8Array bodies');
}

/**
 * A fetch for chunk PUTs on node:http(s). Node's fetch (undici) keeps copies of large request
 * bodies alive well after the request, so a CLI sending 8 MiB chunks through it grows by hundreds
 * of MB; node:http writes the caller's bytes to the socket as they are. Network failures reject
 * with a TypeError, as fetch does, so callers retry them the same way.
 */
export const nodeHttpFetch: FetchLike = async (input, init = {}) => {
  const target = new URL(input);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const body = requestBody(init.body);
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => {
    headers[name] = value;
  });
  if (body !== undefined && !('content-length' in headers))
    headers['content-length'] = String(
      typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
    );
  const signal = init.signal ?? undefined;
  return new Promise<Response>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const fail = (error: unknown) =>
      reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }));
    const req = request(target, { method: init.method ?? 'GET', headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.once('error', fail);
      res.once('end', () => {
        const status = res.statusCode ?? 0;
        resolve(
          new Response(NULL_BODY.has(status) ? null : Buffer.concat(parts), {
            status,
            statusText: res.statusMessage ?? '',
            headers: toHeaders(res.headers),
          }),
        );
      });
    });
    const onAbort = () => req.destroy(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('close', () => signal?.removeEventListener('abort', onAbort));
    req.once('error', fail);
    req.end(body);
  });
};
