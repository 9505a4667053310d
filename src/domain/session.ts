export type ChecksumMode = 'SHA256' | 'NONE';

/** Statuses as stored. `expired` is never stored: it is derived from `expiresAt` (see effectiveStatus). */
export type StoredStatus =
  | 'initiated'
  | 'uploading'
  | 'completing'
  | 'uploaded'
  | 'cancelled'
  | 'failed'
  | 'deleted';
export type SessionStatus = StoredStatus | 'expired';

/**
 * The expiresAt of a record kept until someone deletes it: 9999-12-31T23:59:59Z. DynamoDB's TTL
 * never reaches it, and unlike an absent attribute it keeps `expiresAt` a number everywhere.
 */
export const NEVER_EXPIRES = 253_402_300_799;

export const OPEN_STATUSES: readonly StoredStatus[] = ['initiated', 'uploading'];

/** The file as it exists once the upload is assembled: the body `complete` answers with. */
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
  readonly fileSha256?: string;
}

export interface UploadSession {
  readonly id: string;
  readonly userId: string;
  readonly fileId: string;
  readonly fileName: string;
  readonly fileSize: number;
  readonly contentType: string;
  readonly chunkSize: number;
  readonly totalChunks: number;
  readonly checksumMode: ChecksumMode;
  readonly metadata: Record<string, string>;
  readonly fileSha256?: string;
  readonly key: string;
  readonly uploadId: string;
  readonly status: StoredStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Epoch seconds: DynamoDB TTL reads the same attribute. */
  readonly expiresAt: number;
  readonly uploadedBytes: number;
  readonly chunksUploaded: number;
  readonly lastChunkAt?: string;
  readonly completingSince?: string;
  readonly completionToken?: string;
  readonly file?: FileRecord;
  readonly error?: string;
  readonly idempotencyKey?: string;
  readonly requestFingerprint?: string;
}

export function isExpired(
  session: Pick<UploadSession, 'status' | 'expiresAt'>,
  now: Date,
): boolean {
  return OPEN_STATUSES.includes(session.status) && now.getTime() >= session.expiresAt * 1000;
}

export function effectiveStatus(session: UploadSession, now: Date): SessionStatus {
  return isExpired(session, now) ? 'expired' : session.status;
}

export const isOpen = (session: UploadSession, now: Date): boolean =>
  OPEN_STATUSES.includes(session.status) && !isExpired(session, now);

export const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);
export const isoFromEpoch = (seconds: number): string => new Date(seconds * 1000).toISOString();
