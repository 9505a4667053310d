import { describe, expect, it } from 'vitest';
import { type FetchLike, UploadApiClient } from '../../../client/sdk/api.ts';
import {
  UploadApiError,
  UploadCancelledError,
  UploadStorageError,
  UploadTimeoutError,
} from '../../../client/sdk/errors.ts';
import { putChunk } from '../../../client/sdk/put-chunk.ts';
import { type RetryEvent, resolveRetry, waitToRetry } from '../../../client/sdk/retry.ts';
import { memoryStore } from '../../../client/sdk/store.ts';
import {
  createUpload,
  outcomeOf,
  type UploadTask,
  type UploadTaskOptions,
} from '../../../client/sdk/task.ts';
import { type FakeBackendOptions, fakeBackend } from './fake-backend.ts';

/** A file of `size` bytes whose content depends on `seed`. */
const bytesOf = (size: number, seed = 0) =>
  new Uint8Array(size).map((_, i) => (i * 7 + seed) % 251);
const fileOf = (size: number, name = 'a.bin', seed = 0, type = 'application/octet-stream') =>
  new File([bytesOf(size, seed)], name, { type, lastModified: 1 });

function setup(backendOptions: FakeBackendOptions = {}) {
  const backend = fakeBackend({ chunkSize: 10, ...backendOptions });
  const options = (extra: Partial<UploadTaskOptions> = {}): UploadTaskOptions => ({
    apiUrl: 'http://api.test',
    token: 't',
    fetch: backend.fetch,
    retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2 },
    concurrency: 2,
    ...extra,
  });
  return { backend, options };
}

/** Every event of a task, in order, as short strings. */
function record(task: UploadTask): string[] {
  const seen: string[] = [];
  task.on('statechange', ({ from, to }) => seen.push(`${from}>${to}`));
  task.on('session', (s) => seen.push(`session ${s.resumed ? 'resumed' : 'new'}`));
  task.on('error', (e) => seen.push(`error ${(e as UploadApiError).code ?? e.name}`));
  return seen;
}

const states = (seen: readonly string[]) => seen.filter((e) => e.includes('>'));

/** Resolves when the task reaches `state`. */
const reaching = (task: UploadTask, state: UploadTask['state']) =>
  new Promise<void>((resolve) => {
    if (task.state === state) return resolve();
    const off = task.on('statechange', ({ to }) => {
      if (to !== state) return;
      off();
      resolve();
    });
  });

