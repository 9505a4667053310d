import { randomBytes, randomUUID } from 'node:crypto';
import {
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
} from '@aws-sdk/client-s3';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, sha256, sha256Hex } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { chunkSet } from '../support/race-kit.ts';
import { hookHandlers, networkError, type SdkCall, type SdkHooks } from '../support/sdk-hooks.ts';
import { expectUnavailable, OUTAGES } from '../support/storage-faults.ts';

const MIB = 1024 * 1024;
let harness: Harness;
let hooks: SdkHooks;

beforeAll(async () => {
  harness = await startHarness({ COMPLETION_WAIT_MS: '300', POWERTOOLS_LOG_LEVEL: 'SILENT' });
  hooks = await hookHandlers();
});
afterEach(() => hooks.clear());
afterAll(() => harness?.close());

const freshUser = () => harness.as(`inv-${randomUUID()}`);
const throttled = (call: SdkCall) => (OUTAGES[0] as (typeof OUTAGES)[number]).error(call.service);

async function sessionItem(id: string) {
  const out = await harness.db.send(
    new GetCommand({ TableName: harness.table, Key: { PK: `SESSION#${id}`, SK: 'SESSION' } }),
  );
  return out.Item as Record<string, unknown>;
}

/**
 * Fails the `nth` (1-based) call of `command` and lets every other call through. With
 * `afterSend` the call reaches storage first and only its answer is lost.
 */
function fail(
  command: string,
  nth: number,
  error: (call: SdkCall) => Error,
  options: { afterSend?: boolean } = {},
) {
  let seen = 0;
  hooks.use(async (call, send) => {
    if (call.command !== command || ++seen !== nth) return send();
    if (options.afterSend) await send();
    throw error(call);
  });
}

describe('record under faults', () => {
  async function withPart(api: ApiClient) {
    const bytes = randomBytes(100);
    const { body } = await api.initiate({ fileName: 'r.bin', fileSize: 100 });
    const etag = await api.putChunk(body.data.id, 0, bytes);
    return { id: body.data.id as string, etag, checksumSha256: sha256(bytes) };
  }

  it('ListParts failing: 503 and the chunk is not in the ledger', async () => {
    const api = await freshUser();
    const s = await withPart(api);
    fail('ListPartsCommand', 1, throttled);

    const res = await api.record(s.id, 0, { etag: s.etag, checksumSha256: s.checksumSha256 });

    expectUnavailable(res);
    const item = await sessionItem(s.id);
    expect(await chunkSet(harness, s.id)).toEqual([]);
    expect(item).toMatchObject({ uploadedBytes: 0, chunksUploaded: 0, status: 'initiated' });
  });

  it('the ledger write failing after storage verified the part: 503, nothing recorded; the retry records it once', async () => {
    const api = await freshUser();
    const s = await withPart(api);
    fail('TransactWriteItemsCommand', 1, () => networkError('ECONNRESET'));

    const failed = await api.record(s.id, 0, { etag: s.etag, checksumSha256: s.checksumSha256 });
    const before = await sessionItem(s.id);
    const chunksBefore = await chunkSet(harness, s.id);
    hooks.clear();
    const retried = await api.record(s.id, 0, { etag: s.etag, checksumSha256: s.checksumSha256 });
    const again = await api.record(s.id, 0, { etag: s.etag, checksumSha256: s.checksumSha256 });

    expectUnavailable(failed);
    expect(chunksBefore).toEqual([]);
    expect(before.uploadedBytes).toBe(0);
    expect(retried.status).toBe(200);
    expect(again.body.data).toEqual(retried.body.data);
    expect(retried.body.data).toMatchObject({ uploadedBytes: 100, chunksUploaded: 1 });
    const after = await sessionItem(s.id);
    expect(after).toMatchObject({ uploadedBytes: 100, chunksUploaded: 1, status: 'uploading' });
    expect(await chunkSet(harness, s.id)).toEqual([0]);
  });

  it('the ledger write applied but its answer lost: 503; the retry answers 200 and counts the bytes once', async () => {
    const api = await freshUser();
    const s = await withPart(api);
    fail('TransactWriteItemsCommand', 1, () => networkError('ECONNRESET'), { afterSend: true });

    const failed = await api.record(s.id, 0, { etag: s.etag });
    hooks.clear();
    const retried = await api.record(s.id, 0, { etag: s.etag });

    expectUnavailable(failed);
    expect(retried.status).toBe(200);
    expect(retried.body.data).toMatchObject({ uploadedBytes: 100, chunksUploaded: 1 });
    expect(await sessionItem(s.id)).toMatchObject({ uploadedBytes: 100, chunksUploaded: 1 });
  });
});

