import { setTimeout as sleep } from 'node:timers/promises';
import { ListPartsCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';

const TTL_SECONDS = 3;
let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({
    MAX_ACTIVE_UPLOADS_PER_USER: '3',
    MAX_FILE_SIZE: String(50 * 1024 * 1024),
    ALLOWED_CONTENT_TYPES: 'image/*,application/pdf',
    SESSION_TTL_SECONDS: String(TTL_SECONDS),
  });
});
afterAll(() => harness?.close());

const start = (client: ApiClient, name: string) =>
  client.initiate({ fileName: name, fileSize: 10, contentType: 'image/png', checksum: 'NONE' });

describe('configured limits', () => {
  it('TOO_MANY_ACTIVE_UPLOADS at the live-session limit, and a slot frees on cancel', async () => {
    const carol = await harness.as('carol');
    const ids = [];
    for (const n of [1, 2, 3]) ids.push((await start(carol, `f${n}.png`)).body.data.id);
    const refused = await start(carol, 'f4.png');
    expect([refused.status, refused.body.error.code]).toEqual([429, 'TOO_MANY_ACTIVE_UPLOADS']);

    const otherUser = await start(await harness.as('dave'), 'd.png');
    expect(otherUser.status).toBe(201);

    await carol.request('DELETE', `/uploads/${ids[0]}`);
    expect((await start(carol, 'f5.png')).status).toBe(201);
  });

  it('concurrent initiates never exceed the limit', async () => {
    const erin = await harness.as('erin');
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, n) => start(erin, `e${n}.png`)),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(3);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(5);
  });

  it('FILE_TOO_LARGE above MAX_FILE_SIZE and UNSUPPORTED_CONTENT_TYPE outside the allow list', async () => {
    const frank = await harness.as('frank');
    const big = await frank.initiate({
      fileName: 'big.pdf',
      fileSize: 51 * 1024 * 1024,
      contentType: 'application/pdf',
    });
    expect([big.status, big.body.error.code]).toEqual([413, 'FILE_TOO_LARGE']);
    const exe = await frank.initiate({
      fileName: 'x.exe',
      fileSize: 10,
      contentType: 'application/x-msdownload',
    });
    expect([exe.status, exe.body.error.code]).toEqual([415, 'UNSUPPORTED_CONTENT_TYPE']);
    const untyped = await frank.initiate({ fileName: 'x.bin', fileSize: 10 });
    expect(untyped.status).toBe(415);
    expect(
      (await frank.initiate({ fileName: 'ok.pdf', fileSize: 10, contentType: 'application/pdf' }))
        .status,
    ).toBe(201);
  });
});

describe('expiry with a short TTL', () => {
  it('expires the session in code, keeps expiresAt on the item for TTL, and frees the live slot', async () => {
    const grace = await harness.as('grace');
    const started = await start(grace, 'short.png');
    const session = started.body.data;
    expect(Date.parse(session.expiresAt) - Date.parse(session.createdAt)).toBeLessThanOrEqual(
      TTL_SECONDS * 1000,
    );
    await grace.sendChunk(session.id, 0, new Uint8Array(10), false);
    const signed = await grace.chunkUrls(session.id, [{ chunkNumber: 0 }]);
    expect(Date.parse(signed.body.data.chunks[0].expiresAt)).toBeLessThanOrEqual(
      Date.parse(session.expiresAt),
    );

    await sleep(TTL_SECONDS * 1000 + 1100);

    const complete = await grace.request('POST', `/uploads/${session.id}/complete`);
    expect([complete.status, complete.body.error.code]).toEqual([410, 'SESSION_EXPIRED']);
    expect((await grace.request('GET', `/uploads/${session.id}`)).body.data.status).toBe('expired');
    const item = await harness.db.send(
      new GetCommand({
        TableName: harness.table,
        Key: { PK: `SESSION#${session.id}`, SK: 'SESSION' },
      }),
    );
    expect(item.Item?.expiresAt).toBe(Math.floor(Date.parse(session.expiresAt) / 1000));
    const active = await grace.request('GET', '/uploads?status=active');
    expect(active.body.data.items).toEqual([]);

    // Cancelling an expired session still releases its parts.
    const cancel = await grace.request('DELETE', `/uploads/${session.id}`);
    expect([cancel.status, cancel.body.error.code]).toEqual([410, 'SESSION_EXPIRED']);
    await expect(
      harness.s3.send(
        new ListPartsCommand({
          Bucket: harness.bucket,
          Key: session.key,
          UploadId: item.Item?.uploadId,
        }),
      ),
    ).rejects.toThrow();

    for (const n of [1, 2, 3]) expect((await start(grace, `after${n}.png`)).status).toBe(201);
  });
});
