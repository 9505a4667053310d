export const ERROR_CODES = [
  'VALIDATION_ERROR',
  'UNAUTHORIZED',
  'SESSION_NOT_FOUND',
  'CHUNK_NOT_UPLOADED',
  'CHUNKS_MISSING',
  'INVALID_STATE',
  'COMPLETION_IN_PROGRESS',
  'IDEMPOTENCY_KEY_REUSED',
  'SESSION_EXPIRED',
  'SESSION_CANCELLED',
  'FILE_DELETED',
  'FILE_TOO_LARGE',
  'UNSUPPORTED_CONTENT_TYPE',
  'CHUNK_SIZE_MISMATCH',
  'ETAG_MISMATCH',
  'CHECKSUM_REQUIRED',
  'TOO_MANY_ACTIVE_UPLOADS',
  'STORAGE_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export type ErrorDetails = Record<string, unknown>;

/** An error the caller can act on: it carries a contract error code and safe details. */
export class UploadError extends Error {
  override readonly name: string = 'UploadError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetails,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Storage (S3 or DynamoDB) failed in a way that a retry may fix. */
export class StorageUnavailableError extends UploadError {
  override readonly name = 'StorageUnavailableError';
  constructor(
    readonly service: 'S3' | 'DynamoDB',
    options?: { cause?: unknown },
  ) {
    super(
      'STORAGE_UNAVAILABLE',
      'Storage is temporarily unavailable; retry shortly',
      undefined,
      options,
    );
  }
}

/** A multipart upload that storage no longer knows (aborted, completed or never created). */
export class UploadGoneError extends Error {
  override readonly name = 'UploadGoneError';
}

/**
 * Storage refused to assemble the upload: a named part is gone or no longer has the recorded
 * ETag (it was overwritten after it was listed).
 */
export class PartsChangedError extends Error {
  override readonly name = 'PartsChangedError';
}

/** A conditional write lost: another request changed the item first. */
export class WriteConflictError extends Error {
  override readonly name = 'WriteConflictError';
}

export const validationError = (field: string, message: string): UploadError =>
  new UploadError('VALIDATION_ERROR', message, { fields: [{ field, message }] });

export const sessionNotFound = (): UploadError =>
  new UploadError('SESSION_NOT_FOUND', 'Upload session not found');
