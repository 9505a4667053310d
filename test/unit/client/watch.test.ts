import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { UploadProgressState } from '../../../client/sdk/types.ts';
import {
  defaultLiveUrl,
  type WatchMode,
  type WebSocketLike,
  waitFor,
  watch,
} from '../../../client/sdk/watch.ts';

const API = 'http://127.0.0.1:3000';
const SESSION = 'session-1';

function progress(overrides: Partial<UploadProgressState> = {}): UploadProgressState {
  return {
    sessionId: SESSION,
    fileId: 'file-1',
    fileName: 'video.mp4',
    totalSize: 100,
    uploadedBytes: 0,
    percentComplete: 0,
    chunksUploaded: 0,
    totalChunks: 4,
    status: 'initiated',
    estimatedTimeRemaining: null,
    expiresAt: new Date(Date.now() + 24 * 3600_000).toISOString(),
    ...overrides,
  };
}

/** A WebSocket the test drives: it opens or is refused as `accepts` says, a tick after creation. */
function fakeWebSockets(accepts: () => boolean = () => true) {
  const sockets: FakeSocket[] = [];
  class FakeSocket implements WebSocketLike {
    readyState = 0;
    onopen: ((event: never) => void) | null = null;
    onmessage: ((event: never) => void) | null = null;
    onclose: ((event: never) => void) | null = null;
    onerror: ((event: never) => void) | null = null;
    readonly sent: Record<string, unknown>[] = [];
    closedByClient = false;

    constructor(readonly url: string) {
      sockets.push(this);
      setTimeout(() => (accepts() ? this.open() : this.drop()), 1);
    }
    open() {
      this.readyState = 1;
      this.onopen?.({} as never);
    }
    /** The server (or the network) ends the connection; before `open`, a refusal. */
    drop() {
      this.readyState = 3;
      this.onerror?.({} as never);
      this.onclose?.({ code: 1006 } as never);
    }
    receive(message: unknown) {
      this.onmessage?.({ data: JSON.stringify(message) } as never);
    }
    send(data: string) {
      this.sent.push(JSON.parse(data));
    }
    close() {
      this.closedByClient = true;
      this.readyState = 3;
      setTimeout(() => this.onclose?.({ code: 1000 } as never), 0);
    }
  }
  return { WebSocket: FakeSocket, sockets };
}

