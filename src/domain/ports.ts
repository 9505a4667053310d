import type { ChecksumMode, FileRecord, UploadSession } from './session.ts';

/** A part as storage holds it. */
export interface StoredPart {
  readonly partNumber: number;
  readonly size: number;
  readonly etag: string;
  readonly checksumSha256?: string;
  readonly lastModified: Date;
}

/** A part as CompleteMultipartUpload names it: the ETag (and checksum) the ledger recorded. */
export interface AssemblyPart {
  readonly partNumber: number;
  readonly etag: string;
  readonly checksumSha256?: string;
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
  /** The listed parts storage holds, by part number, reading as few ListParts pages as it can. */
  findParts(
    key: string,
    uploadId: string,
    partNumbers: readonly number[],
  ): Promise<Map<number, StoredPart>>;
  listParts(key: string, uploadId: string): Promise<StoredPart[]>;
  /** Throws PartsChangedError when a part no longer has the given ETag (or is gone). */
  completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly AssemblyPart[],
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
  /** The session is no longer open (or gone): nothing was written. */
  | { readonly kind: 'rejected'; readonly session: UploadSession | undefined };

/** What the ledger keeps of a recorded chunk: exactly what was verified in storage. */
export interface ChunkEntry {
  readonly chunkNumber: number;
  readonly size: number;
  readonly etag: string;
  readonly checksumSha256?: string;
}

/**
 * What a record does with a chunk the ledger already holds under another ETag: `replace` it
 * (the caller has just verified this one in storage) or `keep` it (the caller's view is older).
 */
export type OnChangedEntry = 'replace' | 'keep';

/** The DynamoDB ledger of sessions and their recorded chunks. Throws StorageUnavailableError. */
export interface SessionLedger {
  getSession(id: string): Promise<UploadSession | undefined>;
  createSession(write: NewSessionWrite): Promise<CreateOutcome>;
  readLiveSlots(userId: string): Promise<LiveSlots>;
  releaseLiveSlot(userId: string, sessionId: string): Promise<void>;
  findByIdempotencyKey(userId: string, key: string): Promise<SessionLookup | undefined>;
  findByFileAlias(userId: string, alias: string): Promise<SessionLookup | undefined>;
  /**
   * Records chunks atomically with the session's totals while the session is open: a chunk
   * already recorded with the same ETag is a harmless repeat; one recorded under another ETag
   * is handled per `onChanged`. Concurrent records never double count nor lose a chunk.
   */
  recordChunks(
    session: Pick<UploadSession, 'id' | 'expiresAt'>,
    chunks: readonly ChunkEntry[],
    now: Date,
    onChanged: OnChangedEntry,
  ): Promise<RecordOutcome>;
  /** Every recorded chunk of the session, by chunk number (a consistent read). */
  readChunks(sessionId: string): Promise<Map<number, ChunkEntry>>;
  /**
   * Removes chunks still recorded exactly as given (a newer record of one stays) and takes them
   * off the totals, while the session is open; false when the session is not open.
   */
  dropChunks(sessionId: string, chunks: readonly ChunkEntry[], now: Date): Promise<boolean>;
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
  /**
   * Moves an uploaded session to `deleted`, drops its file record and sets its expiresAt to
   * `expiresAt` (epoch seconds); false when the session is no longer `uploaded`.
   */
  markFileDeleted(sessionId: string, expiresAt: number, now: Date): Promise<boolean>;
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
