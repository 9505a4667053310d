import type { ErrorCode } from '../domain/errors.ts';
import { UploadError } from '../domain/errors.ts';

export const STATUS_BY_CODE: Record<ErrorCode, number> = {
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

const RETRY_AFTER_SECONDS: Partial<Record<ErrorCode, number>> = {
  STORAGE_UNAVAILABLE: 1,
  COMPLETION_IN_PROGRESS: 2,
};

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export const JSON_HEADERS = { 'content-type': 'application/json' };

/** The contract code an error is answered with (anything unknown is INTERNAL_ERROR). */
export const errorCode = (error: unknown): ErrorCode =>
  error instanceof UploadError ? error.code : 'INTERNAL_ERROR';

/**
 * The one place errors become HTTP: contract errors keep their code, message and details;
 * anything else is a generic 500 that reveals nothing.
 */
export function errorResponse(error: unknown): HttpResponse {
  const known = error instanceof UploadError && error.code !== 'INTERNAL_ERROR';
  const code = errorCode(error);
  const retryAfter = RETRY_AFTER_SECONDS[code];
  return {
    statusCode: STATUS_BY_CODE[code],
    headers: { ...JSON_HEADERS, ...(retryAfter ? { 'retry-after': String(retryAfter) } : {}) },
    body: JSON.stringify({
      success: false,
      error: {
        code,
        message: known ? error.message : 'Internal server error',
        ...(known && error.details ? { details: error.details } : {}),
      },
    }),
  };
}

export function successResponse(statusCode: number, data: unknown): HttpResponse {
  return {
    statusCode,
    headers: { ...JSON_HEADERS },
    body: JSON.stringify({ success: true, data }),
  };
}
