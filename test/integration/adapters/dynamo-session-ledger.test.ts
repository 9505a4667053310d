import { createHash, randomUUID } from 'node:crypto';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { itemSize } from '../../../bench/dynamodb-units.ts';
import { ensureTable } from '../../../local/bootstrap.ts';
import { createDocumentClient } from '../../../src/adapters/aws-clients.ts';
import { DynamoSessionLedger } from '../../../src/adapters/dynamo-session-ledger.ts';
import { toSessionItem, USER_INDEX_ATTRIBUTES } from '../../../src/adapters/session-item.ts';
import { MAX_CHUNKS } from '../../../src/domain/chunk-plan.ts';
import type { ChunkEntry, CreateOutcome, LiveSlots } from '../../../src/domain/ports.ts';
import type { FileRecord, UploadSession } from '../../../src/domain/session.ts';

const endpoint = inject('dynamodbEndpoint');
const aws = { region: process.env.AWS_REGION ?? 'us-east-1', endpoint };
const table = `ledger-test-${randomUUID().slice(0, 8)}`;
let db: DynamoDBDocumentClient;
let ledger: DynamoSessionLedger;

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  await ensureTable(new DynamoDBClient(aws), table);
  db = createDocumentClient(aws) as DynamoDBDocumentClient;
  ledger = new DynamoSessionLedger(db, table);
});

const NO_SLOTS: LiveSlots = { recorded: false, sessions: {} };

/** Creates `s` as its user's first session (no live-slot record yet). */
const createFirst = (s: UploadSession) =>
  ledger.createSession({ session: s, liveSlots: NO_SLOTS, endedSlots: [], maxLiveSessions: 20 });

function session(totalChunks: number, userId?: string): UploadSession {
  const now = new Date();
  const id = randomUUID();
  return {
    id,
    userId: userId ?? `ledger-user-${id}`,
    fileId: randomUUID(),
    fileName: 'big.bin',
    fileSize: totalChunks * 5 * 1024 * 1024,
    contentType: 'application/octet-stream',
    chunkSize: 5 * 1024 * 1024,
    totalChunks,
    checksumMode: 'SHA256',
    metadata: {},
    key: 'uploads/ledger-user/x/big.bin',
    uploadId: 'upload-id',
    status: 'initiated',
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + 3600,
    uploadedBytes: 0,
    chunksUploaded: 0,
  };
}

