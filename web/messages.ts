/** Human messages for every error code of the contract (shared/API.md), and for the SDK's own. */
import { UploadApiError, UploadStorageError } from '@upload-api/client';

export const ERROR_MESSAGES: Readonly<Record<string, string>> = {
  VALIDATION_ERROR: 'The server refused the request as invalid',
  UNAUTHORIZED: 'You are not signed in, or your sign-in has expired: sign in again',
  SESSION_NOT_FOUND: 'This upload no longer exists (or belongs to someone else)',
  CHUNK_NOT_UPLOADED: 'A part of the file did not reach storage; it will be sent again',
  CHUNKS_MISSING: 'Some parts of the file are missing; resume the upload to send them',
  INVALID_STATE: 'This cannot be done in the upload’s current state',
  COMPLETION_IN_PROGRESS: 'The file is being assembled; try again in a moment',
  IDEMPOTENCY_KEY_REUSED: 'This request was already used for a different file',
  SESSION_EXPIRED: 'This upload expired before it finished: upload the file again',
  SESSION_CANCELLED: 'This upload was cancelled',
  FILE_DELETED: 'This file was deleted',
  FILE_TOO_LARGE: 'The file is larger than this server accepts',
  UNSUPPORTED_CONTENT_TYPE: 'Files of this type are not accepted by this server',
  CHUNK_SIZE_MISMATCH: 'A stored part of the file has the wrong size',
  ETAG_MISMATCH: 'A stored part of the file does not match what was sent',
  CHECKSUM_REQUIRED: 'The server requires a checksum for every part',
  TOO_MANY_ACTIVE_UPLOADS:
    'You have too many unfinished uploads: finish or cancel some, then try again',
  STORAGE_UNAVAILABLE: 'Storage is temporarily unavailable; try again shortly',
  INTERNAL_ERROR: 'Something went wrong on the server; try again later',
  // The SDK's own codes.
  NETWORK_ERROR: 'The server could not be reached: check your connection, then resume',
  INVALID_RESPONSE: 'The server sent an answer this page does not understand',
  WAIT_TIMEOUT: 'Gave up waiting for the server',
};

const MIB = 1024 * 1024;

function sizeLimit(details: Record<string, unknown> | undefined): string {
  const max = details?.maxFileSize;
  if (typeof max !== 'number') return '';
  const text =
    max >= 1024 * MIB ? `${(max / 1024 / MIB).toFixed(1)} GiB` : `${(max / MIB).toFixed(1)} MiB`;
  return ` (at most ${text})`;
}

/** One sentence for the user; the code, when there is one, in brackets for support. */
export function describeError(error: unknown): string {
  if (error instanceof UploadApiError) {
    const known = ERROR_MESSAGES[error.code];
    if (!known) {
      if (error.status === 429) return 'The server is busy; try again shortly';
      if (error.status === 413) return `${ERROR_MESSAGES.FILE_TOO_LARGE}.`;
      return `${error.message} (${error.code})`;
    }
    const extra = error.code === 'FILE_TOO_LARGE' ? sizeLimit(error.details) : '';
    return `${known}${extra}. (${error.code})`;
  }
  if (error instanceof UploadStorageError)
    return `Storage refused part ${error.chunkNumber + 1} of the file (HTTP ${error.status}).`;
  if (error instanceof Error) {
    if (error.name === 'UploadCancelledError') return 'Cancelled.';
    if (error.name === 'UploadTimeoutError') return 'The upload took too long and was stopped.';
    return error.message;
  }
  return String(error);
}
