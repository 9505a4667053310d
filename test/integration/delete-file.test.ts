import { randomBytes } from 'node:crypto';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { epochSeconds, NEVER_EXPIRES } from '../../src/domain/session.ts';
import { DeletedFile } from '../../src/http/schemas.ts';
import type { ApiClient } from '../support/api-client.ts';
import { imageOf, streamRecord } from '../support/dynamodb-stream.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { hookHandlers, networkError, type SdkHooks } from '../support/sdk-hooks.ts';
import { failCall, storageCalls } from '../support/storage-faults.ts';

const SESSION_TTL_SECONDS = 3600;

let harness: Harness;
let hooks: SdkHooks;
let alice: ApiClient;
let bob: ApiClient;

beforeAll(async () => {
  harness = await startHarness({
    SESSION_TTL_SECONDS: String(SESSION_TTL_SECONDS),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  hooks = await hookHandlers();
  alice = await harness.as('alice');
  bob = await harness.as('bob');
});
afterEach(() => hooks.clear());
afterAll(() => harness?.close());

/** A finished upload of a few random bytes. */
async function uploadedFile(
  api: ApiClient,
  headers: Record<string, string> = {},
): Promise<{ id: string; key: string }> {
  const bytes = randomBytes(32);
  const initiated = await api.initiate(
    { fileName: 'report.pdf', fileSize: bytes.length, checksum: 'NONE' },
    headers,
  );
  const { id, key } = initiated.body.data;
  await api.sendChunk(id, 0, bytes, false);
  const completed = await api.request('POST', `/uploads/${id}/complete`);
  expect(completed.status).toBe(200);
  return { id, key };
}

const id32 = () => randomBytes(8).toString('hex');

const deleteFile = (api: ApiClient, id: string) => api.request('DELETE', `/uploads/${id}/file`);

const sessionItem = async (id: string) =>
  (
    await harness.db.send(
      new GetCommand({ TableName: harness.table, Key: { PK: `SESSION#${id}`, SK: 'SESSION' } }),
    )
  ).Item as Record<string, unknown>;

const objectExists = (key: string) =>
  harness.s3.send(new HeadObjectCommand({ Bucket: harness.bucket, Key: key })).then(
    () => true,
    (error: { name?: string }) => {
      if (error.name === 'NotFound') return false;
      throw error;
    },
  );

const errorOf = (res: { status: number; body: { error?: { code: string } } }) => ({
  status: res.status,
  code: res.body.error?.code,
});

describe('DELETE /uploads/{id}/file', () => {
  it('deletes the object, marks the session deleted, and answers the same when repeated', async () => {
    // Prepare
    const { id, key } = await uploadedFile(alice);

    // Act
    const first = await deleteFile(alice, id);
    const again = await deleteFile(alice, id);

    // Assess
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ success: true, data: { id, status: 'deleted' } });
    expect(DeletedFile.safeParse(first.body.data).success).toBe(true);
    expect({ status: again.status, body: again.body }).toEqual({ status: 200, body: first.body });
    expect(await objectExists(key)).toBe(false);
  });

  it('leaves a session that download, get, list and complete see as deleted', async () => {
    // Prepare
    const { id } = await uploadedFile(alice);

    // Act
    await deleteFile(alice, id);

    // Assess
    expect(errorOf(await alice.request('GET', `/uploads/${id}/download`))).toEqual({
      status: 410,
      code: 'FILE_DELETED',
    });
    expect((await alice.request('GET', `/uploads/${id}`)).body.data.status).toBe('deleted');
    expect(errorOf(await alice.request('POST', `/uploads/${id}/complete`))).toEqual({
      status: 410,
      code: 'FILE_DELETED',
    });
    const uploaded = await alice.request('GET', '/uploads?status=uploaded&limit=100');
    expect(uploaded.body.data.items.map((s: { id: string }) => s.id)).not.toContain(id);
    const all = await alice.request('GET', '/uploads?status=all&limit=100');
    expect(all.body.data.items.find((s: { id: string }) => s.id === id)?.status).toBe('deleted');
  });

  it('refuses a session whose file is not finished: 409 INVALID_STATE, nothing changes', async () => {
    // Prepare
    const initiated = await alice.initiate({ fileName: 'a.bin', fileSize: 64, checksum: 'NONE' });
    const { id } = initiated.body.data;
    await alice.sendChunk(id, 0, randomBytes(64), false);

    // Act
    const res = await deleteFile(alice, id);

    // Assess
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: 'INVALID_STATE',
      details: { status: 'uploading' },
    });
    expect((await sessionItem(id)).status).toBe('uploading');
    expect((await alice.request('POST', `/uploads/${id}/complete`)).status).toBe(200);
  });

  it('refuses a cancelled session with 409 INVALID_STATE', async () => {
    // Prepare
    const initiated = await alice.initiate({ fileName: 'c.bin', fileSize: 8, checksum: 'NONE' });
    const { id } = initiated.body.data;
    await alice.request('DELETE', `/uploads/${id}`);

    // Act
    const res = await deleteFile(alice, id);

    // Assess
    expect(errorOf(res)).toEqual({ status: 409, code: 'INVALID_STATE' });
  });

  it("answers another user's session exactly like an unknown one and keeps the file", async () => {
    // Prepare
    const { id, key } = await uploadedFile(alice);

    // Act
    const theirs = await deleteFile(bob, id);
    const unknown = await deleteFile(bob, '11111111-1111-1111-1111-111111111111');

    // Assess
    expect({ status: theirs.status, body: theirs.body }).toEqual({
      status: 404,
      body: unknown.body,
    });
    expect(theirs.body.error.code).toBe('SESSION_NOT_FOUND');
    expect(await objectExists(key)).toBe(true);
    expect((await sessionItem(id)).status).toBe('uploaded');
  });

  it('lets racing deletes all answer 200 and deletes the object', async () => {
    // Prepare
    const { id, key } = await uploadedFile(alice);

    // Act
    const answers = await Promise.all([1, 2, 3].map(() => deleteFile(alice, id)));

    // Assess
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(await objectExists(key)).toBe(false);
    expect((await sessionItem(id)).status).toBe('deleted');
  });
});

