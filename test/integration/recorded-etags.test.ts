import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, ApiResponse } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import {
  chunkSet,
  holdAt,
  multipartUploads,
  objectSize,
  on,
  sessionItem,
} from '../support/race-kit.ts';
import { hookHandlers, type SdkHooks } from '../support/sdk-hooks.ts';

/**
 * The ledger holds exactly what a record call verified (ETag, checksum, size), and complete
 * assembles exactly that: a part overwritten after it was recorded is never assembled.
 */
let harness: Harness;
let alice: ApiClient;
let hooks: SdkHooks;

beforeAll(async () => {
  harness = await startHarness();
  hooks = await hookHandlers();
  alice = await harness.as('etag-alice');
});
afterEach(() => hooks.clear());
afterAll(() => harness?.close());

const AAAA = new TextEncoder().encode('AAAA');
const BBBB = new TextEncoder().encode('BBBB');
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

const complete = (id: string) => alice.request('POST', `/uploads/${id}/complete`);
const resume = (id: string) => alice.request('POST', `/uploads/${id}/resume`);

function expectError(res: ApiResponse, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
}

/** A one-chunk session without checksums, so a second PUT of other bytes to its part succeeds. */
async function session(fileSize = 4) {
  const init = await alice.initiate({ fileName: 'four.txt', fileSize, checksum: 'NONE' });
  expect(init.status).toBe(201);
  return init.body.data as { id: string; key: string; expiresAt: string };
}

/** Signs chunk `n` again and PUTs `bytes` to it; the ETag storage answered. */
const put = (id: string, n: number, bytes: Uint8Array) => alice.putChunk(id, n, bytes, false);

describe('a part overwritten after it was recorded', () => {
  it('complete drops it and answers CHUNKS_MISSING; recorded again, the file holds the new bytes', async () => {
    // Prepare
    const s = await session();
    expect((await alice.record(s.id, 0, { etag: await put(s.id, 0, AAAA) })).status).toBe(200);
    const overwritten = await put(s.id, 0, BBBB);

    // Act
    const missing = await complete(s.id);
    const afterDrop = await sessionItem(harness, s.id);
    const recorded = await alice.record(s.id, 0, { etag: overwritten });
    const completed = await complete(s.id);

    // Assess
    expectError(missing, 409, 'CHUNKS_MISSING');
    expect(missing.body.error.details.missingChunks).toEqual([0]);
    expect(afterDrop).toMatchObject({ status: 'uploading', chunksUploaded: 0, uploadedBytes: 0 });
    expect(recorded.body.data).toMatchObject({ chunksUploaded: 1, uploadedBytes: 4 });
    expect(completed.status).toBe(200);
    expect(text(await alice.download(s.id))).toBe('BBBB');
  });

  it('overwritten between complete’s listing and its assembly: storage refuses, CHUNKS_MISSING, session open', async () => {
    // Prepare: a URL signed again before complete (a completing session signs none); complete
    // has checked the recorded ETag against storage and is about to assemble.
    const s = await session();
    expect((await alice.record(s.id, 0, { etag: await put(s.id, 0, AAAA) })).status).toBe(200);
    const [url] = (await alice.chunkUrls(s.id, [{ chunkNumber: 0 }])).body.data.chunks;
    const held = holdAt(hooks, on.s3('CompleteMultipartUploadCommand', s.key));

    // Act
    const completing = complete(s.id);
    await held.reached;
    const stored = await fetch(url.url, { method: 'PUT', headers: url.headers, body: BBBB });
    const overwritten = stored.headers.get('etag') as string;
    held.release();
    const refused = await completing;
    const afterRefusal = await sessionItem(harness, s.id);
    hooks.clear();
    expect((await alice.record(s.id, 0, { etag: overwritten })).status).toBe(200);
    const completed = await complete(s.id);

    // Assess
    expectError(refused, 409, 'CHUNKS_MISSING');
    expect(refused.body.error.details.missingChunks).toEqual([0]);
    expect(afterRefusal).toMatchObject({ status: 'uploading', chunksUploaded: 0 });
    expect(afterRefusal?.completionToken).toBeUndefined();
    expect(completed.status).toBe(200);
    expect(text(await alice.download(s.id))).toBe('BBBB');
  });

  it('a record of the new ETag replaces the entry: counted once, and complete assembles the new bytes', async () => {
    // Prepare
    const s = await session();
    const first = await alice.record(s.id, 0, { etag: await put(s.id, 0, AAAA) });
    const overwritten = await put(s.id, 0, BBBB);

    // Act
    const replaced = await alice.record(s.id, 0, { etag: overwritten });
    const completed = await complete(s.id);

    // Assess
    expect(first.body.data).toMatchObject({ chunksUploaded: 1, uploadedBytes: 4 });
    expect(replaced.body.data).toMatchObject({ chunksUploaded: 1, uploadedBytes: 4 });
    expect(completed.status).toBe(200);
    expect(text(await alice.download(s.id))).toBe('BBBB');
  });

  it('resume reports it missing and drops it, and still counts a PUT whose record never came', async () => {
    // Prepare: two 5 MiB chunks and a 4-byte tail; chunk 0 recorded then overwritten, chunk 2
    // PUT but never recorded, chunk 1 never sent.
    const MIB = 1024 * 1024;
    const s = await session(10 * MIB + 4);
    const chunk = (fill: number) => new Uint8Array(5 * MIB).fill(fill);
    expect((await alice.record(s.id, 0, { etag: await put(s.id, 0, chunk(1)) })).status).toBe(200);
    await put(s.id, 0, chunk(2));
    await put(s.id, 2, AAAA);

    // Act
    const resumed = await resume(s.id);

    // Assess
    expect(resumed.status).toBe(200);
    expect(resumed.body.data).toMatchObject({
      uploadedBytes: 4,
      missingChunks: [0, 1],
      nextChunkNumber: 0,
    });
    expect(await chunkSet(harness, s.id)).toEqual([2]);
    expect(await sessionItem(harness, s.id)).toMatchObject({ chunksUploaded: 1, uploadedBytes: 4 });
  });
});

describe('complete counts recorded chunks only', () => {
  it('a chunk PUT but never recorded is missing; nothing is assembled', async () => {
    // Prepare
    const s = await session();
    await put(s.id, 0, AAAA);

    // Act
    const completed = await complete(s.id);

    // Assess
    expectError(completed, 409, 'CHUNKS_MISSING');
    expect(completed.body.error.details.missingChunks).toEqual([0]);
    expect(hooks.calls.some((c) => c.command === 'CompleteMultipartUploadCommand')).toBe(false);
    expect(await objectSize(harness, s.key)).toBeUndefined();
    expect(await multipartUploads(harness, s.key)).toHaveLength(1);
  });
});
