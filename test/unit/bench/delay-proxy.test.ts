import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiRouteOf } from '../../../bench/upload/api-routes.ts';
import { type DelayProxy, startDelayProxy } from '../../../bench/upload/delay-proxy.ts';

interface Arrival {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

const servers: Server[] = [];
const proxies: DelayProxy[] = [];

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        }),
    ),
  );
});

/** An upstream that records what arrives (bodies read whole) and answers with `reply`. */
async function upstream(
  reply: (arrival: Arrival, res: ServerResponse) => void = (_a, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"success":true}');
  },
): Promise<{ url: string; arrivals: Arrival[] }> {
  const arrivals: Arrival[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const arrival = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(parts),
      };
      arrivals.push(arrival);
      reply(arrival, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, arrivals };
}

async function proxy(options: Parameters<typeof startDelayProxy>[0]): Promise<DelayProxy> {
  const started = await startDelayProxy(options);
  proxies.push(started);
  return started;
}

/** A sleep the test releases by hand: it records each wait and resolves when told to. */
function manualSleep() {
  const waits: number[] = [];
  const pending: (() => void)[] = [];
  let called = () => {};
  let nextCall = new Promise<void>((resolve) => (called = resolve));
  return {
    waits,
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        waits.push(ms);
        pending.push(resolve);
        const notify = called;
        nextCall = new Promise<void>((r) => (called = r));
        notify();
      }),
    /** Resolves once the next sleep has been asked for. */
    get asked() {
      return nextCall;
    },
    releaseAll: () => {
      for (const resolve of pending.splice(0)) resolve();
    },
  };
}

/** A sleep that returns at once and records each wait. */
function recordingSleep() {
  const calls: number[] = [];
  return { calls, sleep: async (ms: number) => void calls.push(ms) };
}

