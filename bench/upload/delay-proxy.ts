/**
 * A loopback reverse proxy that adds a fixed latency to every API call, as API Gateway, a Lambda
 * and DynamoDB (and a user far from the region) add in AWS. Each request is held `delayMs` once,
 * before it is forwarded; its body is then streamed to the target and the answer streamed back
 * with its status and headers. It counts requests by route and answers by status, so that a
 * benchmark can count API calls without wrapping the client. Only API traffic goes through it:
 * chunk PUTs go to storage directly, as they do in AWS.
 *
 * Bounded: after `maxRequests` it answers 503 without forwarding, and it closes itself after
 * `lifetimeMs` even if nobody calls close().
 */
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { assertLoopback } from '../load/loopback.ts';

export interface DelayProxyOptions {
  /** Where requests go: an http URL on loopback (its origin is used). */
  readonly target: string;
  /** Added to every request, once, before it is forwarded. */
  readonly delayMs: number;
  /** Requests forwarded at most; later ones are answered 503 (default 100,000). */
  readonly maxRequests?: number;
  /** The proxy closes itself after this long (default 1 hour). */
  readonly lifetimeMs?: number;
  /** Names a request for the counts (default `METHOD /path`). */
  readonly classify?: (method: string, pathname: string) => string;
  /** How the proxy waits (tests inject one; default node:timers/promises). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface DelayProxyStats {
  /** Requests received (including refused ones). */
  readonly requests: number;
  /** Requests by `classify`. */
  readonly byRoute: Record<string, number>;
  /** Answers by status code (the proxy's own 502 and 503 included). */
  readonly byStatus: Record<string, number>;
  /** Answers of 429 or 5xx, by route: what a client retries. */
  readonly retryableByRoute: Record<string, number>;
  /** Requests answered 503 because `maxRequests` was reached. */
  readonly refused: number;
  /** Requests the target could not be reached for (answered 502 or cut). */
  readonly upstreamErrors: number;
  /** Clients that went away while their request was held or forwarded. */
  readonly clientAborts: number;
}

export interface DelayProxy {
  /** `http://127.0.0.1:<port>`: use it where the target's origin would be used. */
  readonly url: string;
  readonly delayMs: number;
  /** Counts since the start or the last reset. */
  stats(): DelayProxyStats;
  resetStats(): void;
  /** Resolves once the proxy is closed (by close() or at the end of its lifetime). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_MAX_REQUESTS = 100_000;
const DEFAULT_LIFETIME_MS = 60 * 60_000;

/** Hop-by-hop headers: they describe one connection and are not forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** The end-to-end headers of a message, as sent (names and repeated values kept). */
function endToEnd(message: IncomingMessage): OutgoingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  const raw = message.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (HOP_BY_HOP.has(name.toLowerCase())) continue;
    const previous = headers[name];
    headers[name] =
      previous === undefined
        ? value
        : Array.isArray(previous)
          ? [...previous, value]
          : [previous, value];
  }
  return headers;
}

const bump = (counts: Map<string, number>, key: string) =>
  counts.set(key, (counts.get(key) ?? 0) + 1);

export async function startDelayProxy(options: DelayProxyOptions): Promise<DelayProxy> {
  assertLoopback(options.target, 'the delay proxy target');
  const target = new URL(options.target);
  if (target.protocol !== 'http:')
    throw new Error(`the delay proxy forwards to http only: ${options.target}`);
  const delayMs = options.delayMs;
  if (!Number.isFinite(delayMs) || delayMs < 0)
    throw new RangeError(`delayMs must be a number >= 0, got ${delayMs}`);
  const maxRequests = options.maxRequests ?? DEFAULT_MAX_REQUESTS;
  const classify = options.classify ?? ((method, pathname) => `${method} ${pathname}`);
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const agent = new Agent({ keepAlive: true });

  let forwarded = 0;
  const counters = () => ({
    byRoute: new Map<string, number>(),
    byStatus: new Map<string, number>(),
    retryable: new Map<string, number>(),
    requests: 0,
    refused: 0,
    upstreamErrors: 0,
    clientAborts: 0,
  });
  let c = counters();

  const answered = (route: string, status: number) => {
    bump(c.byStatus, String(status));
    if (status === 429 || status >= 500) bump(c.retryable, route);
  };

  const refuse = (res: ServerResponse, route: string, status: number, message: string) => {
    answered(route, status);
    res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify({ success: false, error: { code: 'DELAY_PROXY', message } }));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const route = classify(method, new URL(path, 'http://proxy.invalid').pathname);
    c.requests++;
    bump(c.byRoute, route);
    let gone = false;
    let upstream: ReturnType<typeof httpRequest> | undefined;
    res.once('close', () => {
      if (res.writableFinished) return;
      gone = true;
      c.clientAborts++;
      upstream?.destroy();
    });
    if (forwarded >= maxRequests) {
      c.refused++;
      req.resume();
      refuse(res, route, 503, `delay proxy: request limit (${maxRequests}) reached`);
      return;
    }
    forwarded++;
    // The body waits in the socket (the request stream is not read) while the request is held.
    if (delayMs > 0) await sleep(delayMs);
    if (gone) return;
    upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method,
        path,
        headers: endToEnd(req), // Host included: the request reaches the API as it was sent
        agent,
      },
      (answer) => {
        const status = answer.statusCode ?? 502;
        answered(route, status);
        res.writeHead(status, answer.statusMessage, endToEnd(answer));
        answer.pipe(res);
        answer.once('error', () => res.destroy());
      },
    );
    upstream.once('error', (error) => {
      if (gone) return; // destroyed because the client went away
      c.upstreamErrors++;
      if (res.headersSent) res.destroy(error);
      else refuse(res, route, 502, `delay proxy: ${error.message}`);
    });
    req.pipe(upstream);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) refuse(res, 'error', 500, `delay proxy: ${String(error)}`);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });

  let resolveClosed = () => {};
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      clearTimeout(lifetime);
      server.close(() => {
        agent.destroy();
        resolveClosed();
        resolve();
      });
      server.closeAllConnections();
    });
    return closing;
  };
  const lifetime = setTimeout(() => void close(), options.lifetimeMs ?? DEFAULT_LIFETIME_MS);
  lifetime.unref();

  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    delayMs,
    stats: () => ({
      requests: c.requests,
      byRoute: Object.fromEntries(c.byRoute),
      byStatus: Object.fromEntries(c.byStatus),
      retryableByRoute: Object.fromEntries(c.retryable),
      refused: c.refused,
      upstreamErrors: c.upstreamErrors,
      clientAborts: c.clientAborts,
    }),
    resetStats: () => {
      c = counters();
    },
    closed,
    close,
  };
}
