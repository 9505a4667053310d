import { describe, expect, it } from 'vitest';
import { UploadApiClient } from '../../../client/sdk/api.ts';
import { UploadApiError, UploadStorageError } from '../../../client/sdk/errors.ts';
import { countChunks } from '../../../client/sdk/plan.ts';
import type { UploadSource } from '../../../client/sdk/source.ts';
import { type TransferPlan, transferChunks } from '../../../client/sdk/transfer.ts';
import { type FakeBackend, fakeBackend } from './fake-backend.ts';

function source(size: number): UploadSource & { reads: number[] } {
  const src = {
    name: 'fake.bin',
    size,
    reads: [] as number[],
    read: async (start: number, end: number) => {
      src.reads.push(start);
      return new Uint8Array(end - start).fill(start % 251);
    },
  };
  return src;
}

/** A source that reads into the buffers it is given, remembering which buffers those were. */
function bufferedSource(size: number): UploadSource & { buffers: Set<ArrayBufferLike> } {
  const buffers = new Set<ArrayBufferLike>();
  const fill = async (start: number, end: number, target: Uint8Array<ArrayBuffer>) => {
    buffers.add(target.buffer);
    await new Promise((resolve) => setTimeout(resolve, 1));
    return target.subarray(0, end - start).fill(start % 251);
  };
  return {
    name: 'buffered.bin',
    size,
    buffers,
    read: (start, end) => fill(start, end, new Uint8Array(end - start)),
    readInto: fill,
  };
}

function plan(
  backend: FakeBackend,
  overrides: Partial<TransferPlan> & { fileSize: number; chunkSize: number },
): TransferPlan {
  const { fileSize, chunkSize, ...rest } = overrides;
  const totalChunks = countChunks(fileSize, chunkSize);
  const api = new UploadApiClient({
    apiUrl: 'http://api.test',
    token: 't',
    fetch: backend.fetch,
    retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 2 },
  });
  return {
    api,
    sessionId: 's',
    layout: { fileSize, chunkSize, totalChunks },
    checksum: 'SHA256',
    source: source(fileSize),
    chunks: Array.from({ length: totalChunks }, (_, n) => n),
    concurrency: 3,
    signAhead: 6,
    fetch: backend.fetch,
    retry: api.retry,
    signal: undefined,
    ...rest,
  };
}

const sorted = (values: Iterable<number>) => [...values].sort((a, b) => a - b);
const range = (length: number) => Array.from({ length }, (_, n) => n);