/** GET /progress answering the states given in turn (the last one repeats). */
function fakeProgressApi(...states: (UploadProgressState | { status: number; code: string })[]) {
  const calls: { url: string; authorization: string | undefined }[] = [];
  const fetch = async (url: string, init?: RequestInit) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    calls.push({ url, authorization: headers.authorization });
    const next = states.length > 1 ? states.shift() : states[0];
    if (next && 'code' in next && typeof next.status === 'number') {
      return new Response(
        JSON.stringify({ success: false, error: { code: next.code, message: next.code } }),
        { status: next.status },
      );
    }
    return new Response(JSON.stringify({ success: true, data: next }), { status: 200 });
  };
  return { fetch, calls };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('watch over a WebSocket', () => {
  it('subscribes with the token, reports each new state and ends on a final status', async () => {
    // Prepare
    const ws = fakeWebSockets();
    const api = fakeProgressApi(progress());
    const w = watch(SESSION, {
      apiUrl: API,
      token: 'tok en',
      WebSocket: ws.WebSocket,
      fetch: api.fetch,
    });
    const seen: UploadProgressState[] = [];
    w.on('progress', (p) => seen.push(p));
    const iterated = (async () => {
      const out: string[] = [];
      for await (const p of w) out.push(p.status);
      return out;
    })();

    // Act
    await vi.advanceTimersByTimeAsync(5);
    const socket = ws.sockets[0];
    socket?.receive({ type: 'progress', sessionId: SESSION, data: progress() });
    socket?.receive({ type: 'progress', sessionId: SESSION, data: progress() });
    socket?.receive({ type: 'progress', sessionId: 'another', data: progress({ sessionId: 'x' }) });
    socket?.receive({
      type: 'progress',
      sessionId: SESSION,
      data: progress({ status: 'uploading', chunksUploaded: 1 }),
    });
    socket?.receive({
      type: 'progress',
      sessionId: SESSION,
      data: progress({ status: 'uploaded', chunksUploaded: 4 }),
    });
    const ended = await w.closed;

    // Assess
    expect(socket?.url).toBe('ws://127.0.0.1:3000/api/v1/live?token=tok+en');
    expect(socket?.sent).toEqual([{ action: 'subscribe', sessionId: SESSION }]);
    expect(seen.map((p) => p.status)).toEqual(['initiated', 'uploading', 'uploaded']);
    expect(await iterated).toEqual(['initiated', 'uploading', 'uploaded']);
    expect(ended).toMatchObject({ reason: 'final', last: { status: 'uploaded' } });
    expect(socket?.closedByClient).toBe(true);
    expect(api.calls).toEqual([]);
  });

  it('reconnects when the connection drops and subscribes again', async () => {
    // Prepare
    const ws = fakeWebSockets();
    const w = watch(SESSION, {
      apiUrl: API,
      token: 't',
      WebSocket: ws.WebSocket,
      fetch: fakeProgressApi(progress()).fetch,
    });
    const modes: WatchMode[] = [];
    const seen: number[] = [];
    w.on('mode', (m) => modes.push(m));
    w.on('progress', (p) => seen.push(p.chunksUploaded));
    const snapshot = progress();
    await vi.advanceTimersByTimeAsync(5);
    ws.sockets[0]?.receive({ type: 'progress', sessionId: SESSION, data: snapshot });

    // Act: the server ends the connection (idle, 2 hours); a new one answers the snapshot
    ws.sockets[0]?.drop();
    await vi.advanceTimersByTimeAsync(600);
    ws.sockets[1]?.receive({ type: 'progress', sessionId: SESSION, data: snapshot });
    ws.sockets[1]?.receive({
      type: 'progress',
      sessionId: SESSION,
      data: progress({ chunksUploaded: 2, status: 'uploading' }),
    });

    // Assess
    expect(ws.sockets).toHaveLength(2);
    expect(ws.sockets[1]?.sent).toEqual([{ action: 'subscribe', sessionId: SESSION }]);
    expect(modes).toEqual(['socket', 'connecting', 'socket']);
    expect(seen).toEqual([0, 2]); // the repeated snapshot is not reported again
    w.close();
    expect((await w.closed).reason).toBe('closed');
  });

  it('ends with the error when the session is not found (or not the caller’s)', async () => {
    const ws = fakeWebSockets();
    const w = watch(SESSION, {
      apiUrl: API,
      token: 't',
      WebSocket: ws.WebSocket,
      fetch: fakeProgressApi(progress()).fetch,
    });
    const loop = (async () => {
      for await (const _ of w) {
        // nothing arrives
      }
    })();
    const failure = expect(loop).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND', status: 404 });
    await vi.advanceTimersByTimeAsync(5);
    ws.sockets[0]?.receive({
      type: 'error',
      sessionId: SESSION,
      error: { code: 'SESSION_NOT_FOUND', message: 'Upload session not found' },
    });
    await failure;
    expect(await w.closed).toMatchObject({ reason: 'error', error: { code: 'SESSION_NOT_FOUND' } });
  });
});

