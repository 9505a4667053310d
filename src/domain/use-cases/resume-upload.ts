import type { UploadDeps } from '../deps.ts';
import { reconcileWithStorage } from '../reconcile.ts';
import { effectiveStatus, isoFromEpoch, type SessionStatus } from '../session.ts';
import { assertOpen, loadOwnedSession } from '../session-guards.ts';

export interface ResumeState {
  readonly id: string;
  readonly status: SessionStatus;
  readonly uploadedBytes: number;
  readonly nextChunkNumber: number | null;
  readonly missingChunks: number[];
  readonly chunkSize: number;
  readonly totalChunks: number;
  readonly expiresAt: string;
}

export async function resumeUpload(
  deps: UploadDeps,
  input: { userId: string; sessionId: string },
): Promise<ResumeState> {
  const loaded = await loadOwnedSession(deps, input.sessionId, input.userId);
  assertOpen(loaded, deps.clock.now());
  const { session, missingChunks } = await reconcileWithStorage(deps, loaded);
  return {
    id: session.id,
    status: effectiveStatus(session, deps.clock.now()),
    uploadedBytes: session.uploadedBytes,
    nextChunkNumber: missingChunks[0] ?? null,
    missingChunks,
    chunkSize: session.chunkSize,
    totalChunks: session.totalChunks,
    expiresAt: isoFromEpoch(session.expiresAt),
  };
}