describe('transferChunks', () => {
  it('signs in batches ahead of the workers and PUTs each chunk once with its headers', async () => {
    const backend = fakeBackend();
    const sizes: number[] = [];
    await transferChunks(
      plan(backend, { fileSize: 250 * 10 + 7, chunkSize: 10, onSent: (_n, s) => sizes.push(s) }),
    );

    const { log } = backend;
    expect(sorted(log.puts.map((p) => p.chunk))).toEqual(range(251));
    expect(sorted(log.recorded)).toEqual(range(251));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(2507);
    expect(log.puts.find((p) => p.chunk === 250)?.bytes).toBe(7);
    expect(log.maxInFlight).toBeLessThanOrEqual(3);
    expect(log.maxInFlight).toBeGreaterThan(1);
    // Never more than signAhead chunks signed but not stored (plus those being PUT).
    expect(log.maxSignedAhead).toBeLessThanOrEqual(6 + 3);
    expect(Math.max(...log.signCalls.map((c) => c.length))).toBeLessThanOrEqual(6);
    expect(log.signCalls.flat()).toEqual(range(251));
    for (const put of log.puts) expect(Object.keys(put.headers)).toEqual(['x-amz-checksum-sha256']);
  });

  it('reuses one buffer per worker and one for hashing, never overwriting a chunk in flight', async () => {
    const backend = fakeBackend();
    const src = bufferedSource(40 * 10 + 3);

    await transferChunks(
      plan(backend, { fileSize: src.size, chunkSize: 10, concurrency: 3, source: src }),
    );

    expect(src.buffers.size).toBe(3 + 1);
    expect(backend.log.puts).toHaveLength(41);
    for (const put of backend.log.puts)
      expect(put.values).toEqual(new Set([(put.chunk * 10) % 251]));
    expect(backend.log.puts.find((p) => p.chunk === 40)?.bytes).toBe(3);
  });

  it('allocates no hashing buffer when chunks carry no checksum', async () => {
    // Arrange
    const backend = fakeBackend();
    const src = bufferedSource(40 * 10);

    // Act
    await transferChunks(
      plan(backend, {
        fileSize: src.size,
        chunkSize: 10,
        concurrency: 3,
        source: src,
        checksum: 'NONE',
      }),
    );

    // Assess
    expect(src.buffers.size).toBe(3);
    expect(backend.log.puts).toHaveLength(40);
  });

  it('signs at most 100 chunks per call and sends no checksum header without checksums', async () => {
    const backend = fakeBackend();
    await transferChunks(
      plan(backend, { fileSize: 300, chunkSize: 1, signAhead: 500, checksum: 'NONE' }),
    );
    expect(Math.max(...backend.log.signCalls.map((c) => c.length))).toBe(100);
    expect(backend.log.puts.every((p) => Object.keys(p.headers).length === 0)).toBe(true);
  });

  it('re-signs a chunk whose URL storage refuses with 403 and retries 5xx/429', async () => {
    const backend = fakeBackend({
      storageAnswer: (chunk, attempt) => {
        if (chunk === 2 && attempt === 1) return 403;
        if (chunk === 3 && attempt <= 2) return 503;
        if (chunk === 4 && attempt === 1) return 429;
        return 200;
      },
    });
    await transferChunks(plan(backend, { fileSize: 60, chunkSize: 10 }));
    expect(backend.log.signCalls).toContainEqual([2]);
    expect(sorted(backend.log.recorded)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(backend.log.puts.filter((p) => p.chunk === 3)).toHaveLength(3);
  });

  it('stops every worker at the first failure and throws it', async () => {
    const backend = fakeBackend({ storageAnswer: (chunk) => (chunk === 1 ? 400 : 200) });
    const error = await transferChunks(
      plan(backend, { fileSize: 1000, chunkSize: 10, concurrency: 2 }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadStorageError);
    expect(error).toMatchObject({ status: 400, chunkNumber: 1 });
    expect((error as Error).message).toContain('(Nope)');
    expect(backend.log.puts.length).toBeLessThan(10);
  });

  it('rejects with the abort reason and starts nothing more once aborted', async () => {
    const backend = fakeBackend();
    const controller = new AbortController();
    const error = await transferChunks(
      plan(backend, {
        fileSize: 1000,
        chunkSize: 10,
        signal: controller.signal,
        onSent: () => controller.abort(new Error('paused')),
      }),
    ).catch((e: unknown) => e);
    expect((error as Error).message).toBe('paused');
    expect(backend.log.puts.length).toBeLessThanOrEqual(3);
  });
});

describe('transferChunks records in the background', () => {
  it('PUTs every chunk while no record call has been answered, two record calls at most in flight', async () => {
    // Arrange: record calls are held until released.
    const backend = fakeBackend({ holdRecords: true });
    const src = bufferedSource(250 * 10);
    const sent: number[] = [];
    let confirmed = 0;

    // Act
    const done = transferChunks(
      plan(backend, {
        fileSize: src.size,
        chunkSize: 10,
        source: src,
        signAhead: 64,
        recordBatch: { size: 32, delayMs: 10_000, inFlight: 2 },
        onSent: (n) => sent.push(n),
        onConfirmed: (chunks) => {
          confirmed += chunks.length;
        },
      }),
    );
    while (sent.length < 250) await new Promise((resolve) => setTimeout(resolve, 5));

    // Assess: every chunk is stored, none recorded, and memory stayed at 3 + 1 buffers.
    expect(backend.log.puts).toHaveLength(250);
    expect(backend.log.events).not.toContain('recorded');
    expect(confirmed).toBe(0);
    expect(backend.log.recordCalls).toHaveLength(2);
    expect(backend.log.recordsInFlight).toBe(2);
    expect(src.buffers.size).toBe(3 + 1);

    backend.releaseRecords();
    await done;
    expect(confirmed).toBe(250);
    expect(backend.log.maxRecordsInFlight).toBe(2);
    expect(sorted(backend.log.recorded)).toEqual(range(250));
    // The queue grew while both calls were held: later batches carry up to 100 entries.
    const sizes = backend.log.recordCalls.map((c) => c.length);
    expect(sizes.slice(0, 2)).toEqual([32, 32]);
    expect(Math.max(...sizes)).toBe(100);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(250);
  });

  it('batches records by count and resolves only once every record is answered', async () => {
    // Arrange: time never triggers a batch here.
    const backend = fakeBackend();
    let confirmed = 0;

    // Act
    await transferChunks(
      plan(backend, {
        fileSize: 100,
        chunkSize: 1,
        signAhead: 64,
        recordBatch: { size: 32, delayMs: 60_000 },
        onConfirmed: (chunks) => {
          confirmed += chunks.length;
        },
      }),
    );

    // Assess: batches of at least 32 until the last, flushed once every chunk was stored.
    const sizes = backend.log.recordCalls.map((c) => c.length);
    expect(sizes.slice(0, -1).every((n) => n >= 32)).toBe(true);
    expect(sizes.length).toBeLessThanOrEqual(4);
    expect(backend.log.recordsInFlight).toBe(0);
    expect(confirmed).toBe(100);
    const lastPut = backend.log.events.findLastIndex((e) => e.startsWith('put'));
    expect(backend.log.events.lastIndexOf('record')).toBeGreaterThan(lastPut);
  });

  it('sends a record batch by time while chunks are still being PUT', async () => {
    // Arrange: one slow worker; 10 chunks take ~200 ms to PUT.
    const backend = fakeBackend({ putDelayMs: 20 });

    // Act
    await transferChunks(
      plan(backend, {
        fileSize: 10,
        chunkSize: 1,
        concurrency: 1,
        recordBatch: { size: 32, delayMs: 30 },
      }),
    );

    // Assess: the first batch went out before the last PUT; time alone sent no second one.
    const { events, recordCalls } = backend.log;
    expect(events.indexOf('record')).toBeLessThan(events.indexOf('put 9'));
    expect(recordCalls[0]?.length).toBeLessThan(10);
    expect(recordCalls).toHaveLength(2);
    expect(sorted(recordCalls.flat())).toEqual(range(10));
  });

  it.each(['ETAG_MISMATCH', 'CHUNK_NOT_UPLOADED', 'CHUNK_SIZE_MISMATCH'])(
    'reads, hashes and sends again a chunk whose record is rejected with %s',
    async (code) => {
      // Arrange
      const backend = fakeBackend({ rejections: { 2: [code] } });
      const src = source(50);
      const requeued: number[] = [];

      // Act
      await transferChunks(
        plan(backend, {
          fileSize: 50,
          chunkSize: 10,
          source: src,
          onRequeued: (n) => requeued.push(n),
        }),
      );

      // Assess: chunk 2 read twice more (hash + PUT), signed again, stored and recorded.
      expect(requeued).toEqual([2]);
      expect(backend.log.puts.filter((p) => p.chunk === 2)).toHaveLength(2);
      expect(src.reads.filter((start) => start === 20)).toHaveLength(4);
      expect(backend.log.signCalls.filter((c) => c.includes(2))).toHaveLength(2);
      expect(sorted(backend.log.recorded)).toEqual([0, 1, 2, 3, 4]);
    },
  );

  it('fails with a clear error once a chunk was sent again 3 times', async () => {
    const backend = fakeBackend({ rejections: { 1: Array(4).fill('ETAG_MISMATCH') } });
    const error = await transferChunks(plan(backend, { fileSize: 30, chunkSize: 10 })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UploadApiError);
    expect(error).toMatchObject({ code: 'ETAG_MISMATCH', details: { chunkNumber: 1 } });
    expect((error as Error).message).toMatch(/^chunk 1 was sent again 3 times/);
    expect(backend.log.puts.filter((p) => p.chunk === 1)).toHaveLength(4);
  });

  it('fails on a rejection that sending again cannot fix', async () => {
    const backend = fakeBackend({ rejections: { 0: ['SOMETHING_ELSE'] } });
    const error = await transferChunks(plan(backend, { fileSize: 30, chunkSize: 10 })).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'SOMETHING_ELSE', details: { chunkNumber: 0 } });
    expect(backend.log.puts.filter((p) => p.chunk === 0)).toHaveLength(1);
  });
});
