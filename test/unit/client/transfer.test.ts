import { describe, expect, it } from 'vitest';
import { UploadApiClient } from '../../../client/sdk/api.ts';
import { UploadStorageError } from '../../../client/sdk/errors.ts';
import { countChunks } from '../../../client/sdk/plan.ts';
import type { UploadSource } from '../../../client/sdk/source.ts';
import { type TransferPlan, transferChunks } from '../../../client/sdk/transfer.ts';

const json = (data: unknown, status = 200) =>
  new Response(JSON.stringify(status < 300 ? { success: true, data } : data), {
    status,
    headers: { 'content-type': 'application/json' },
  });

/** An in-memory API and storage behind one fetch, recording what the pipeline does. */
function fakeBackend(
  storageAnswer: (chunk: number, attempt: number) => number = () => 200,
  /** Chunks whose first record answers 422 ETAG_MISMATCH (storage held other bytes). */
  staleOnce: readonly number[] = [],
) {
  const stale = new Set(staleOnce);
  const log = {
    signCalls: [] as number[][],
    puts: [] as {
      chunk: number;
      headers: Record<string, string>;
      bytes: number;
      values: Set<number>;
    }[],
    recorded: [] as number[],
    inFlight: 0,
    maxInFlight: 0,
    maxSignedAhead: 0,
  };
  const attempts = new Map<number, number>();
  const signed = new Set<number>();
  const fetch = async (url: string, init?: RequestInit): Promise<Response> => {
    const { pathname } = new URL(url);
    if (pathname.endsWith('/chunks') && init?.method === 'POST') {
      const { chunks } = JSON.parse(String(init.body)) as {
        chunks: { chunkNumber: number; checksumSha256?: string }[];
      };
      log.signCalls.push(chunks.map((c) => c.chunkNumber));
      for (const c of chunks) signed.add(c.chunkNumber);
      log.maxSignedAhead = Math.max(log.maxSignedAhead, signed.size - log.recorded.length);
      return json({
        chunks: chunks.map((c) => ({
          chunkNumber: c.chunkNumber,
          url: `http://storage.test/part/${c.chunkNumber}`,
          method: 'PUT',
          headers: c.checksumSha256 ? { 'x-amz-checksum-sha256': c.checksumSha256 } : {},
          size: 0,
          expiresAt: new Date(Date.now() + 900_000).toISOString(),
        })),
      });
    }
    const record = /\/chunks\/(\d+)$/.exec(pathname);
    if (record && init?.method === 'PUT') {
      if (stale.delete(Number(record[1])))
        return json({ success: false, error: { code: 'ETAG_MISMATCH', message: 'stale' } }, 422);
      log.recorded.push(Number(record[1]));
      return json({ chunkNumber: Number(record[1]) });
    }
    const part = /^\/part\/(\d+)$/.exec(pathname);
    if (part) {
      const chunk = Number(part[1]);
      const attempt = (attempts.get(chunk) ?? 0) + 1;
      attempts.set(chunk, attempt);
      log.inFlight++;
      log.maxInFlight = Math.max(log.maxInFlight, log.inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      log.inFlight--;
      const body = (init?.body as Uint8Array | undefined) ?? new Uint8Array();
      log.puts.push({
        chunk,
        headers: init?.headers as Record<string, string>,
        bytes: body.length,
        values: new Set(body), // what storage received, after the PUT's 2 ms in flight
      });
      const status = storageAnswer(chunk, attempt);
      return new Response(status === 200 ? '' : '<Error><Code>Nope</Code></Error>', {
        status,
        headers: status === 200 ? { etag: `"etag-${chunk}"` } : {},
      });
    }
    throw new Error(`unexpected ${init?.method} ${url}`);
  };
  return { fetch, log };
}

function source(size: number): UploadSource & { reads: number } {
  const src = {
    name: 'fake.bin',
    size,
    reads: 0,
    read: async (start: number, end: number) => {
      src.reads++;
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
  backend: ReturnType<typeof fakeBackend>,
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
    onChunk: () => {},
    ...rest,
  };
}

describe('transferChunks', () => {
  it('signs in batches ahead of the workers and PUTs each chunk once with its headers', async () => {
    const backend = fakeBackend();
    const sizes: number[] = [];
    await transferChunks(
      plan(backend, { fileSize: 250 * 10 + 7, chunkSize: 10, onChunk: (_n, s) => sizes.push(s) }),
    );

    const { log } = backend;
    expect(log.puts.map((p) => p.chunk).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 251 }, (_, n) => n),
    );
    expect(log.recorded).toHaveLength(251);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(2507);
    expect(log.puts.find((p) => p.chunk === 250)?.bytes).toBe(7);
    expect(log.maxInFlight).toBeLessThanOrEqual(3);
    expect(log.maxInFlight).toBeGreaterThan(1);
    // Never more than signAhead chunks signed but unsent (plus those being PUT).
    expect(log.maxSignedAhead).toBeLessThanOrEqual(6 + 3);
    expect(Math.max(...log.signCalls.map((c) => c.length))).toBeLessThanOrEqual(6);
    expect(log.signCalls.flat()).toEqual(Array.from({ length: 251 }, (_, n) => n));
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
    const backend = fakeBackend((chunk, attempt) => {
      if (chunk === 2 && attempt === 1) return 403;
      if (chunk === 3 && attempt <= 2) return 503;
      if (chunk === 4 && attempt === 1) return 429;
      return 200;
    });
    await transferChunks(plan(backend, { fileSize: 60, chunkSize: 10 }));
    expect(backend.log.signCalls).toContainEqual([2]);
    expect(backend.log.recorded.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(backend.log.puts.filter((p) => p.chunk === 3)).toHaveLength(3);
  });

  it('sends a chunk again when storage holds other bytes than its last PUT (ETAG_MISMATCH)', async () => {
    // Arrange
    const backend = fakeBackend(() => 200, [2]);

    // Act
    await transferChunks(plan(backend, { fileSize: 50, chunkSize: 10 }));

    // Assess
    expect(backend.log.puts.filter((p) => p.chunk === 2)).toHaveLength(2);
    expect(backend.log.recorded.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('stops every worker at the first failure and throws it', async () => {
    const backend = fakeBackend((chunk) => (chunk === 1 ? 400 : 200));
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
        onChunk: () => controller.abort(new Error('paused')),
      }),
    ).catch((e: unknown) => e);
    expect((error as Error).message).toBe('paused');
    expect(backend.log.recorded.length).toBeLessThanOrEqual(3);
  });
});
