import { randomBytes, randomUUID } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, type ApiResponse, sha256, sha256Hex } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import {
  chunkSet,
  holdAt,
  multipartUploads,
  objectSize,
  on,
  sessionItem,
  WRITE,
} from '../support/race-kit.ts';
import { hookHandlers, type SdkHooks, serviceError } from '../support/sdk-hooks.ts';

/**
 * Each race is forced into one exact interleaving: operation A is paused at a chosen AWS call,
 * operation B runs to its end, then A goes on. No sleeps decide the order.
 */
const MIB = 1024 * 1024;
let harness: Harness;
let alice: ApiClient;
let hooks: SdkHooks;

beforeAll(async () => {
  harness = await startHarness();
  hooks = await hookHandlers();
  alice = await harness.as('alice');
});
afterEach(() => hooks.clear());
afterAll(() => harness?.close());

function expectError(res: ApiResponse, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
}

const complete = (id: string) => alice.request('POST', `/uploads/${id}/complete`);
const cancel = (id: string) => alice.request('DELETE', `/uploads/${id}`);

/** A session of one small checksummed chunk; `recorded` says whether the ledger knows it yet. */
async function oneChunkSession(recorded: boolean) {
  const bytes = randomBytes(1000);
  const init = await alice.initiate({ fileName: 'race.bin', fileSize: bytes.length });
  expect(init.status).toBe(201);
  const session = init.body.data;
  const etag = await alice.putChunk(session.id, 0, bytes);
  const recordBody = { etag, checksumSha256: sha256(bytes) };
  if (recorded) expect((await alice.record(session.id, 0, recordBody)).status).toBe(200);
  return { session, bytes, recordBody };
}

describe('complete vs cancel', () => {
  it('cancel while complete is between CompleteMultipartUpload and its ledger write: complete wins', async () => {
    // Prepare
    const { session, bytes } = await oneChunkSession(true);
    const held = holdAt(hooks, on.s3('CompleteMultipartUploadCommand', session.key), 'after');

    // Act
    const completing = complete(session.id);
    await held.reached;
    const cancelled = await cancel(session.id);
    held.release();
    const completed = await completing;

    // Assess
    expectError(cancelled, 409, 'INVALID_STATE');
    expect(completed.status).toBe(200);
    expect(completed.body.data).toMatchObject({ status: 'uploaded', size: bytes.length });
    const item = await sessionItem(harness, session.id);
    expect(item?.status).toBe('uploaded');
    expect(item?.file).toEqual(completed.body.data);
    expect(await objectSize(harness, session.key)).toBe(bytes.length);
    expect(await multipartUploads(harness, session.key)).toEqual([]);
    expect(sha256Hex(await alice.download(session.id))).toBe(sha256Hex(bytes));
  });

  it('complete after cancel’s conditional write but before its abort: cancel wins', async () => {
    // Prepare
    const { session } = await oneChunkSession(true);
    const held = holdAt(hooks, on.s3('AbortMultipartUploadCommand', session.key));

    // Act
    const cancelling = cancel(session.id);
    await held.reached;
    const completed = await complete(session.id);
    held.release();
    const cancelled = await cancelling;

    // Assess
    expectError(completed, 410, 'SESSION_CANCELLED');
    expect(cancelled.status).toBe(200);
    expect((await sessionItem(harness, session.id))?.status).toBe('cancelled');
    expect(await objectSize(harness, session.key)).toBeUndefined();
    expect(await multipartUploads(harness, session.key)).toEqual([]);
  });

  it('cancel’s conditional write held while complete runs to its end: complete wins, nothing aborted', async () => {
    // Prepare: cancel has read an open session and is about to write `cancelled`.
    const { session, bytes } = await oneChunkSession(true);
    const held = holdAt(hooks, on.sessionUpdate(session.id, WRITE.cancel));

    // Act
    const cancelling = cancel(session.id);
    await held.reached;
    const completed = await complete(session.id);
    held.release();
    const cancelled = await cancelling;

    // Assess
    expect(completed.status).toBe(200);
    expectError(cancelled, 409, 'INVALID_STATE');
    expect((await sessionItem(harness, session.id))?.status).toBe('uploaded');
    expect(await objectSize(harness, session.key)).toBe(bytes.length);
    expect(hooks.calls.some((c) => c.command === 'AbortMultipartUploadCommand')).toBe(false);
  });

  it('complete’s election write held while cancel runs to its end: cancel wins, nothing assembled', async () => {
    // Prepare: complete has listed the parts and is about to move the session to `completing`.
    const { session } = await oneChunkSession(true);
    const held = holdAt(hooks, on.sessionUpdate(session.id, WRITE.beginCompletion));

    // Act
    const completing = complete(session.id);
    await held.reached;
    const cancelled = await cancel(session.id);
    held.release();
    const completed = await completing;

    // Assess
    expect(cancelled.status).toBe(200);
    expectError(completed, 410, 'SESSION_CANCELLED');
    expect((await sessionItem(harness, session.id))?.status).toBe('cancelled');
    expect(hooks.calls.some((c) => c.command === 'CompleteMultipartUploadCommand')).toBe(false);
    expect(await objectSize(harness, session.key)).toBeUndefined();
    expect(await multipartUploads(harness, session.key)).toEqual([]);
  });
});