describe('createUpload', () => {
  it('succeeds: queued > running > succeeded, with session and progress events', async () => {
    // Arrange
    const { backend, options } = setup();
    const file = fileOf(95);
    const progress: number[] = [];

    // Act
    const task = createUpload(file, options());
    const seen = record(task);
    task.on('progress', (p) => progress.push(p.confirmedBytes));
    const queuedAtOnce = task.state;
    const outcome = await task.done;

    // Assess
    expect(queuedAtOnce).toBe('queued');
    expect(seen).toEqual(['queued>running', 'session new', 'running>succeeded']);
    expect(outcome).toEqual({ state: 'succeeded', file: task.file });
    expect(task.file).toMatchObject({ size: 95, status: 'uploaded', name: 'a.bin' });
    expect(task.reason).toBeUndefined();
    expect(task.sessionId).toBe('s1');
    expect(task.progress).toMatchObject({ confirmedBytes: 95, percent: 100, chunksSent: 10 });
    expect(progress.at(-1)).toBe(95);
    expect(backend.files.get('s1')).toEqual(bytesOf(95));
  });

  it('can be awaited and listened to before it starts, and starts only when asked', async () => {
    const { backend, options } = setup();
    const task = createUpload(fileOf(30), options({ autoStart: false }));
    const done = task.done;
    const seen = record(task);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(task.state).toBe('queued');
    expect(task.sessionId).toBeUndefined();
    expect(backend.log.initiates).toEqual([]);

    task.start();
    expect((await done).state).toBe('succeeded');
    expect(states(seen)).toEqual(['queued>running', 'running>succeeded']);
  });

  it('stops calling a listener once it unsubscribes', async () => {
    const { options } = setup();
    const task = createUpload(fileOf(50), options({ concurrency: 1 }));
    let calls = 0;
    const off = task.on('progress', () => {
      calls++;
      off();
    });
    await task.done;
    expect(calls).toBe(1);
  });

  it.each([
    ['FILE_TOO_LARGE', fileOf(200), {}],
    ['UNSUPPORTED_CONTENT_TYPE', fileOf(10, 'a.exe', 0, 'application/x-msdownload'), {}],
    ['VALIDATION_ERROR', fileOf(10), { fileName: '..' }],
  ])('ends rejected when the server refuses the file: %s', async (code, file, extra) => {
    const { backend, options } = setup({
      maxFileSize: 100,
      allowedContentTypes: ['application/octet-stream'],
    });
    const task = createUpload(file, options(extra));
    const seen = record(task);

    const outcome = await task.done;

    expect(outcome.state).toBe('rejected');
    expect(task.reason).toBeInstanceOf(UploadApiError);
    expect(task.reason).toMatchObject({ code });
    expect(outcome).toEqual({ state: 'rejected', reason: task.reason });
    expect(seen).toEqual(['queued>running', 'running>rejected', `error ${code}`]);
    expect(backend.log.initiates).toHaveLength(1);
    expect(task.sessionId).toBeUndefined();
  });

  it('waits out a full quota, queued, then succeeds once a slot frees', async () => {
    // Arrange: one live session allowed, held by a paused upload.
    const { backend, options } = setup({ maxActiveSessions: 1 });
    const holder = createUpload(fileOf(50, 'holder.bin'), options({ concurrency: 1 }));
    holder.on('session', () => holder.pause());
    await reaching(holder, 'paused');

    // Act: the second upload meets the quota; cancelling the first frees it.
    const task = createUpload(
      fileOf(30, 'b.bin', 3),
      options({ quotaBackoff: { initialMs: 5, maxMs: 20 } }),
    );
    const seen = record(task);
    task.on('statechange', ({ from, to }) => {
      if (from === 'running' && to === 'queued') void holder.cancel();
    });
    const outcome = await task.done;

    // Assess
    expect(outcome.state).toBe('succeeded');
    expect(states(seen).slice(0, 3)).toEqual([
      'queued>running',
      'running>queued',
      'queued>running',
    ]);
    expect(states(seen).at(-1)).toBe('running>succeeded');
    expect(backend.log.initiates.filter((i) => i.fileName === 'b.bin')[0]?.status).toBe(429);
    expect(backend.log.maxActive).toBe(1);
    expect(holder.state).toBe('cancelled');
  });

  it('ends rejected when the quota does not clear within quotaWaitMs', async () => {
    const { backend, options } = setup({ maxActiveSessions: 0 });
    const task = createUpload(
      fileOf(30),
      options({ quotaWaitMs: 60, quotaBackoff: { initialMs: 5, maxMs: 10 } }),
    );
    const seen = record(task);

    const outcome = await task.done;

    expect(outcome.state).toBe('rejected');
    expect(task.reason).toMatchObject({ code: 'TOO_MANY_ACTIVE_UPLOADS', status: 429 });
    expect(backend.log.initiates.length).toBeGreaterThan(2);
    expect(backend.log.initiates.every((i) => i.status === 429)).toBe(true);
    expect(seen.at(-1)).toBe('error TOO_MANY_ACTIVE_UPLOADS');
    expect(seen.filter((e) => e === 'running>queued').length).toBe(
      backend.log.initiates.length - 1,
    );
  });

  it('ends rejected at once with quotaWaitMs 0', async () => {
    const { backend, options } = setup({ maxActiveSessions: 0 });
    const outcome = await createUpload(fileOf(30), options({ quotaWaitMs: 0 })).done;
    expect(outcome).toMatchObject({
      state: 'rejected',
      reason: { code: 'TOO_MANY_ACTIVE_UPLOADS' },
    });
    expect(backend.log.initiates).toHaveLength(1);
  });

  it('ends timedOut when the session expires (SESSION_EXPIRED)', async () => {
    const { backend, options } = setup();
    const task = createUpload(fileOf(200), options({ concurrency: 1 }));
    task.on('progress', (p) => {
      if (p.chunksSent === 3) backend.end(task.sessionId as string, 'expired');
    });
    const seen = record(task);

    const outcome = await task.done;

    expect(outcome.state).toBe('timedOut');
    expect(task.reason).toMatchObject({ code: 'SESSION_EXPIRED', status: 410 });
    expect(seen.slice(-2)).toEqual(['running>timedOut', 'error SESSION_EXPIRED']);
  });

  it('ends timedOut after timeoutMs, keeping the session', async () => {
    const { backend, options } = setup({ putDelayMs: 20 });
    const task = createUpload(fileOf(500), options({ concurrency: 1, timeoutMs: 60 }));

    const outcome = await task.done;

    expect(outcome.state).toBe('timedOut');
    expect(task.reason).toBeInstanceOf(UploadTimeoutError);
    expect(task.reason).toMatchObject({ timeoutMs: 60, sessionId: 's1' });
    expect(backend.status('s1')).not.toBe('cancelled');
    expect(backend.log.cancels).toEqual([]);
    const puts = backend.log.puts.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(backend.log.puts.length).toBe(puts); // nothing more is sent
  });

  it('cancel() mid-upload stops sending and cancels the session', async () => {
    // Arrange
    const { backend, options } = setup({ putDelayMs: 5 });
    const store = memoryStore();
    const task = createUpload(fileOf(300), options({ store }));
    const seen = record(task);
    let cancelled: Promise<void> | undefined;
    task.on('progress', (p) => {
      if (p.chunksSent >= 3) cancelled ??= task.cancel();
    });

    // Act
    const outcome = await task.done;
    await cancelled;

    // Assess
    expect(outcome.state).toBe('cancelled');
    expect(task.reason).toBeInstanceOf(UploadCancelledError);
    expect(task.reason).toMatchObject({ sessionId: 's1' });
    expect(backend.log.cancels).toEqual(['s1']);
    expect(backend.status('s1')).toBe('cancelled');
    expect(backend.log.puts.length).toBeLessThan(10);
    expect(backend.log.completeCalls).toBe(0);
    expect(store.entries.size).toBe(0);
    expect(seen.slice(-2)).toEqual(['running>cancelled', 'error UploadCancelledError']);
    await task.cancel(); // once ended, nothing more
    expect(backend.log.cancels).toEqual(['s1']);
  });

  it('cancel() before the session exists ends cancelled without a DELETE', async () => {
    const { backend, options } = setup();
    const task = createUpload(fileOf(30), options({ autoStart: false }));
    await task.cancel();
    expect(await task.done).toMatchObject({ state: 'cancelled' });
    expect(backend.log.initiates).toEqual([]);
    expect(backend.log.cancels).toEqual([]);
  });

  it('cancel() while initiate is unanswered cancels the session the server made meanwhile', async () => {
    // Arrange: the server takes a while to initiate and carries on when the client stops
    // waiting, as a real one does; the client's request gives up when its signal aborts.
    const { backend, options } = setup({ initiateDelayMs: 30 });
    let initiateSent!: () => void;
    const sent = new Promise<void>((resolve) => {
      initiateSent = resolve;
    });
    const fetch: FetchLike = (url, init) => {
      const answer = backend.fetch(url, { ...init, signal: null });
      if (!String(url).endsWith('/uploads/initiate')) return answer;
      initiateSent();
      return new Promise((resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true });
        answer.then(resolve, reject);
      });
    };
    const task = createUpload(fileOf(30), options({ fetch }));

    // Act
    await sent;
    await task.cancel();

    // Assess: the replayed initiate (same idempotency key) found the first one's session.
    expect(await task.done).toMatchObject({ state: 'cancelled' });
    expect(backend.sessionIds()).toEqual(['s1']);
    expect(backend.log.cancels).toEqual(['s1']);
    expect(backend.status('s1')).toBe('cancelled');
  });

  it('cancel() during a wait for the quota sends no more initiates', async () => {
    // Arrange: one live session allowed, and it is taken.
    const { backend, options } = setup({ maxActiveSessions: 1 });
    const holder = createUpload(fileOf(30, 'holder.bin'), options());
    const waiting = createUpload(fileOf(30, 'waiting.bin'), options({ quotaWaitMs: 60_000 }));
    await new Promise<void>((resolve) => {
      waiting.on('statechange', ({ from, to }) => {
        if (from === 'running' && to === 'queued') resolve(); // refused with 429, waiting
      });
    });
    const asked = backend.log.initiates.length;
    expect(backend.log.initiates.at(-1)).toEqual({ fileName: 'waiting.bin', status: 429 });

    // Act
    await waiting.cancel();

    // Assess
    expect(await waiting.done).toMatchObject({ state: 'cancelled' });
    expect(backend.log.initiates).toHaveLength(asked);
    await holder.done;
  });

  it('ends cancelled when the session was cancelled elsewhere (SESSION_CANCELLED)', async () => {
    const { backend, options } = setup();
    const task = createUpload(fileOf(200), options({ concurrency: 1 }));
    task.on('progress', (p) => {
      if (p.chunksSent === 2) backend.end(task.sessionId as string, 'cancelled');
    });
    const outcome = await task.done;
    expect(outcome.state).toBe('cancelled');
    expect(task.reason).toMatchObject({ code: 'SESSION_CANCELLED' });
  });

  it('ends errored when storage refuses a chunk for good', async () => {
    const { options } = setup({ storageAnswer: (chunk) => (chunk === 2 ? 400 : 200) });
    const task = createUpload(fileOf(100), options());
    const seen = record(task);
    const outcome = await task.done;
    expect(outcome.state).toBe('errored');
    expect(task.reason).toBeInstanceOf(UploadStorageError);
    expect(task.reason).toMatchObject({ status: 400, chunkNumber: 2 });
    expect(seen.at(-1)).toBe('error UploadStorageError');
  });

  it('ends errored with NETWORK_ERROR once retries run out', async () => {
    const { backend, options } = setup();
    const failing: FetchLike = (url, init) =>
      url.endsWith('/complete')
        ? Promise.reject(new TypeError('fetch failed'))
        : backend.fetch(url, init);
    const outcome = await createUpload(fileOf(30), options({ fetch: failing })).done;
    expect(outcome).toMatchObject({ state: 'errored', reason: { code: 'NETWORK_ERROR' } });
  });

  it('pauses, then resumes sending only the chunks the server misses', async () => {
    // Arrange: watch what resume answers.
    const { backend, options } = setup({ putDelayMs: 5 });
    let missingAtResume: number[] | undefined;
    let putsAtResume = 0;
    const watching: FetchLike = async (url, init) => {
      const response = await backend.fetch(url, init);
      if (url.endsWith('/resume')) {
        missingAtResume = (await response.clone().json()).data.missingChunks;
        putsAtResume = backend.log.puts.length;
      }
      return response;
    };
    const task = createUpload(fileOf(200), options({ fetch: watching }));
    const seen = record(task);
    task.on('progress', (p) => {
      if (p.chunksSent >= 5 && !missingAtResume) task.pause();
    });

    // Act
    await reaching(task, 'paused');
    const putsAtPause = backend.log.puts.length;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(backend.log.puts.length).toBe(putsAtPause); // paused: nothing is sent
    task.resume();
    const outcome = await task.done;

    // Assess
    expect(outcome.state).toBe('succeeded');
    expect(states(seen)).toEqual([
      'queued>running',
      'running>paused',
      'paused>queued',
      'queued>running',
      'running>succeeded',
    ]);
    expect(seen.filter((e) => e.startsWith('session'))).toEqual(['session new', 'session resumed']);
    const missing = missingAtResume as number[];
    expect(missing.length).toBeGreaterThan(0);
    expect(missing.length).toBeLessThan(20);
    const after = backend.log.puts.slice(putsAtResume).map((p) => p.chunk);
    expect(after.sort((a, b) => a - b)).toEqual(missing);
    expect(backend.log.initiates).toHaveLength(1);
    expect(backend.files.get('s1')).toEqual(bytesOf(200));
  });

  it('survives pause and resume in quick succession', async () => {
    // Arrange: pause and resume at once, then pause the next run once it sends.
    const { backend, options } = setup({ putDelayMs: 3 });
    const task = createUpload(fileOf(300), options());
    let stage = 0;
    let secondPause: (() => void) | undefined;
    const pausedAgain = new Promise<void>((resolve) => {
      secondPause = resolve;
    });
    task.on('session', () => {
      if (stage === 1) stage = 2; // the next run has its session
    });
    task.on('progress', (p) => {
      if (stage === 0 && p.chunksSent >= 4) {
        stage = 1;
        task.pause();
        task.resume(); // at once: the next run waits for this one to stop
      } else if (stage === 2 && p.chunksSent >= 2) {
        stage = 3;
        task.pause();
        secondPause?.();
      }
    });

    // Act
    await pausedAgain;
    const putsAtPause = backend.log.puts.length;
    await new Promise((resolve) => setTimeout(resolve, 30));
    const putsWhilePaused = backend.log.puts.length - putsAtPause;
    const stateWhilePaused = task.state;
    task.resume();
    const outcome = await task.done;

    // Assess
    expect(stateWhilePaused).toBe('paused');
    expect(putsWhilePaused).toBe(0);
    expect(outcome.state).toBe('succeeded');
    expect(backend.files.get('s1')).toEqual(bytesOf(300));
    expect(backend.log.initiates).toHaveLength(1);
  });

  it('pauses when the caller aborts its signal, and resumes from there', async () => {
    const { backend, options } = setup({ putDelayMs: 5 });
    const controller = new AbortController();
    const task = createUpload(fileOf(100), options({ signal: controller.signal }));
    task.on('progress', (p) => {
      if (p.chunksSent === 2) controller.abort();
    });
    await reaching(task, 'paused');
    task.resume();
    expect(await task.done).toMatchObject({ state: 'succeeded' });
    expect(backend.files.get('s1')).toEqual(bytesOf(100));
  });

  it('cancels a paused task', async () => {
    const { backend, options } = setup();
    const task = createUpload(fileOf(100), options());
    task.on('session', () => task.pause());
    await reaching(task, 'paused');
    await task.cancel();
    expect(task.state).toBe('cancelled');
    expect(backend.status('s1')).toBe('cancelled');
  });

  it('keeps done pending while paused', async () => {
    const { options } = setup();
    const task = createUpload(fileOf(100), options());
    task.on('session', () => task.pause());
    await reaching(task, 'paused');
    const settled = await Promise.race([
      task.done.then(() => 'done'),
      new Promise((resolve) => setTimeout(() => resolve('pending'), 30)),
    ]);
    expect(settled).toBe('pending');
    await task.cancel();
  });
});

