import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeHttpFetch } from '../../../client/sdk/node-http.ts';

/** What `promise` rejects with (and a failure when it resolves). */
const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('nodeHttpFetch', () => {
  it('sends the bytes with their length and exposes status, headers and body', async () => {
    const seen: { method?: string; length?: string; type?: string; sha?: string } = {};
    const url = await serve((req, res) => {
      const hash = createHash('sha256');
      req.on('data', (part: Buffer) => hash.update(part));
      req.on('end', () => {
        Object.assign(seen, {
          method: req.method,
          length: req.headers['content-length'],
          type: req.headers['x-amz-checksum-sha256'],
          sha: hash.digest('hex'),
        });
        res.writeHead(200, { etag: '"abc"', 'x-multi': ['a', 'b'] }).end('stored');
      });
    });
    const body = randomBytes(3 * 1024 * 1024 + 7);

    const response = await nodeHttpFetch(`${url}/part?n=1`, {
      method: 'PUT',
      headers: { 'x-amz-checksum-sha256': 'c2hh' },
      body,
    });

    expect(seen).toEqual({
      method: 'PUT',
      length: String(body.length),
      type: 'c2hh',
      sha: createHash('sha256').update(body).digest('hex'),
    });
    expect(response.ok).toBe(true);
    expect(response.headers.get('etag')).toBe('"abc"');
    expect(response.headers.get('x-multi')).toBe('a, b');
    expect(await response.text()).toBe('stored');
  });

  it('answers error statuses as responses, and 204 without a body', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/empty') res.writeHead(204).end();
      else res.writeHead(503, { 'retry-after': '2' }).end('<Error><Code>SlowDown</Code></Error>');
    });

    const refused = await nodeHttpFetch(`${url}/busy`, { method: 'PUT', body: 'x' });
    const empty = await nodeHttpFetch(`${url}/empty`);

    expect([refused.status, refused.ok, refused.headers.get('retry-after')]).toEqual([
      503,
      false,
      '2',
    ]);
    expect(await refused.text()).toContain('SlowDown');
    expect([empty.status, await empty.text()]).toEqual([204, '']);
  });

  it('rejects with a TypeError, as fetch does, when the connection drops', async () => {
    const url = await serve((req) => req.socket.destroy());

    const error = await rejection(nodeHttpFetch(url, { method: 'PUT', body: randomBytes(1024) }));

    expect(error).toBeInstanceOf(TypeError);
  });

  it('rejects with the abort reason when its signal aborts mid-request', async () => {
    const url = await serve(() => {}); // never answers
    const controller = new AbortController();
    const reason = new DOMException('paused', 'AbortError');

    const pending = nodeHttpFetch(url, { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 20);

    expect(await rejection(pending)).toBe(reason);
    expect(await rejection(nodeHttpFetch(url, { signal: controller.signal }))).toBe(reason);
  });

  it('refuses bodies it cannot send as they are', async () => {
    const error = await rejection(nodeHttpFetch('http://127.0.0.1:9/', { body: new Blob(['x']) }));

    expect(error).toBeInstanceOf(TypeError);
  });
});