describe('watch without a socket', () => {
  it('polls GET /progress when the socket is refused, and goes back to the socket once it opens', async () => {
    // Prepare: the socket is refused until the test says otherwise
    let accepting = false;
    const ws = fakeWebSockets(() => accepting);
    const api = fakeProgressApi(progress(), progress({ status: 'uploading', chunksUploaded: 1 }));
    const w = watch(SESSION, {
      apiUrl: `${API}/api/v1`,
      token: async () => 'fresh-token',
      WebSocket: ws.WebSocket,
      fetch: api.fetch,
      pollIntervalMs: 1_000,
      socketRetryMs: 5_000,
    });
    const modes: WatchMode[] = [];
    const seen: number[] = [];
    w.on('mode', (m) => modes.push(m));
    w.on('progress', (p) => seen.push(p.chunksUploaded));

    // Act
    await vi.advanceTimersByTimeAsync(2_500);
    const polledWhileRefused = api.calls.length;
    accepting = true;
    await vi.advanceTimersByTimeAsync(10_000);
    const polledUntilOpen = api.calls.length;
    await vi.advanceTimersByTimeAsync(10_000);

    // Assess
    expect(modes.slice(0, 1)).toEqual(['polling']);
    expect(modes.at(-1)).toBe('socket');
    expect(polledWhileRefused).toBe(3);
    expect(api.calls[0]).toEqual({
      url: `${API}/api/v1/uploads/${SESSION}/progress`,
      authorization: 'Bearer fresh-token',
    });
    expect(seen).toEqual([0, 1]);
    expect(api.calls.length).toBe(polledUntilOpen); // no polling once the socket is open
    const live = ws.sockets.at(-1);
    expect(live?.readyState).toBe(1);
    expect(live?.sent).toEqual([{ action: 'subscribe', sessionId: SESSION }]);
    w.close();
  });

  it('only polls without a WebSocket, and learns of expiry when it is due', async () => {
    // Prepare: nothing writes when a session expires, so only asking at expiresAt tells it
    const soon = new Date(Date.now() + 3_000).toISOString();
    const api = fakeProgressApi(
      progress({ expiresAt: soon }),
      progress({ expiresAt: soon, status: 'expired' }),
    );
    const w = watch(SESSION, {
      apiUrl: API,
      token: 't',
      WebSocket: null,
      fetch: api.fetch,
      pollIntervalMs: 60_000,
    });

    // Act
    await vi.advanceTimersByTimeAsync(4_100);

    // Assess
    expect(api.calls).toHaveLength(2);
    expect(await w.closed).toMatchObject({ reason: 'final', last: { status: 'expired' } });
  });
});

describe('waitFor', () => {
  it('resolves once the session has the status', async () => {
    const ws = fakeWebSockets();
    const done = waitFor(SESSION, {
      apiUrl: API,
      token: 't',
      WebSocket: ws.WebSocket,
      status: 'uploaded',
    });
    await vi.advanceTimersByTimeAsync(5);
    ws.sockets[0]?.receive({
      type: 'progress',
      sessionId: SESSION,
      data: progress({ status: 'uploading' }),
    });
    ws.sockets[0]?.receive({
      type: 'progress',
      sessionId: SESSION,
      data: progress({ status: 'uploaded' }),
    });
    await expect(done).resolves.toMatchObject({ status: 'uploaded' });
  });

  it('rejects when another final status comes first, or on timeout', async () => {
    const ws = fakeWebSockets();
    const cancelled = waitFor(SESSION, {
      apiUrl: API,
      token: 't',
      WebSocket: ws.WebSocket,
      status: 'uploaded',
    });
    const rejection = expect(cancelled).rejects.toMatchObject({ code: 'UNEXPECTED_STATUS' });
    await vi.advanceTimersByTimeAsync(5);
    ws.sockets[0]?.receive({
      type: 'progress',
      sessionId: SESSION,
      data: progress({ status: 'cancelled' }),
    });
    await rejection;

    const slow = waitFor(SESSION, {
      apiUrl: API,
      token: 't',
      WebSocket: ws.WebSocket,
      timeoutMs: 1_000,
    });
    const timeout = expect(slow).rejects.toMatchObject({ code: 'WAIT_TIMEOUT' });
    await vi.advanceTimersByTimeAsync(1_001);
    await timeout;
  });
});

describe('defaultLiveUrl', () => {
  it('is the API base with a WebSocket scheme and /live', () => {
    expect(defaultLiveUrl('https://api.example.com')).toBe('wss://api.example.com/api/v1/live');
    expect(defaultLiveUrl('http://127.0.0.1:3000/api/v1/')).toBe('ws://127.0.0.1:3000/api/v1/live');
  });
});
