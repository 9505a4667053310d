import type { UploadDeps } from './deps.ts';
import { sessionNotFound, UploadError } from './errors.ts';
import { effectiveStatus, type UploadSession } from './session.ts';

/** Loads a session the caller owns; anyone else's session is indistinguishable from none. */
export async function loadOwnedSession(
  deps: UploadDeps,
  sessionId: string,
  userId: string,
): Promise<UploadSession> {
  const session = await deps.ledger.getSession(sessionId);
  if (!session || session.userId !== userId) throw sessionNotFound();
  return session;
}

/** Throws the contract's error for a session that no longer accepts chunks. */
export function assertOpen(session: UploadSession, now: Date): void {
  const status = effectiveStatus(session, now);
  if (status === 'initiated' || status === 'uploading') return;
  throw stateError(session, now);
}

export function stateError(session: UploadSession, now: Date): UploadError {
  const status = effectiveStatus(session, now);
  switch (status) {
    case 'expired':
      return new UploadError('SESSION_EXPIRED', 'Upload session has expired', {
        expiresAt: new Date(session.expiresAt * 1000).toISOString(),
      });
    case 'cancelled':
      return new UploadError('SESSION_CANCELLED', 'Upload session was cancelled');
    case 'deleted':
      return new UploadError('FILE_DELETED', "The session's file was deleted");
    case 'completing':
      return new UploadError('INVALID_STATE', 'Upload session is being completed', { status });
    default:
      return new UploadError(
        'INVALID_STATE',
        `Operation not allowed for a session in status ${status}`,
        {
          status,
          ...(session.error ? { error: session.error } : {}),
        },
      );
  }
}

export function assertChunkNumber(
  session: UploadSession,
  chunkNumber: number,
  field: string,
): void {
  if (chunkNumber >= session.totalChunks) {
    throw new UploadError(
      'VALIDATION_ERROR',
      `chunkNumber must be below totalChunks (${session.totalChunks})`,
      {
        fields: [{ field, message: `must be between 0 and ${session.totalChunks - 1}` }],
      },
    );
  }
}
