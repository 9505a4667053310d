import { describe, expect, it } from 'vitest';
import type { UploadDeps } from '../../../../src/domain/deps.ts';
import type { SessionLedger, UploadStorage } from '../../../../src/domain/ports.ts';
import type { UploadSession } from '../../../../src/domain/session.ts';
import { cancelUpload } from '../../../../src/domain/use-cases/cancel-upload.ts';
import { aSession } from '../../../support/session-fixture.ts';

function fixture(session: UploadSession) {
  const storageCalls: string[] = [];
  const ledger = {
    getSession: async () => session,
    cancel: async () => true,
    releaseLiveSlot: async () => {},
  } as Partial<SessionLedger> as SessionLedger;
  const storage = {
    abortMultipartUpload: async (key: string) => {
      storageCalls.push(`abort ${key}`);
    },
    deleteObject: async (key: string) => {
      storageCalls.push(`delete ${key}`);
    },
  } as Partial<UploadStorage> as UploadStorage;
  const deps = {
    ledger,
    storage,
    clock: { now: () => new Date('2026-01-01T13:00:00.000Z') },
    events: { initiated() {}, completed() {}, failed() {}, cancelled() {} },
  } as unknown as UploadDeps;
  return { deps, storageCalls };
}

describe('cancelUpload', () => {
  it('aborts the upload and deletes any object a lost completion left under the key', async () => {
    // Prepare
    const session = aSession({ status: 'uploading' });
    const { deps, storageCalls } = fixture(session);

    // Act
    await cancelUpload(deps, { userId: session.userId, sessionId: session.id });

    // Assess
    expect(storageCalls).toEqual([`abort ${session.key}`, `delete ${session.key}`]);
  });

  it('refuses an uploaded session and leaves its object alone', async () => {
    // Prepare
    const session = aSession({ status: 'uploaded' });
    const { deps, storageCalls } = fixture(session);

    // Act
    const outcome = cancelUpload(deps, { userId: session.userId, sessionId: session.id });

    // Assess
    await expect(outcome).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(storageCalls).toEqual([]);
  });
});
