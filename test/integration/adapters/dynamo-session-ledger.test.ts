import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTable } from '../../../local/bootstrap.ts';
import { createDocumentClient } from '../../../src/adapters/aws-clients.ts';
import { DynamoSessionLedger } from '../../../src/adapters/dynamo-session-ledger.ts';
import { toSessionItem } from '../../../src/adapters/session-item.ts';
import { MAX_CHUNKS } from '../../../src/domain/chunk-plan.ts';
import type { CreateOutcome, LiveSlots } from '../../../src/domain/ports.ts';
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
    uploadedChunks: new Set(),
  };
}

describe('the chunk ledger', () => {
  it('holds all 10,000 chunks of one session in one item, well under 400 KB', async () => {
    const s = session(MAX_CHUNKS);
    const created = await createFirst(s);
    expect(created.kind).toBe('created');
    const size = 5 * 1024 * 1024;

    // 9,990 chunks in batches (the resume path), the last 10 one by one (the record path).
    for (let start = 0; start < MAX_CHUNKS - 10; start += 999) {
      const batch = [];
      for (let n = start; n < Math.min(start + 999, MAX_CHUNKS - 10); n++)
        batch.push({ chunkNumber: n, size });
      const current = (await ledger.getSession(s.id)) as UploadSession;
      await ledger.recordChunks(s.id, batch, current.chunksUploaded, new Date());
    }
    const last = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        ledger.recordChunk(s.id, { chunkNumber: MAX_CHUNKS - 10 + i, size }, new Date()),
      ),
    );
    expect(last.every((r) => r.kind === 'recorded')).toBe(true);
    const duplicate = await ledger.recordChunk(s.id, { chunkNumber: 42, size }, new Date());
    expect(duplicate.kind).toBe('rejected');

    const stored = (await ledger.getSession(s.id)) as UploadSession;
    expect(stored.uploadedChunks.size).toBe(MAX_CHUNKS);
    expect(stored.chunksUploaded).toBe(MAX_CHUNKS);
    expect(stored.uploadedBytes).toBe(MAX_CHUNKS * size);
    const raw = await new DynamoDBClient(aws).send(
      new GetItemCommand({
        TableName: table,
        Key: { PK: { S: `SESSION#${s.id}` }, SK: { S: 'SESSION' } },
      }),
    );
    const approximateBytes = JSON.stringify(raw.Item).length;
    expect(approximateBytes).toBeLessThan(200 * 1024);
  });

  it('refuses a batch when the ledger moved on (optimistic reconcile)', async () => {
    const s = session(10);
    await createFirst(s);
    await ledger.recordChunk(s.id, { chunkNumber: 0, size: 1 }, new Date());
    await expect(
      ledger.recordChunks(s.id, [{ chunkNumber: 1, size: 1 }], 0, new Date()),
    ).rejects.toThrow(/changed/);
    const stored = (await ledger.getSession(s.id)) as UploadSession;
    expect([...stored.uploadedChunks]).toEqual([0]);
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
    expect((await ledger.recordChunk(other.id, { chunkNumber: 0, size: 1 }, now)).kind).toBe(
      'rejected',
    );
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