describe('complete under faults', () => {
  const source = randomBytes(5 * MIB + 4321);

  async function readyToComplete(api: ApiClient) {
    const { body } = await api.initiate({ fileName: 'c.bin', fileSize: source.length });
    const id = body.data.id as string;
    expect((await api.sendChunk(id, 0, source.subarray(0, 5 * MIB))).status).toBe(200);
    expect((await api.sendChunk(id, 1, source.subarray(5 * MIB))).status).toBe(200);
    return { id, key: body.data.key as string };
  }

  /** The invariants after recovery: one object with the source's bytes, and the ledger agrees. */
  async function expectFinished(api: ApiClient, s: { id: string; key: string }) {
    const objects = await harness.s3.send(
      new ListObjectsV2Command({
        Bucket: harness.bucket,
        Prefix: s.key.split('/').slice(0, 3).join('/'),
      }),
    );
    expect(objects.Contents?.map((o) => o.Key)).toEqual([s.key]);
    const object = await harness.s3.send(
      new GetObjectCommand({ Bucket: harness.bucket, Key: s.key }),
    );
    expect(
      sha256Hex(
        await (
          object.Body as { transformToByteArray(): Promise<Uint8Array> }
        ).transformToByteArray(),
      ),
    ).toBe(sha256Hex(source));
    const item = await sessionItem(s.id);
    expect(item.status).toBe('uploaded');
    expect(item.completionToken).toBeUndefined();
    const again = await api.request('POST', `/uploads/${s.id}/complete`);
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual(item.file);
  }

  const cases: {
    name: string;
    command: string;
    nth: number;
    afterSend?: boolean;
    error: (call: SdkCall) => Error;
  }[] = [
    {
      name: 'ListParts failing before anything started',
      command: 'ListPartsCommand',
      nth: 1,
      error: throttled,
    },
    {
      name: 'electing the completer failing',
      command: 'UpdateItemCommand',
      nth: 1,
      error: throttled,
    },
    {
      name: 'CompleteMultipartUpload failing',
      command: 'CompleteMultipartUploadCommand',
      nth: 1,
      error: throttled,
    },
    {
      name: 'CompleteMultipartUpload taking effect, its answer lost',
      command: 'CompleteMultipartUploadCommand',
      nth: 1,
      afterSend: true,
      error: () => networkError('ECONNRESET'),
    },
    {
      name: 'HeadObject failing after the object was assembled',
      command: 'HeadObjectCommand',
      nth: 1,
      error: throttled,
    },
    {
      name: 'the DynamoDB finalize failing after S3 assembled the object',
      command: 'UpdateItemCommand',
      nth: 2,
      error: throttled,
    },
    {
      name: 'the DynamoDB finalize applied, its answer lost',
      command: 'UpdateItemCommand',
      nth: 2,
      afterSend: true,
      error: () => networkError('ETIMEDOUT'),
    },
  ];

  it.each(cases)('$name: 503, then a retried complete finishes it exactly once', async (c) => {
    // Prepare
    const api = await freshUser();
    const s = await readyToComplete(api);
    hooks.clear();
    const effective = { count: 0 };
    let seen = 0;
    hooks.use(async (call, send) => {
      const failing = call.command === c.command && ++seen === c.nth;
      if (failing && !c.afterSend) throw c.error(call);
      const out = await send();
      if (call.command === 'CompleteMultipartUploadCommand') effective.count++;
      if (failing) throw c.error(call);
      return out;
    });

    // Act
    const failed = await api.request('POST', `/uploads/${s.id}/complete`);
    const between = (await sessionItem(s.id)).status;
    const retried = await api.request('POST', `/uploads/${s.id}/complete`);

    // Assess
    expectUnavailable(failed);
    expect(['uploading', 'uploaded']).toContain(between);
    expect(retried.status).toBe(200);
    expect(retried.body.data).toMatchObject({ status: 'uploaded', size: source.length });
    expect(effective.count).toBe(1);
    hooks.clear();
    await expectFinished(api, s);
  });

  it('finalize and its rollback both failing leaves it completing; a complete past the stale window finishes it', async () => {
    // Prepare: DynamoDB writes fail from the finalize on, so the rollback fails too.
    const api = await freshUser();
    const s = await readyToComplete(api);
    let updates = 0;
    hooks.use(async (call, send) => {
      if (call.command === 'UpdateItemCommand' && ++updates >= 2) throw throttled(call);
      return send();
    });
    const failed = await api.request('POST', `/uploads/${s.id}/complete`);
    hooks.clear();
    const stuck = await sessionItem(s.id);
    const waiting = await api.request('POST', `/uploads/${s.id}/complete`);
    // Time passes: the completion is older than COMPLETION_STALE_SECONDS.
    await harness.db.send(
      new UpdateCommand({
        TableName: harness.table,
        Key: { PK: `SESSION#${s.id}`, SK: 'SESSION' },
        UpdateExpression: 'SET completingSince = :then',
        ExpressionAttributeValues: { ':then': new Date(Date.now() - 600_000).toISOString() },
      }),
    );

    // Act
    const takenOver = await api.request('POST', `/uploads/${s.id}/complete`);

    // Assess
    expectUnavailable(failed);
    expect(stuck.status).toBe('completing');
    expect({ status: waiting.status, code: waiting.body.error.code }).toEqual({
      status: 409,
      code: 'COMPLETION_IN_PROGRESS',
    });
    expect(Number(waiting.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(takenOver.status).toBe(200);
    expect(takenOver.body.data.size).toBe(source.length);
    await expectFinished(api, s);
  });
});

describe('initiate under faults', () => {
  const uploadsOf = async (userId: string) =>
    (
      await harness.s3.send(
        new ListMultipartUploadsCommand({ Bucket: harness.bucket, Prefix: `uploads/${userId}/` }),
      )
    ).Uploads ?? [];

  it('the session write failing after CreateMultipartUpload: 503, no session, the upload aborted', async () => {
    const userId = `inv-${randomUUID()}`;
    const api = await harness.as(userId);
    fail('TransactWriteItemsCommand', 1, throttled);

    const res = await api.initiate({ fileName: 'o.bin', fileSize: 10 }, { 'idempotency-key': 'k' });
    hooks.clear();

    expectUnavailable(res);
    expect((await api.request('GET', '/uploads?status=all')).body.data.items).toEqual([]);
    expect(await uploadsOf(userId)).toEqual([]);
    const retried = await api.initiate(
      { fileName: 'o.bin', fileSize: 10 },
      { 'idempotency-key': 'k' },
    );
    expect(retried.status).toBe(201);
    expect(await uploadsOf(userId)).toHaveLength(1);
  });

  it('the session write applied but its answer lost: 503; the upload is kept and the session works', async () => {
    const userId = `inv-${randomUUID()}`;
    const api = await harness.as(userId);
    const bytes = randomBytes(10);
    fail('TransactWriteItemsCommand', 1, () => networkError('ECONNRESET'), { afterSend: true });

    const res = await api.initiate({ fileName: 'l.bin', fileSize: 10 }, { 'idempotency-key': 'k' });
    hooks.clear();
    const retried = await api.initiate(
      { fileName: 'l.bin', fileSize: 10 },
      { 'idempotency-key': 'k' },
    );

    expectUnavailable(res);
    expect(retried.status).toBe(200);
    expect(await uploadsOf(userId)).toHaveLength(1);
    expect((await api.sendChunk(retried.body.data.id, 0, bytes)).status).toBe(200);
    const done = await api.request('POST', `/uploads/${retried.body.data.id}/complete`);
    expect(done.status).toBe(200);
    expect(sha256Hex(await api.download(retried.body.data.id))).toBe(sha256Hex(bytes));
  });
});

describe('cancel under faults', () => {
  it('AbortMultipartUpload failing: 503 with the session already cancelled; a repeat releases the parts', async () => {
    // Prepare
    const api = await freshUser();
    const { body } = await api.initiate({ fileName: 'x.bin', fileSize: 10, checksum: 'NONE' });
    const id = body.data.id as string;
    await api.sendChunk(id, 0, randomBytes(10), false);
    const item = await sessionItem(id);
    const parts = () =>
      harness.s3.send(
        new ListPartsCommand({
          Bucket: harness.bucket,
          Key: item.key as string,
          UploadId: item.uploadId as string,
        }),
      );
    fail('AbortMultipartUploadCommand', 1, throttled);

    // Act
    const failed = await api.request('DELETE', `/uploads/${id}`);
    hooks.clear();
    const statusBetween = (await sessionItem(id)).status;
    const partsBetween = (await parts()).Parts?.length;
    const complete = await api.request('POST', `/uploads/${id}/complete`);
    const repeated = await api.request('DELETE', `/uploads/${id}`);

    // Assess
    expectUnavailable(failed);
    expect(statusBetween).toBe('cancelled');
    expect(partsBetween).toBe(1);
    expect(complete.body.error.code).toBe('SESSION_CANCELLED');
    expect(repeated.status).toBe(200);
    await expect(parts()).rejects.toMatchObject({ name: 'NoSuchUpload' });
  });
});