describe('the chunk ledger', () => {
  const SIZE = 5 * 1024 * 1024;
  const entry = (chunkNumber: number, tag = 'a'): ChunkEntry => ({
    chunkNumber,
    size: SIZE,
    etag: `"${createHash('md5').update(`${tag}${chunkNumber}`).digest('hex')}"`,
    checksumSha256: createHash('sha256').update(`${tag}${chunkNumber}`).digest('base64'),
  });
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  const record = (
    s: UploadSession,
    chunks: ChunkEntry[],
    onChanged: 'replace' | 'keep' = 'replace',
  ) => ledger.recordChunks(s, chunks, new Date(), onChanged);

  /** Every item of the session's partition, as stored. */
  async function partition(s: UploadSession): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await db.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': `SESSION#${s.id}` },
          Limit: 30, // moto answers slowly per attribute: keep each answer small
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  it('records all 10,000 chunks of one session in batches of 100, with every item a few KB at most', async () => {
    // Prepare
    const s = session(MAX_CHUNKS);
    expect((await createFirst(s)).kind).toBe('created');

    // Act
    for (let start = 0; start < MAX_CHUNKS; start += 100) {
      const outcome = await record(
        s,
        range(start, start + 100).map((n) => entry(n)),
      );
      expect(outcome).toEqual({
        kind: 'recorded',
        uploadedBytes: (start + 100) * SIZE,
        chunksUploaded: start + 100,
      });
    }
    const repeat = await record(
      s,
      range(4200, 4300).map((n) => entry(n)),
    );

    // Assess
    expect(repeat).toEqual({
      kind: 'recorded',
      uploadedBytes: MAX_CHUNKS * SIZE,
      chunksUploaded: MAX_CHUNKS,
    });
    const recorded = await ledger.readChunks(s.id);
    expect(recorded.size).toBe(MAX_CHUNKS);
    expect(recorded.get(9999)).toEqual(entry(9999));
    const items = await partition(s);
    const largest = Math.max(...items.map((item) => itemSize(item)));
    expect(largest).toBeLessThan(4 * 1024);
    expect(items.every((item) => typeof item.expiresAt === 'number')).toBe(true);
    expect(await ledger.getSession(s.id)).toMatchObject({ status: 'uploading' });
  });

  it('concurrent overlapping batches: every chunk recorded once, totals exact', async () => {
    // Prepare: 12 batches of 30 chunks, each overlapping the next by 10.
    const s = session(400);
    await createFirst(s);
    const batches = Array.from({ length: 12 }, (_, i) => range(i * 20, i * 20 + 30));

    // Act
    const outcomes = await Promise.all(
      batches.map((b) =>
        record(
          s,
          b.map((n) => entry(n)),
        ),
      ),
    );

    // Assess
    expect(outcomes.every((o) => o.kind === 'recorded')).toBe(true);
    const distinct = new Set(batches.flat());
    expect(await ledger.getSession(s.id)).toMatchObject({
      chunksUploaded: distinct.size,
      uploadedBytes: distinct.size * SIZE,
    });
    expect([...(await ledger.readChunks(s.id)).keys()].sort((a, b) => a - b)).toEqual(
      [...distinct].sort((a, b) => a - b),
    );
  });

  it('a chunk recorded under another ETag is replaced (or kept), never counted twice', async () => {
    // Prepare
    const s = session(40);
    await createFirst(s);
    await record(s, [entry(0), entry(1)]);

    // Act
    const replaced = await record(s, [entry(0, 'b'), entry(2)]);
    const kept = await record(s, [entry(1, 'c'), entry(3)], 'keep');

    // Assess
    expect(replaced).toMatchObject({ kind: 'recorded', chunksUploaded: 3 });
    expect(kept).toMatchObject({ kind: 'recorded', chunksUploaded: 4, uploadedBytes: 4 * SIZE });
    expect(
      [...(await ledger.readChunks(s.id)).values()].sort((a, b) => a.chunkNumber - b.chunkNumber),
    ).toEqual([entry(0, 'b'), entry(1), entry(2), entry(3)]);
  });

  it('drops only chunks still recorded with the given ETag, and takes them off the totals', async () => {
    // Prepare
    const s = session(40);
    await createFirst(s);
    await record(s, [entry(0), entry(1), entry(20)]);

    // Act: chunk 1 was recorded again under another ETag since it was read.
    const dropped = await ledger.dropChunks(
      s.id,
      [entry(0), entry(1, 'stale'), entry(20)],
      new Date(),
    );

    // Assess
    expect(dropped).toBe(true);
    expect([...(await ledger.readChunks(s.id)).keys()]).toEqual([1]);
    expect(await ledger.getSession(s.id)).toMatchObject({ chunksUploaded: 1, uploadedBytes: SIZE });
  });

  it('a batch spread over more than 99 pages is written in several transactions, each counted once', async () => {
    // Prepare: 100 chunks, one per page.
    const s = session(MAX_CHUNKS);
    await createFirst(s);
    const spread = range(0, 100).map((i) => entry(i * 97));

    // Act
    const outcome = await record(s, spread);
    const again = await record(s, spread);

    // Assess
    expect(outcome).toEqual({ kind: 'recorded', chunksUploaded: 100, uploadedBytes: 100 * SIZE });
    expect(again).toEqual(outcome);
    expect((await ledger.readChunks(s.id)).size).toBe(100);
  });

  it('a closed session takes no chunk and drops none; a repeat of what it holds still answers', async () => {
    // Prepare
    const s = session(10);
    await createFirst(s);
    await record(s, [entry(0)]);
    expect(await ledger.cancel(s.id, new Date())).toBe(true);

    // Act
    const fresh = await record(s, [entry(1)]);
    const repeat = await record(s, [entry(0)]);
    const dropped = await ledger.dropChunks(s.id, [entry(0)], new Date());

    // Assess
    expect(fresh).toMatchObject({ kind: 'rejected', session: { status: 'cancelled' } });
    expect(repeat).toEqual({ kind: 'recorded', chunksUploaded: 1, uploadedBytes: SIZE });
    expect(dropped).toBe(false);
    expect([...(await ledger.readChunks(s.id)).keys()]).toEqual([0]);
    expect(await ledger.getSession(s.id)).toMatchObject({ chunksUploaded: 1, status: 'cancelled' });
  });

  it('the local table projects the user index exactly as the deployed one does', async () => {
    // Act
    const out = await new DynamoDBClient(aws).send(new DescribeTableCommand({ TableName: table }));

    // Assess
    const [index] = out.Table?.GlobalSecondaryIndexes ?? [];
    expect(index?.Projection?.ProjectionType).toBe('INCLUDE');
    expect([...(index?.Projection?.NonKeyAttributes ?? [])].sort()).toEqual(
      [...USER_INDEX_ATTRIBUTES].sort(),
    );
  });

  it('lets exactly one of two completions begin, and none after cancel', async () => {
    const s = session(1);
    await createFirst(s);
    const now = new Date();
    const stale = new Date(now.getTime() - 60_000);
    const keepUntil = s.expiresAt + 3600;
    const results = await Promise.all([
      ledger.beginCompletion(s.id, 'a', now, stale, keepUntil),
      ledger.beginCompletion(s.id, 'b', now, stale, keepUntil),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await ledger.getSession(s.id))?.expiresAt).toBe(keepUntil);
    expect(await ledger.cancel(s.id, now)).toBe(false);

    const other = session(1);
    await createFirst(other);
    expect(await ledger.cancel(other.id, now)).toBe(true);
    expect(await ledger.beginCompletion(other.id, 'c', now, stale, keepUntil)).toBe(false);
    const late = await ledger.recordChunks(
      other,
      [{ chunkNumber: 0, size: 1, etag: '"e"' }],
      now,
      'replace',
    );
    expect(late.kind).toBe('rejected');
  });
});