describe('complete that lost its ledger write vs cancel', () => {
  it('cancel after the object was assembled but not recorded: no object is left behind', async () => {
    // Prepare: storage assembles the object, then the ledger write that says so fails.
    const { session } = await oneChunkSession(true);
    const finish = on.sessionUpdate(session.id, WRITE.finishCompletion);
    hooks.use(async (call, send) => {
      if (finish(call)) throw serviceError('ProvisionedThroughputExceededException', 400);
      return send();
    });
    const completed = await complete(session.id);
    hooks.clear();

    // Act
    const cancelled = await cancel(session.id);

    // Assess
    expectError(completed, 503, 'STORAGE_UNAVAILABLE');
    expect(cancelled.status).toBe(200);
    expect((await sessionItem(harness, session.id))?.status).toBe('cancelled');
    expect(await objectSize(harness, session.key)).toBeUndefined();
    expect(await multipartUploads(harness, session.key)).toEqual([]);
  });
});

describe('record vs cancel', () => {
  it('a record whose part was verified writes after cancel: refused, bitmap unchanged', async () => {
    // Prepare
    const { session, recordBody } = await oneChunkSession(false);
    const held = holdAt(hooks, on.recordWrite(session.id));

    // Act
    const recording = alice.record(session.id, 0, recordBody);
    await held.reached;
    const cancelled = await cancel(session.id);
    held.release();
    const recorded = await recording;

    // Assess
    expect(cancelled.status).toBe(200);
    expectError(recorded, 410, 'SESSION_CANCELLED');
    const item = await sessionItem(harness, session.id);
    expect(item).toMatchObject({ status: 'cancelled', chunksUploaded: 0, uploadedBytes: 0 });
    expect(await chunkSet(harness, session.id)).toEqual([]);
    expect(await multipartUploads(harness, session.key)).toEqual([]);
  });

  it('a record held before it reads storage finds the upload aborted: SESSION_CANCELLED', async () => {
    // Prepare
    const { session, recordBody } = await oneChunkSession(false);
    const held = holdAt(hooks, on.s3('ListPartsCommand', session.key));

    // Act
    const recording = alice.record(session.id, 0, recordBody);
    await held.reached;
    const cancelled = await cancel(session.id);
    held.release();
    const recorded = await recording;

    // Assess
    expect(cancelled.status).toBe(200);
    expectError(recorded, 410, 'SESSION_CANCELLED');
    expect(await chunkSet(harness, session.id)).toEqual([]);
  });
});

