import type { ErrorCode } from '../../src/domain/errors.ts';

/**
 * The "Errors (status, code)" table of the API contract (API.md), written out independently of
 * src/http/error-response.ts so that tests pin the contract rather than the code.
 */
export const CONTRACT_STATUS: Readonly<Record<ErrorCode, number>> = {
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 401,
  SESSION_NOT_FOUND: 404,
  CHUNK_NOT_UPLOADED: 404,
  CHUNKS_MISSING: 409,
  INVALID_STATE: 409,
  COMPLETION_IN_PROGRESS: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  SESSION_EXPIRED: 410,
  SESSION_CANCELLED: 410,
  FILE_DELETED: 410,
  FILE_TOO_LARGE: 413,
  UNSUPPORTED_CONTENT_TYPE: 415,
  CHUNK_SIZE_MISMATCH: 422,
  ETAG_MISMATCH: 422,
  CHECKSUM_REQUIRED: 422,
  TOO_MANY_ACTIVE_UPLOADS: 429,
  STORAGE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
};
