import type { UploadDeps } from '../deps.ts';
import { estimateTimeRemaining, percentComplete } from '../progress.ts';
import { effectiveStatus, isoFromEpoch, type SessionStatus } from '../session.ts';
import { loadOwnedSession } from '../session-guards.ts';

export interface UploadProgress {
  readonly sessionId: string;
  readonly fileId: string;
  readonly fileName: string;
  readonly totalSize: number;
  readonly uploadedBytes: number;
  readonly percentComplete: number;
  readonly chunksUploaded: number;
  readonly totalChunks: number;
  readonly status: SessionStatus;
  readonly estimatedTimeRemaining: string | null;
  readonly expiresAt: string;
}

export async function getProgress(
  deps: UploadDeps,
  input: { userId: string; sessionId: string },
): Promise<UploadProgress> {
  const session = await loadOwnedSession(deps, input.sessionId, input.userId);
  const status = effectiveStatus(session, deps.clock.now());
  return {
    sessionId: session.id,
    fileId: session.fileId,
    fileName: session.fileName,
    totalSize: session.fileSize,
    uploadedBytes: session.uploadedBytes,
    percentComplete: percentComplete(session),
    chunksUploaded: session.chunksUploaded,
    totalChunks: session.totalChunks,
    status,
    estimatedTimeRemaining:
      status === 'uploading' || status === 'uploaded' ? estimateTimeRemaining(session) : null,
    expiresAt: isoFromEpoch(session.expiresAt),
  };
}
