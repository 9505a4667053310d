import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request. */
export type Fault =
  | 'pass'
  /** Closes the connection before forwarding: the upstream never sees the request. */
  | 'drop-before'
  /** Forwards, then closes the connection instead of answering: the effect happens, unseen. */
  | 'drop-after'
  /** Answers this instead of forwarding (the body is drained first). */
  | { readonly status: number; readonly retryAfter?: string; readonly body?: string }
  /** Forwards, then holds the answer this long before sending a byte of it (a slow server). */
  | { readonly delayMs: number };

export interface SeenRequest {
  readonly index: number;
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly fault: string;
  /** Small bodies only (JSON API calls), for assertions. */
  body: string;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: send here what was meant for `target`. */
  readonly origin: string;
  readonly target: string;
  readonly seen: readonly SeenRequest[];
  close(): Promise<void>;
}

const MAX_REQUESTS = 2000;
const MAX_TAPPED_BODY = 64 * 1024;

export interface FaultProxyOptions {
  /** Closes itself after this long even if nobody calls close(). */
  readonly lifetimeMs?: number;
  /**
   * Forwards the Host header as sent. Clients whose requests are signed for the proxy's own
   * address (an SDK pointed at it) need this; URLs signed for the target need it rewritten.
   */
  readonly preserveHost?: boolean;
}

/**
 * A fault-injecting reverse proxy on 127.0.0.1 in front of `target`. `decide` picks a fault per
 * request. Bounded: bodies are streamed (only small ones are kept, for assertions), it answers 503
 * after MAX_REQUESTS, and it closes itself after its lifetime even if nobody calls close().
 */
export async function startFaultProxy(
  target: string,
  decide: (request: { method: string; url: string; index: number }) => Fault,
  { lifetimeMs = 120_000, preserveHost = false }: FaultProxyOptions = {},
): Promise<FaultProxy> {
  const upstream = new URL(target);
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const index = seen.length;
    const fault: Fault =
      index >= MAX_REQUESTS
        ? { status: 503, body: 'proxy request limit' }
        : decide({ method, url, index });
    const entry: SeenRequest = {
      index,
      method,
      url,
      headers: req.headers,
      fault:
        typeof fault === 'string'
          ? fault
          : 'delayMs' in fault
            ? `delay ${fault.delayMs} ms`
            : `status ${fault.status}`,
      body: '',
    };
    seen.push(entry);
    req.on('data', (chunk: Buffer) => {
      if (entry.body.length < MAX_TAPPED_BODY) entry.body += chunk.toString('utf8');
    });

    if (fault === 'drop-before') {
      req.socket.destroy();
      return;
    }
    if (typeof fault === 'object' && 'status' in fault) {
      req.resume();
      req.once('end', () => {
        res.writeHead(fault.status, {
          'content-type': 'application/json',
          ...(fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter }),
        });
        res.end(fault.body ?? '');
      });
      return;
    }
    const forwarded = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method,
        path: url,
        headers: preserveHost ? req.headers : { ...req.headers, host: upstream.host },
      },
      (answer) => {
        if (fault === 'drop-after') {
          answer.resume();
          answer.once('end', () => req.socket.destroy());
          return;
        }
        const reply = () => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        };
        if (typeof fault === 'object') setTimeout(reply, fault.delayMs);
        else reply();
      },
    );
    forwarded.once('error', () => req.socket.destroy());
    req.pipe(forwarded);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      clearTimeout(lifetime);
      server.close(() => resolve());
      server.closeAllConnections();
    });
  const lifetime = setTimeout(() => void close(), lifetimeMs);
  lifetime.unref();
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, target: upstream.origin, seen, close };
}

/** Counts requests per category so a plan can say "the 2nd storage PUT fails". */
export function counter() {
  const counts = new Map<string, number>();
  return (category: string) => {
    const n = (counts.get(category) ?? 0) + 1;
    counts.set(category, n);
    return n;
  };
}
