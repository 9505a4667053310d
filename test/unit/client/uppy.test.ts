import { createHash } from 'node:crypto';
import AwsS3 from '@uppy/aws-s3';
import Uppy from '@uppy/core';
import { describe, expect, it } from 'vitest';
import {
  type UppyAdapterOptions,
  type UppyPartBytesOptions,
  UppyPartSizeError,
  uploadApiUppyOptions,
} from '../../../client/sdk/uppy.ts';
import { partSizeFor, uppyPartCount } from '../../../client/sdk/uppy-part-size.ts';
import { MIB, planChunks } from '../../../src/domain/chunk-plan.ts';
import { type FakeBackend, type FakeBackendOptions, fakeBackend, json } from './fake-backend.ts';

const RETRY = { retries: 1, baseDelayMs: 1, maxDelayMs: 2 };
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('base64');
const bytesOf = (size: number, seed = 0) =>
  new Uint8Array(size).map((_, i) => (i * 31 + seed + (i >> 13)) % 251);

/**
 * Uppy's own PUT (AwsS3.uploadPartBytes uses XMLHttpRequest) through the fake storage: the
 * signature's URL and headers, the part's bytes, the ETag storage answers.
 */
const uploadPartBytesThrough =
  (backend: FakeBackend) =>
  async ({ signature, body, signal, onProgress, onComplete }: UppyPartBytesOptions) => {
    const bytes = new Uint8Array(await (body as Blob).arrayBuffer());
    const response = await backend.fetch(signature.url as string, {
      method: 'PUT',
      headers: { ...signature.headers },
      body: bytes,
      ...(signal ? { signal } : {}),
    });
    if (!response.ok)
      throw Object.assign(new Error('Non 2xx'), { source: { status: response.status } });
    const etag = response.headers.get('etag') as string;
    (onProgress as (e: unknown) => void)({ loaded: bytes.length, lengthComputable: true });
    (onComplete as (etag: string) => void)(etag);
    return { ETag: etag };
  };

/**
 * The fake backend plus GET /uploads/{id} (the session as initiate answered it, with its status
 * now) and GET /uploads/{id}/download, which the fake lacks.
 */
function withSessionReads(backend: FakeBackend, calls: string[] = []): FakeBackend['fetch'] {
  const initiated = new Map<string, Record<string, unknown>>();
  return async (url, init) => {
    const method = init?.method ?? 'GET';
    const path = new URL(url).pathname;
    calls.push(`${method} ${path}`);
    const download = /^\/api\/v1\/uploads\/([^/]+)\/download$/.exec(path);
    if (method === 'GET' && download)
      return json({ url: `http://storage.test/download/${download[1]}`, expiresAt: '' });
    const read = /^\/api\/v1\/uploads\/([^/]+)$/.exec(path);
    const session = read && method === 'GET' ? initiated.get(read[1] as string) : undefined;
    if (session) return json({ ...session, status: backend.status(session.id as string) });
    const response = await backend.fetch(url, init);
    if (path.endsWith('/uploads/initiate') && response.ok) {
      const { data } = await response.clone().json();
      initiated.set(data.id, data);
    }
    return response;
  };
}

/** Uppy with AwsS3 on the adapter, against a fake backend; one file per `sizes` entry. */
async function uppyRun(
  sizes: readonly number[],
  options: {
    backend?: FakeBackendOptions;
    adapter?: Partial<UppyAdapterOptions>;
    limit?: number;
    setup?: (uppy: Uppy, backend: FakeBackend) => void;
  } = {},
) {
  const backend = fakeBackend({ putDelayMs: 1, ...options.backend });
  const calls: string[] = [];
  const adapter = uploadApiUppyOptions({
    apiUrl: 'http://api.test',
    token: 't',
    fetch: withSessionReads(backend, calls),
    retry: RETRY,
    location: 'key',
    uploadPartBytes: uploadPartBytesThrough(backend),
    ...options.adapter,
  });
  const uppy = new Uppy().use(AwsS3, { ...adapter, limit: options.limit ?? 4 });
  const sources = sizes.map((size, i) => bytesOf(size, i));
  const ids = sources.map((bytes, i) =>
    uppy.addFile({
      name: `file-${i}.bin`,
      type: 'application/octet-stream',
      data: new Blob([bytes]),
    }),
  );
  options.setup?.(uppy, backend);
  const result = await uppy.upload();
  return { uppy, backend, log: backend.log, calls, sources, ids, result };
}