describe('record vs complete', () => {
  it('a held record of chunk 0 while complete runs: CHUNKS_MISSING for both, the record then counts once', async () => {
    // Prepare: two chunks, only chunk 0 in storage and not yet recorded.
    const source = randomBytes(5 * MIB + 10);
    const init = await alice.initiate({ fileName: 'two.bin', fileSize: source.length });
    const session = init.body.data;
    const first = source.subarray(0, 5 * MIB);
    const etag = await alice.putChunk(session.id, 0, first);
    const held = holdAt(hooks, on.recordWrite(session.id));

    // Act
    const recording = alice.record(session.id, 0, { etag, checksumSha256: sha256(first) });
    await held.reached;
    const completed = await complete(session.id);
    held.release();
    const recorded = await recording;

    // Assess: complete counts recorded chunks only; the held record lands afterwards, once.
    expectError(completed, 409, 'CHUNKS_MISSING');
    expect(completed.body.error.details.missingChunks).toEqual([0, 1]);
    expect(recorded.status).toBe(200);
    expect(recorded.body.data).toMatchObject({ chunksUploaded: 1, uploadedBytes: 5 * MIB });
    const item = await sessionItem(harness, session.id);
    expect(item).toMatchObject({ status: 'uploading', chunksUploaded: 1, uploadedBytes: 5 * MIB });
    expect(await chunkSet(harness, session.id)).toEqual([0]);
    expect(await objectSize(harness, session.key)).toBeUndefined();
    expect(await multipartUploads(harness, session.key)).toHaveLength(1);
  });

  it('a held record of the last chunk while complete runs: CHUNKS_MISSING; once it lands, complete assembles it', async () => {
    // Prepare
    const { session, bytes, recordBody } = await oneChunkSession(false);
    const held = holdAt(hooks, on.recordWrite(session.id));

    // Act
    const recording = alice.record(session.id, 0, recordBody);
    await held.reached;
    const early = await complete(session.id);
    held.release();
    const recorded = await recording;
    const completed = await complete(session.id);

    // Assess: only a chunk the ledger holds is assembled, and the late record is counted once.
    expectError(early, 409, 'CHUNKS_MISSING');
    expect(early.body.error.details.missingChunks).toEqual([0]);
    expect(recorded.status).toBe(200);
    expect(recorded.body.data).toMatchObject({ chunksUploaded: 1, uploadedBytes: bytes.length });
    expect(completed.status).toBe(200);
    const item = await sessionItem(harness, session.id);
    expect(item).toMatchObject({ status: 'uploaded', chunksUploaded: 1 });
    expect(item?.uploadedBytes).toBe(bytes.length);
    expect(item?.file).toEqual(completed.body.data);
    expect(sha256Hex(await alice.download(session.id))).toBe(sha256Hex(bytes));
  });

  it('a record held before it reads storage, released after complete: INVALID_STATE, session unchanged', async () => {
    // Prepare
    const { session, recordBody } = await oneChunkSession(true);
    const held = holdAt(hooks, on.s3('ListPartsCommand', session.key));

    // Act
    const recording = alice.record(session.id, 0, recordBody);
    await held.reached;
    const completed = await complete(session.id);
    const afterComplete = await sessionItem(harness, session.id);
    held.release();
    const recorded = await recording;

    // Assess
    expect(completed.status).toBe(200);
    expectError(recorded, 409, 'INVALID_STATE');
    expect(await sessionItem(harness, session.id)).toEqual(afterComplete);
  });

  it('a record arriving after complete succeeded: INVALID_STATE, session unchanged', async () => {
    // Prepare
    const { session, recordBody } = await oneChunkSession(true);
    expect((await complete(session.id)).status).toBe(200);
    const before = await sessionItem(harness, session.id);

    // Act
    const recorded = await alice.record(session.id, 0, recordBody);

    // Assess
    expectError(recorded, 409, 'INVALID_STATE');
    expect(await sessionItem(harness, session.id)).toEqual(before);
  });

  it('a record while complete is assembling: INVALID_STATE, the object holds what was listed', async () => {
    // Prepare
    const { session, bytes, recordBody } = await oneChunkSession(true);
    const held = holdAt(hooks, on.s3('CompleteMultipartUploadCommand', session.key));

    // Act
    const completing = complete(session.id);
    await held.reached;
    const recorded = await alice.record(session.id, 0, recordBody);
    held.release();
    const completed = await completing;

    // Assess
    expectError(recorded, 409, 'INVALID_STATE');
    expect(recorded.body.error.details).toMatchObject({ status: 'completing' });
    expect(completed.status).toBe(200);
    expect(sha256Hex(await alice.download(session.id))).toBe(sha256Hex(bytes));
  });
});

describe('two initiates with one Idempotency-Key', () => {
  /** Session items of a user, read from the user index. */
  async function sessionIdsOf(userId: string): Promise<string[]> {
    const out = await harness.db.send(
      new QueryCommand({
        TableName: harness.table,
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :pk',
        ExpressionAttributeValues: { ':pk': `USER#${userId}` },
      }),
    );
    return (out.Items ?? []).map((item) => item.id as string);
  }

  async function raceInitiates(secondBody: Record<string, unknown>) {
    const userId = `idem-${randomUUID().slice(0, 8)}`;
    const client = await harness.as(userId);
    const headers = { 'idempotency-key': 'one-key' };
    const body = { fileName: 'same.bin', fileSize: 100, checksum: 'NONE' };
    // The first initiate has created its multipart upload and is about to write the session.
    const held = holdAt(hooks, on.command('TransactWriteItemsCommand'));
    const first = client.initiate(body, headers);
    await held.reached;
    const second = await client.initiate(secondBody, headers);
    held.release();
    return { userId, first: await first, second, prefix: `uploads/${userId}/` };
  }

  it('same body: both answers name one session; the loser’s multipart upload is aborted', async () => {
    // Act
    const { userId, first, second, prefix } = await raceInitiates({
      fileName: 'same.bin',
      fileSize: 100,
      checksum: 'NONE',
    });

    // Assess
    expect(second.status).toBe(201);
    expect(first.status).toBe(200);
    expect(first.body.data.id).toBe(second.body.data.id);
    expect(first.body.data).toEqual(second.body.data);
    expect(await sessionIdsOf(userId)).toEqual([second.body.data.id]);
    const item = await sessionItem(harness, second.body.data.id);
    const uploads = await multipartUploads(harness, prefix);
    expect(uploads.map((u) => u.UploadId)).toEqual([item?.uploadId]);
    expect(hooks.calls.filter((c) => c.command === 'CreateMultipartUploadCommand')).toHaveLength(2);
  });

  it('different body: the held one gets IDEMPOTENCY_KEY_REUSED and leaves nothing behind', async () => {
    // Act
    const { userId, first, second, prefix } = await raceInitiates({
      fileName: 'other.bin',
      fileSize: 200,
      checksum: 'NONE',
    });

    // Assess
    expect(second.status).toBe(201);
    expectError(first, 409, 'IDEMPOTENCY_KEY_REUSED');
    expect(await sessionIdsOf(userId)).toEqual([second.body.data.id]);
    const item = await sessionItem(harness, second.body.data.id);
    const uploads = await multipartUploads(harness, prefix);
    expect(uploads.map((u) => u.UploadId)).toEqual([item?.uploadId]);
  });
});