describe('completion results', () => {
  const file = (s: UploadSession): FileRecord => ({
    id: s.fileId,
    sessionId: s.id,
    name: s.fileName,
    size: s.fileSize,
    contentType: s.contentType,
    status: 'uploaded',
    uploadedAt: new Date().toISOString(),
    checksum: null,
    etag: '"object"',
    key: s.key,
    metadata: {},
  });
  /** A session written directly, so these tests depend on no other ledger write. */
  async function stored(): Promise<UploadSession> {
    const s = { ...session(1), status: 'uploading' as const };
    await db.send(new PutCommand({ TableName: table, Item: toSessionItem(s) }));
    return s;
  }

  it('a finish or hand-back by a completer taken over as stale loses and says so', async () => {
    // Prepare: completer `a` was elected; `b` took the completion over as stale.
    const s = await stored();
    const now = new Date();
    const keepUntil = s.expiresAt + 3600;
    expect(
      await ledger.beginCompletion(s.id, 'a', now, new Date(now.getTime() - 60_000), keepUntil),
    ).toBe(true);
    const later = new Date(now.getTime() + 1000);
    expect(await ledger.beginCompletion(s.id, 'b', later, later, keepUntil)).toBe(true);
    const result = file(s);

    // Act
    const lateFinish = await ledger.finishCompletion(s.id, 'a', { error: 'late' }, later);
    const lateHandBack = await ledger.abandonCompletion(s.id, 'a', later);
    const finish = await ledger.finishCompletion(
      s.id,
      'b',
      { file: result, expiresAt: keepUntil },
      later,
    );
    const handBackAfterFinish = await ledger.abandonCompletion(s.id, 'b', later);

    // Assess
    expect({ lateFinish, lateHandBack, finish, handBackAfterFinish }).toEqual({
      lateFinish: false,
      lateHandBack: false,
      finish: true,
      handBackAfterFinish: false,
    });
    expect(await ledger.getSession(s.id)).toMatchObject({ status: 'uploaded', file: result });
  });

  it('a finish after the completion was handed back loses', async () => {
    // Prepare
    const s = await stored();
    const now = new Date();
    await ledger.beginCompletion(s.id, 'a', now, new Date(now.getTime() - 60_000), s.expiresAt);

    // Act
    const handBack = await ledger.abandonCompletion(s.id, 'a', now);
    const finish = await ledger.finishCompletion(s.id, 'a', { error: 'late' }, now);

    // Assess
    expect({ handBack, finish }).toEqual({ handBack: true, finish: false });
    const current = await ledger.getSession(s.id);
    expect(current?.status).toBe('uploading');
    expect(current?.completionToken).toBeUndefined();
  });
});