describe('outcomeOf', () => {
  const api = (code: string, status = 400) => new UploadApiError(code, code, status);
  it.each([
    [api('SESSION_EXPIRED', 410), false, 'timedOut'],
    [api('SESSION_CANCELLED', 410), false, 'cancelled'],
    [api('FILE_TOO_LARGE', 413), true, 'rejected'],
    [api('UNSUPPORTED_CONTENT_TYPE', 415), true, 'rejected'],
    [api('TOO_MANY_ACTIVE_UPLOADS', 429), true, 'rejected'],
    [api('VALIDATION_ERROR'), true, 'rejected'],
    [api('VALIDATION_ERROR'), false, 'errored'],
    [api('NETWORK_ERROR', 0), false, 'errored'],
    [new UploadStorageError('no', 400, 1), false, 'errored'],
    [new Error('odd'), false, 'errored'],
  ])('%s (at initiate: %s) ends %s', (error, atInitiate, state) => {
    expect(outcomeOf(error, atInitiate)).toEqual({ state, reason: error });
  });

  it('wraps what is not an Error', () => {
    const outcome = outcomeOf('boom', false);
    expect(outcome.state).toBe('errored');
    expect(outcome.state !== 'succeeded' && outcome.reason.message).toBe('boom');
  });
});

/** Whether api.ts and put-chunk.ts announce their retries (they are wired by their owners). */
const flaky = (): FetchLike => {
  let calls = 0;
  return async () =>
    calls++ === 0
      ? new Response('', { status: 503 })
      : new Response(JSON.stringify({ success: true, data: {} }), { headers: { etag: '"e"' } });
};
const apiAnnounces = await (async () => {
  let told = false;
  await new UploadApiClient({
    apiUrl: 'http://api.test',
    token: 't',
    fetch: flaky(),
    retry: { baseDelayMs: 1, maxDelayMs: 1, onRetry: () => (told = true) } as never,
  }).get('x');
  return told;
})();
const putAnnounces = await (async () => {
  let told = false;
  await putChunk({
    chunkNumber: 0,
    bytes: new Uint8Array(1),
    signed: {
      chunkNumber: 0,
      url: 'http://s/p',
      method: 'PUT',
      headers: {},
      size: 1,
      expiresAt: '',
    },
    resign: async () => undefined,
    fetch: flaky(),
    retry: { ...resolveRetry({ baseDelayMs: 1, maxDelayMs: 1 }), onRetry: () => (told = true) },
    signal: new AbortController().signal,
    now: Date.now,
  });
  return told;
})();

