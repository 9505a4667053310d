import type { UploadDeps } from '../deps.ts';
import { UploadError } from '../errors.ts';
import { releaseStorage } from '../release-storage.ts';
import { effectiveStatus, type UploadSession } from '../session.ts';
import { loadOwnedSession, stateError } from '../session-guards.ts';

const MAX_ATTEMPTS = 3;

/**
 * Marks the session cancelled with a conditional write (so it cannot also complete), then
 * releases its stored parts. Repeating it is harmless: the abort is idempotent.
 */
export async function cancelUpload(
  deps: UploadDeps,
  input: { userId: string; sessionId: string },
): Promise<void> {
  let session = await loadOwnedSession(deps, input.sessionId, input.userId);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const status = effectiveStatus(session, deps.clock.now());
    if (status === 'cancelled') return releaseParts(deps, session);
    if (status === 'expired') {
      await releaseParts(deps, session);
      throw stateError(session, deps.clock.now());
    }
    if (status !== 'initiated' && status !== 'uploading')
      throw stateError(session, deps.clock.now());
    if (await deps.ledger.cancel(session.id, deps.clock.now())) {
      deps.events.cancelled();
      return releaseParts(deps, session);
    }
    session = await loadOwnedSession(deps, input.sessionId, input.userId);
  }
  throw new UploadError(
    'INTERNAL_ERROR',
    'Could not cancel the upload session: too much contention',
  );
}

async function releaseParts(deps: UploadDeps, session: UploadSession): Promise<void> {
  // A completion that assembled the object but lost its ledger write hands the session back
  // open, so an object may stand under its key: it goes with the parts.
  await releaseStorage(deps.storage, session);
  await deps.ledger.releaseLiveSlot(session.userId, session.id);
}