describe('startDelayProxy', () => {
  it('holds each request for the delay once, before the target sees it', async () => {
    const target = await upstream();
    const clock = manualSleep();
    const asked = clock.asked;
    const p = await proxy({ target: target.url, delayMs: 120, sleep: clock.sleep });

    const answer = fetch(`${p.url}/api/v1/uploads/abc/progress`);
    await asked;
    // Held: the proxy is waiting, the target has seen nothing.
    expect(clock.waits).toEqual([120]);
    expect(target.arrivals).toHaveLength(0);

    clock.releaseAll();
    const response = await answer;
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"success":true}');
    expect(target.arrivals.map((a) => a.url)).toEqual(['/api/v1/uploads/abc/progress']);
    expect(clock.waits).toEqual([120]); // once per request, not per chunk of body or answer
  });

  it('waits once per request, each request on its own', async () => {
    const target = await upstream();
    const clock = recordingSleep();
    const p = await proxy({ target: target.url, delayMs: 60, sleep: clock.sleep });

    const responses = await Promise.all(
      ['/a', '/b', '/c', '/d'].map((path) =>
        fetch(`${p.url}${path}`, { method: 'POST', body: path }),
      ),
    );

    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(clock.calls).toEqual([60, 60, 60, 60]);
    expect(target.arrivals.map((a) => a.url).sort()).toEqual(['/a', '/b', '/c', '/d']);
    expect(target.arrivals.map((a) => a.body.toString()).sort()).toEqual(['/a', '/b', '/c', '/d']);
  });

  it('does not sleep at all with no added latency', async () => {
    const target = await upstream();
    const clock = recordingSleep();
    const p = await proxy({ target: target.url, delayMs: 0, sleep: clock.sleep });
    expect((await fetch(`${p.url}/x`)).status).toBe(200);
    expect(clock.calls).toEqual([]);
  });

  it('passes bodies, statuses and headers through both ways', async () => {
    const target = await upstream((arrival, res) => {
      res.writeHead(201, {
        'content-type': 'application/json',
        'x-upstream': 'yes',
        'set-cookie': ['a=1', 'b=2'],
      });
      res.end(
        JSON.stringify({
          length: arrival.body.length,
          sha256: createHash('sha256').update(arrival.body).digest('base64'),
          authorization: arrival.headers.authorization,
          custom: arrival.headers['x-custom'],
          host: arrival.headers.host,
        }),
      );
    });
    const p = await proxy({ target: target.url, delayMs: 60, sleep: recordingSleep().sleep });
    const body = randomBytes(3 * 1024 * 1024 + 17);

    const response = await fetch(`${p.url}/api/v1/uploads/abc/chunks`, {
      method: 'PUT',
      headers: {
        authorization: 'Bearer t',
        'x-custom': 'kept',
        'content-type': 'application/octet-stream',
      },
      body,
    });

    expect(response.status).toBe(201);
    expect(response.headers.get('x-upstream')).toBe('yes');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.json()).toEqual({
      length: body.length,
      sha256: createHash('sha256').update(body).digest('base64'),
      authorization: 'Bearer t',
      custom: 'kept',
      host: new URL(p.url).host, // the Host header is kept as the client sent it
    });
  });

  it('streams an answer written in parts, and passes error answers as they are', async () => {
    const target = await upstream((arrival, res) => {
      if (arrival.url === '/fail') {
        res.writeHead(500, { 'content-type': 'text/html' });
        res.end('<html><body>Internal Server Error</body></html>');
        return;
      }
      if (arrival.url === '/empty') {
        res.writeHead(204);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }); // chunked: no content-length
      res.write('one,');
      setImmediate(() => res.end('two'));
    });
    const p = await proxy({ target: target.url, delayMs: 0 });

    const parts = await fetch(`${p.url}/parts`);
    expect(parts.status).toBe(200);
    expect(await parts.text()).toBe('one,two');
    const failed = await fetch(`${p.url}/fail`);
    expect(failed.status).toBe(500);
    expect(failed.headers.get('content-type')).toBe('text/html');
    expect(await failed.text()).toBe('<html><body>Internal Server Error</body></html>');
    const empty = await fetch(`${p.url}/empty`);
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');

    expect(p.stats().byStatus).toEqual({ '200': 1, '204': 1, '500': 1 });
    expect(p.stats().retryableByRoute).toEqual({ 'GET /fail': 1 });
  });

  it('counts requests by route with the API route table, batch records included', async () => {
    const target = await upstream();
    const p = await proxy({ target: target.url, delayMs: 0, classify: apiRouteOf });
    const send = (method: string, path: string) =>
      fetch(`${p.url}/api/v1${path}`, {
        method,
        ...(method === 'GET' ? {} : { body: '{}' }),
      }).then((r) => r.text());

    await send('POST', '/uploads/initiate');
    await send('POST', '/uploads/s1/chunks');
    await send('PUT', '/uploads/s1/chunks/0');
    await send('PUT', '/uploads/s1/chunks/1');
    await send('PUT', '/uploads/s1/chunks');
    await send('POST', '/uploads/s1/complete');
    await send('GET', '/nothing-here');

    const batch = apiRouteOf('PUT', '/api/v1/uploads/s1/chunks');
    expect(p.stats().byRoute).toEqual({
      initiate: 1,
      chunkUrls: 1,
      recordChunk: 2,
      [batch]: 1,
      complete: 1,
      unmatched: 1,
    });
    expect(p.stats().requests).toBe(7);

    p.resetStats();
    expect(p.stats()).toMatchObject({ requests: 0, byRoute: {}, byStatus: {} });
  });

  it('answers 503 without forwarding once its request limit is reached', async () => {
    const target = await upstream();
    const p = await proxy({ target: target.url, delayMs: 0, maxRequests: 2 });

    const statuses = [];
    for (const path of ['/1', '/2', '/3', '/4'])
      statuses.push((await fetch(`${p.url}${path}`)).status);

    expect(statuses).toEqual([200, 200, 503, 503]);
    expect(target.arrivals.map((a) => a.url)).toEqual(['/1', '/2']);
    expect(p.stats().refused).toBe(2);
  });

  it('closes itself at the end of its lifetime', async () => {
    const target = await upstream();
    const p = await proxy({ target: target.url, delayMs: 0, lifetimeMs: 10 });

    await p.closed; // no timing assertion: only that it happens

    await expect(fetch(`${p.url}/late`)).rejects.toThrow();
    expect(target.arrivals).toHaveLength(0);
  });

  it('answers 502 when the target cannot be reached', async () => {
    const gone = await upstream();
    const server = servers.pop() as Server;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const p = await proxy({ target: gone.url, delayMs: 0 });

    const response = await fetch(`${p.url}/x`);

    expect(response.status).toBe(502);
    expect(p.stats().upstreamErrors).toBe(1);
    expect(p.stats().retryableByRoute).toEqual({ 'GET /x': 1 });
  });

  it('does not forward a request whose client went away while it was held', async () => {
    const target = await upstream();
    const clock = manualSleep();
    const asked = clock.asked;
    const p = await proxy({ target: target.url, delayMs: 100, sleep: clock.sleep });
    const abort = new AbortController();

    const abandoned = fetch(`${p.url}/abandoned`, { signal: abort.signal }).catch(() => 'aborted');
    await asked;
    abort.abort();
    expect(await abandoned).toBe('aborted');
    await vi.waitFor(() => expect(p.stats().clientAborts).toBe(1));
    clock.releaseAll();

    const next = fetch(`${p.url}/next`);
    await clock.asked;
    clock.releaseAll();
    expect((await next).status).toBe(200);
    expect(target.arrivals.map((a) => a.url)).toEqual(['/next']);
  });

  it('refuses a target off this machine', async () => {
    await expect(startDelayProxy({ target: 'http://10.0.0.1:3000', delayMs: 0 })).rejects.toThrow(
      /loopback/,
    );
  });
});
