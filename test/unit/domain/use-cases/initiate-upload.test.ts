import { describe, expect, it } from 'vitest';
import type { UploadDeps } from '../../../../src/domain/deps.ts';
import type {
  CreateOutcome,
  LiveSlots,
  NewSessionWrite,
  SessionLedger,
  UploadStorage,
} from '../../../../src/domain/ports.ts';
import { epochSeconds } from '../../../../src/domain/session.ts';
import { initiateUpload } from '../../../../src/domain/use-cases/initiate-upload.ts';

const LIMIT = 3;
const NOW = new Date('2026-01-01T12:00:00.000Z');
const LATER = epochSeconds(NOW) + 3600;

/** A ledger that answers each read and claim from the given lists, in order (the last repeats). */
function fixture(reads: LiveSlots[], outcomes: CreateOutcome['kind'][]) {
  const writes: NewSessionWrite[] = [];
  const storageCalls: string[] = [];
  let sleeps = 0;
  const next = <T>(list: T[], i: number): T => list[Math.min(i, list.length - 1)] as T;
  const ledger = {
    findByIdempotencyKey: async () => undefined,
    findByFileAlias: async () => undefined,
    getSession: async () => undefined,
    readLiveSlots: async () => next(reads, writes.length),
    createSession: async (write: NewSessionWrite) => {
      writes.push(write);
      return { kind: next(outcomes, writes.length - 1) } as CreateOutcome;
    },
  } as Partial<SessionLedger> as SessionLedger;
  const storage = {
    createMultipartUpload: async () => {
      storageCalls.push('create');
      return { uploadId: 'upload-1' };
    },
    abortMultipartUpload: async () => {
      storageCalls.push('abort');
    },
  } as Partial<UploadStorage> as UploadStorage;
  let id = 0;
  const deps = {
    ledger,
    storage,
    clock: { now: () => NOW },
    ids: { newId: () => `id-${++id}` },
    policy: {
      defaultChunkSize: 5 * 1024 * 1024,
      maxFileSize: 1024 ** 4,
      sessionTtlSeconds: 3600,
      maxLiveSessionsPerUser: LIMIT,
      allowedContentTypes: ['*'],
    },
    sleep: async () => {
      sleeps++;
    },
    events: { initiated() {}, completed() {}, failed() {}, cancelled() {} },
  } as unknown as UploadDeps;
  const initiate = () =>
    initiateUpload(deps, { userId: 'alice', fileName: 'a.bin', fileSize: 10, checksum: 'NONE' });
  return { initiate, writes, storageCalls, sleeps: () => sleeps };
}

const slots = (...expiries: number[]): LiveSlots => ({
  recorded: true,
  sessions: Object.fromEntries(expiries.map((expiresAt, i) => [`s${i}`, expiresAt])),
});

describe('initiateUpload slot claims', () => {
  it('retries a claim lost while a slot is free, backing off, with one multipart upload', async () => {
    // Prepare
    const { initiate, writes, storageCalls, sleeps } = fixture(
      [slots(LATER)],
      ['slots-changed', 'slots-changed', 'created'],
    );

    // Act
    const result = await initiate();

    // Assess
    expect(result.created).toBe(true);
    expect(writes.map((w) => w.session.id)).toEqual(Array(3).fill(result.session.id));
    expect(storageCalls).toEqual(['create']);
    expect(sleeps()).toBe(2);
  });

  it('a claim lost because the slots filled up: 429, and the upload is aborted', async () => {
    // Prepare
    const { initiate, writes, storageCalls } = fixture(
      [slots(LATER, LATER), slots(LATER, LATER, LATER)],
      ['slots-changed'],
    );

    // Act
    const outcome = initiate();

    // Assess
    await expect(outcome).rejects.toMatchObject({
      code: 'TOO_MANY_ACTIVE_UPLOADS',
      details: { limit: LIMIT },
    });
    expect(writes).toHaveLength(1);
    expect(storageCalls).toEqual(['create', 'abort']);
  });

  it('slots of expired sessions do not count and are freed with the claim', async () => {
    // Prepare: all three slots taken, one by a session past its expiry.
    const { initiate, writes } = fixture([slots(LATER, LATER, epochSeconds(NOW))], ['created']);

    // Act
    const result = await initiate();

    // Assess
    expect(result.created).toBe(true);
    expect(writes[0]?.endedSlots).toEqual(['s2']);
    expect(writes[0]?.maxLiveSessions).toBe(LIMIT);
  });
});