describe('live slots', () => {
  const LIMIT = 5;

  async function liveItem(userId: string): Promise<Record<string, unknown> | undefined> {
    const out = await db.send(
      new GetCommand({
        TableName: table,
        Key: { PK: `USER#${userId}`, SK: 'LIVE' },
        ConsistentRead: true,
      }),
    );
    return out.Item;
  }

  const liveIds = async (userId: string) =>
    Object.keys(((await liveItem(userId))?.sessions as object | undefined) ?? {}).sort();

  /** Creates sessions one at a time, each after reading the slots, as initiate does. */
  async function createInTurn(userId: string, count: number): Promise<UploadSession[]> {
    const created: UploadSession[] = [];
    for (let i = 0; i < count; i++) {
      const s = session(1, userId);
      const liveSlots = await ledger.readLiveSlots(userId);
      const outcome = await ledger.createSession({
        session: s,
        liveSlots,
        endedSlots: [],
        maxLiveSessions: LIMIT,
      });
      expect(outcome.kind).toBe('created');
      created.push(s);
    }
    return created;
  }

  it('concurrent claims on one record: exactly the free slots are taken, none for a version', async () => {
    // Prepare: two of five slots taken.
    const userId = `slots-${randomUUID()}`;
    const existing = await createInTurn(userId, 2);
    const liveSlots = await ledger.readLiveSlots(userId);

    // Act: eight sessions claim with the same read.
    const claims = Array.from({ length: 8 }, () => session(1, userId));
    const outcomes = await Promise.all(
      claims.map((s) =>
        ledger.createSession({ session: s, liveSlots, endedSlots: [], maxLiveSessions: LIMIT }),
      ),
    );

    // Assess
    const won = claims.filter((_, i) => outcomes[i]?.kind === 'created');
    expect(won).toHaveLength(3);
    expect(outcomes.filter((o) => o.kind === 'slots-changed')).toHaveLength(5);
    expect(await liveIds(userId)).toEqual([...existing, ...won].map((s) => s.id).sort());
    for (const lost of claims.filter((s) => !won.includes(s)))
      expect(await ledger.getSession(lost.id)).toBeUndefined();
  });

  it('concurrent first sessions: one creates the record, the other is told to read again', async () => {
    // Prepare
    const userId = `first-${randomUUID()}`;
    const [a, b] = [session(1, userId), session(1, userId)];

    // Act
    const outcomes = await Promise.all([createFirst(a), createFirst(b)]);

    // Assess
    expect(outcomes.map((o: CreateOutcome) => o.kind).sort()).toEqual(['created', 'slots-changed']);
    const winner = outcomes[0]?.kind === 'created' ? a : b;
    expect(await liveIds(userId)).toEqual([winner.id]);
  });

  it('frees ended slots before it takes one; a release frees one', async () => {
    // Prepare: all five slots taken, two of them by sessions that have ended.
    const userId = `ended-${randomUUID()}`;
    const [first, second, ...rest] = await createInTurn(userId, LIMIT);
    const ended = [first, second].map((s) => (s as UploadSession).id);
    const s = session(1, userId);

    // Act
    const outcome = await ledger.createSession({
      session: s,
      liveSlots: await ledger.readLiveSlots(userId),
      endedSlots: ended,
      maxLiveSessions: LIMIT,
    });
    await ledger.releaseLiveSlot(userId, s.id);
    await ledger.releaseLiveSlot(userId, s.id);

    // Assess
    expect(outcome.kind).toBe('created');
    expect(await liveIds(userId)).toEqual(rest.map((r) => r.id).sort());
    const item = await liveItem(userId);
    expect(item?.expiresAt).toBeGreaterThanOrEqual(s.expiresAt);
  });

  it('a release for a user with no record is harmless', async () => {
    // Act & Assess
    await expect(ledger.releaseLiveSlot(`none-${randomUUID()}`, 'x')).resolves.toBeUndefined();
  });
});
