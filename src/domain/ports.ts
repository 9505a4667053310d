import type { ChecksumMode, FileRecord, UploadSession } from './session.ts';

/** A part as storage holds it. */
export interface StoredPart {
  readonly partNumber: number;
  readonly size: number;
  readonly etag: string;
  readonly checksumSha256?: string;
  readonly lastModified: Date;
}

export interface PresignedRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
}

export interface AssembledObject {
  readonly size: number;
  readonly etag: string;
  readonly checksum: string | null;
}

/** Object storage with multipart uploads (S3). Throws StorageUnavailableError and UploadGoneError. */
export interface UploadStorage {
  createMultipartUpload(input: {
    key: string;
    contentType: string;
    checksumMode: ChecksumMode;
    metadata: Record<string, string>;
  }): Promise<{ uploadId: string }>;
  presignPartUpload(input: {
    key: string;
    uploadId: string;
    partNumber: number;
    size: number;
    checksumSha256?: string;
    expiresInSeconds: number;
  }): Promise<PresignedRequest>;
  findPart(key: string, uploadId: string, partNumber: number): Promise<StoredPart | undefined>;
  listParts(key: string, uploadId: string): Promise<StoredPart[]>;
  completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly StoredPart[],
  ): Promise<void>;
  /** The assembled object, or undefined when there is none. */
  describeObject(key: string): Promise<AssembledObject | undefined>;
  /** Succeeds when the upload is already gone. */
  abortMultipartUpload(key: string, uploadId: string): Promise<void>;
  deleteObject(key: string): Promise<void>;
  presignDownload(input: {
    key: string;
    fileName: string;
    expiresInSeconds: number;
  }): Promise<string>;
}

export interface SessionLookup {
  readonly sessionId: string;
  readonly fingerprint: string;
  readonly expiresAt: number;
}

export interface NewSessionWrite {
  readonly session: UploadSession;
  /** The user's live slots as read just before. */
  readonly liveSlots: LiveSlots;
  /** Sessions of `liveSlots` that have ended: their slots are freed before this one is taken. */
  readonly endedSlots: readonly string[];
  /** The session is added only while fewer than this many slots are taken. */
  readonly maxLiveSessions: number;
  readonly idempotency?: { readonly key: string; readonly replacing?: SessionLookup };
  readonly fileAlias?: { readonly alias: string; readonly replacing?: SessionLookup };
}

/** The sessions holding one of a user's live slots: session id to its expiresAt (epoch seconds). */
export interface LiveSlots {
  /** False until the user's first session creates the record. */
  readonly recorded: boolean;
  readonly sessions: Readonly<Record<string, number>>;
}

export type CreateOutcome =
  | { readonly kind: 'created' }
  | { readonly kind: 'idempotency-key-taken' }
  | { readonly kind: 'file-alias-taken' }
  /** Every slot was taken when the write landed, or the record changed shape: read it again. */
  | { readonly kind: 'slots-changed' };

export type RecordOutcome =
  | { readonly kind: 'recorded'; readonly uploadedBytes: number; readonly chunksUploaded: number }
  | { readonly kind: 'rejected'; readonly session: UploadSession | undefined };

export interface ChunkRecord {
  readonly chunkNumber: number;
  readonly size: number;
}

/** The DynamoDB ledger of sessions and their chunk bitmaps. Throws StorageUnavailableError. */
export interface SessionLedger {
  getSession(id: string): Promise<UploadSession | undefined>;
  createSession(write: NewSessionWrite): Promise<CreateOutcome>;
  readLiveSlots(userId: string): Promise<LiveSlots>;
  releaseLiveSlot(userId: string, sessionId: string): Promise<void>;
  findByIdempotencyKey(userId: string, key: string): Promise<SessionLookup | undefined>;
  findByFileAlias(userId: string, alias: string): Promise<SessionLookup | undefined>;
  /** Adds one chunk to the bitmap if the session is open and the chunk is new; never double-counts. */
  recordChunk(sessionId: string, chunk: ChunkRecord, now: Date): Promise<RecordOutcome>;
  /**
   * Adds chunks found in storage; the write only lands if the bitmap still holds
   * `expectedChunkCount` chunks (else WriteConflictError).
   */
  recordChunks(
    sessionId: string,
    chunks: readonly ChunkRecord[],
    expectedChunkCount: number,
    now: Date,
  ): Promise<void>;
  /**
   * Moves an open (or stale completing) session to `completing` and its expiresAt to `keepUntil`
   * (epoch seconds); false when another request won.
   */
  beginCompletion(
    sessionId: string,
    token: string,
    now: Date,
    staleBefore: Date,
    keepUntil: number,
  ): Promise<boolean>;
  /** Records the completion's result; false when `token` no longer holds the completion. */
  finishCompletion(
    sessionId: string,
    token: string,
    result: { file: FileRecord; expiresAt: number } | { error: string },
    now: Date,
  ): Promise<boolean>;
  /**
   * Returns a completing session to `uploading` after a transient failure; false when `token`
   * no longer holds the completion.
   */
  abandonCompletion(sessionId: string, token: string, now: Date): Promise<boolean>;
  /** Moves an open session to `cancelled`; false when its status no longer allows it. */
  cancel(sessionId: string, now: Date): Promise<boolean>;
  listSessions(query: {
    userId: string;
    filter: 'active' | 'uploaded' | 'all';
    limit: number;
    cursor?: string;
    now: Date;
  }): Promise<{ items: UploadSession[]; nextCursor: string | null }>;
}

export interface Clock {
  now(): Date;
}

/**
 * What happened to uploads, for metrics. Each is reported once, by the call whose conditional
 * write made it so (a replayed initiate, complete or cancel reports nothing).
 */
export interface UploadEvents {
  initiated(): void;
  completed(bytes: number): void;
  failed(): void;
  cancelled(): void;
}

export interface IdGenerator {
  newId(): string;
}
