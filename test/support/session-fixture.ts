import type { UploadSession } from '../../src/domain/session.ts';

const MIB = 1024 * 1024;

/** A plausible open session: 3 chunks of 5 MiB and a 1 MiB tail, nothing uploaded yet. */
export function aSession(overrides: Partial<UploadSession> = {}): UploadSession {
  return {
    id: 'session-1',
    userId: 'alice',
    fileId: 'file-1',
    fileName: 'video.mp4',
    fileSize: 16 * MIB,
    contentType: 'video/mp4',
    chunkSize: 5 * MIB,
    totalChunks: 4,
    checksumMode: 'SHA256',
    metadata: {},
    key: 'uploads/alice/file-1/video.mp4',
    uploadId: 'upload-1',
    status: 'initiated',
    createdAt: '2026-01-01T12:00:00.000Z',
    updatedAt: '2026-01-01T12:00:00.000Z',
    expiresAt: Date.parse('2026-01-02T12:00:00.000Z') / 1000,
    uploadedBytes: 0,
    chunksUploaded: 0,
    ...overrides,
  };
}
