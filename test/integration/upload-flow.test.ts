import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, chunksOf, sha256, sha256Hex } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { chunkSet } from '../support/race-kit.ts';

const MIB = 1024 * 1024;
let harness: Harness;
let alice: ApiClient;

beforeAll(async () => {
  harness = await startHarness();
  alice = await harness.as('alice');
});
afterAll(() => harness?.close());

describe('a multi-chunk upload', () => {
  it('accepts chunks out of order and twice, and stores exactly the source bytes', async () => {
    // Prepare: 3 full 5 MiB chunks and a short tail.
    const source = randomBytes(3 * 5 * MIB + 12345);
    const started = await alice.initiate({
      fileName: 'video.mp4',
      fileSize: source.length,
      contentType: 'video/mp4',
    });
    expect(started.status).toBe(201);
    const session = started.body.data;
    expect(session).toMatchObject({
      status: 'initiated',
      chunkSize: 5 * MIB,
      totalChunks: 4,
      fileName: 'video.mp4',
    });
    expect(session.key).toBe(`uploads/alice/${session.fileId}/video.mp4`);
    const chunks = chunksOf(source, session.chunkSize);

    // Act: send chunks 3, 1, 0, 2 and record chunk 1 a second time.
    const answers = [];
    for (const n of [3, 1, 0, 2])
      answers.push(await alice.sendChunk(session.id, n, chunks[n] as Uint8Array));
    const etag1 = await alice.putChunk(session.id, 1, chunks[1] as Uint8Array);
    const repeat = await alice.record(session.id, 1, {
      etag: etag1,
      checksumSha256: sha256(chunks[1] as Uint8Array),
    });

    // Assess: totals grow by chunk, the repeat changes nothing.
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(answers[0]?.body.data).toMatchObject({
      chunkNumber: 3,
      size: 12345,
      chunksUploaded: 1,
      uploadedBytes: 12345,
    });
    expect(answers[3]?.body.data).toMatchObject({
      chunksUploaded: 4,
      uploadedBytes: source.length,
      totalChunks: 4,
    });
    expect(repeat.status).toBe(200);
    expect(repeat.body.data).toMatchObject({
      chunkNumber: 1,
      chunksUploaded: 4,
      uploadedBytes: source.length,
    });

    const progress = await alice.request('GET', `/uploads/${session.id}/progress`);
    expect(progress.body.data).toMatchObject({
      percentComplete: 100,
      status: 'uploading',
      uploadedBytes: source.length,
    });

    const completed = await alice.request('POST', `/uploads/${session.id}/complete`, {});
    expect(completed.status).toBe(200);
    expect(completed.body.data).toMatchObject({
      id: session.fileId,
      sessionId: session.id,
      name: 'video.mp4',
      size: source.length,
      contentType: 'video/mp4',
      status: 'uploaded',
      key: session.key,
    });
    expect(completed.body.data.checksum).toEqual(expect.any(String));

    const downloaded = await alice.download(session.id);
    expect(sha256Hex(downloaded)).toBe(sha256Hex(source));

    const again = await alice.request('POST', `/uploads/${session.id}/complete`, {});
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual(completed.body.data);
  });

  it('uploads a zero-byte file as one empty chunk', async () => {
    const started = await alice.initiate({ fileName: 'empty.txt', fileSize: 0 });
    expect(started.status).toBe(201);
    expect(started.body.data).toMatchObject({ totalChunks: 1, fileSize: 0 });
    const id = started.body.data.id;

    const recorded = await alice.sendChunk(id, 0, new Uint8Array(0));
    expect(recorded.body.data).toMatchObject({ size: 0, chunksUploaded: 1, uploadedBytes: 0 });
    const completed = await alice.request('POST', `/uploads/${id}/complete`);
    expect(completed.status).toBe(200);
    expect(completed.body.data.size).toBe(0);
    expect((await alice.download(id)).length).toBe(0);
  });

  it('works without checksums when the session opts out', async () => {
    const source = randomBytes(1000);
    const { body } = await alice.initiate({ fileName: 'a.bin', fileSize: 1000, checksum: 'NONE' });
    await alice.sendChunk(body.data.id, 0, source, false);
    const completed = await alice.request('POST', `/uploads/${body.data.id}/complete`);
    expect(completed.status).toBe(200);
    expect(sha256Hex(await alice.download(body.data.id))).toBe(sha256Hex(source));
  });
});

describe('presigned chunk URLs', () => {
  it('bind the part number, exact size and checksum as signed headers', async () => {
    const { body } = await alice.initiate({ fileName: 'big.bin', fileSize: 6 * MIB });
    const checksum = sha256(new Uint8Array([1]));
    const signed = await alice.chunkUrls(body.data.id, [
      { chunkNumber: 1, checksumSha256: checksum },
    ]);
    expect(signed.status).toBe(200);
    const chunk = signed.body.data.chunks[0];
    const url = new URL(chunk.url);
    expect(chunk).toMatchObject({ chunkNumber: 1, method: 'PUT', size: MIB });
    expect(url.searchParams.get('partNumber')).toBe('2');
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual(
      expect.arrayContaining(['content-length', 'host', 'x-amz-checksum-sha256']),
    );
    expect(url.searchParams.has('x-amz-checksum-sha256')).toBe(false);
    expect(chunk.headers).toEqual({ 'x-amz-checksum-sha256': checksum });
    expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(15 * 60);
  });

  it('never outlive the session', async () => {
    const { body } = await alice.initiate({ fileName: 'x.bin', fileSize: 10, checksum: 'NONE' });
    const signed = await alice.chunkUrls(body.data.id, [{ chunkNumber: 0 }]);
    expect(Date.parse(signed.body.data.chunks[0].expiresAt)).toBeLessThanOrEqual(
      Date.parse(body.data.expiresAt),
    );
  });
});

