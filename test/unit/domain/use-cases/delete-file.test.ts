import { describe, expect, it } from 'vitest';
import type { UploadDeps } from '../../../../src/domain/deps.ts';
import { StorageUnavailableError } from '../../../../src/domain/errors.ts';
import type { SessionLedger, UploadStorage } from '../../../../src/domain/ports.ts';
import { NEVER_EXPIRES, type UploadSession } from '../../../../src/domain/session.ts';
import { deleteFile } from '../../../../src/domain/use-cases/delete-file.ts';
import { aSession } from '../../../support/session-fixture.ts';

const NOW = new Date('2026-01-01T13:00:00.000Z');
const NOW_EPOCH = NOW.getTime() / 1000;
const TTL = 3600;

/** A ledger holding `reads` in turn (the last one stays) and a mark that answers `marks`. */
function fixture(reads: (UploadSession | undefined)[], mark: () => Promise<boolean>) {
  const calls: string[] = [];
  let read = 0;
  const ledger = {
    getSession: async () => reads[Math.min(read++, reads.length - 1)],
    markFileDeleted: async (id: string, expiresAt: number) => {
      calls.push(`mark ${id} until ${expiresAt}`);
      return mark();
    },
  } as Partial<SessionLedger> as SessionLedger;
  const storage = {
    deleteObject: async (key: string) => {
      calls.push(`delete ${key}`);
    },
  } as Partial<UploadStorage> as UploadStorage;
  const deps = {
    ledger,
    storage,
    clock: { now: () => NOW },
    policy: { sessionTtlSeconds: TTL },
  } as unknown as UploadDeps;
  return { deps, calls };
}

const uploaded = (overrides: Partial<UploadSession> = {}) =>
  aSession({ status: 'uploaded', expiresAt: NEVER_EXPIRES, ...overrides });
const input = (session: UploadSession, userId = session.userId) => ({
  userId,
  sessionId: session.id,
});

describe('deleteFile', () => {
  it('marks the session deleted first, then deletes the object', async () => {
    // Prepare
    const session = uploaded();
    const { deps, calls } = fixture([session], async () => true);

    // Act
    const result = await deleteFile(deps, input(session));

    // Assess
    expect(result).toEqual({ id: session.id, status: 'deleted' });
    expect(calls).toEqual([`mark ${session.id} until ${NOW_EPOCH + TTL}`, `delete ${session.key}`]);
  });

  it('never lets the deleted record outlive the uploaded one', async () => {
    // Prepare: a retention that ends before a session TTL would.
    const session = uploaded({ expiresAt: NOW_EPOCH + 60 });
    const { deps, calls } = fixture([session], async () => true);

    // Act
    await deleteFile(deps, input(session));

    // Assess
    expect(calls[0]).toBe(`mark ${session.id} until ${NOW_EPOCH + 60}`);
  });

  it('deletes the object again for a deleted session (a retry after a crash)', async () => {
    // Prepare
    const session = uploaded({ status: 'deleted', expiresAt: NOW_EPOCH + 10 });
    const { deps, calls } = fixture([session], async () => true);

    // Act
    const result = await deleteFile(deps, input(session));

    // Assess
    expect(result).toEqual({ id: session.id, status: 'deleted' });
    expect(calls).toEqual([`delete ${session.key}`]);
  });

  it('finishes the job when a racing delete marked the session first', async () => {
    // Prepare
    const session = uploaded();
    const { deps, calls } = fixture(
      [session, { ...session, status: 'deleted' }],
      async () => false,
    );

    // Act
    const result = await deleteFile(deps, input(session));

    // Assess
    expect(result.status).toBe('deleted');
    expect(calls.at(-1)).toBe(`delete ${session.key}`);
  });

  it('answers SESSION_NOT_FOUND and deletes nothing when the record vanished under the mark', async () => {
    // Prepare
    const session = uploaded();
    const { deps, calls } = fixture([session, undefined], async () => false);

    // Act
    const outcome = deleteFile(deps, input(session));

    // Assess
    await expect(outcome).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    expect(calls.filter((c) => c.startsWith('delete'))).toEqual([]);
  });

  it.each([
    ['initiated', aSession({ status: 'initiated' }), 'initiated'],
    ['uploading', aSession({ status: 'uploading' }), 'uploading'],
    ['completing', aSession({ status: 'completing' }), 'completing'],
    ['cancelled', aSession({ status: 'cancelled' }), 'cancelled'],
    ['failed', aSession({ status: 'failed', error: 'bad size' }), 'failed'],
    ['expired', aSession({ status: 'uploading', expiresAt: NOW_EPOCH - 1 }), 'expired'],
  ])('refuses a %s session with INVALID_STATE and touches nothing', async (_, session, status) => {
    // Prepare
    const { deps, calls } = fixture([session], async () => true);

    // Act
    const outcome = deleteFile(deps, input(session));

    // Assess
    await expect(outcome).rejects.toMatchObject({ code: 'INVALID_STATE', details: { status } });
    expect(calls).toEqual([]);
  });

  it("answers another user's session as not found and touches nothing", async () => {
    // Prepare
    const session = uploaded();
    const { deps, calls } = fixture([session], async () => true);

    // Act
    const outcome = deleteFile(deps, input(session, 'mallory'));

    // Assess
    await expect(outcome).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    expect(calls).toEqual([]);
  });

  it('keeps the object when the mark fails: the record still answers uploaded', async () => {
    // Prepare
    const session = uploaded();
    const { deps, calls } = fixture([session], async () => {
      throw new StorageUnavailableError('DynamoDB');
    });

    // Act
    const outcome = deleteFile(deps, input(session));

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(calls.filter((c) => c.startsWith('delete'))).toEqual([]);
  });
});
