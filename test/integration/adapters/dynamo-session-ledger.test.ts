import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTable } from '../../../local/bootstrap.ts';
import { createDocumentClient } from '../../../src/adapters/aws-clients.ts';
import { DynamoSessionLedger } from '../../../src/adapters/dynamo-session-ledger.ts';
import { MAX_CHUNKS } from '../../../src/domain/chunk-plan.ts';
import type { UploadSession } from '../../../src/domain/session.ts';

const endpoint = inject('awsEndpoint') || undefined;
const aws = { region: process.env.AWS_REGION ?? 'us-east-1', endpoint };
const table = `ledger-test-${randomUUID().slice(0, 8)}`;
let ledger: DynamoSessionLedger;

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  await ensureTable(new DynamoDBClient(aws), table);
  ledger = new DynamoSessionLedger(createDocumentClient(aws), table);
});

function session(totalChunks: number): UploadSession {
  const now = new Date();
  const id = randomUUID();
  return {
    id,
    userId: `ledger-user-${id}`,
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
    const created = await ledger.createSession({
      session: s,
      liveSlots: { version: 0, sessions: {} },
      maxLiveSessions: 20,
    });
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
    await ledger.createSession({
      session: s,
      liveSlots: { version: 0, sessions: {} },
      maxLiveSessions: 20,
    });
    await ledger.recordChunk(s.id, { chunkNumber: 0, size: 1 }, new Date());
    await expect(
      ledger.recordChunks(s.id, [{ chunkNumber: 1, size: 1 }], 0, new Date()),
    ).rejects.toThrow(/changed/);
    const stored = (await ledger.getSession(s.id)) as UploadSession;
    expect([...stored.uploadedChunks]).toEqual([0]);
  });

  it('lets exactly one of two completions begin, and none after cancel', async () => {
    const s = session(1);
    await ledger.createSession({
      session: s,
      liveSlots: { version: 0, sessions: {} },
      maxLiveSessions: 20,
    });
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
    await ledger.createSession({
      session: other,
      liveSlots: { version: 0, sessions: {} },
      maxLiveSessions: 20,
    });
    expect(await ledger.cancel(other.id, now)).toBe(true);
    expect(await ledger.beginCompletion(other.id, 'c', now, stale, keepUntil)).toBe(false);
    expect((await ledger.recordChunk(other.id, { chunkNumber: 0, size: 1 }, now)).kind).toBe(
      'rejected',
    );
  });
});