describe('retry events', () => {
  it('waitToRetry tells onRetry the attempt, delay and error before it waits', async () => {
    const events: RetryEvent[] = [];
    const error = new Error('503');
    const options = resolveRetry({ baseDelayMs: 1, maxDelayMs: 1 });
    await waitToRetry(0, '0', error, { ...options, onRetry: (e) => events.push(e) });
    expect(events).toEqual([{ attempt: 1, delayMs: 0, error }]);
  });

  it.runIf(putAnnounces)('a task emits retry for a chunk PUT storage answered 503', async () => {
    const { options } = setup({
      storageAnswer: (chunk, attempt) => (chunk === 1 && attempt === 1 ? 503 : 200),
    });
    const task = createUpload(fileOf(30), options());
    const events: RetryEvent[] = [];
    task.on('retry', (e) => events.push(e));
    expect((await task.done).state).toBe('succeeded');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ attempt: 1, error: { status: 503, chunkNumber: 1 } });
  });

  it.runIf(apiAnnounces)('a task emits retry for an API call answered 503', async () => {
    const { backend, options } = setup();
    let failed = false;
    const once: FetchLike = (url, init) => {
      if (url.endsWith('/complete') && !failed) {
        failed = true;
        return Promise.resolve(new Response('', { status: 503 }));
      }
      return backend.fetch(url, init);
    };
    const task = createUpload(fileOf(30), options({ fetch: once }));
    const events: RetryEvent[] = [];
    task.on('retry', (e) => events.push(e));
    expect((await task.done).state).toBe('succeeded');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ attempt: 1, error: { code: 'HTTP_503', status: 503 } });
  });
});
