import { describe, expect, it } from 'vitest';
import type { UploadDeps } from '../../../../src/domain/deps.ts';
import type {
  ChunkEntry,
  SessionLedger,
  StoredPart,
  UploadStorage,
} from '../../../../src/domain/ports.ts';
import {
  epochSeconds,
  type FileRecord,
  type UploadSession,
} from '../../../../src/domain/session.ts';
import {
  completeUpload,
  completingUntil,
} from '../../../../src/domain/use-cases/complete-upload.ts';
import { aSession } from '../../../support/session-fixture.ts';

const MIB = 1024 * 1024;
const STALE_SECONDS = 120;

describe('completingUntil', () => {
  const electedAt = new Date('2026-01-02T11:59:00.000Z');

  it('keeps a completing session alive for the stale window when it would expire sooner', () => {
    // Prepare: one minute of life left.
    const session = aSession({ expiresAt: epochSeconds(electedAt) + 60 });

    // Act & Assess
    expect(completingUntil(session, electedAt, STALE_SECONDS)).toBe(
      epochSeconds(electedAt) + STALE_SECONDS,
    );
  });

  it('never shortens a session that lives longer', () => {
    // Prepare
    const session = aSession({ expiresAt: epochSeconds(electedAt) + 3600 });

    // Act & Assess
    expect(completingUntil(session, electedAt, STALE_SECONDS)).toBe(session.expiresAt);
  });
});

describe('completeUpload election', () => {
  /** A session whose 4 chunks are recorded and stored; listing the parts takes `listingSeconds`. */
  function fixture(listingSeconds: number) {
    let clock = new Date('2026-01-02T11:59:50.000Z');
    const session: UploadSession = aSession({
      status: 'uploading',
      expiresAt: epochSeconds(clock) + 5,
      chunksUploaded: 4,
      uploadedBytes: 16 * MIB,
    });
    const parts: StoredPart[] = [5, 5, 5, 1].map((mib, i) => ({
      partNumber: i + 1,
      size: mib * MIB,
      etag: `"etag-${i + 1}"`,
      lastModified: clock,
    }));
    const elections: { now: Date; keepUntil: number }[] = [];
    const ledger = {
      getSession: async () => session,
      readChunks: async () => recordedAs(parts),
      // Like the real condition: only an open session, judged at the time the request sends.
      beginCompletion: async (_id, _token, now, _staleBefore, keepUntil) => {
        elections.push({ now, keepUntil });
        return now.getTime() < session.expiresAt * 1000;
      },
      finishCompletion: async () => true,
      releaseLiveSlot: async () => {},
    } as Partial<SessionLedger> as SessionLedger;
    const storage = {
      listParts: async () => {
        clock = new Date(clock.getTime() + listingSeconds * 1000);
        return parts;
      },
      completeMultipartUpload: async () => {},
      describeObject: async () => ({ size: 16 * MIB, etag: '"object"', checksum: null }),
    } as Partial<UploadStorage> as UploadStorage;
    const deps = {
      ledger,
      storage,
      clock: { now: () => clock },
      ids: { newId: () => 'token-1' },
      policy: { completionStaleSeconds: STALE_SECONDS, completionWaitMs: 1000 },
      sleep: async () => {},
      events: { initiated() {}, completed() {}, failed() {}, cancelled() {} },
    } as unknown as UploadDeps;
    return { deps, session, elections, now: () => clock };
  }

  it('is judged against the clock after the parts were listed: too late is SESSION_EXPIRED', async () => {
    // Prepare: the listing outlasts the 5 s the session had left.
    const { deps, session, elections, now } = fixture(10);

    // Act
    const outcome = completeUpload(deps, { userId: session.userId, sessionId: session.id });

    // Assess
    await expect(outcome).rejects.toMatchObject({ code: 'SESSION_EXPIRED' });
    expect(elections).toHaveLength(1);
    expect(elections[0]?.now).toEqual(now());
  });

  it('asks the ledger to keep the completing session past its expiry', async () => {
    // Prepare
    const { deps, session, elections } = fixture(1);

    // Act
    const file = await completeUpload(deps, { userId: session.userId, sessionId: session.id });

    // Assess
    expect(file).toMatchObject({ status: 'uploaded', size: 16 * MIB });
    expect(elections[0]?.keepUntil).toBe(epochSeconds(elections[0]?.now as Date) + STALE_SECONDS);
  });
});

