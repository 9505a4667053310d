import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, type ApiResponse, sha256, sha256Hex } from '../support/api-client.ts';
import { streamRecord } from '../support/dynamodb-stream.ts';
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
 * Operations held at an AWS call until their session's `expiresAt` has passed, then released.
 * Sessions live 4 s here; a test waits on the clock (not a fixed sleep) for the deadline.
 */
const TTL_SECONDS = 4;
let harness: Harness;
let alice: ApiClient;
let hooks: SdkHooks;

beforeAll(async () => {
  harness = await startHarness({ SESSION_TTL_SECONDS: String(TTL_SECONDS) });
  hooks = await hookHandlers();
  alice = await harness.as('alice');
});
afterEach(() => hooks.clear());
afterAll(() => harness?.close());

function expectError(res: ApiResponse, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
}

/** Resolves once the wall clock has reached `expiresAt` (epoch seconds). */
async function pastExpiry(expiresAtIso: string): Promise<void> {
  while (Date.now() < Date.parse(expiresAtIso)) await sleep(25);
}

async function oneChunkSession(recorded: boolean) {
  const bytes = randomBytes(1000);
  const init = await alice.initiate({ fileName: 'expiring.bin', fileSize: bytes.length });
  expect(init.status).toBe(201);
  const session = init.body.data;
  const etag = await alice.putChunk(session.id, 0, bytes);
  const recordBody = { etag, checksumSha256: sha256(bytes) };
  if (recorded) expect((await alice.record(session.id, 0, recordBody)).status).toBe(200);
  return { session, bytes, recordBody };
}

describe('operations overtaken by expiry', () => {
  it('record held after its open check, released past expiresAt: SESSION_EXPIRED, nothing recorded', async () => {
    // Prepare
    const { session, recordBody } = await oneChunkSession(false);
    const held = holdAt(hooks, on.s3('ListPartsCommand', session.key));

    // Act
    const recording = alice.record(session.id, 0, recordBody);
    await held.reached;
    await pastExpiry(session.expiresAt);
    held.release();
    const recorded = await recording;

    // Assess
    expectError(recorded, 410, 'SESSION_EXPIRED');
    const item = await sessionItem(harness, session.id);
    expect(item).toMatchObject({ status: 'initiated', chunksUploaded: 0, uploadedBytes: 0 });
    expect(await chunkSet(harness, session.id)).toEqual([]);
  });

  it.each([
    ['recorded', true],
    ['only in storage', false],
  ])(
    'complete (chunk %s) held after its open check, released past expiresAt: SESSION_EXPIRED, nothing assembled',
    async (_, recorded) => {
      // Prepare
      const { session } = await oneChunkSession(recorded);
      const held = holdAt(hooks, on.s3('ListPartsCommand', session.key));

      // Act
      const completing = alice.request('POST', `/uploads/${session.id}/complete`);
      await held.reached;
      await pastExpiry(session.expiresAt);
      held.release();
      const completed = await completing;

      // Assess: reconcile did not record the stored chunk either.
      expectError(completed, 410, 'SESSION_EXPIRED');
      const item = await sessionItem(harness, session.id);
      expect(item?.status).toBe(recorded ? 'uploading' : 'initiated');
      expect(await chunkSet(harness, session.id)).toEqual(recorded ? [0] : []);
      expect(hooks.calls.some((c) => c.command === 'CompleteMultipartUploadCommand')).toBe(false);
      expect(await objectSize(harness, session.key)).toBeUndefined();
    },
  );

  it('chunk URLs asked for just before expiresAt and answered after: SESSION_EXPIRED', async () => {
    // Prepare
    const { session, bytes } = await oneChunkSession(false);
    const held = holdAt(hooks, on.sessionRead(session.id));

    // Act
    const signing = alice.chunkUrls(session.id, [
      { chunkNumber: 0, checksumSha256: sha256(bytes) },
    ]);
    await held.reached;
    await pastExpiry(session.expiresAt);
    held.release();
    const signed = await signing;

    // Assess
    expectError(signed, 410, 'SESSION_EXPIRED');
  });

  it('a chunk write decided before expiresAt lands late; the expired session still cannot complete', async () => {
    // Prepare: DynamoDB conditions have no server clock: the write carries the time it was decided.
    const { session, recordBody } = await oneChunkSession(false);
    const held = holdAt(hooks, on.recordWrite(session.id));

    // Act
    const recording = alice.record(session.id, 0, recordBody);
    await held.reached;
    await pastExpiry(session.expiresAt);
    held.release();
    const recorded = await recording;
    const completed = await alice.request('POST', `/uploads/${session.id}/complete`);

    // Assess
    expect(recorded.status).toBe(200);
    expectError(completed, 410, 'SESSION_EXPIRED');
    expect(await objectSize(harness, session.key)).toBeUndefined();
    expect(await multipartUploads(harness, session.key)).toHaveLength(1);
  });
});

describe('a completion running across expiresAt', () => {
  /** What DynamoDB's TTL does to an item whose expiresAt has passed, then the cleanup function. */
  async function ttlSweep(id: string): Promise<boolean> {
    const item = await sessionItem(harness, id);
    if (!item || (item.expiresAt as number) * 1000 > Date.now()) return false;
    await harness.db.send(
      new DeleteCommand({ TableName: harness.table, Key: { PK: item.PK, SK: item.SK } }),
    );
    const { handler } = await import('../../functions/cleanup-expired.ts');
    const image = marshall(item, { removeUndefinedValues: true });
    await handler({ Records: [streamRecord(image as Parameters<typeof streamRecord>[0])] });
    return true;
  }

  it.each([
    ['before', 'before'],
    ['after', 'after'],
  ] as const)(
    'held %s CompleteMultipartUpload past expiresAt: TTL cannot remove it; it finishes uploaded',
    async (_, when) => {
      // Prepare
      const { session, bytes } = await oneChunkSession(true);
      const held = holdAt(hooks, on.s3('CompleteMultipartUploadCommand', session.key), when);

      // Act
      const completing = alice.request('POST', `/uploads/${session.id}/complete`);
      await held.reached;
      await pastExpiry(session.expiresAt);
      const swept = await ttlSweep(session.id);
      held.release();
      const completed = await completing;

      // Assess
      expect(swept).toBe(false);
      expect(completed.status).toBe(200);
      const item = await sessionItem(harness, session.id);
      expect(item?.status).toBe('uploaded');
      expect(item?.file).toEqual(completed.body.data);
      expect(await objectSize(harness, session.key)).toBe(bytes.length);
      expect(sha256Hex(await alice.download(session.id))).toBe(sha256Hex(bytes));
    },
  );
});
