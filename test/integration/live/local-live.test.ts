import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { waitFor, watch } from '../../../client/sdk/watch.ts';
import { issueToken } from '../../../local/auth.ts';
import { LIVE_PATH, type LiveServer, startLiveProgress } from '../../../local/live-server.ts';
import type { UploadDeps } from '../../../src/domain/deps.ts';
import type { UploadSession } from '../../../src/domain/session.ts';
import type { ApiClient } from '../../support/api-client.ts';
import { type Harness, startHarness } from '../../support/harness.ts';

// biome-ignore lint/suspicious/noExplicitAny: messages are asserted on loosely
type Message = Record<string, any>;

let harness: Harness;
let deps: UploadDeps;
let server: Server;
let live: LiveServer;
let liveUrl: string;

/**
 * The real local server for HTTP (the handler modules Lambda runs) and, in the same process,
 * the live server attached to an HTTP server of its own, reading progress through the very deps
 * those handlers use and learning of changes from the table's stream.
 */
beforeAll(async () => {
  harness = await startHarness();
  ({ deps } = await import('../../../functions/commons/dependencies.ts'));
  server = createServer((_, response) => response.writeHead(404).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  live = await startLiveProgress(server, {
    upload: deps,
    table: harness.table,
    region: process.env.AWS_REGION ?? 'us-east-1',
    endpoint: inject('dynamodbEndpoint'),
  });
  liveUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}${LIVE_PATH}`;
});
afterAll(async () => {
  await live?.close();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await harness?.close();
});

/** A socket that keeps every message, and waits for the next one matching, with a deadline. */
async function watcher(userId: string, via: 'header' | 'query' = 'query') {
  const token = await issueToken(userId);
  const ws =
    via === 'header'
      ? new WebSocket(liveUrl, { headers: { authorization: `Bearer ${token}` } })
      : new WebSocket(`${liveUrl}?token=${encodeURIComponent(token)}`);
  const messages: { message: Message; at: number }[] = [];
  const waiting = new Set<() => void>();
  ws.on('message', (data) => {
    messages.push({ message: JSON.parse(data.toString()), at: performance.now() });
    for (const check of [...waiting]) check();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let read = 0;
  return {
    ws,
    messages,
    send: (message: unknown) =>
      ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    /** The next message not read yet that matches, within `timeoutMs`. */
    next: (match: (m: Message) => boolean = () => true, timeoutMs = 10_000) =>
      new Promise<Message>((resolve, reject) => {
        const check = () => {
          const index = messages.findIndex((m, i) => i >= read && match(m.message));
          if (index < 0) return;
          read = index + 1;
          waiting.delete(check);
          clearTimeout(timer);
          resolve(messages[index]?.message as Message);
        };
        const timer = setTimeout(() => {
          waiting.delete(check);
          reject(
            new Error(`no matching message within ${timeoutMs} ms: ${JSON.stringify(messages)}`),
          );
        }, timeoutMs);
        waiting.add(check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close();
      }),
  };
}

/** The status code the server answered an upgrade with, when it refused it. */
const refusal = (url: string, headers: Record<string, string> = {}) =>
  new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('unexpected-response', (_, response) => {
      resolve(response.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => reject(new Error('the upgrade was accepted')));
    ws.once('error', () => undefined);
  });

async function initiate(api: ApiClient, fileSize = 12): Promise<UploadSession> {
  const res = await api.initiate({
    fileName: 'hello.txt',
    fileSize,
    contentType: 'text/plain',
    checksum: 'NONE',
  });
  expect(res.status).toBe(201);
  return res.body.data;
}

const progressOf = (sessionId: string) => (m: Message) =>
  m.type === 'progress' && m.sessionId === sessionId;

describe('live progress on the local server', () => {
  it('answers subscribe with a snapshot: the data of GET /progress', async () => {
    // Prepare
    const api = await harness.as('alice');
    const session = await initiate(api);
    const w = await watcher('alice', 'header');

    // Act
    w.send({ action: 'subscribe', sessionId: session.id });
    const snapshot = await w.next();

    // Assess
    const progress = await api.request('GET', `/uploads/${session.id}/progress`);
    expect(snapshot).toEqual({ type: 'progress', sessionId: session.id, data: progress.body.data });
    await w.close();
  });

  it('sends progress after a chunk is recorded and the final status on completion', async () => {
    // Prepare
    const api = await harness.as('alice');
    const session = await initiate(api);
    const w = await watcher('alice');
    w.send({ action: 'subscribe', sessionId: session.id });
    await w.next(progressOf(session.id));

    // Act
    const recorded = await api.sendChunk(
      session.id,
      0,
      new TextEncoder().encode('hello world!'),
      false,
    );
    // The stream may still bring the initiate's write first: wait for the record's.
    const afterRecord = await w.next((m) => progressOf(session.id)(m) && m.data.chunksUploaded > 0);
    const completed = await api.request('POST', `/uploads/${session.id}/complete`);
    const final = await w.next((m) => progressOf(session.id)(m) && m.data.status === 'uploaded');

    // Assess
    expect(recorded.status).toBe(200);
    expect(afterRecord.data).toMatchObject({ chunksUploaded: 1, uploadedBytes: 12 });
    expect(completed.status).toBe(200);
    const progress = await api.request('GET', `/uploads/${session.id}/progress`);
    expect(final.data).toEqual(progress.body.data);
    await w.close();
  });

  it('sends the cancelled status when the session is cancelled', async () => {
    const api = await harness.as('alice');
    const session = await initiate(api);
    const w = await watcher('alice');
    w.send({ action: 'subscribe', sessionId: session.id });
    await w.next(progressOf(session.id));

    const cancelled = await api.request('DELETE', `/uploads/${session.id}`);
    const final = await w.next((m) => progressOf(session.id)(m) && m.data.status === 'cancelled');

    expect(cancelled.status).toBe(200);
    expect(final.data.status).toBe('cancelled');
    await w.close();
  });

  it('sends a burst of 40 records at most about 4 times a second, the last one included', async () => {
    // Prepare: 40 chunks recorded one by one through the ledger the handlers use
    const api = await harness.as(`burst-${randomUUID()}`);
    const session = await initiate(api, 40 * 5 * 1024 * 1024);
    const w = await watcher(api.token ? decodeUser(api.token) : '');
    w.send({ action: 'subscribe', sessionId: session.id });
    await w.next(progressOf(session.id));
    const stored = (await deps.ledger.getSession(session.id)) as UploadSession;
    const before = w.messages.length;

    // Act
    const started = performance.now();
    for (let chunk = 0; chunk < 40; chunk++) {
      const entry = { chunkNumber: chunk, size: 5 * 1024 * 1024, etag: `"etag-${chunk}"` };
      await deps.ledger.recordChunks(stored, [entry], new Date(), 'keep');
    }
    const last = await w.next((m) => progressOf(session.id)(m) && m.data.chunksUploaded === 40);
    const seconds = (performance.now() - started) / 1000;

    // Assess
    const received = w.messages.slice(before);
    expect(received.length).toBeLessThanOrEqual(4 * seconds + 2);
    expect(received.length).toBeGreaterThanOrEqual(1);
    expect(last.data).toMatchObject({ chunksUploaded: 40, status: 'uploading' });
    // Sends are decided 250 ms apart; each message arrives after its own read of the session,
    // so arrivals jitter by that read's time: still about 4 in any one second.
    for (const { at } of received) {
      expect(received.filter((m) => m.at >= at && m.at < at + 1000).length).toBeLessThanOrEqual(6);
    }
    await w.close();
  });

  it("answers another user's session as SESSION_NOT_FOUND", async () => {
    const bob = await harness.as('bob');
    const session = await initiate(bob);
    const w = await watcher('alice');

    w.send({ action: 'subscribe', sessionId: session.id });

    expect(await w.next()).toEqual({
      type: 'error',
      sessionId: session.id,
      error: { code: 'SESSION_NOT_FOUND', message: 'Upload session not found' },
    });
    await w.close();
  });

  it('answers a malformed message with VALIDATION_ERROR and keeps the connection open', async () => {
    const api = await harness.as('alice');
    const session = await initiate(api);
    const w = await watcher('alice');

    w.send('{"action": "subscribe"');
    const error = await w.next();
    w.send({ action: 'subscribe', sessionId: session.id });
    const snapshot = await w.next();

    expect(error).toMatchObject({ type: 'error', error: { code: 'VALIDATION_ERROR' } });
    expect(w.ws.readyState).toBe(WebSocket.OPEN);
    expect(snapshot).toMatchObject({ type: 'progress', sessionId: session.id });
    await w.close();
  });

  it('refuses a missing or bad token with 401 on the upgrade', async () => {
    const expired = await issueToken('alice', -60);
    expect(await refusal(liveUrl)).toBe(401);
    expect(await refusal(`${liveUrl}?token=not-a-token`)).toBe(401);
    expect(await refusal(liveUrl, { authorization: `Bearer ${expired}` })).toBe(401);
    expect(await refusal(liveUrl.replace('/live', '/elsewhere'), {})).toBe(404);
  });

  it('lets the SDK watch a session to its final status over the socket', async () => {
    // Prepare
    const api = await harness.as('alice');
    const session = await initiate(api);
    const w = watch(session.id, {
      apiUrl: harness.url,
      liveUrl,
      token: api.token,
      WebSocket,
      pollIntervalMs: 60_000,
    });
    const modes: string[] = [];
    w.on('mode', (mode) => modes.push(mode));
    const statuses: string[] = [];
    w.on('progress', (p) => statuses.push(p.status));
    await new Promise<void>((resolve) => w.on('progress', () => resolve()));

    // Act
    await api.request('DELETE', `/uploads/${session.id}`);
    const ended = await w.closed;

    // Assess
    expect(modes).toEqual(['socket']);
    expect(statuses).toEqual(['initiated', 'cancelled']);
    expect(ended).toMatchObject({ reason: 'final', last: { status: 'cancelled' } });
  });

  it('lets the SDK fall back to polling GET /progress when no socket can be opened', async () => {
    const api = await harness.as('alice');
    const session = await initiate(api);
    const closedPort = liveUrl.replace(/:\d+\//, ':1/');
    const done = waitFor(session.id, {
      apiUrl: harness.url,
      liveUrl: closedPort,
      token: api.token,
      WebSocket,
      pollIntervalMs: 100,
      status: 'cancelled',
      timeoutMs: 10_000,
    });
    await api.request('DELETE', `/uploads/${session.id}`);
    await expect(done).resolves.toMatchObject({ sessionId: session.id, status: 'cancelled' });
  });

  it('forgets a closed connection', async () => {
    const w = await watcher('alice');
    const open = live.connections;
    await w.close();
    await expect.poll(() => live.connections).toBe(open - 1);
  });
});

/** The `sub` of a token this test issued. */
function decodeUser(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
  return payload.sub as string;
}
