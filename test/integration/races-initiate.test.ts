import { randomBytes, randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, ApiResponse } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { multipartUploads } from '../support/race-kit.ts';
import { hookHandlers, type SdkHooks, serviceError } from '../support/sdk-hooks.ts';

/**
 * One user's initiates racing each other and the user's cancels and completes: the per-user
 * limit decides (201 or 429), never contention (500).
 */
const LIMIT = 20;
let harness: Harness;
let hooks: SdkHooks;

beforeAll(async () => {
  harness = await startHarness({ MAX_ACTIVE_UPLOADS_PER_USER: String(LIMIT) });
  hooks = await hookHandlers();
});
afterEach(() => hooks.clear());
afterAll(() => harness?.close());

async function newUser(): Promise<{ userId: string; api: ApiClient }> {
  const userId = `slots-${randomUUID().slice(0, 8)}`;
  return { userId, api: await harness.as(userId) };
}

const initiates = (api: ApiClient, count: number) =>
  Promise.all(
    Array.from({ length: count }, (_, i) =>
      api.initiate({ fileName: `f-${i}.bin`, fileSize: 10, checksum: 'NONE' }),
    ),
  );

const statuses = (answers: ApiResponse[]) => answers.map((a) => a.status).sort();
const createdIds = (answers: ApiResponse[]) =>
  answers.filter((a) => a.status === 201).map((a) => a.body.data.id as string);

/** The session ids the user's live-slot record holds. */
async function liveSlotIds(userId: string): Promise<string[]> {
  const out = await harness.db.send(
    new GetCommand({
      TableName: harness.table,
      Key: { PK: `USER#${userId}`, SK: 'LIVE' },
      ConsistentRead: true,
    }),
  );
  return Object.keys((out.Item?.sessions as object | undefined) ?? {}).sort();
}

/** Multipart uploads storage holds for the user, by upload id. */
const uploadIdsOf = async (userId: string) =>
  (await multipartUploads(harness, `uploads/${userId}/`)).map((u) => u.UploadId).sort();

describe('concurrent initiates by one user', () => {
  it('40 at once with 20 free slots: exactly 20 x 201 and 20 x 429', async () => {
    // Prepare
    const { userId, api } = await newUser();

    // Act
    const answers = await initiates(api, 40);

    // Assess
    expect(statuses(answers)).toEqual([...Array(20).fill(201), ...Array(20).fill(429)]);
    for (const refused of answers.filter((a) => a.status === 429))
      expect(refused.body.error).toMatchObject({ code: 'TOO_MANY_ACTIVE_UPLOADS' });
    const ids = createdIds(answers);
    expect(await liveSlotIds(userId)).toEqual([...ids].sort());
    const listed = await api.request('GET', '/uploads?status=all&limit=100');
    expect(listed.body.data.items.map((s: { id: string }) => s.id).sort()).toEqual([...ids].sort());
    // The refused ones left no multipart upload behind.
    expect(await uploadIdsOf(userId)).toHaveLength(20);
  });

  it('10 at once below the limit: all 201', async () => {
    // Prepare
    const { userId, api } = await newUser();

    // Act
    const answers = await initiates(api, 10);

    // Assess
    expect(statuses(answers)).toEqual(Array(10).fill(201));
    expect(await liveSlotIds(userId)).toEqual(createdIds(answers).sort());
  });

  it('racing cancels and completes of the user’s other sessions: no initiate fails', async () => {
    // Prepare: 8 sessions hold slots; 4 will be cancelled and 4 completed while 16 initiates run.
    const { userId, api } = await newUser();
    const held = createdIds(await initiates(api, 8));
    const [toCancel, toComplete] = [held.slice(0, 4), held.slice(4)];
    for (const id of toComplete) {
      expect((await api.sendChunk(id, 0, randomBytes(10), false)).status).toBe(200);
    }

    // Act
    const [started, cancelled, completed] = await Promise.all([
      initiates(api, 16),
      Promise.all(toCancel.map((id) => api.request('DELETE', `/uploads/${id}`))),
      Promise.all(toComplete.map((id) => api.request('POST', `/uploads/${id}/complete`))),
    ]);

    // Assess: 12 slots were free from the start; the 8 being freed may or may not be in time.
    expect(statuses(cancelled)).toEqual(Array(4).fill(200));
    expect(statuses(completed)).toEqual(Array(4).fill(200));
    const created = createdIds(started);
    expect(created.length).toBeGreaterThanOrEqual(12);
    expect(statuses(started)).toEqual([
      ...Array(created.length).fill(201),
      ...Array(16 - created.length).fill(429),
    ]);
    expect(await liveSlotIds(userId)).toEqual([...created].sort());
  });

  it('a slot release DynamoDB refuses for an initiate’s transaction in progress is retried', async () => {
    // Prepare: DynamoDB answers the first write to the live-slot record with a conflict.
    const { userId, api } = await newUser();
    const [id] = createdIds(await initiates(api, 1));
    let refused = 0;
    hooks.use(async (call, send) => {
      const onSlots = JSON.stringify(call.input.Key).includes('LIVE');
      if (call.command !== 'UpdateItemCommand' || !onSlots || refused > 0) return send();
      refused++;
      throw serviceError('TransactionConflictException', 400);
    });

    // Act
    const cancelled = await api.request('DELETE', `/uploads/${id}`);

    // Assess
    expect(cancelled.status).toBe(200);
    expect(refused).toBe(1);
    expect(await liveSlotIds(userId)).toEqual([]);
  });

  it('an initiate whose transaction DynamoDB cancels for a conflict retries with the same upload', async () => {
    // Prepare: the first session write is cancelled as real DynamoDB does under contention.
    const { userId, api } = await newUser();
    let cancelled = 0;
    hooks.use(async (call, send) => {
      if (call.command !== 'TransactWriteItemsCommand' || cancelled > 0) return send();
      cancelled++;
      throw Object.assign(serviceError('TransactionCanceledException', 400), {
        CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }],
      });
    });

    // Act
    const res = await api.initiate({ fileName: 'c.bin', fileSize: 10, checksum: 'NONE' });

    // Assess
    expect(res.status).toBe(201);
    expect(cancelled).toBe(1);
    expect(await liveSlotIds(userId)).toEqual([res.body.data.id]);
    expect(await uploadIdsOf(userId)).toHaveLength(1);
  });
});