describe('completeUpload when its result write loses', () => {
  /** One recorded chunk in storage; `finishCompletion` loses, after which the ledger holds `after`. */
  function fixture(objectSize: number, after: (session: UploadSession) => UploadSession) {
    const session = aSession({
      status: 'uploading',
      fileSize: MIB,
      totalChunks: 1,
      chunksUploaded: 1,
      uploadedBytes: MIB,
    });
    const part: StoredPart = { partNumber: 1, size: MIB, etag: '"p1"', lastModified: new Date() };
    const reported: string[] = [];
    let finished = false;
    const ledger = {
      getSession: async () => (finished ? after(session) : session),
      readChunks: async () => recordedAs([part]),
      beginCompletion: async () => true,
      finishCompletion: async () => {
        finished = true;
        return false;
      },
      releaseLiveSlot: async () => {
        reported.push('slot released');
      },
    } as Partial<SessionLedger> as SessionLedger;
    const storage = {
      listParts: async () => [part],
      completeMultipartUpload: async () => {},
      describeObject: async () => ({ size: objectSize, etag: '"object"', checksum: null }),
      deleteObject: async () => {},
    } as Partial<UploadStorage> as UploadStorage;
    const deps = {
      ledger,
      storage,
      clock: { now: () => new Date('2026-01-01T13:00:00.000Z') },
      ids: { newId: () => 'token-1' },
      policy: { completionStaleSeconds: STALE_SECONDS, completionWaitMs: 1000 },
      sleep: async () => {},
      events: {
        initiated() {},
        completed: () => reported.push('completed'),
        failed: () => reported.push('failed'),
        cancelled() {},
      },
    } as unknown as UploadDeps;
    return { deps, session, reported };
  }

  it('answers the file the ledger recorded, reports nothing and frees no slot', async () => {
    // Prepare: another completer took over and recorded its own result first.
    const winners = { uploadedAt: '2026-01-01T13:00:05.000Z' };
    const { deps, session, reported } = fixture(MIB, (s) => ({
      ...s,
      status: 'uploaded',
      file: { ...fileOf(s), ...winners },
    }));

    // Act
    const file = await completeUpload(deps, { userId: session.userId, sessionId: session.id });

    // Assess
    expect(file.uploadedAt).toBe(winners.uploadedAt);
    expect(reported).toEqual([]);
  });

  it('a failed assembly answers the session as the ledger has it, reports nothing, frees no slot', async () => {
    // Prepare: the object has the wrong size; another completer already recorded the failure.
    const { deps, session, reported } = fixture(MIB - 1, (s) => ({
      ...s,
      status: 'failed',
      error: 'recorded by the other completer',
    }));

    // Act
    const outcome = completeUpload(deps, { userId: session.userId, sessionId: session.id });

    // Assess
    await expect(outcome).rejects.toMatchObject({
      code: 'INVALID_STATE',
      details: { status: 'failed', error: 'recorded by the other completer' },
    });
    expect(reported).toEqual([]);
  });
});

/** The ledger's entries for parts recorded exactly as storage holds them. */
function recordedAs(parts: readonly StoredPart[]): Map<number, ChunkEntry> {
  return new Map(
    parts.map((p) => [
      p.partNumber - 1,
      { chunkNumber: p.partNumber - 1, size: p.size, etag: p.etag },
    ]),
  );
}

function fileOf(session: UploadSession): FileRecord {
  return {
    id: session.fileId,
    sessionId: session.id,
    name: session.fileName,
    size: session.fileSize,
    contentType: session.contentType,
    status: 'uploaded',
    uploadedAt: session.updatedAt,
    checksum: null,
    etag: '"object"',
    key: session.key,
    metadata: session.metadata,
  };
}
