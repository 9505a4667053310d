import {
  effectiveStatus,
  isoFromEpoch,
  type SessionStatus,
  type UploadSession,
} from './session.ts';

export interface SessionView {
  readonly id: string;
  readonly fileId: string;
  readonly fileName: string;
  readonly fileSize: number;
  readonly contentType: string;
  readonly chunkSize: number;
  readonly totalChunks: number;
  readonly status: SessionStatus;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly key: string;
  readonly checksum: 'SHA256' | 'NONE';
  readonly metadata: Record<string, string>;
  readonly uploadedBytes: number;
  readonly chunksUploaded: number;
  readonly error?: string;
}

export function toSessionView(session: UploadSession, now: Date): SessionView {
  return {
    id: session.id,
    fileId: session.fileId,
    fileName: session.fileName,
    fileSize: session.fileSize,
    contentType: session.contentType,
    chunkSize: session.chunkSize,
    totalChunks: session.totalChunks,
    status: effectiveStatus(session, now),
    createdAt: session.createdAt,
    expiresAt: isoFromEpoch(session.expiresAt),
    key: session.key,
    checksum: session.checksumMode,
    metadata: session.metadata,
    uploadedBytes: session.uploadedBytes,
    chunksUploaded: session.chunksUploaded,
    ...(session.error ? { error: session.error } : {}),
  };
}
