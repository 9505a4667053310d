import type { UploadDeps } from '../deps.ts';
import { UploadError } from '../errors.ts';
import {
  effectiveStatus,
  epochSeconds,
  type SessionStatus,
  type UploadSession,
} from '../session.ts';
import { loadOwnedSession } from '../session-guards.ts';

export interface DeletedFile {
  readonly id: string;
  readonly status: 'deleted';
}

/**
 * Deletes the finished object of an uploaded session and marks the session `deleted`.
 *
 * The mark comes first, conditional on `uploaded`, and bounds the record's life: from then on
 * nobody is handed the file, and a crash before the object is gone leaves a `deleted` record that
 * still names the object. A retry deletes it (a `deleted` session deletes its object again); with
 * no retry, TTL removes the record and the cleanup function deletes the object with it. Deleting
 * first could leave a record answering `uploaded` for an object that is gone.
 */
export async function deleteFile(
  deps: UploadDeps,
  input: { userId: string; sessionId: string },
): Promise<DeletedFile> {
  const session = await loadOwnedSession(deps, input.sessionId, input.userId);
  const status =
    session.status === 'uploaded'
      ? await markDeleted(deps, session)
      : effectiveStatus(session, deps.clock.now());
  if (status !== 'deleted') {
    throw new UploadError(
      'INVALID_STATE',
      `Only an uploaded file can be deleted (status ${status})`,
      { status },
    );
  }
  await deps.storage.deleteObject(session.key);
  return { id: session.id, status: 'deleted' };
}

/** The status once the mark is tried: `deleted` when this request or a racing one marked it. */
async function markDeleted(deps: UploadDeps, session: UploadSession): Promise<SessionStatus> {
  const now = deps.clock.now();
  // A deleted record lives no longer than the uploaded one would have.
  const keepUntil = Math.min(session.expiresAt, epochSeconds(now) + deps.policy.sessionTtlSeconds);
  if (await deps.ledger.markFileDeleted(session.id, keepUntil, now)) return 'deleted';
  // Lost to a racing delete, or TTL removed the record (then this is SESSION_NOT_FOUND).
  const current = await loadOwnedSession(deps, session.id, session.userId);
  return effectiveStatus(current, deps.clock.now());
}