describe('resume', () => {
  it('counts a chunk that was PUT but never recorded and lists what is missing', async () => {
    const source = randomBytes(2 * 5 * MIB + 10);
    const { body } = await alice.initiate({ fileName: 'r.bin', fileSize: source.length });
    const id = body.data.id;
    const chunks = chunksOf(source, body.data.chunkSize);
    await alice.sendChunk(id, 0, chunks[0] as Uint8Array);
    await alice.putChunk(id, 2, chunks[2] as Uint8Array); // PUT, but the record call never came

    const resumed = await alice.request('POST', `/uploads/${id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body.data).toMatchObject({
      id,
      status: 'uploading',
      uploadedBytes: 5 * MIB + 10,
      nextChunkNumber: 1,
      missingChunks: [1],
      chunkSize: 5 * MIB,
      totalChunks: 3,
    });
    expect(await chunkSet(harness, id)).toEqual([0, 2]);

    await alice.sendChunk(id, 1, chunks[1] as Uint8Array);
    const done = await alice.request('POST', `/uploads/${id}/resume`);
    expect(done.body.data).toMatchObject({
      nextChunkNumber: null,
      missingChunks: [],
      uploadedBytes: source.length,
    });
    expect((await alice.request('POST', `/uploads/${id}/complete`)).status).toBe(200);
    expect(sha256Hex(await alice.download(id))).toBe(sha256Hex(source));
  });
});

describe('get and list', () => {
  it('returns the session as initiate did, with live totals, and lists newest first', async () => {
    const bob = await harness.as('bob-lister');
    const first = await bob.initiate({ fileName: 'one.txt', fileSize: 5, checksum: 'NONE' });
    const second = await bob.initiate({ fileName: 'two.txt', fileSize: 5, checksum: 'NONE' });
    await bob.sendChunk(second.body.data.id, 0, new Uint8Array(5), false);
    await bob.request('POST', `/uploads/${second.body.data.id}/complete`);

    const got = await bob.request('GET', `/uploads/${first.body.data.id}`);
    expect(got.status).toBe(200);
    expect(got.body.data).toEqual(first.body.data);

    const all = await bob.request('GET', '/uploads?status=all&limit=1');
    expect(all.body.data.items.map((s: { fileName: string }) => s.fileName)).toEqual(['two.txt']);
    const next = await bob.request(
      'GET',
      `/uploads?status=all&limit=1&cursor=${all.body.data.nextCursor}`,
    );
    expect(next.body.data.items.map((s: { fileName: string }) => s.fileName)).toEqual(['one.txt']);
    expect(next.body.data.nextCursor).toBeNull();

    const uploaded = await bob.request('GET', '/uploads?status=uploaded');
    expect(uploaded.body.data.items.map((s: { status: string }) => s.status)).toEqual(['uploaded']);
    const active = await bob.request('GET', '/uploads?status=active');
    expect(active.body.data.items.map((s: { id: string }) => s.id)).toEqual([first.body.data.id]);
  });
});

describe('cancel', () => {
  it('aborts the multipart upload, is harmless to repeat, and ends the session', async () => {
    const { body } = await alice.initiate({ fileName: 'c.bin', fileSize: 100, checksum: 'NONE' });
    const id = body.data.id;
    await alice.sendChunk(id, 0, new Uint8Array(100), false);

    const cancelled = await alice.request('DELETE', `/uploads/${id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toEqual({ success: true, message: 'Upload cancelled successfully' });
    expect((await alice.request('DELETE', `/uploads/${id}`)).status).toBe(200);

    const { ListMultipartUploadsCommand } = await import('@aws-sdk/client-s3');
    const uploads = await harness.s3.send(
      new ListMultipartUploadsCommand({ Bucket: harness.bucket, Prefix: body.data.key }),
    );
    expect(uploads.Uploads ?? []).toHaveLength(0);

    const got = await alice.request('GET', `/uploads/${id}`);
    expect(got.body.data.status).toBe('cancelled');
    for (const [method, path] of [
      ['POST', `/uploads/${id}/chunks`],
      ['POST', `/uploads/${id}/complete`],
      ['POST', `/uploads/${id}/resume`],
    ] as const) {
      const res = await alice.request(method, path, { chunks: [{ chunkNumber: 0 }] });
      expect([res.status, res.body.error.code]).toEqual([410, 'SESSION_CANCELLED']);
    }
  });
});

describe('the local server', () => {
  it('serves the OpenAPI document with every route', async () => {
    const doc = await (await fetch(`${harness.url}/openapi.json`)).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/api/v1/uploads/{id}/chunks/{chunkNumber}');
  });
});
