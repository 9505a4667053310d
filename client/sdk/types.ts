/** Response shapes of the upload API (see shared/API.md). */

export type SessionStatus =
  | 'initiated'
  | 'uploading'
  | 'completing'
  | 'uploaded'
  | 'cancelled'
  | 'expired'
  | 'failed'
  | 'deleted';

export type ChecksumMode = 'SHA256' | 'NONE';

export interface UploadSession {
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
  readonly checksum?: ChecksumMode;
  readonly metadata?: Record<string, string>;
  readonly uploadedBytes?: number;
  readonly chunksUploaded?: number;
  readonly error?: string;
}

export interface InitiateRequest {
  readonly fileName: string;
  readonly fileSize: number;
  readonly contentType?: string;
  readonly metadata?: Record<string, string>;
  readonly chunkSize?: number;
  readonly fileSha256?: string;
  readonly checksum?: ChecksumMode;
}

export interface ChunkUrl {
  readonly chunkNumber: number;
  readonly url: string;
  readonly method: 'PUT';
  readonly headers: Record<string, string>;
  readonly size: number;
  readonly expiresAt: string;
}

export interface RecordedChunk {
  readonly chunkNumber: number;
  readonly size: number;
  readonly etag: string;
  readonly checksum: string | null;
  readonly uploadedBytes: number;
  readonly chunksUploaded: number;
  readonly totalChunks: number;
}

/** One stored chunk to record: `etag` as storage answered its PUT. */
export interface ChunkRecordInput {
  readonly chunkNumber: number;
  readonly etag: string;
  readonly checksumSha256?: string;
}

export interface BatchRecordedChunk {
  readonly chunkNumber: number;
  readonly size: number;
  readonly etag: string;
  readonly checksum: string | null;
  readonly uploadedAt: string;
}

/** A chunk the server would not record: CHUNK_NOT_UPLOADED, CHUNK_SIZE_MISMATCH or ETAG_MISMATCH. */
export interface RejectedChunk {
  readonly chunkNumber: number;
  readonly code: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

/** What PUT /uploads/{id}/chunks answers; the totals are the session's after this batch. */
export interface BatchRecordResult {
  readonly recorded: BatchRecordedChunk[];
  readonly rejected: RejectedChunk[];
  readonly uploadedBytes: number;
  readonly chunksUploaded: number;
  readonly totalChunks: number;
}

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

export interface UploadProgressState {
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

/** The finished file: what complete answers. */
export interface FileRecord {
  readonly id: string;
  readonly sessionId: string;
  readonly name: string;
  readonly size: number;
  readonly contentType: string;
  readonly status: 'uploaded';
  readonly uploadedAt: string;
  readonly checksum: string | null;
  readonly etag: string;
  readonly key: string;
  readonly metadata: Record<string, string>;
}

export interface DeletedFile {
  readonly id: string;
  readonly status: 'deleted';
}

export interface DownloadLink {
  readonly url: string;
  readonly expiresAt: string;
}

export interface SessionPage {
  readonly items: UploadSession[];
  readonly nextCursor: string | null;
}
