import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cancel,
  type FetchLike,
  memoryStore,
  type SessionStart,
  UploadAbortedError,
  UploadApiError,
  type UploadProgress,
  upload,
} from '../../client/sdk/index.ts';
import { type ApiClient, sha256Hex } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';

const MIB = 1024 * 1024;
let harness: Harness;
let api: ApiClient;

beforeAll(async () => {
  harness = await startHarness();
  api = await harness.as('sdk-user');
});
afterAll(() => harness?.close());

describe('the SDK', () => {
  it('pauses on abort, keeps the session, and resumes sending only the missing chunks', async () => {
    // Prepare
    const bytes = randomBytes(8 * 5 * MIB);
    const file = new File([bytes], 'paused.bin', { lastModified: 1_700_000_000_000 });
    const store = memoryStore();
    const controller = new AbortController();
    const options = { apiUrl: harness.url, token: async () => api.token, store, concurrency: 2 };

    // Act: abort once two chunks are stored (records go in the background, in batches).
    const paused = await upload(file, {
      ...options,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.chunksSent >= 2) controller.abort();
      },
    }).catch((error: unknown) => error);

    // Assess: an AbortError that names the kept session.
    expect(paused).toBeInstanceOf(UploadAbortedError);
    expect((paused as Error).name).toBe('AbortError');
    const sessionId = (paused as UploadAbortedError).sessionId as string;
    expect([...store.entries.values()].map((e) => e.sessionId)).toEqual([sessionId]);
    await new Promise((resolve) => setTimeout(resolve, 300)); // a PUT cut off at abort settles
    const state = await api.request('POST', `/uploads/${sessionId}/resume`);
    const missing: number[] = state.body.data.missingChunks;
    expect(missing.length).toBeGreaterThan(0);
    expect(missing.length).toBeLessThanOrEqual(6);

    // Act again: the same file resumes.
    let started: SessionStart | undefined;
    let last: UploadProgress | undefined;
    const record = await upload(file, {
      ...options,
      onSession: (s) => {
        started = s;
      },
      onProgress: (p) => {
        last = p;
      },
    });
    expect(started).toEqual({
      sessionId,
      resumed: true,
      totalChunks: 8,
      missingChunks: missing.length,
    });
    expect(last).toMatchObject({ chunksSent: missing.length, percent: 100, chunksUploaded: 8 });
    expect(record).toMatchObject({ sessionId, size: bytes.length, status: 'uploaded' });
    expect(store.entries.size).toBe(0);
    expect(sha256Hex(await api.download(sessionId))).toBe(sha256Hex(bytes));
  });

  it('starts afresh when the remembered session was cancelled', async () => {
    const file = new File([randomBytes(6 * MIB)], 'cancelled.bin', { lastModified: 1 });
    const store = memoryStore();
    const controller = new AbortController();
    const options = { apiUrl: harness.url, token: api.token, store, checksum: 'NONE' as const };
    const paused = (await upload(file, {
      ...options,
      signal: controller.signal,
      onSession: () => controller.abort(),
    }).catch((error: unknown) => error)) as UploadAbortedError;
    expect(paused.name).toBe('AbortError');

    await cancel(paused.sessionId as string, options);
    expect((await api.request('GET', `/uploads/${paused.sessionId}`)).body.data.status).toBe(
      'cancelled',
    );

    const record = await upload(file, options);
    expect(record.sessionId).not.toBe(paused.sessionId);
    expect(record.size).toBe(6 * MIB);
    expect(store.entries.size).toBe(0);
  });

  it('answers from the server when the last run completed but never heard back', async () => {
    // Prepare: the first run is paused just after its complete call reached the server.
    const file = new File([randomBytes(6 * MIB)], 'lost-answer.bin', { lastModified: 2 });
    const store = memoryStore();
    const controller = new AbortController();
    const requests: string[] = [];
    const watching: FetchLike = async (url, init) => {
      requests.push(`${init?.method ?? 'GET'} ${new URL(url).pathname}`);
      const response = await fetch(url, init);
      if (url.endsWith('/complete') && !controller.signal.aborted) {
        controller.abort();
        throw new DOMException('answer lost', 'AbortError');
      }
      return response;
    };
    const options = { apiUrl: harness.url, token: api.token, store, fetch: watching };
    const paused = await upload(file, { ...options, signal: controller.signal }).catch(
      (e: unknown) => e as UploadAbortedError,
    );
    expect(paused).toBeInstanceOf(UploadAbortedError);
    expect(store.entries.size).toBe(1);

    // Act
    requests.length = 0;
    let started: SessionStart | undefined;
    const record = await upload(file, {
      ...options,
      onSession: (s) => {
        started = s;
      },
    });

    // Assess: the finished file, without sending a byte again.
    expect(record).toMatchObject({ sessionId: paused.sessionId, size: 6 * MIB });
    expect(started).toMatchObject({ resumed: true, missingChunks: 0, totalChunks: 2 });
    expect(requests.filter((r) => !r.includes('/api/v1/'))).toEqual([]);
    expect(store.entries.size).toBe(0);
  });

  it('throws a typed error without retrying what retrying cannot fix', async () => {
    let calls = 0;
    const counting: FetchLike = (url, init) => {
      calls++;
      return fetch(url, init);
    };
    const error = await upload(new Blob(['hello']), {
      apiUrl: harness.url,
      token: 'not-a-token',
      fetch: counting,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadApiError);
    expect(error).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    expect(calls).toBe(1);

    const invalid = await upload(new Blob(['x']), {
      apiUrl: harness.url,
      token: api.token,
      fileName: '..',
    }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ code: 'VALIDATION_ERROR', status: 400 });
    expect((invalid as UploadApiError).details).toBeDefined();
  });

  it('uploads a zero-byte Blob', async () => {
    const record = await upload(new Blob([]), {
      apiUrl: harness.url,
      token: api.token,
      fileName: 'empty.txt',
    });
    expect(record).toMatchObject({ size: 0, status: 'uploaded' });
    expect((await api.download(record.sessionId)).length).toBe(0);
  });
});