describe('uploadApiUppyOptions with Uppy and @uppy/aws-s3', () => {
  it('uploads a multi-part and a small file: initiate, checksummed part URLs, records, complete', async () => {
    // Act
    const { backend, log, sources, result } = await uppyRun([12 * MIB, 1000]);

    // Assess: Uppy saw both succeed, with the adapter's answer as the response body.
    expect(result?.failed).toEqual([]);
    expect(result?.successful).toHaveLength(2);
    const bodies = (result?.successful ?? []).map((f) => f.response?.body);
    expect(bodies).toEqual([
      expect.objectContaining({ sessionId: 's1', key: 'k/s1', location: 'k/s1' }),
      expect.objectContaining({ sessionId: 's2', key: 'k/s2', location: 'k/s2' }),
    ]);
    expect(bodies[0]?.file).toMatchObject({ sessionId: 's1', status: 'uploaded' });
    // The bytes the fake assembled are the sources'.
    expect(sha256(backend.files.get('s1') as Uint8Array)).toBe(sha256(sources[0] as Uint8Array));
    expect(sha256(backend.files.get('s2') as Uint8Array)).toBe(sha256(sources[1] as Uint8Array));
    // Parts of 5 MiB, each PUT with its own SHA-256 as the signed header.
    const puts = log.puts.filter((p) => p.session === 's1').sort((a, b) => a.chunk - b.chunk);
    expect(puts.map((p) => [p.chunk, p.bytes])).toEqual([
      [0, 5 * MIB],
      [1, 5 * MIB],
      [2, 2 * MIB],
    ]);
    const source = sources[0] as Uint8Array;
    for (const put of puts) {
      const part = source.subarray(put.chunk * 5 * MIB, put.chunk * 5 * MIB + put.bytes);
      expect(put.headers['x-amz-checksum-sha256']).toBe(sha256(part));
    }
    expect(log.puts.find((p) => p.session === 's2')?.headers['x-amz-checksum-sha256']).toBe(
      sha256(sources[1] as Uint8Array),
    );
    expect(backend.status('s1')).toBe('uploaded');
    expect(backend.status('s2')).toBe('uploaded');
    expect(log.cancels).toEqual([]);
  });

  it('asks for the part size Uppy cuts and records each part once, as it is stored', async () => {
    // Act
    const { log, result } = await uppyRun([11 * MIB]);

    // Assess: every chunk recorded exactly once before complete (records as parts finish,
    // nothing left for completion to record again).
    expect(result?.failed).toEqual([]);
    expect(log.recorded.sort()).toEqual([0, 1, 2]);
    expect(log.recordCalls.flat().sort()).toEqual([0, 1, 2]);
    expect(log.atComplete).toEqual([{ recorded: 3, recordsInFlight: 0 }]);
  });

  it('resumes a paused upload through the ledger: listParts is POST /resume, only the rest is sent', async () => {
    // Prepare: one part at a time; pause as the first part is stored, resume once paused.
    let paused = false;
    const { backend, log, calls, sources, result } = await uppyRun([12 * MIB], {
      limit: 1,
      setup: (uppy) => {
        uppy.on('s3-multipart:part-uploaded', (file, part) => {
          if (part.PartNumber !== 1 || paused || !file) return;
          paused = true;
          uppy.pauseResume(file.id);
        });
        uppy.on('upload-pause', (file, isPaused) => {
          if (isPaused && file) queueMicrotask(() => uppy.pauseResume(file.id));
        });
      },
    });

    // Assess
    expect(paused).toBe(true);
    expect(result?.failed).toEqual([]);
    expect(calls).toContain('POST /api/v1/uploads/s1/resume');
    expect(log.puts.map((p) => p.chunk).sort()).toEqual([0, 1, 2]);
    expect(sha256(backend.files.get('s1') as Uint8Array)).toBe(sha256(sources[0] as Uint8Array));
    expect(log.events).toContain('complete');
  });

  it('fails clearly, and cancels the session, when the server picks another chunk size', async () => {
    // Prepare: a server that answers 8 MiB chunks whatever is asked.
    const { log, result } = await uppyRun([12 * MIB], {
      backend: { fileSize: 12 * MIB, chunkSize: 8 * MIB },
    });

    // Assess
    expect(result?.successful).toEqual([]);
    expect(result?.failed?.[0]?.error).toMatch(/2 chunks of 8388608 bytes.*3 parts of 5242880/);
    expect(log.puts).toEqual([]);
    expect(log.cancels).toContain('s');
  });

  it('sends no checksum with checksum NONE', async () => {
    const { log, result } = await uppyRun([6 * MIB], { adapter: { checksum: 'NONE' } });

    expect(result?.failed).toEqual([]);
    expect(log.puts.map((p) => p.headers)).toEqual([{}, {}]);
  });
});

