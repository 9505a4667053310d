import { randomBytes } from 'node:crypto';
import { UploadPartCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RecordedChunks } from '../../src/http/schemas.ts';
import type { ApiClient, ApiResponse } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { chunkSet, sessionItem } from '../support/race-kit.ts';
import { hookHandlers, type SdkHooks } from '../support/sdk-hooks.ts';

/** PUT /uploads/{id}/chunks: many chunks verified with one ListParts range, recorded in one write. */
const MIB = 1024 * 1024;
const CHUNK = 5 * MIB;
let harness: Harness;
let alice: ApiClient;
let hooks: SdkHooks;

beforeAll(async () => {
  harness = await startHarness();
  hooks = await hookHandlers();
  alice = await harness.as('batch-alice');
});
afterEach(() => hooks.clear());
afterAll(() => harness?.close());

type Entry = { chunkNumber: number; etag: string; checksumSha256?: string };
const recordMany = (id: string, chunks: Entry[], api = alice) =>
  api.request('PUT', `/uploads/${id}/chunks`, { chunks });

function expectError(res: ApiResponse, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
}

/** A session of `chunks` 5 MiB chunks (no checksums); parts are written with credentials, fast. */
async function session(chunks: number) {
  const init = await alice.initiate({
    fileName: 'batch.bin',
    fileSize: chunks * CHUNK,
    checksum: 'NONE',
  });
  expect(init.status).toBe(201);
  const uploadId = (await sessionItem(harness, init.body.data.id))?.uploadId as string;
  const part = randomBytes(CHUNK);
  const store = async (chunkNumber: number, body: Uint8Array = part) =>
    (
      await harness.s3.send(
        new UploadPartCommand({
          Bucket: harness.bucket,
          Key: init.body.data.key,
          UploadId: uploadId,
          PartNumber: chunkNumber + 1,
          Body: body,
        }),
      )
    ).ETag as string;
  return { id: init.body.data.id as string, store };
}

describe('recording many chunks at once', () => {
  it('records the verified entries in one write and reports each other one', async () => {
    // Prepare: chunks 3-6 stored; 7 never sent; 8 stored short.
    const s = await session(12);
    const etags = await Promise.all([3, 4, 5, 6].map((n) => s.store(n)));
    await s.store(8, randomBytes(100));
    hooks.clear();

    // Act
    const res = await recordMany(s.id, [
      { chunkNumber: 3, etag: etags[0] as string },
      { chunkNumber: 4, etag: (etags[1] as string).replaceAll('"', '') },
      { chunkNumber: 5, etag: etags[2] as string },
      { chunkNumber: 6, etag: '"0123456789abcdef0123456789abcdef"' },
      { chunkNumber: 7, etag: '"0123456789abcdef0123456789abcdef"' },
      { chunkNumber: 8, etag: '"0123456789abcdef0123456789abcdef"' },
    ]);

    // Assess
    expect(res.status).toBe(200);
    expect(RecordedChunks.parse(res.body.data)).toEqual(res.body.data);
    expect(res.body.data.recorded.map((r: { chunkNumber: number }) => r.chunkNumber)).toEqual([
      3, 4, 5,
    ]);
    expect(res.body.data.recorded[0]).toMatchObject({
      size: CHUNK,
      etag: etags[0],
      checksum: null,
    });
    expect(res.body.data.rejected).toEqual([
      expect.objectContaining({ chunkNumber: 6, code: 'ETAG_MISMATCH' }),
      expect.objectContaining({ chunkNumber: 7, code: 'CHUNK_NOT_UPLOADED' }),
      expect.objectContaining({
        chunkNumber: 8,
        code: 'CHUNK_SIZE_MISMATCH',
        details: { chunkNumber: 8, expectedSize: CHUNK, actualSize: 100 },
      }),
    ]);
    expect(res.body.data).toMatchObject({
      uploadedBytes: 3 * CHUNK,
      chunksUploaded: 3,
      totalChunks: 12,
    });
    expect(hooks.calls.filter((c) => c.command === 'TransactWriteItemsCommand')).toHaveLength(1);
    expect(await chunkSet(harness, s.id)).toEqual([3, 4, 5]);
  });

  it('a repeated batch is harmless: the same answer, nothing counted twice', async () => {
    // Prepare
    const s = await session(4);
    const entries = await Promise.all(
      [0, 1, 2, 3].map(async (n) => ({ chunkNumber: n, etag: await s.store(n) })),
    );
    const first = await recordMany(s.id, entries);

    // Act
    hooks.clear();
    const again = await recordMany(s.id, entries);
    const listings = hooks.calls.filter((c) => c.command === 'ListPartsCommand');
    const overlapping = await recordMany(s.id, entries.slice(2));

    // Assess
    expect(first.status).toBe(200);
    expect(again.body.data).toEqual(first.body.data);
    expect(listings).toHaveLength(1);
    expect(overlapping.body.data).toMatchObject({ uploadedBytes: 4 * CHUNK, chunksUploaded: 4 });
    expect((await alice.request('POST', `/uploads/${s.id}/complete`)).status).toBe(200);
  });

  it('reads one ListParts page, from just below the lowest chunk’s part to the highest’s', async () => {
    // Prepare
    const s = await session(40);
    const entries = await Promise.all(
      [30, 12, 21].map(async (n) => ({ chunkNumber: n, etag: await s.store(n) })),
    );
    hooks.clear();

    // Act
    const res = await recordMany(s.id, entries);

    // Assess
    expect(res.body.data.recorded).toHaveLength(3);
    const listings = hooks.calls.filter((c) => c.command === 'ListPartsCommand');
    expect(listings.map((c) => [c.input.PartNumberMarker, c.input.MaxParts])).toEqual([['12', 19]]);
  });

  it.each([
    ['a repeated chunk number', [0, 1, 0], 'chunks.2.chunkNumber'],
    ['no entry', [], 'chunks'],
    ['101 entries', Array.from({ length: 101 }, (_, i) => i), 'chunks'],
    ['a chunk number past the last chunk', [0, 4], 'chunks[1].chunkNumber'],
  ])('%s: 400 VALIDATION_ERROR naming the field', async (_, numbers, field) => {
    // Prepare
    const s = await session(4);

    // Act
    const res = await recordMany(
      s.id,
      numbers.map((n) => ({ chunkNumber: n, etag: '"e"' })),
    );

    // Assess
    expectError(res, 400, 'VALIDATION_ERROR');
    expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toContain(field);
  });

  it('errors about the session answer for the whole batch', async () => {
    // Prepare
    const cancelled = await session(2);
    const etag = await cancelled.store(0);
    expect((await alice.request('DELETE', `/uploads/${cancelled.id}`)).status).toBe(200);
    const mine = await session(2);
    const bob = await harness.as('batch-bob');
    const entry = [{ chunkNumber: 0, etag }];

    // Act & Assess
    expectError(await recordMany(cancelled.id, entry), 410, 'SESSION_CANCELLED');
    expectError(await recordMany(mine.id, entry, bob), 404, 'SESSION_NOT_FOUND');
    expectError(await recordMany('no-such-session', entry), 404, 'SESSION_NOT_FOUND');
  });
});
