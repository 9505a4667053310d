import { describe, expect, it } from 'vitest';
import { UploadApiError } from '../../../client/sdk/errors.ts';
import { deleteFile } from '../../../client/sdk/manage.ts';
import type { UploadProgress } from '../../../client/sdk/progress.ts';
import { type UploadOptions, upload } from '../../../client/sdk/upload.ts';
import { type FakeBackend, type FakeBackendOptions, fakeBackend } from './fake-backend.ts';

const range = (length: number) => Array.from({ length }, (_, n) => n);

/** An upload of `fileSize` bytes in `chunkSize`-byte chunks against a fake backend. */
async function run(
  backendOptions: FakeBackendOptions & { fileSize: number; chunkSize: number },
  options: Partial<UploadOptions> & { onBackend?: (backend: FakeBackend) => void } = {},
) {
  const backend = fakeBackend(backendOptions);
  options.onBackend?.(backend);
  const progress: UploadProgress[] = [];
  const bytes = new Uint8Array(backendOptions.fileSize).map((_, i) => i % 251);
  const outcome = await upload(new Blob([bytes]), {
    apiUrl: 'http://api.test',
    token: 't',
    fetch: backend.fetch,
    retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2 },
    concurrency: 4,
    ...options,
    onProgress: (p) => {
      progress.push(p);
      options.onProgress?.(p);
    },
  }).then(
    (record) => ({ record, error: undefined }),
    (error: unknown) => ({ record: undefined, error }),
  );
  return { ...outcome, backend, log: backend.log, progress };
}

describe('upload', () => {
  it('flushes and awaits every record before complete, at under 0.1 API calls per chunk', async () => {
    // Act: 1000 chunks with the default batching.
    const { record, error, log } = await run({ fileSize: 1000, chunkSize: 1 });

    // Assess
    expect(error).toBeUndefined();
    expect(record).toMatchObject({ size: 1000, status: 'uploaded' });
    expect(log.atComplete).toEqual([{ recorded: 1000, recordsInFlight: 0 }]);
    expect(log.puts).toHaveLength(1000);
    const calls = log.signCalls.length + log.recordCalls.length;
    expect(calls / 1000).toBeLessThanOrEqual(0.1);
    expect(Math.max(...log.recordCalls.map((c) => c.length))).toBeLessThanOrEqual(100);
  });

  it('reports bytes as they are sent and as they are recorded', async () => {
    // Arrange: records are held until every byte is sent.
    let backend: FakeBackend | undefined;
    const { error, progress } = await run(
      { fileSize: 64, chunkSize: 8, holdRecords: true },
      {
        onBackend: (b) => {
          backend = b;
        },
        onProgress: (p) => {
          if (p.sentBytes === 64) backend?.releaseRecords();
        },
      },
    );

    // Assess
    expect(error).toBeUndefined();
    const sent = progress.map((p) => p.sentBytes);
    expect(sent).toEqual([...sent].sort((a, b) => a - b));
    expect(progress.every((p) => p.sentBytes >= p.confirmedBytes)).toBe(true);
    expect(progress.every((p) => p.bytesUploaded === p.confirmedBytes)).toBe(true);
    expect(progress).toContainEqual(
      expect.objectContaining({ sentBytes: 64, confirmedBytes: 0, percent: 0, chunksSent: 8 }),
    );
    expect(progress.at(-1)).toMatchObject({
      sentBytes: 64,
      confirmedBytes: 64,
      percent: 100,
      chunksUploaded: 8,
      chunksSent: 8,
    });
  });

  it('sends again the chunks complete lists as missing, then completes', async () => {
    // Act: the first complete drops chunks 1 and 3 (their stored parts changed).
    const { record, error, log, progress } = await run({
      fileSize: 50,
      chunkSize: 10,
      missingOnComplete: [[1, 3]],
    });

    // Assess
    expect(error).toBeUndefined();
    expect(record).toMatchObject({ size: 50 });
    expect(log.completeCalls).toBe(2);
    for (const n of range(5))
      expect(log.puts.filter((p) => p.chunk === n)).toHaveLength(n === 1 || n === 3 ? 2 : 1);
    const afterFirstComplete = log.events.slice(log.events.indexOf('complete'));
    expect(afterFirstComplete.filter((e) => e.startsWith('put')).sort()).toEqual([
      'put 1',
      'put 3',
    ]);
    expect(log.recordCalls.at(-1)?.sort()).toEqual([1, 3]);
    expect(progress).toContainEqual(
      expect.objectContaining({ confirmedBytes: 30, chunksUploaded: 3 }),
    );
    expect(progress.at(-1)).toMatchObject({ confirmedBytes: 50, percent: 100, chunksSent: 5 });
  });

  it('fails with a clear error when complete keeps listing a chunk after 3 re-sends', async () => {
    const { error, log } = await run({
      fileSize: 30,
      chunkSize: 10,
      missingOnComplete: [[2], [2], [2], [2]],
    });
    expect(error).toBeInstanceOf(UploadApiError);
    expect(error).toMatchObject({ code: 'CHUNKS_MISSING', details: { chunkNumber: 2 } });
    expect((error as Error).message).toMatch(/^chunk 2 was sent again 3 times/);
    expect(log.completeCalls).toBe(4);
    expect(log.puts.filter((p) => p.chunk === 2)).toHaveLength(4);
  });
});

describe('deleteFile', () => {
  it('deletes the finished file of a session', async () => {
    const requests: string[] = [];
    const backend = fakeBackend();
    const result = await deleteFile('s', {
      apiUrl: 'http://api.test',
      token: 't',
      fetch: (url, init) => {
        requests.push(`${init?.method} ${url}`);
        return backend.fetch(url, init);
      },
    });
    expect(result).toEqual({ id: 's', status: 'deleted' });
    expect(requests).toEqual(['DELETE http://api.test/api/v1/uploads/s/file']);
  });
});