describe('lifecycle', () => {
  it('keeps an uploaded record out of TTL by default, while its idempotency key expires', async () => {
    // Prepare
    const { id } = await uploadedFile(alice, { 'Idempotency-Key': `keep-${id32()}` });

    // Act
    const item = await sessionItem(id);
    const pointer = (
      await harness.db.send(
        new GetCommand({
          TableName: harness.table,
          Key: { PK: `USER#${item.userId}`, SK: `IDEMPOTENCY#${item.idempotencyKey}` },
        }),
      )
    ).Item;

    // Assess
    expect(item).toMatchObject({ status: 'uploaded', expiresAt: NEVER_EXPIRES });
    expect(pointer?.expiresAt).toBeLessThanOrEqual(epochSeconds(new Date()) + SESSION_TTL_SECONDS);
  });

  it('bounds the life of a deleted record and drops its file record', async () => {
    // Prepare
    const { id } = await uploadedFile(alice);
    const before = epochSeconds(new Date());

    // Act
    await deleteFile(alice, id);

    // Assess
    const item = await sessionItem(id);
    expect(item.status).toBe('deleted');
    expect(item.file).toBeUndefined();
    expect(item.expiresAt).toBeGreaterThanOrEqual(before + SESSION_TTL_SECONDS);
    expect(item.expiresAt).toBeLessThanOrEqual(epochSeconds(new Date()) + SESSION_TTL_SECONDS);
  });
});

describe('a crash between marking the session and deleting the object', () => {
  /** Marks the session deleted, then DeleteObject fails as if the function died there. */
  async function crashBeforeObjectDelete(id: string) {
    hooks.clear();
    failCall(hooks, 2, () => networkError('ECONNRESET'));
    const res = await deleteFile(alice, id);
    expect(storageCalls(hooks.calls)).toEqual([
      'dynamodb:GetItemCommand',
      'dynamodb:UpdateItemCommand',
      's3:DeleteObjectCommand',
    ]);
    hooks.clear();
    return res;
  }

  it('never leaves the file downloadable, and a retry deletes the object', async () => {
    // Prepare
    const { id, key } = await uploadedFile(alice);

    // Act
    const crashed = await crashBeforeObjectDelete(id);

    // Assess: the record already refuses the file; the object waits for the retry.
    expect(errorOf(crashed)).toEqual({ status: 503, code: 'STORAGE_UNAVAILABLE' });
    expect((await alice.request('GET', `/uploads/${id}`)).body.data.status).toBe('deleted');
    expect(errorOf(await alice.request('GET', `/uploads/${id}/download`))).toEqual({
      status: 410,
      code: 'FILE_DELETED',
    });
    expect(await objectExists(key)).toBe(true);

    const retried = await deleteFile(alice, id);
    expect(retried.body).toEqual({ success: true, data: { id, status: 'deleted' } });
    expect(await objectExists(key)).toBe(false);
  });

  it('with no retry, the record expires and the cleanup function deletes the object with it', async () => {
    // Prepare
    const { id, key } = await uploadedFile(alice);
    await crashBeforeObjectDelete(id);
    const item = await sessionItem(id);
    expect(item.expiresAt).toBeLessThan(NEVER_EXPIRES);
    const cleanup = (await import('../../functions/cleanup-expired.ts')).handler as (
      event: DynamoDBStreamEvent,
    ) => Promise<DynamoDBBatchResponse>;

    // Act: DynamoDB's TTL deletes the record and streams its last image.
    const result = await cleanup({ Records: [streamRecord(imageOf(item))] });

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(await objectExists(key)).toBe(false);
  });

  it('a failed mark changes nothing: the file stays uploaded and downloadable until a retry', async () => {
    // Prepare
    const { id, key } = await uploadedFile(alice);
    failCall(hooks, 1, () => networkError('ECONNRESET'));

    // Act
    const failed = await deleteFile(alice, id);
    hooks.clear();

    // Assess
    expect(errorOf(failed)).toEqual({ status: 503, code: 'STORAGE_UNAVAILABLE' });
    expect((await sessionItem(id)).status).toBe('uploaded');
    expect(await objectExists(key)).toBe(true);
    expect((await alice.request('GET', `/uploads/${id}/download`)).status).toBe(200);
    expect((await deleteFile(alice, id)).status).toBe(200);
    expect(await objectExists(key)).toBe(false);
  });
});