describe('uploadApiUppyOptions, call by call', () => {
  const adapterOn = (fetch: FakeBackend['fetch'], extra: Partial<UppyAdapterOptions> = {}) =>
    uploadApiUppyOptions({ apiUrl: 'http://api.test', token: 't', fetch, retry: RETRY, ...extra });
  const file = (size: number) => ({ name: 'f.bin', size, type: 'application/octet-stream' });

  it('follows the server chunk-size rule in getChunkSize', () => {
    const { getChunkSize } = adapterOn(fakeBackend().fetch);
    for (const fileSize of [0, 1, 5 * MIB, 5 * MIB + 1, 50_000 * MIB, 50_000 * MIB + 1, 2 ** 42]) {
      const plan = planChunks({
        fileSize,
        requestedChunkSize: 5 * MIB,
        defaultChunkSize: 5 * MIB,
        maxFileSize: 2 ** 50,
      });
      expect(getChunkSize({ size: fileSize })).toBe(plan.chunkSize);
      expect(uppyPartCount(fileSize, partSizeFor(fileSize))).toBe(plan.totalChunks);
    }
    expect(() => adapterOn(fakeBackend().fetch, { chunkSize: MIB })).toThrow(RangeError);
  });

  it('without an uploadPartBytes hook records every part at completion, 100 per call', async () => {
    // Prepare: a server that records whatever it is sent and logs the batches.
    const batches: number[][] = [];
    const completes: string[] = [];
    const fetch: FakeBackend['fetch'] = async (url, init) => {
      const path = new URL(url).pathname;
      if (init?.method === 'PUT' && path === '/api/v1/uploads/big/chunks') {
        const chunks = JSON.parse(String(init.body)).chunks as { chunkNumber: number }[];
        batches.push(chunks.map((c) => c.chunkNumber));
        return json({
          recorded: chunks.map((c) => ({ ...c, size: 1, checksum: null, uploadedAt: '' })),
          rejected: [],
          uploadedBytes: 0,
          chunksUploaded: 0,
          totalChunks: 250,
        });
      }
      if (init?.method === 'POST' && path === '/api/v1/uploads/big/complete') {
        completes.push(path);
        return json({ id: 'f', sessionId: 'big', key: 'k/big', status: 'uploaded' });
      }
      throw new Error(`unexpected ${init?.method} ${path}`);
    };
    const adapter = adapterOn(fetch, { location: 'key' });
    const parts = Array.from({ length: 250 }, (_, n) => ({ PartNumber: n + 1, ETag: `"e${n}"` }));

    // Act: two parts came from listParts (the ledger has them: no ETag).
    const done = await adapter.completeMultipartUpload(file(250 * 5 * MIB), {
      uploadId: 'big',
      key: 'k/big',
      parts: [...parts.slice(2), { PartNumber: 1 }, { PartNumber: 2 }],
    });

    // Assess
    expect(batches.map((b) => b.length)).toEqual([100, 100, 48]);
    expect(batches.flat().sort((a, b) => a - b)).toEqual(
      Array.from({ length: 248 }, (_, n) => n + 2),
    );
    expect(completes).toHaveLength(1);
    expect(done).toMatchObject({ location: 'k/big', key: 'k/big', sessionId: 'big' });
  });

  it('maps resume to listParts: stored parts with their sizes, no ETags', async () => {
    // Prepare: a 12 MiB session whose parts 1 and 3 are stored (one recorded, one not).
    const backend = fakeBackend();
    const adapter = adapterOn(backend.fetch);
    const big = file(12 * MIB);
    const { uploadId } = await adapter.createMultipartUpload(big);
    const data = bytesOf(12 * MIB);
    for (const partNumber of [1, 3]) {
      const body = new Blob([data.subarray((partNumber - 1) * 5 * MIB, partNumber * 5 * MIB)]);
      const request = await adapter.signPart(big, { uploadId, key: 'k', partNumber, body });
      const put = await backend.fetch(request.url, {
        method: 'PUT',
        headers: request.headers,
        body: new Uint8Array(await body.arrayBuffer()),
      });
      if (partNumber === 1)
        await backend.fetch(`http://api.test/api/v1/uploads/${uploadId}/chunks`, {
          method: 'PUT',
          body: JSON.stringify({ chunks: [{ chunkNumber: 0, etag: put.headers.get('etag') }] }),
        });
    }

    // Act
    const parts = await adapter.listParts(big, { uploadId, key: 'k' });

    // Assess
    expect(parts).toEqual([
      { PartNumber: 1, Size: 5 * MIB },
      { PartNumber: 3, Size: 2 * MIB },
    ]);
    expect(backend.recordedOf(uploadId)).toEqual([0, 2]);
  });

  it('lists every part of a session completed already, so complete answers it again', async () => {
    // Prepare: a one-part session, uploaded.
    const backend = fakeBackend();
    const adapter = adapterOn(withSessionReads(backend));
    const small = file(10);
    const { uploadId } = await adapter.createMultipartUpload(small);
    const body = new Blob([bytesOf(10)]);
    const request = await adapter.signPart(small, { uploadId, key: 'k', partNumber: 1, body });
    const put = await backend.fetch(request.url, {
      method: 'PUT',
      headers: request.headers,
      body: new Uint8Array(await body.arrayBuffer()),
    });
    const etag = put.headers.get('etag') as string;
    const first = await adapter.completeMultipartUpload(small, {
      uploadId,
      key: 'k',
      parts: [{ PartNumber: 1, ETag: etag }],
    });

    // Act
    const parts = await adapter.listParts(small, { uploadId, key: 'k' });
    const again = await adapter.completeMultipartUpload(small, { uploadId, key: 'k', parts });

    // Assess
    expect(first.location).toBe(`http://storage.test/download/${uploadId}`);
    expect(parts).toEqual([{ PartNumber: 1, Size: 10 }]);
    expect(again.file).toEqual(first.file);
  });

  it('refuses a part whose size is not the chunk the server expects', async () => {
    const backend = fakeBackend();
    const adapter = adapterOn(backend.fetch);
    const big = file(12 * MIB);
    const { uploadId } = await adapter.createMultipartUpload(big);

    const signing = adapter.signPart(big, {
      uploadId,
      key: 'k',
      partNumber: 1,
      body: new Blob([new Uint8Array(100)]),
    });

    await expect(signing).rejects.toThrow(UppyPartSizeError);
  });

  it('cancels the session on abortMultipartUpload', async () => {
    const backend = fakeBackend();
    const adapter = adapterOn(backend.fetch);
    const { uploadId } = await adapter.createMultipartUpload(file(12 * MIB));

    await adapter.abortMultipartUpload(file(12 * MIB), { uploadId, key: 'k' });

    expect(backend.log.cancels).toEqual([uploadId]);
    expect(backend.status(uploadId)).toBe('cancelled');
  });

  it('sends the chosen metadata fields at initiate', async () => {
    const seen: unknown[] = [];
    const backend = fakeBackend();
    const adapter = adapterOn(
      async (url, init) => {
        if (url.endsWith('/uploads/initiate')) seen.push(JSON.parse(String(init?.body)));
        return backend.fetch(url, init);
      },
      { metadata: ['project', 'missing'] },
    );

    await adapter.createMultipartUpload({
      name: 'a.txt',
      size: 3,
      type: 'text/plain',
      meta: { project: 'apollo', name: 'a.txt', missing: null },
    });

    expect(seen).toEqual([
      {
        fileName: 'a.txt',
        fileSize: 3,
        checksum: 'SHA256',
        chunkSize: 5 * MIB,
        contentType: 'text/plain',
        metadata: { project: 'apollo' },
      },
    ]);
  });
});
